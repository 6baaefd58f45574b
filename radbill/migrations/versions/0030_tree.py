"""Customer transfer, notices, provisioning keys (issue 19): `notices` and `notice_acks` (a
parent's notices to its subtree, acknowledged per staff login), `provisioning_keys` (one-time
keys a new operator registers with, kept as SHA-256), and the `transfers` account kind (what
two operators owe each other after a customer moved between them, rating/transfer.py).

`ALTER TYPE ... ADD VALUE` runs inside `radbill db upgrade`'s one transaction (PostgreSQL 12+);
nothing in this migration or radbill/sql/*.sql names 'transfers', so it is first used after
the upgrade committed (as 0026 does for 'expense' and 'bank').

Revision ID: 0030
Revises: 0029
"""
from alembic import op
import sqlalchemy as sa

revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def _now(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(),
                     nullable=nullable)


def upgrade() -> None:
    op.execute("ALTER TYPE account_kind ADD VALUE IF NOT EXISTS 'transfers'")
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), server_default="", nullable=False),
        sa.Column("severity", sa.Text(), server_default="info", nullable=False),
        _now("starts_at"),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Text(), server_default="", nullable=False),
        _now("created_at"),
        sa.CheckConstraint("severity in ('info', 'warning', 'critical')",
                           name=op.f("ck_notices_severity_known")),
        sa.CheckConstraint("length(title) between 1 and 200",
                           name=op.f("ck_notices_title_length")),
        sa.CheckConstraint("ends_at is null or ends_at > starts_at",
                           name=op.f("ck_notices_ends_after_start")),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"], ondelete="CASCADE",
                                name=op.f("fk_notices_operator_id_operators")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
    )
    op.create_index("ix_notices_operator", "notices", ["operator_id", "starts_at"])
    op.create_table(
        "notice_acks",
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        _now("at"),
        sa.ForeignKeyConstraint(["notice_id"], ["notices.id"], ondelete="CASCADE",
                                name=op.f("fk_notice_acks_notice_id_notices")),
        sa.ForeignKeyConstraint(["user_id"], ["staff_users.id"], ondelete="CASCADE",
                                name=op.f("fk_notice_acks_user_id_staff_users")),
        sa.PrimaryKeyConstraint("notice_id", "user_id", name=op.f("pk_notice_acks")),
    )
    op.create_index("ix_notice_acks_user", "notice_acks", ["user_id"])
    op.create_table(
        "provisioning_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.Text(), nullable=False),
        sa.Column("hint", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), server_default="credit", nullable=False),
        sa.Column("credit_limit", sa.Numeric(14, 2), server_default="0", nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Text(), server_default="", nullable=False),
        _now("created_at"),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_ip", sa.Text(), nullable=True),
        sa.Column("new_operator_id", sa.Integer(), nullable=True),
        sa.Column("new_login", sa.Text(), nullable=True),
        sa.CheckConstraint("kind in ('credit', 'debit')",
                           name=op.f("ck_provisioning_keys_kind_known")),
        sa.CheckConstraint("credit_limit >= 0",
                           name=op.f("ck_provisioning_keys_credit_limit_nonneg")),
        sa.CheckConstraint("key_hash ~ '^[0-9a-f]{64}$'",
                           name=op.f("ck_provisioning_keys_key_hash_sha256")),
        sa.CheckConstraint("used_at is null or revoked_at is null",
                           name=op.f("ck_provisioning_keys_used_or_revoked")),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"], ondelete="CASCADE",
                                name=op.f("fk_provisioning_keys_operator_id_operators")),
        sa.ForeignKeyConstraint(["new_operator_id"], ["operators.id"], ondelete="SET NULL",
                                name=op.f("fk_provisioning_keys_new_operator_id_operators")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provisioning_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_provisioning_keys_key_hash")),
    )
    op.create_index("ix_provisioning_keys_operator", "provisioning_keys",
                    ["operator_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_provisioning_keys_operator", table_name="provisioning_keys")
    op.drop_table("provisioning_keys")
    op.drop_index("ix_notice_acks_user", table_name="notice_acks")
    op.drop_table("notice_acks")
    op.drop_index("ix_notices_operator", table_name="notices")
    op.drop_table("notices")
    # an enum value cannot be dropped; 'transfers' stays (unused)

"""Operator subscription bills, suspension, cascade delete (issue 19): operator_plans,
operator_bills, operator_suspensions, operator_archives (+ parts), and the account kinds
operator_fees, fees_payable, fees_receivable and archived.

As in 0026, the values added to account_kind are not used before this transaction commits
(no default, check or partial index here names them).

Revision ID: 0029
Revises: 0028
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None

KINDS = ("operator_fees", "fees_payable", "fees_receivable", "archived")


def _now(name: str = "created_at") -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(),
                     nullable=False)


def upgrade() -> None:
    for kind in KINDS:
        op.execute(f"ALTER TYPE account_kind ADD VALUE IF NOT EXISTS '{kind}'")
    op.create_table(
        "operator_plans",
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("fee_kind", sa.Text(), nullable=False),
        sa.Column("fee", sa.Numeric(14, 2), nullable=False),
        sa.Column("due_days", sa.SmallInteger(), server_default="7", nullable=False),
        sa.Column("grace_days", sa.SmallInteger(), server_default="7", nullable=False),
        sa.Column("customer_grace_days", sa.SmallInteger(), server_default="7", nullable=False),
        _now("updated_at"),
        sa.CheckConstraint("fee_kind in ('per_subscriber', 'flat')",
                           name=op.f("ck_operator_plans_fee_kind_known")),
        sa.CheckConstraint("fee >= 0", name=op.f("ck_operator_plans_fee_nonneg")),
        sa.CheckConstraint("due_days between 0 and 90",
                           name=op.f("ck_operator_plans_due_days_range")),
        sa.CheckConstraint("grace_days between 0 and 90",
                           name=op.f("ck_operator_plans_grace_days_range")),
        sa.CheckConstraint("customer_grace_days between 0 and 90",
                           name=op.f("ck_operator_plans_customer_grace_days_range")),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"], ondelete="CASCADE",
                                name=op.f("fk_operator_plans_operator_id_operators")),
        sa.PrimaryKeyConstraint("operator_id", name=op.f("pk_operator_plans")),
    )
    op.create_table(
        "operator_bills",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("fee_kind", sa.Text(), nullable=False),
        sa.Column("fee", sa.Numeric(14, 2), nullable=False),
        sa.Column("subscribers", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("status", sa.Text(), server_default="open", nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("transaction_id", sa.BigInteger(), nullable=True),
        sa.Column("payment_transaction_id", sa.BigInteger(), nullable=True),
        _now(),
        sa.CheckConstraint("extract(day from period) = 1",
                           name=op.f("ck_operator_bills_period_month_start")),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_operator_bills_amount_nonneg")),
        sa.CheckConstraint("subscribers >= 0", name=op.f("ck_operator_bills_subscribers_nonneg")),
        sa.CheckConstraint("status in ('open', 'paid')",
                           name=op.f("ck_operator_bills_status_known")),
        sa.CheckConstraint("(status = 'paid') = (paid_at is not null)",
                           name=op.f("ck_operator_bills_paid_has_time")),
        sa.CheckConstraint("due_date >= issued_on", name=op.f("ck_operator_bills_due_after_issue")),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"], ondelete="RESTRICT",
                                name=op.f("fk_operator_bills_operator_id_operators")),
        sa.ForeignKeyConstraint(["parent_id"], ["operators.id"], ondelete="RESTRICT",
                                name=op.f("fk_operator_bills_parent_id_operators")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_bills")),
        sa.UniqueConstraint("operator_id", "period", name="uq_operator_bills_operator_period"),
    )
    op.create_index("ix_operator_bills_open", "operator_bills", ["due_date"],
                    postgresql_where=sa.text("status = 'open'"))
    op.create_index("ix_operator_bills_parent", "operator_bills", ["parent_id", "period"])
    op.create_table(
        "operator_suspensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("suspended_on", sa.Date(), nullable=False),
        sa.Column("customers_on", sa.Date(), nullable=True),
        sa.Column("customers_task_id", sa.Integer(), nullable=True),
        sa.Column("resumed_on", sa.Date(), nullable=True),
        _now(),
        sa.CheckConstraint("reason in ('unpaid', 'manual')",
                           name=op.f("ck_operator_suspensions_reason_known")),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"], ondelete="CASCADE",
                                name=op.f("fk_operator_suspensions_operator_id_operators")),
        sa.ForeignKeyConstraint(["customers_task_id"], ["tasks.id"], ondelete="SET NULL",
                                name=op.f("fk_operator_suspensions_customers_task_id_tasks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_suspensions")),
    )
    op.create_index("uq_operator_suspensions_open", "operator_suspensions", ["operator_id"],
                    unique=True, postgresql_where=sa.text("resumed_on IS NULL"))
    op.create_table(
        "operator_archives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("operator_name", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default="building", nullable=False),
        sa.Column("summary", postgresql.JSONB(astext_type=sa.Text()),
                  server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("parts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("sha256", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Text(), server_default="", nullable=False),
        _now(),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status in ('building', 'complete')",
                           name=op.f("ck_operator_archives_status_known")),
        sa.CheckConstraint("(status = 'complete') = (sha256 is not null)",
                           name=op.f("ck_operator_archives_complete_has_sum")),
        sa.ForeignKeyConstraint(["parent_id"], ["operators.id"], ondelete="RESTRICT",
                                name=op.f("fk_operator_archives_parent_id_operators")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_archives")),
    )
    op.create_table(
        "operator_archive_parts",
        sa.Column("archive_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["archive_id"], ["operator_archives.id"], ondelete="CASCADE",
            name=op.f("fk_operator_archive_parts_archive_id_operator_archives")),
        sa.PrimaryKeyConstraint("archive_id", "seq", name=op.f("pk_operator_archive_parts")),
    )


def downgrade() -> None:
    # the account kinds stay (PostgreSQL cannot drop an enum value), unused
    op.drop_table("operator_archive_parts")
    op.drop_table("operator_archives")
    op.drop_index("uq_operator_suspensions_open", table_name="operator_suspensions")
    op.drop_table("operator_suspensions")
    op.drop_index("ix_operator_bills_parent", table_name="operator_bills")
    op.drop_index("ix_operator_bills_open", table_name="operator_bills")
    op.drop_table("operator_bills")
    op.drop_table("operator_plans")

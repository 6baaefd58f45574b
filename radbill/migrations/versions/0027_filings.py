"""VAT, BTRC, collector cash, pending approvals (issue 19): credits waiting for a second staff
approval (pending_transactions, operators.approval_threshold) and which custom fields feed the
BTRC subscriber report (filing_settings).

Revision ID: 0027
Revises: 0026
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = True, default: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable,
                     server_default=sa.func.now() if default else None)


def _staff_fk(column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["staff_users.id"], ondelete="SET NULL",
                                   name=op.f(f"fk_pending_transactions_{column}_staff_users"))


def upgrade() -> None:
    op.add_column("operators", sa.Column("approval_threshold", sa.Numeric(14, 2), nullable=True))
    op.create_check_constraint(op.f("ck_operators_approval_threshold_nonneg"), "operators",
                               "approval_threshold is null or approval_threshold >= 0")
    op.create_table(
        "pending_transactions",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("func", sa.Text(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("threshold", sa.Numeric(14, 2), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("params", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("requester", sa.Text(), nullable=False),
        sa.Column("requester_caller", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        _ts("requested_at", False, True),
        sa.Column("status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decider", sa.Text(), nullable=True),
        _ts("decided_at"),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.CheckConstraint("func in ('payment.edit', 'operator.fund')",
                           name=op.f("ck_pending_transactions_func_known")),
        sa.CheckConstraint("status in ('pending', 'approved', 'rejected')",
                           name=op.f("ck_pending_transactions_status_known")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_pending_transactions_amount_positive")),
        sa.CheckConstraint("(status = 'pending') = (decided_at is null)",
                           name=op.f("ck_pending_transactions_decided_when")),
        sa.CheckConstraint("status <> 'rejected' or reason is not null",
                           name=op.f("ck_pending_transactions_rejected_why")),
        sa.CheckConstraint("decider is null or decider <> requester",
                           name=op.f("ck_pending_transactions_four_eyes")),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"], ondelete="CASCADE",
                                name=op.f("fk_pending_transactions_operator_id_operators")),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="SET NULL",
                                name=op.f("fk_pending_transactions_customer_id_customers")),
        _staff_fk("requested_by"), _staff_fk("decided_by"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_transactions")),
    )
    op.create_index("ix_pending_transactions_open", "pending_transactions",
                    ["operator_id", "requested_at"], postgresql_where=sa.text("status = 'pending'"))
    op.create_index("ix_pending_transactions_requested", "pending_transactions",
                    ["requested_at"])
    op.create_table(
        "filing_settings",
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("nid_field", sa.Text(), nullable=True),
        sa.Column("area_field", sa.Text(), nullable=True),
        sa.Column("district_field", sa.Text(), nullable=True),
        sa.Column("connection_field", sa.Text(), nullable=True),
        _ts("updated_at", False, True),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"], ondelete="CASCADE",
                                name=op.f("fk_filing_settings_operator_id_operators")),
        sa.PrimaryKeyConstraint("operator_id", name=op.f("pk_filing_settings")),
    )


def downgrade() -> None:
    op.drop_table("filing_settings")
    op.drop_index("ix_pending_transactions_requested", table_name="pending_transactions")
    op.drop_index("ix_pending_transactions_open", table_name="pending_transactions")
    op.drop_table("pending_transactions")
    op.drop_constraint(op.f("ck_operators_approval_threshold_nonneg"), "operators", type_="check")
    op.drop_column("operators", "approval_threshold")

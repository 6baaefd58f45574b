"""The books (issue 19): expense categories and expenses, the monthly summary the yearly
report reads, and the `expense` and `bank` account kinds.

`ALTER TYPE ... ADD VALUE` runs inside `radbill db upgrade`'s one transaction (PostgreSQL 12+
allows it there), but a value added in a transaction cannot be used before it commits: nothing
in this migration, the later ones or radbill/sql/*.sql names 'expense' or 'bank' (no default, no
check, no partial index on them); the first ledger account of these kinds is opened by
expense.edit, long after the upgrade committed.

Revision ID: 0026
Revises: 0025
"""
from alembic import op
import sqlalchemy as sa

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def _money(name: str) -> sa.Column:
    return sa.Column(name, sa.Numeric(14, 2), server_default="0", nullable=False)


def upgrade() -> None:
    for kind in ("expense", "bank"):
        op.execute(f"ALTER TYPE account_kind ADD VALUE IF NOT EXISTS '{kind}'")
    op.create_table(
        "expense_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.CheckConstraint("parent_id is distinct from id",
                           name=op.f("ck_expense_categories_not_own_parent")),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"], ondelete="CASCADE",
                                name=op.f("fk_expense_categories_operator_id_operators")),
        sa.ForeignKeyConstraint(["parent_id"], ["expense_categories.id"], ondelete="RESTRICT",
                                name=op.f("fk_expense_categories_parent_id_expense_categories")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expense_categories")),
    )
    op.create_index("uq_expense_categories_top", "expense_categories", ["operator_id", "name"],
                    unique=True, postgresql_where=sa.text("parent_id IS NULL"))
    op.create_index("uq_expense_categories_sub", "expense_categories",
                    ["parent_id", "operator_id", "name"], unique=True,
                    postgresql_where=sa.text("parent_id IS NOT NULL"))
    op.create_table(
        "expenses",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("spent_on", sa.Date(), nullable=False),
        sa.Column("paid_from", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default="booked", nullable=False),
        sa.Column("receipt_file", sa.Text(), nullable=True),
        sa.Column("receipt_name", sa.Text(), nullable=True),
        sa.Column("receipt_type", sa.Text(), nullable=True),
        sa.Column("receipt_size", sa.Integer(), nullable=True),
        sa.Column("transaction_id", sa.BigInteger(), nullable=True),
        sa.Column("reversal_id", sa.BigInteger(), nullable=True),
        sa.Column("created_by", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("reversed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reverse_reason", sa.Text(), nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_expenses_amount_positive")),
        sa.CheckConstraint("paid_from in ('cash', 'bank')",
                           name=op.f("ck_expenses_paid_from_known")),
        sa.CheckConstraint("status in ('booked', 'reversed')",
                           name=op.f("ck_expenses_status_known")),
        sa.CheckConstraint("(status = 'reversed') = (reversed_at is not null)",
                           name=op.f("ck_expenses_reversed_has_time")),
        sa.CheckConstraint("receipt_size is null or receipt_size > 0",
                           name=op.f("ck_expenses_receipt_size_pos")),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"], ondelete="RESTRICT",
                                name=op.f("fk_expenses_operator_id_operators")),
        sa.ForeignKeyConstraint(["category_id"], ["expense_categories.id"], ondelete="RESTRICT",
                                name=op.f("fk_expenses_category_id_expense_categories")),
        sa.ForeignKeyConstraint(["transaction_id"], ["ledger_transactions.id"],
                                ondelete="RESTRICT",
                                name=op.f("fk_expenses_transaction_id_ledger_transactions")),
        sa.ForeignKeyConstraint(["reversal_id"], ["ledger_transactions.id"], ondelete="RESTRICT",
                                name=op.f("fk_expenses_reversal_id_ledger_transactions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expenses")),
    )
    op.create_index("ix_expenses_operator_day", "expenses", ["operator_id", "spent_on"])
    op.create_index("ix_expenses_category", "expenses", ["category_id"])
    op.create_index("ix_expenses_updated", "expenses", ["updated_at"])
    op.create_table(
        "books_monthly",
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        *[_money(n) for n in ("cash_in", "cash_out", "received", "income", "vat", "expenses",
                              "costs", "card_sales", "card_commission")],
        sa.CheckConstraint("extract(day from month) = 1",
                           name=op.f("ck_books_monthly_month_first_day")),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"], ondelete="CASCADE",
                                name=op.f("fk_books_monthly_operator_id_operators")),
        sa.PrimaryKeyConstraint("operator_id", "month", name=op.f("pk_books_monthly")),
    )
    op.create_index("ix_books_monthly_month", "books_monthly", ["month"])


def downgrade() -> None:
    op.drop_index("ix_books_monthly_month", table_name="books_monthly")
    op.drop_table("books_monthly")
    for name in ("ix_expenses_updated", "ix_expenses_category", "ix_expenses_operator_day"):
        op.drop_index(name, table_name="expenses")
    op.drop_table("expenses")
    op.drop_index("uq_expense_categories_sub", table_name="expense_categories")
    op.drop_index("uq_expense_categories_top", table_name="expense_categories")
    op.drop_table("expense_categories")
    # an enum value cannot be dropped; 'expense' and 'bank' stay (unused)

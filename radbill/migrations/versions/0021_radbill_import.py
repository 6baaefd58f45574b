"""Import from another radbill instance (issue 17): `imported_records`, the money history it
carries over, read only (the source's bills and payments, and the advance balance booked once),
unique by (source, kind, source_id) so a second import carries nothing twice.

Revision ID: 0021
Revises: 0020
"""
from alembic import op
import sqlalchemy as sa

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "imported_records",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("source_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=True),
        sa.Column("period_to", sa.Date(), nullable=True),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("paid", sa.Numeric(14, 2), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("method", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("bill_id", sa.BigInteger(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.CheckConstraint("kind in ('bill', 'payment', 'advance')",
                           name=op.f("ck_imported_records_kind_known")),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="RESTRICT",
                                name=op.f("fk_imported_records_customer_id_customers")),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"], ondelete="RESTRICT",
                                name=op.f("fk_imported_records_operator_id_operators")),
        sa.ForeignKeyConstraint(["bill_id"], ["bills.id"], ondelete="RESTRICT",
                                name=op.f("fk_imported_records_bill_id_bills")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imported_records")),
        sa.UniqueConstraint("source", "kind", "source_id", name="uq_imported_records_source"),
    )
    op.create_index("ix_imported_records_customer", "imported_records",
                    ["customer_id", "on_date"])


def downgrade() -> None:
    op.drop_index("ix_imported_records_customer", table_name="imported_records")
    op.drop_table("imported_records")

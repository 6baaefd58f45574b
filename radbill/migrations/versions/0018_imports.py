"""cut-over import: saved column mappings, import runs and their staged rows, the
opening-balance account (issue 17).

`import_mappings` keeps an operator's named column mappings; `customer_imports` is one run of
customer.import (its file's name, mapping, counts and the line the next chunk starts after);
`customer_import_rows` holds the run's rows, checked and normalised (or with their errors),
so each chunk of the background task reads its rows from here and a restart resumes from the
run's `next_line`. `opening_balance` is the equity account opening dues and advance balances
carried over from the previous system are booked against.

Revision ID: 0018
Revises: 0017
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TYPE account_kind ADD VALUE IF NOT EXISTS 'opening_balance'")
    op.create_table(
        "import_mappings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("mapping", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"], ondelete="CASCADE",
                                name=op.f("fk_import_mappings_operator_id_operators")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_mappings")),
        sa.UniqueConstraint("operator_id", "name", name="uq_import_mappings_operator_name"),
    )
    op.create_table(
        "customer_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Text(), server_default="", nullable=False),
        sa.Column("file_name", sa.Text(), server_default="", nullable=False),
        sa.Column("mapping", postgresql.JSONB(astext_type=sa.Text()),
                  server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("caller", postgresql.JSONB(astext_type=sa.Text()),
                  server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("status", sa.Text(), server_default="queued", nullable=False),
        sa.Column("rows", sa.Integer(), server_default="0", nullable=False),
        sa.Column("bad_rows", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_line", sa.Integer(), server_default="0", nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status in ('queued', 'running', 'done', 'failed', 'cancelled')",
                           name=op.f("ck_customer_imports_status_known")),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"], ondelete="SET NULL",
                                name=op.f("fk_customer_imports_operator_id_operators")),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], ondelete="SET NULL",
                                name=op.f("fk_customer_imports_task_id_tasks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_imports")),
    )
    op.create_table(
        "customer_import_rows",
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("username", sa.Text(), nullable=True),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()),
                  server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("errors", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["import_id"], ["customer_imports.id"], ondelete="CASCADE",
                                name=op.f("fk_customer_import_rows_import_id_customer_imports")),
        sa.PrimaryKeyConstraint("import_id", "line", name=op.f("pk_customer_import_rows")),
    )
    op.create_index("ix_customer_import_rows_bad", "customer_import_rows", ["import_id", "line"],
                    postgresql_where=sa.text("errors IS NOT NULL"))


def downgrade() -> None:
    op.drop_index("ix_customer_import_rows_bad", table_name="customer_import_rows")
    op.drop_table("customer_import_rows")
    op.drop_table("customer_imports")
    op.drop_table("import_mappings")
    # an enum value cannot be dropped; opening_balance stays (unused)

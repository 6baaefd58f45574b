"""custom fields, parent-child and trial accounts (issue 17).

`custom_fields` holds an operator's definitions (the values stay in customers.custom_fields,
keyed by the definition's name); a GIN jsonb_path_ops index on customers.custom_fields answers
the list's search and the unique check (`custom_fields @> '{"name": "value"}'`).
packages.trial_days makes a package a trial; customers.billing_from is the day billing starts
(a trial converted to a paid package; NULL: the day the customer was created).

Revision ID: 0017
Revises: 0016
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "custom_fields",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), server_default="text", nullable=False),
        sa.Column("choices", postgresql.JSONB(astext_type=sa.Text()),
                  server_default=sa.text("'[]'::jsonb"), nullable=False),
        sa.Column("required", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("is_unique", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("searchable", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("in_list", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.CheckConstraint("name ~ '^[a-z][a-z0-9_]{0,39}$'", name=op.f("ck_custom_fields_name_format")),
        sa.CheckConstraint("kind in ('text', 'number', 'date', 'choice')",
                           name=op.f("ck_custom_fields_kind_known")),
        sa.CheckConstraint("jsonb_typeof(choices) = 'array'", name=op.f("ck_custom_fields_choices_array")),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"], ondelete="CASCADE",
                                name=op.f("fk_custom_fields_operator_id_operators")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_fields")),
        sa.UniqueConstraint("operator_id", "name", name="uq_custom_fields_operator_name"),
    )
    op.create_index("ix_customers_custom_fields", "customers", ["custom_fields"],
                    postgresql_using="gin", postgresql_ops={"custom_fields": "jsonb_path_ops"})
    op.add_column("packages", sa.Column("trial_days", sa.Integer(), nullable=True))
    op.create_check_constraint(op.f("ck_packages_trial_days_range"), "packages",
                               "trial_days is null or trial_days between 1 and 366")
    op.add_column("customers", sa.Column("billing_from", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("customers", "billing_from")
    op.drop_constraint(op.f("ck_packages_trial_days_range"), "packages", type_="check")
    op.drop_column("packages", "trial_days")
    op.drop_index("ix_customers_custom_fields", table_name="customers")
    op.drop_table("custom_fields")

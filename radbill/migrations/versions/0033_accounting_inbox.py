"""Accounting's inbox (issue 16): rlm_sql appends each Accounting-Request to
`radius_acct_inbox` in one committed INSERT and is answered; radbill_drain() applies the rows
in order with radbill_acct() (radbill/sql/radius_accounting.sql). The per-record work leaves
the NAS's wait and runs in one transaction per drain instead of one per record.

Revision ID: 0033
Revises: 0032
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "radius_acct_inbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("fields", postgresql.ARRAY(sa.Text()), nullable=False),
    )


def downgrade() -> None:
    # records still waiting are applied first: none is lost by going back
    op.execute("DO $$ BEGIN IF to_regproc('radbill_acct_apply') IS NOT NULL THEN "
               "PERFORM radbill_acct_apply(); END IF; END $$")
    op.drop_table("radius_acct_inbox")

"""radius_acct_log is UNLOGGED: since the inbox (0033) it is written and emptied inside one
transaction, radbill_drain()'s (radbill_acct_apply() writes a row a record, the drain's DELETE
reads them back into usage counters and notices), so no committed row ever waits in it and
there is nothing for the WAL to protect. Two WAL records a record less (the insert and the
delete; ~13 a record in `radbill bench radius`). A crash empties an unlogged table, which holds
nothing at any commit; a streaming replica does not see its rows, which no report reads.

Revision ID: 0036
Revises: 0035
"""
from alembic import op

revision = '0036'
down_revision = '0035'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # (the table is rewritten with whatever rows it holds: none in service)
    op.execute("ALTER TABLE radius_acct_log SET UNLOGGED")


def downgrade() -> None:
    op.execute("ALTER TABLE radius_acct_log SET LOGGED")

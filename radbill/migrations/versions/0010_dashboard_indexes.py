"""Indexes for the owner's dashboard and the customer search at 100,000 customers (issue 12).

- ix_bills_open_aging: report.aging reads every open bill's due date and amounts; a covering
  partial index (operator_id first, for a reseller's subtree) answers it from the index alone.
- ix_radacct_open_start, ix_radacct_stop: report.online counts sessions open in each of the
  last hours: the open ones by their start, the stopped ones by their stop, from the index
  (username included, for a reseller's scope) instead of reading all of radacct.
- pg_trgm and trigram GIN indexes on lower(name), lower(address): the collector's search
  (collect.find) finds a word inside a name or an address (`lower(x) LIKE '%text%'`) through
  an index instead of reading every customer. pg_trgm is a trusted extension (PostgreSQL 13+):
  the database's owner creates it without superuser rights; it ships in Debian's
  postgresql-15 package (no postgresql-contrib needed).

Revision ID: 0010
Revises: 0009
"""
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX ix_bills_open_aging ON bills (operator_id, due_date) "
               "INCLUDE (total, paid) WHERE status = 'open'")
    op.execute("CREATE INDEX ix_radacct_open_start ON radacct (acctstarttime, username) "
               "WHERE acctstoptime IS NULL")
    op.execute("CREATE INDEX ix_radacct_stop ON radacct (acctstoptime, acctstarttime, username)")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE INDEX ix_customers_name_trgm ON customers "
               "USING gin (lower(name) gin_trgm_ops)")
    op.execute("CREATE INDEX ix_customers_address_trgm ON customers "
               "USING gin (lower(address) gin_trgm_ops)")


def downgrade() -> None:
    op.drop_index('ix_customers_address_trgm', table_name='customers')
    op.drop_index('ix_customers_name_trgm', table_name='customers')
    # the extension stays: dropping it could take another's objects with it, and 0009 and
    # earlier run the same with or without it
    op.drop_index('ix_radacct_stop', table_name='radacct')
    op.drop_index('ix_radacct_open_start', table_name='radacct')
    op.drop_index('ix_bills_open_aging', table_name='bills')

"""lean event indexes: what the billing and suspension runs write per customer, kept small

Revision ID: 0004
Revises: 0003

Measured with `radbill bench rating` (issue 9 note): every index is one more insert per event,
status-log and outbox row, and a billing or suspension run writes 100,000 of each. Lists of
events and status changes page newest first by id (the primary key) and filter the rest, so
only the per-customer indexes stay. The outbox's dedupe key is gone: its rows are derived from
events (one per route), and events carry their own dedupe key.
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_events_operator', table_name='events')
    op.drop_index('ix_events_name', table_name='events')
    op.drop_index('ix_customer_status_log_operator_at', table_name='customer_status_log')
    op.drop_index('ix_outbox_event', table_name='outbox')
    op.drop_constraint('uq_outbox_dedupe_key', 'outbox', type_='unique')
    op.drop_column('outbox', 'dedupe_key')


def downgrade() -> None:
    op.add_column('outbox', sa.Column('dedupe_key', sa.Text(), nullable=True))
    op.create_unique_constraint('uq_outbox_dedupe_key', 'outbox', ['dedupe_key'])
    op.create_index('ix_outbox_event', 'outbox', ['event_id'])
    op.create_index('ix_customer_status_log_operator_at', 'customer_status_log',
                    ['operator_id', 'at'])
    op.create_index('ix_events_name', 'events', ['name', 'id'])
    op.create_index('ix_events_operator', 'events', ['operator_id', 'id'])

"""events: the event stream, its catalogue and the lifecycle table, the customer status log

Revision ID: 0002
Revises: 0001

The functions and triggers that use these tables are in radbill/sql/events.sql and
radbill/sql/lifecycle.sql; the catalogue and transition rows are written by `radbill db
upgrade` from radbill/events.py and radbill/lifecycle.py.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'events',
        sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('name', sa.Text(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=True),
        sa.Column('operator_id', sa.Integer(), nullable=True),
        sa.Column('actor', sa.Text(), server_default='', nullable=False),
        sa.Column('data', postgresql.JSONB(astext_type=sa.Text()),
                  server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column('dedupe_key', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
    )
    op.create_index('ix_events_customer', 'events', ['customer_id', 'id'])
    op.create_index('ix_events_operator', 'events', ['operator_id', 'id'])
    op.create_index('ix_events_name', 'events', ['name', 'id'])
    op.create_index('uq_events_dedupe_key', 'events', ['dedupe_key'], unique=True,
                    postgresql_where=sa.text('dedupe_key is not null'))
    op.create_table(
        'event_types',
        sa.Column('name', sa.Text(), nullable=False),
        sa.Column('fields', postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column('routes', postgresql.JSONB(astext_type=sa.Text()),
                  server_default=sa.text("'[]'::jsonb"), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_event_types')),
    )
    op.create_table(
        'customer_transitions',
        sa.Column('from_state', sa.Text(), nullable=False),
        sa.Column('to_state', sa.Text(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('event', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('from_state', 'to_state', 'reason',
                                name=op.f('pk_customer_transitions')),
    )
    op.create_table(
        'customer_status_log',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('operator_id', sa.Integer(), nullable=True),
        sa.Column('from_state', sa.Text(), nullable=False),
        sa.Column('to_state', sa.Text(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('actor', sa.Text(), nullable=False),
        sa.Column('func', sa.Text(), nullable=False),
        sa.Column('event_id', sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                                name=op.f('fk_customer_status_log_customer_id_customers'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['operator_id'], ['operators.id'],
                                name=op.f('fk_customer_status_log_operator_id_operators'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_status_log')),
    )
    op.create_index('ix_customer_status_log_customer', 'customer_status_log',
                    ['customer_id', 'id'])
    op.create_index('ix_customer_status_log_operator_at', 'customer_status_log',
                    ['operator_id', 'at'])
    op.add_column('outbox', sa.Column('event_id', sa.BigInteger(), nullable=True))
    op.create_index('ix_outbox_event', 'outbox', ['event_id'])


def downgrade() -> None:
    op.drop_index('ix_outbox_event', table_name='outbox')
    op.drop_column('outbox', 'event_id')
    op.drop_table('customer_status_log')
    op.drop_table('customer_transitions')
    op.drop_table('event_types')
    op.drop_table('events')

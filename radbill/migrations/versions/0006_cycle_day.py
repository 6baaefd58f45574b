"""customers.cycle_day: the day of the month a monthly usage cycle is anchored on

Revision ID: 0006
Revises: 0005

A cycle from the 31st ends on the last day of a shorter month and comes back to the 31st the
month after; cycle_start alone forgets the 31st once it has been the 28th (issue 9 note).
NULL means "the day of cycle_start" (the fair-usage reset fills it in on its first run).
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('customers', sa.Column('cycle_day', sa.SmallInteger(), nullable=True))
    op.create_check_constraint(op.f('ck_customers_cycle_day_range'), 'customers',
                               'cycle_day is null or cycle_day between 1 and 31')


def downgrade() -> None:
    op.drop_constraint(op.f('ck_customers_cycle_day_range'), 'customers', type_='check')
    op.drop_column('customers', 'cycle_day')

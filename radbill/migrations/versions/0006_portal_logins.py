"""portal: customers' login attempts share login_attempts, as channel 'portal'; the
suspension page finds an open session by its address

Revision ID: 0006
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint(op.f('ck_login_attempts_channel_valid'), 'login_attempts', type_='check')
    op.create_check_constraint(op.f('ck_login_attempts_channel_valid'), 'login_attempts',
                               "channel in ('web', 'api', 'portal')")
    op.create_index('ix_radacct_open_framedip', 'radacct', ['framedipaddress'],
                    postgresql_where=sa.text('acctstoptime IS NULL'))


def downgrade() -> None:
    op.drop_index('ix_radacct_open_framedip', table_name='radacct')
    op.execute("DELETE FROM login_attempts WHERE channel = 'portal'")
    op.drop_constraint(op.f('ck_login_attempts_channel_valid'), 'login_attempts', type_='check')
    op.create_check_constraint(op.f('ck_login_attempts_channel_valid'), 'login_attempts',
                               "channel in ('web', 'api')")

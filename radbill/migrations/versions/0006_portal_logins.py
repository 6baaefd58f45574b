"""portal: customers' login attempts share login_attempts, as channel 'portal'

Revision ID: 0006
Revises: 0004
"""
from alembic import op

revision = '0006'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint(op.f('ck_login_attempts_channel_valid'), 'login_attempts', type_='check')
    op.create_check_constraint(op.f('ck_login_attempts_channel_valid'), 'login_attempts',
                               "channel in ('web', 'api', 'portal')")


def downgrade() -> None:
    op.execute("DELETE FROM login_attempts WHERE channel = 'portal'")
    op.drop_constraint(op.f('ck_login_attempts_channel_valid'), 'login_attempts', type_='check')
    op.create_check_constraint(op.f('ck_login_attempts_channel_valid'), 'login_attempts',
                               "channel in ('web', 'api')")

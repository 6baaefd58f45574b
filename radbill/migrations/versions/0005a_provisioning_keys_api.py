"""provisioning: OLT SSH host keys (trust on first use), router API health in device_status

Revision ID: 0005a
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = '0005a'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('olts', sa.Column('ssh_host_key', sa.Text(), nullable=True))
    op.add_column('device_status', sa.Column('api_ok', sa.Boolean(), nullable=True))
    op.add_column('device_status', sa.Column('api_checked_at', sa.DateTime(timezone=True),
                                             nullable=True))
    op.add_column('device_status', sa.Column('api_version', sa.Text(), nullable=True))
    op.add_column('device_status', sa.Column('api_error', sa.Text(), nullable=True))


def downgrade() -> None:
    for col in ('api_error', 'api_version', 'api_checked_at', 'api_ok'):
        op.drop_column('device_status', col)
    op.drop_column('olts', 'ssh_host_key')

"""provisioning: OLTs reached over Telnet as well as SSH

Revision ID: 0005b
Revises: 0005a
"""
from alembic import op
import sqlalchemy as sa

revision = '0005b'
down_revision = '0005a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('olts', sa.Column('cli_transport', sa.Text(), server_default='ssh', nullable=False))
    op.add_column('olts', sa.Column('telnet_port', sa.Integer(), server_default='23', nullable=False))
    op.create_check_constraint(op.f('ck_olts_cli_transport_valid'), 'olts',
                               "cli_transport in ('ssh', 'telnet')")
    op.create_check_constraint(op.f('ck_olts_telnet_port_range'), 'olts',
                               'telnet_port between 1 and 65535')


def downgrade() -> None:
    op.drop_constraint(op.f('ck_olts_telnet_port_range'), 'olts', type_='check')
    op.drop_constraint(op.f('ck_olts_cli_transport_valid'), 'olts', type_='check')
    op.drop_column('olts', 'telnet_port')
    op.drop_column('olts', 'cli_transport')

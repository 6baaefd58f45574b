"""Hotspot (issue 14): packages limited by online time and by data per cycle (enforced by the
NAS through Session-Timeout and Mikrotik-Total-Limit, refused once used up), packages marked
for the hotspot (their sign-ups and vouchers get the hotspot service), and the walled garden:
hosts a hotspot visitor may reach before logging in, pushed to the routers.

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('packages', sa.Column('time_limit', sa.Integer(), nullable=True))
    op.add_column('packages', sa.Column('data_limit', sa.BigInteger(), nullable=True))
    op.add_column('packages', sa.Column('hotspot', sa.Boolean(), server_default=sa.text('false'),
                                        nullable=False))
    op.create_check_constraint('time_limit_positive', 'packages',
                               'time_limit is null or time_limit > 0')
    op.create_check_constraint('data_limit_positive', 'packages',
                               'data_limit is null or data_limit > 0')
    op.create_table('walled_garden',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('host', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_walled_garden_operator_id_operators'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_walled_garden')),
    sa.UniqueConstraint('operator_id', 'host', name='uq_walled_garden_operator_host')
    )


def downgrade() -> None:
    op.drop_table('walled_garden')
    op.drop_constraint('ck_packages_data_limit_positive', 'packages')
    op.drop_constraint('ck_packages_time_limit_positive', 'packages')
    op.drop_column('packages', 'hotspot')
    op.drop_column('packages', 'data_limit')
    op.drop_column('packages', 'time_limit')

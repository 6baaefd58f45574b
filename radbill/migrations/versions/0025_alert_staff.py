"""Alerts to on-call staff by SMS and e-mail (issue 18): a staff login's mobile and e-mail and
when it is on call; the NOC wall links' generation per login (noc.wall_revoke).

Revision ID: 0025
Revises: 0024
"""
from alembic import op
import sqlalchemy as sa

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

CHECKS = {
    'on_call_window': "(on_call_start is null) = (on_call_end is null) and "
                      "(on_call_start is null or on_call_start <> on_call_end)",
    'on_call_days_known': "on_call_days is null or (on_call_days <@ array[1,2,3,4,5,6,7]"
                          "::smallint[] and cardinality(on_call_days) > 0)",
    'wall_generation_nonneg': "wall_generation >= 0",
}


def upgrade() -> None:
    op.add_column('staff_users', sa.Column('mobile', sa.Text(), nullable=True))
    op.add_column('staff_users', sa.Column('email', sa.Text(), nullable=True))
    op.add_column('staff_users', sa.Column('on_call', sa.Boolean(), server_default=sa.false(),
                                           nullable=False))
    op.add_column('staff_users', sa.Column('on_call_start', sa.Time(), nullable=True))
    op.add_column('staff_users', sa.Column('on_call_end', sa.Time(), nullable=True))
    op.add_column('staff_users', sa.Column('on_call_days', sa.ARRAY(sa.SmallInteger()),
                                           nullable=True))
    op.add_column('staff_users', sa.Column('wall_generation', sa.Integer(), server_default='0',
                                           nullable=False))
    for name, rule in CHECKS.items():
        op.create_check_constraint(op.f(f'ck_staff_users_{name}'), 'staff_users', rule)


def downgrade() -> None:
    for name in CHECKS:
        op.drop_constraint(op.f(f'ck_staff_users_{name}'), 'staff_users', type_='check')
    for name in ('wall_generation', 'on_call_days', 'on_call_end', 'on_call_start', 'on_call',
                 'email', 'mobile'):
        op.drop_column('staff_users', name)

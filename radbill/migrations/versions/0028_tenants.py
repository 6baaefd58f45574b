"""Tenants and special permissions (issue 19): functions granted to or revoked from one staff
login (staff_permissions). A tenant is a group-level operator (a root of the tree), which
needs no column of its own.

Revision ID: 0028
Revises: 0027
"""
from alembic import op
import sqlalchemy as sa

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'staff_permissions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('func', sa.Text(), nullable=False),
        sa.Column('allow', sa.Boolean(), nullable=False),
        sa.Column('granted_by', sa.Text(), server_default='', nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.CheckConstraint(r"func ~ '^[a-z_]+(\.[a-z_]+)*$'",
                           name=op.f('ck_staff_permissions_func_name')),
        sa.ForeignKeyConstraint(['user_id'], ['staff_users.id'], ondelete='CASCADE',
                                name=op.f('fk_staff_permissions_user_id_staff_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_permissions')),
        sa.UniqueConstraint('user_id', 'func', name='uq_staff_permissions_user_func'),
    )


def downgrade() -> None:
    op.drop_table('staff_permissions')

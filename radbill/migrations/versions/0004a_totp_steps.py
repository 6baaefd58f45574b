"""admin: remember each login's last TOTP step so a code cannot be replayed

Revision ID: 0004a
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = '0004a'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'totp_steps',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('last_step', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['staff_users.id'],
                                name=op.f('fk_totp_steps_user_id_staff_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_totp_steps')),
    )


def downgrade() -> None:
    op.drop_table('totp_steps')

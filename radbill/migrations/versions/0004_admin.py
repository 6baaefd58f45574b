"""admin: func API sessions, one-time login keys, login attempts, search and session indexes

Revision ID: 0004
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'api_sessions',
        sa.Column('token_hash', sa.Text(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('ip', sa.Text(), nullable=True),
        sa.Column('via', sa.Text(), server_default='password', nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('last_used_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint("via in ('password', 'key')", name=op.f('ck_api_sessions_via_valid')),
        sa.ForeignKeyConstraint(['user_id'], ['staff_users.id'], name=op.f('fk_api_sessions_user_id_staff_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_api_sessions')),
    )
    op.create_index('ix_api_sessions_user', 'api_sessions', ['user_id'])
    op.create_table(
        'login_keys',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('key_hash', sa.Text(), nullable=False),
        sa.Column('created_by', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['staff_users.id'], name=op.f('fk_login_keys_user_id_staff_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_login_keys')),
    )
    op.create_table(
        'login_attempts',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('login', sa.Text(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('ip', sa.Text(), nullable=True),
        sa.Column('channel', sa.Text(), nullable=False),
        sa.Column('ok', sa.Boolean(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.CheckConstraint("channel in ('web', 'api')", name=op.f('ck_login_attempts_channel_valid')),
        sa.ForeignKeyConstraint(['user_id'], ['staff_users.id'], name=op.f('fk_login_attempts_user_id_staff_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempts')),
    )
    op.create_index('ix_login_attempts_at', 'login_attempts', ['at'])
    op.create_index('ix_login_attempts_user', 'login_attempts', ['user_id'])
    # prefix search on every searchable customer column (see radbill/models/web.py)
    op.execute("CREATE INDEX ix_customers_mobile_pattern ON customers (lower(mobile) text_pattern_ops)")
    op.execute("CREATE INDEX ix_customers_mac_pattern ON customers (lower(mac) text_pattern_ops)")
    op.execute("CREATE INDEX ix_customers_ip_pattern ON customers "
               "(lower(CAST(static_ip AS TEXT)) text_pattern_ops)")
    op.create_index('ix_customers_username_id', 'customers', ['username', 'id'])
    # one customer's sessions, newest first (the stock index leads with acctstarttime)
    op.create_index('ix_radacct_user_start', 'radacct', ['username', 'acctstarttime'])


def downgrade() -> None:
    op.drop_index('ix_radacct_user_start', table_name='radacct')
    op.drop_index('ix_customers_username_id', table_name='customers')
    for name in ('ix_customers_ip_pattern', 'ix_customers_mac_pattern', 'ix_customers_mobile_pattern'):
        op.execute(f"DROP INDEX {name}")
    op.drop_table('login_attempts')
    op.drop_table('login_keys')
    op.drop_table('api_sessions')

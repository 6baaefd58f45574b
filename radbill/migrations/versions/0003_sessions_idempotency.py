"""sessions: browser logins get server-side rows (api_sessions.via 'web'); idempotency keys

Revision ID: 0003
Revises: 0002

Issue 10. A staff session (browser cookie or `auth=` id) is a row in api_sessions that dies
when its login's password, role, operator or disabled flag changes or its operator (or one
above) is suspended (triggers in radbill/sql/sessions.sql). `idempotency_keys` keeps the result
of a change made under a one-time key (a form's token, an Idempotency-Key header), so a
resubmission answers the same result instead of booking twice.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint(op.f('ck_api_sessions_via_valid'), 'api_sessions', type_='check')
    op.create_check_constraint(op.f('ck_api_sessions_via_valid'), 'api_sessions',
                               "via in ('password', 'key', 'web')")
    op.create_table(
        'idempotency_keys',
        sa.Column('scope', sa.Text(), nullable=False),
        sa.Column('key', sa.Text(), nullable=False),
        sa.Column('func', sa.Text(), nullable=False),
        sa.Column('request_hash', sa.Text(), nullable=False),
        sa.Column('result', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'),
                  nullable=False),
        sa.PrimaryKeyConstraint('scope', 'key', name=op.f('pk_idempotency_keys')),
    )
    op.create_index('ix_idempotency_keys_created_at', 'idempotency_keys', ['created_at'])


def downgrade() -> None:
    op.drop_index('ix_idempotency_keys_created_at', table_name='idempotency_keys')
    op.drop_table('idempotency_keys')
    op.execute("DELETE FROM api_sessions WHERE via = 'web'")
    op.drop_constraint(op.f('ck_api_sessions_via_valid'), 'api_sessions', type_='check')
    op.create_check_constraint(op.f('ck_api_sessions_via_valid'), 'api_sessions',
                               "via in ('password', 'key')")

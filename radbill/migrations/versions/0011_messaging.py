"""Messaging (issue 13): templates, message gateways, messages (queue and history), incoming
messages, broadcasts, one-time codes, background tasks; operators' quiet hours, channels and
low-balance alert; billing profiles' reminder days; the `alert` outbox kind; ledger accounts for
messaging costs

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


# Tables only (one linear history): functions and triggers live in radbill/sql/*.sql.
def upgrade() -> None:
    op.execute("ALTER TYPE outbox_kind ADD VALUE IF NOT EXISTS 'alert'")
    for kind in ('messaging_cost', 'payable'):
        op.execute(f"ALTER TYPE account_kind ADD VALUE IF NOT EXISTS '{kind}'")
    op.create_table('message_gateways',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('channel', sa.Enum('sms', 'whatsapp', 'email', 'telegram', name='msg_channel'), nullable=False),
    sa.Column('kind', sa.Enum('http', 'bulksmsbd', 'sslwireless', 'adn', 'meta', 'twilio', 'smtp', 'telegram', name='msg_gateway_kind'), nullable=False),
    sa.Column('config', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('credentials', sa.LargeBinary(), nullable=True),
    sa.Column('price', sa.Numeric(precision=10, scale=4), server_default='0', nullable=False),
    sa.Column('rate_per_second', sa.Integer(), server_default='20', nullable=False),
    sa.Column('enabled', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('price >= 0', name=op.f('ck_message_gateways_price_nonneg')),
    sa.CheckConstraint('rate_per_second between 1 and 10000', name=op.f('ck_message_gateways_rate_range')),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_message_gateways_operator_id_operators'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_gateways')),
    sa.UniqueConstraint('operator_id', 'name', name='uq_message_gateways_operator_name')
    )
    op.create_index('ix_message_gateways_operator_channel', 'message_gateways', ['operator_id', 'channel'], unique=False)
    op.create_table('message_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.Text(), nullable=False),
    sa.Column('channel', sa.Enum('sms', 'whatsapp', 'email', 'telegram', name='msg_channel'), nullable=False),
    sa.Column('lang', sa.Text(), nullable=False),
    sa.Column('subject', sa.Text(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('enabled', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("lang in ('en', 'bn')", name=op.f('ck_message_templates_lang_known')),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_message_templates_operator_id_operators'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_templates')),
    sa.UniqueConstraint('operator_id', 'event', 'channel', 'lang', name='uq_message_templates_key')
    )
    op.create_table('tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('params', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('status', sa.Enum('queued', 'running', 'done', 'failed', 'cancelled', name='task_status'), server_default='queued', nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Text(), server_default='', nullable=False),
    sa.Column('title', sa.Text(), server_default='', nullable=False),
    sa.Column('total', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('done', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('failed', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_tasks_operator_id_operators'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tasks'))
    )
    op.create_index('ix_tasks_open', 'tasks', ['id'], unique=False, postgresql_where=sa.text("status IN ('queued', 'running')"))
    op.create_table('broadcasts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('channel', sa.Enum('sms', 'whatsapp', 'email', 'telegram', name='msg_channel'), nullable=False),
    sa.Column('filters', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('template', sa.Text(), nullable=True),
    sa.Column('subject', sa.Text(), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('total', sa.Integer(), server_default='0', nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_broadcasts_operator_id_operators'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_broadcasts_task_id_tasks'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_broadcasts'))
    )
    op.create_table('incoming_messages',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('gateway_id', sa.Integer(), nullable=True),
    sa.Column('operator_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.Enum('sms', 'whatsapp', 'email', 'telegram', name='msg_channel'), nullable=False),
    sa.Column('sender', sa.Text(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('gateway_ref', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_incoming_messages_customer_id_customers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['gateway_id'], ['message_gateways.id'], name=op.f('fk_incoming_messages_gateway_id_message_gateways'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_incoming_messages_operator_id_operators'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incoming_messages')),
    sa.UniqueConstraint('gateway_id', 'gateway_ref', name='uq_incoming_messages_ref')
    )
    op.create_index('ix_incoming_messages_customer', 'incoming_messages', ['customer_id', 'id'], unique=False)
    op.create_table('messages',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('event', sa.Text(), nullable=False),
    sa.Column('event_id', sa.BigInteger(), nullable=True),
    sa.Column('broadcast_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.Enum('sms', 'whatsapp', 'email', 'telegram', name='msg_channel'), nullable=False),
    sa.Column('lang', sa.Text(), server_default='en', nullable=False),
    sa.Column('recipient', sa.Text(), nullable=False),
    sa.Column('subject', sa.Text(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('extra', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('status', sa.Enum('queued', 'sending', 'sent', 'delivered', 'failed', name='msg_status'), server_default='queued', nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('gateway_id', sa.Integer(), nullable=True),
    sa.Column('gateway_ref', sa.Text(), nullable=True),
    sa.Column('segments', sa.Integer(), server_default='1', nullable=False),
    sa.Column('cost', sa.Numeric(precision=12, scale=4), server_default='0', nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('charge_txn_id', sa.BigInteger(), nullable=True),
    sa.Column('dedupe_key', sa.Text(), nullable=True),
    sa.CheckConstraint('cost >= 0', name=op.f('ck_messages_cost_nonneg')),
    sa.CheckConstraint('segments >= 0', name=op.f('ck_messages_segments_nonneg')),
    sa.ForeignKeyConstraint(['broadcast_id'], ['broadcasts.id'], name=op.f('fk_messages_broadcast_id_broadcasts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_messages_customer_id_customers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['gateway_id'], ['message_gateways.id'], name=op.f('fk_messages_gateway_id_message_gateways'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_messages_operator_id_operators'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages'))
    )
    op.create_index('ix_messages_broadcast', 'messages', ['broadcast_id', 'status'], unique=False)
    op.create_index('ix_messages_created', 'messages', ['created_at'], unique=False)
    op.create_index('ix_messages_customer', 'messages', ['customer_id', 'id'], unique=False)
    op.create_index('ix_messages_dedupe', 'messages', ['dedupe_key'], unique=True, postgresql_where=sa.text('dedupe_key IS NOT NULL'))
    op.create_index('ix_messages_due', 'messages', ['next_attempt_at'], unique=False, postgresql_where=sa.text("status = 'queued'"))
    op.create_index('ix_messages_gateway_ref', 'messages', ['gateway_id', 'gateway_ref'], unique=False)
    op.create_index('ix_messages_sending', 'messages', ['claimed_at'], unique=False, postgresql_where=sa.text("status = 'sending'"))
    op.create_index('ix_messages_uncharged', 'messages', ['operator_id'], unique=False, postgresql_where=sa.text("charge_txn_id IS NULL AND cost > 0 AND status IN ('sent', 'delivered')"))
    op.create_table('otp_codes',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('channel', sa.Enum('sms', 'whatsapp', 'email', 'telegram', name='msg_channel'), nullable=False),
    sa.Column('recipient', sa.Text(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('code_hash', sa.Text(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tries', sa.Integer(), server_default='0', nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ip', sa.Text(), nullable=True),
    sa.Column('message_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_otp_codes_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_otp_codes'))
    )
    op.create_index('ix_otp_codes_ip', 'otp_codes', ['ip', 'created_at'], unique=False)
    op.create_index('ix_otp_codes_recipient', 'otp_codes', ['recipient', 'created_at'], unique=False)
    op.add_column('billing_profiles', sa.Column('due_reminder_days', sa.Integer(), server_default='3', nullable=False))
    op.add_column('billing_profiles', sa.Column('expiry_notice_days', sa.Integer(), nullable=True))
    op.create_check_constraint(op.f('ck_billing_profiles_due_reminder_range'), 'billing_profiles',
                               'due_reminder_days between 0 and 60')
    op.create_check_constraint(op.f('ck_billing_profiles_expiry_notice_range'), 'billing_profiles',
                               'expiry_notice_days between 0 and 60')
    op.add_column('operators', sa.Column('quiet_start', sa.Time(), nullable=True))
    op.add_column('operators', sa.Column('quiet_end', sa.Time(), nullable=True))
    op.add_column('operators', sa.Column('notify_channels', sa.ARRAY(sa.Text()), nullable=True))
    op.add_column('operators', sa.Column('low_balance', sa.Numeric(precision=14, scale=2), nullable=True))


def downgrade() -> None:
    op.drop_column('operators', 'low_balance')
    op.drop_column('operators', 'notify_channels')
    op.drop_column('operators', 'quiet_end')
    op.drop_column('operators', 'quiet_start')
    op.drop_constraint(op.f('ck_billing_profiles_expiry_notice_range'), 'billing_profiles', type_='check')
    op.drop_constraint(op.f('ck_billing_profiles_due_reminder_range'), 'billing_profiles', type_='check')
    op.drop_column('billing_profiles', 'expiry_notice_days')
    op.drop_column('billing_profiles', 'due_reminder_days')
    op.drop_index('ix_otp_codes_recipient', table_name='otp_codes')
    op.drop_index('ix_otp_codes_ip', table_name='otp_codes')
    op.drop_table('otp_codes')
    op.drop_index('ix_messages_uncharged', table_name='messages', postgresql_where=sa.text("charge_txn_id IS NULL AND cost > 0 AND status IN ('sent', 'delivered')"))
    op.drop_index('ix_messages_sending', table_name='messages', postgresql_where=sa.text("status = 'sending'"))
    op.drop_index('ix_messages_gateway_ref', table_name='messages')
    op.drop_index('ix_messages_due', table_name='messages', postgresql_where=sa.text("status = 'queued'"))
    op.drop_index('ix_messages_dedupe', table_name='messages', postgresql_where=sa.text('dedupe_key IS NOT NULL'))
    op.drop_index('ix_messages_customer', table_name='messages')
    op.drop_index('ix_messages_created', table_name='messages')
    op.drop_index('ix_messages_broadcast', table_name='messages')
    op.drop_table('messages')
    op.drop_index('ix_incoming_messages_customer', table_name='incoming_messages')
    op.drop_table('incoming_messages')
    op.drop_table('broadcasts')
    op.drop_index('ix_tasks_open', table_name='tasks', postgresql_where=sa.text("status IN ('queued', 'running')"))
    op.drop_table('tasks')
    op.drop_table('message_templates')
    op.drop_index('ix_message_gateways_operator_channel', table_name='message_gateways')
    op.drop_table('message_gateways')
    for name in ('task_status', 'msg_status', 'msg_gateway_kind', 'msg_channel'):
        op.execute(f"DROP TYPE IF EXISTS {name}")
    # PostgreSQL cannot drop an enum value: 'alert', 'messaging_cost' and 'payable' stay

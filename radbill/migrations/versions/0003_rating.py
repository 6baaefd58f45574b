"""rating: bills, payments, recharge cards, the double-entry ledger, daily usage, job state

The rule that a ledger transaction's legs sum to zero is a deferred constraint trigger, so it
holds whoever writes (an ORM session, a bulk INSERT ... SELECT, or psql): it is checked at
commit, when every leg of the transaction is in.

Revision ID: 0003
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0001'
branch_labels = None
depends_on = None

TABLES = ('ledger_entries', 'payment_allocations', 'ledger_transactions', 'payments', 'bill_lines',
          'usage_daily', 'recharge_cards', 'bills', 'ledger_accounts', 'job_state')
ENUMS = ('bill_kind', 'bill_status', 'payment_method', 'payment_status', 'card_status',
         'account_kind')

BALANCE_TRIGGER = """
CREATE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tx bigint;
    total numeric;
BEGIN
    FOREACH tx IN ARRAY ARRAY[CASE WHEN TG_OP <> 'INSERT' THEN OLD.transaction_id END,
                              CASE WHEN TG_OP <> 'DELETE' THEN NEW.transaction_id END] LOOP
        CONTINUE WHEN tx IS NULL;
        SELECT coalesce(sum(amount), 0) INTO total FROM ledger_entries WHERE transaction_id = tx;
        IF total <> 0 THEN
            RAISE EXCEPTION 'ledger transaction % is unbalanced: its legs sum to %', tx, total
                USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_balanced';
        END IF;
    END LOOP;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER ledger_balanced
    AFTER INSERT OR UPDATE OR DELETE ON ledger_entries
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();

-- a posted leg is never edited: a correction is a reversing transaction
CREATE FUNCTION ledger_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are never edited; post a reversing transaction'
        USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_immutable';
END $$;
CREATE TRIGGER ledger_immutable BEFORE UPDATE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_update();
"""


def upgrade() -> None:
    op.create_table('job_state',
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('watermark', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_result', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_job_state'))
    )
    op.create_table('ledger_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('cash', 'receivable', 'advances', 'vat_payable', 'revenue', 'upstream', 'downstream', 'wholesale_cost', name='account_kind'), nullable=False),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_ledger_accounts_operator_id_operators'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_accounts')),
    sa.UniqueConstraint('operator_id', 'kind', name='uq_ledger_accounts_operator_kind')
    )
    op.create_table('bills',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('period', 'change', 'manual', name='bill_kind'), server_default='period', nullable=False),
    sa.Column('period_start', sa.Date(), nullable=True),
    sa.Column('service_from', sa.Date(), nullable=True),
    sa.Column('service_to', sa.Date(), nullable=True),
    sa.Column('issued_on', sa.Date(), server_default=sa.text('CURRENT_DATE'), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('subtotal', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('discount', sa.Numeric(precision=14, scale=2), server_default='0', nullable=False),
    sa.Column('vat_percent', sa.Numeric(precision=5, scale=2), server_default='0', nullable=False),
    sa.Column('vat', sa.Numeric(precision=14, scale=2), server_default='0', nullable=False),
    sa.Column('total', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('paid', sa.Numeric(precision=14, scale=2), server_default='0', nullable=False),
    sa.Column('status', sa.Enum('open', 'paid', name='bill_status'), server_default='open', nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("(status = 'paid') = (paid = total)", name=op.f('ck_bills_status_matches')),
    sa.CheckConstraint("kind <> 'period' or period_start is not null", name=op.f('ck_bills_period_needs_start')),
    sa.CheckConstraint('paid >= 0 and paid <= total', name=op.f('ck_bills_paid_range')),
    sa.CheckConstraint('subtotal >= 0 and discount >= 0 and vat >= 0', name=op.f('ck_bills_amounts_nonneg')),
    sa.CheckConstraint('total = subtotal - discount + vat', name=op.f('ck_bills_total_adds_up')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_bills_customer_id_customers'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_bills_operator_id_operators'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bills'))
    )
    op.create_index('ix_bills_open', 'bills', ['customer_id', 'due_date'], unique=False, postgresql_where=sa.text("status = 'open'"))
    op.create_index('uq_bills_customer_period', 'bills', ['customer_id', 'period_start'], unique=True, postgresql_where=sa.text("kind = 'period'"))
    op.create_table('recharge_cards',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('pin', sa.Text(), nullable=False),
    sa.Column('serial', sa.Text(), nullable=False),
    sa.Column('batch', sa.Text(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('package_id', sa.Integer(), nullable=True),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('distributor_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('unused', 'used', 'expired', name='card_status'), server_default='unused', nullable=False),
    sa.Column('used_by', sa.Integer(), nullable=True),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("(status = 'used') = (used_at is not null)", name=op.f('ck_recharge_cards_used_has_time')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_recharge_cards_amount_positive')),
    sa.ForeignKeyConstraint(['distributor_id'], ['staff_users.id'], name=op.f('fk_recharge_cards_distributor_id_staff_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_recharge_cards_operator_id_operators'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['package_id'], ['packages.id'], name=op.f('fk_recharge_cards_package_id_packages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['used_by'], ['customers.id'], name=op.f('fk_recharge_cards_used_by_customers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recharge_cards')),
    sa.UniqueConstraint('pin', name=op.f('uq_recharge_cards_pin')),
    sa.UniqueConstraint('serial', name=op.f('uq_recharge_cards_serial'))
    )
    op.create_index('ix_recharge_cards_batch', 'recharge_cards', ['batch'], unique=False)
    op.create_index('ix_recharge_cards_distributor', 'recharge_cards', ['distributor_id', 'status'], unique=False)
    op.create_table('usage_daily',
    sa.Column('customer_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('bytes_in', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('bytes_out', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('session_time', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('sessions', sa.Integer(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('customer_id', 'day', name=op.f('pk_usage_daily'))
    )
    op.create_table('bill_lines',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('bill_id', sa.BigInteger(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['bill_id'], ['bills.id'], name=op.f('fk_bill_lines_bill_id_bills'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bill_lines'))
    )
    op.create_index(op.f('ix_bill_lines_bill_id'), 'bill_lines', ['bill_id'], unique=False)
    op.create_table('payments',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.Enum('cash', 'card', 'online', 'advance', name='payment_method'), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('applied', sa.Numeric(precision=14, scale=2), server_default='0', nullable=False),
    sa.Column('to_advance', sa.Numeric(precision=14, scale=2), server_default='0', nullable=False),
    sa.Column('reference', sa.Text(), nullable=True),
    sa.Column('gateway', sa.Text(), nullable=True),
    sa.Column('card_id', sa.BigInteger(), nullable=True),
    sa.Column('collected_by', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('completed', 'reversed', name='payment_status'), server_default='completed', nullable=False),
    sa.Column('expires_before', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_after', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('reversed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount > 0', name=op.f('ck_payments_amount_positive')),
    sa.CheckConstraint('applied + to_advance = amount', name=op.f('ck_payments_parts_add_up')),
    sa.CheckConstraint('applied >= 0 and to_advance >= 0', name=op.f('ck_payments_parts_nonneg')),
    sa.ForeignKeyConstraint(['card_id'], ['recharge_cards.id'], name=op.f('fk_payments_card_id_recharge_cards'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['collected_by'], ['staff_users.id'], name=op.f('fk_payments_collected_by_staff_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_payments_customer_id_customers'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_payments_operator_id_operators'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('reference', name=op.f('uq_payments_reference'))
    )
    op.create_index('ix_payments_customer', 'payments', ['customer_id', 'received_at'], unique=False)
    op.create_index('ix_payments_operator_received', 'payments', ['operator_id', 'received_at'], unique=False)
    op.create_table('ledger_transactions',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=True),
    sa.Column('payment_id', sa.BigInteger(), nullable=True),
    sa.Column('bill_id', sa.BigInteger(), nullable=True),
    sa.Column('reference', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['bill_id'], ['bills.id'], name=op.f('fk_ledger_transactions_bill_id_bills'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_ledger_transactions_operator_id_operators'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_ledger_transactions_payment_id_payments'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_transactions'))
    )
    op.create_index('ix_ledger_transactions_at', 'ledger_transactions', ['at'], unique=False)
    op.create_index('ix_ledger_transactions_operator', 'ledger_transactions', ['operator_id', 'at'], unique=False)
    op.create_table('payment_allocations',
    sa.Column('payment_id', sa.BigInteger(), nullable=False),
    sa.Column('bill_id', sa.BigInteger(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_payment_allocations_amount_positive')),
    sa.ForeignKeyConstraint(['bill_id'], ['bills.id'], name=op.f('fk_payment_allocations_bill_id_bills'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_payment_allocations_payment_id_payments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('payment_id', 'bill_id', name=op.f('pk_payment_allocations'))
    )
    op.create_index('ix_payment_allocations_bill', 'payment_allocations', ['bill_id'], unique=False)
    op.create_table('ledger_entries',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('transaction_id', sa.BigInteger(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.CheckConstraint('amount <> 0', name=op.f('ck_ledger_entries_amount_nonzero')),
    sa.ForeignKeyConstraint(['account_id'], ['ledger_accounts.id'], name=op.f('fk_ledger_entries_account_id_ledger_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['transaction_id'], ['ledger_transactions.id'], name=op.f('fk_ledger_entries_transaction_id_ledger_transactions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entries'))
    )
    op.create_index('ix_ledger_entries_account', 'ledger_entries', ['account_id', 'id'], unique=False)
    op.create_index('ix_ledger_entries_transaction', 'ledger_entries', ['transaction_id'], unique=False)

    op.execute(BALANCE_TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS ledger_immutable ON ledger_entries")
    op.execute("DROP TRIGGER IF EXISTS ledger_balanced ON ledger_entries")
    op.execute("DROP FUNCTION IF EXISTS ledger_refuse_update()")
    op.execute("DROP FUNCTION IF EXISTS ledger_check_balanced()")
    for table in TABLES:
        op.drop_table(table)
    for name in ENUMS:
        sa.Enum(name=name).drop(op.get_bind(), checkfirst=True)

"""Online gateways and their checkouts; ledger accounts for gateway fees and commissions;
distributors' commission rates; an operator's choice to allow shared mobile numbers (issue 11)

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

KINDS = ('bkash', 'sslcommerz', 'nagad', 'aamarpay')
STATUSES = ('pending', 'completed', 'failed', 'cancelled', 'review', 'expired', 'refunded')


def upgrade() -> None:
    for kind in ('gateway_fees', 'commission', 'commission_payable'):
        op.execute(f"ALTER TYPE account_kind ADD VALUE IF NOT EXISTS '{kind}'")
    op.add_column('operators', sa.Column('allow_shared_mobile', sa.Boolean(),
                                         server_default=sa.false(), nullable=False))
    op.add_column('staff_users', sa.Column('commission_percent', sa.Numeric(5, 2), nullable=True))
    op.add_column('staff_users', sa.Column('commission_fixed', sa.Numeric(14, 2), nullable=True))
    op.create_check_constraint(op.f('ck_staff_users_commission_percent_range'), 'staff_users',
                               'commission_percent is null or commission_percent between 0 and 100')
    op.create_check_constraint(op.f('ck_staff_users_commission_fixed_nonneg'), 'staff_users',
                               'commission_fixed is null or commission_fixed >= 0')
    op.create_table(
        'payment_gateways',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.Text(), nullable=False),
        sa.Column('operator_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.Enum(*KINDS, name='gateway_kind'), nullable=False),
        sa.Column('mode', sa.Enum('sandbox', 'live', name='gateway_mode'),
                  server_default='sandbox', nullable=False),
        sa.Column('base_url', sa.Text(), nullable=True),
        sa.Column('credentials', sa.LargeBinary(), nullable=True),
        sa.Column('charge_percent', sa.Numeric(5, 2), server_default='0', nullable=False),
        sa.Column('charge_fixed', sa.Numeric(14, 2), server_default='0', nullable=False),
        sa.Column('enabled', sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.CheckConstraint('charge_percent >= 0 and charge_percent < 100',
                           name=op.f('ck_payment_gateways_charge_percent_range')),
        sa.CheckConstraint('charge_fixed >= 0', name=op.f('ck_payment_gateways_charge_fixed_nonneg')),
        sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], ondelete='CASCADE',
                                name=op.f('fk_payment_gateways_operator_id_operators')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_gateways')),
        sa.UniqueConstraint('operator_id', 'name', name='uq_payment_gateways_operator_name'),
    )
    op.create_index('ix_payment_gateways_operator_kind', 'payment_gateways', ['operator_id', 'kind'])
    op.create_table(
        'gateway_checkouts',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('invoice', sa.Text(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('operator_id', sa.Integer(), nullable=False),
        sa.Column('gateway_id', sa.Integer(), nullable=False),
        sa.Column('amount', sa.Numeric(14, 2), nullable=False),
        sa.Column('charge', sa.Numeric(14, 2), server_default='0', nullable=False),
        sa.Column('currency', sa.Text(), server_default='BDT', nullable=False),
        sa.Column('status', sa.Enum(*STATUSES, name='checkout_status'), server_default='pending',
                  nullable=False),
        sa.Column('source', sa.Text(), server_default='staff', nullable=False),
        sa.Column('gateway_ref', sa.Text(), nullable=True),
        sa.Column('gateway_txn', sa.Text(), nullable=True),
        sa.Column('redirect_url', sa.Text(), nullable=True),
        sa.Column('payment_id', sa.BigInteger(), nullable=True),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('message', sa.Text(), nullable=True),
        sa.Column('detail', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint('amount > 0', name=op.f('ck_gateway_checkouts_amount_positive')),
        sa.CheckConstraint('charge >= 0', name=op.f('ck_gateway_checkouts_charge_nonneg')),
        sa.CheckConstraint("source in ('staff', 'portal', 'link')",
                           name=op.f('ck_gateway_checkouts_source_valid')),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='RESTRICT',
                                name=op.f('fk_gateway_checkouts_customer_id_customers')),
        sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], ondelete='RESTRICT',
                                name=op.f('fk_gateway_checkouts_operator_id_operators')),
        sa.ForeignKeyConstraint(['gateway_id'], ['payment_gateways.id'], ondelete='RESTRICT',
                                name=op.f('fk_gateway_checkouts_gateway_id_payment_gateways')),
        sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], ondelete='SET NULL',
                                name=op.f('fk_gateway_checkouts_payment_id_payments')),
        sa.ForeignKeyConstraint(['created_by'], ['staff_users.id'], ondelete='SET NULL',
                                name=op.f('fk_gateway_checkouts_created_by_staff_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_gateway_checkouts')),
        sa.UniqueConstraint('invoice', name=op.f('uq_gateway_checkouts_invoice')),
    )
    op.create_index('uq_gateway_checkouts_txn', 'gateway_checkouts', ['gateway_id', 'gateway_txn'],
                    unique=True, postgresql_where=sa.text('gateway_txn is not null'))
    op.create_index('ix_gateway_checkouts_pending', 'gateway_checkouts', ['created_at'],
                    postgresql_where=sa.text("status = 'pending'"))
    op.create_index('ix_gateway_checkouts_customer', 'gateway_checkouts',
                    ['customer_id', 'created_at'])


def downgrade() -> None:
    op.drop_table('gateway_checkouts')
    op.drop_table('payment_gateways')
    op.execute('DROP TYPE checkout_status')
    op.execute('DROP TYPE gateway_mode')
    op.execute('DROP TYPE gateway_kind')
    op.drop_constraint(op.f('ck_staff_users_commission_fixed_nonneg'), 'staff_users', type_='check')
    op.drop_constraint(op.f('ck_staff_users_commission_percent_range'), 'staff_users', type_='check')
    op.drop_column('staff_users', 'commission_fixed')
    op.drop_column('staff_users', 'commission_percent')
    op.drop_column('operators', 'allow_shared_mobile')

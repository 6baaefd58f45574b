"""Self-care and the complaint desk (issue 14): sign-ups, package changes, departments,
complaint categories, complaints with comments, attachments and costs; customers' national ID;
packages offered online, auto-approved, changes needing approval; the service_cost account

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


# Tables only (one linear history): functions and triggers live in radbill/sql/*.sql.
def upgrade() -> None:
    op.execute("ALTER TYPE account_kind ADD VALUE IF NOT EXISTS 'service_cost'")
    op.create_table('departments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_departments_operator_id_operators'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_departments')),
    sa.UniqueConstraint('operator_id', 'name', name='uq_departments_operator_name')
    )
    op.create_table('complaint_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('target_hours', sa.Integer(), server_default='24', nullable=False),
    sa.Column('technical', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('portal', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('target_hours between 1 and 8760', name=op.f('ck_complaint_categories_target_range')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_complaint_categories_department_id_departments'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_complaint_categories_operator_id_operators'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_categories')),
    sa.UniqueConstraint('operator_id', 'name', name='uq_complaint_categories_operator_name')
    )
    op.create_table('complaints',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('open', 'acknowledged', 'in_progress', 'resolved', 'closed', name='complaint_status'), server_default='open', nullable=False),
    sa.Column('priority', sa.Enum('low', 'normal', 'high', 'urgent', name='complaint_priority'), server_default='normal', nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.Text(), server_default='staff', nullable=False),
    sa.Column('created_by', sa.Text(), server_default='', nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reopened', sa.Integer(), server_default='0', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['staff_users.id'], name=op.f('fk_complaints_assignee_id_staff_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['category_id'], ['complaint_categories.id'], name=op.f('fk_complaints_category_id_complaint_categories'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_complaints_customer_id_customers'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_complaints_department_id_departments'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_complaints_operator_id_operators'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaints'))
    )
    op.create_index('ix_complaints_created', 'complaints', ['created_at'], unique=False)
    op.create_index('ix_complaints_customer', 'complaints', ['customer_id', 'id'], unique=False)
    op.create_index('ix_complaints_working', 'complaints', ['operator_id', 'status'], unique=False, postgresql_where=sa.text("status <> 'closed'"))
    op.create_table('package_changes',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('from_package_id', sa.Integer(), nullable=False),
    sa.Column('to_package_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('upgrade', 'downgrade', name='package_change_kind'), nullable=False),
    sa.Column('status', sa.Enum('pending', 'scheduled', 'applied', 'refused', 'cancelled', name='package_change_status'), server_default='pending', nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), server_default='0', nullable=False),
    sa.Column('bill_id', sa.BigInteger(), nullable=True),
    sa.Column('source', sa.Text(), server_default='staff', nullable=False),
    sa.Column('requested_by', sa.Text(), server_default='', nullable=False),
    sa.Column('decided_by', sa.Text(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_package_changes_customer_id_customers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['from_package_id'], ['packages.id'], name=op.f('fk_package_changes_from_package_id_packages'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_package_changes_operator_id_operators'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['to_package_id'], ['packages.id'], name=op.f('fk_package_changes_to_package_id_packages'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_package_changes'))
    )
    op.create_index('ix_package_changes_customer', 'package_changes', ['customer_id', 'id'], unique=False)
    op.create_index('ix_package_changes_due', 'package_changes', ['effective_on'], unique=False, postgresql_where=sa.text("status = 'scheduled'"))
    op.create_index('ix_package_changes_one_open', 'package_changes', ['customer_id'], unique=True, postgresql_where=sa.text("status IN ('pending', 'scheduled')"))
    op.create_table('signups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=True),
    sa.Column('package_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('mobile', sa.Text(), nullable=False),
    sa.Column('email', sa.Text(), nullable=True),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('national_id', sa.Text(), nullable=False),
    sa.Column('lang', sa.Text(), server_default='en', nullable=False),
    sa.Column('status', sa.Enum('pending', 'approved', 'rejected', 'cancelled', name='signup_status'), server_default='pending', nullable=False),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ip', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('decided_by', sa.Text(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_signups_customer_id_customers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_signups_operator_id_operators'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['package_id'], ['packages.id'], name=op.f('fk_signups_package_id_packages'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_signups_zone_id_zones'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signups'))
    )
    op.create_index('ix_signups_mobile', 'signups', ['mobile'], unique=False)
    op.create_index('ix_signups_national_id', 'signups', ['national_id'], unique=False)
    op.create_index('ix_signups_pending', 'signups', ['operator_id'], unique=False, postgresql_where=sa.text("status = 'pending'"))
    op.create_table('complaint_comments',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('complaint_id', sa.BigInteger(), nullable=False),
    sa.Column('author', sa.Text(), nullable=False),
    sa.Column('staff_user_id', sa.Integer(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('public', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_complaint_comments_complaint_id_complaints'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_complaint_comments_customer_id_customers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['staff_user_id'], ['staff_users.id'], name=op.f('fk_complaint_comments_staff_user_id_staff_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_comments'))
    )
    op.create_index('ix_complaint_comments_complaint', 'complaint_comments', ['complaint_id', 'id'], unique=False)
    op.create_table('complaint_costs',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('complaint_id', sa.BigInteger(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('ledger_txn_id', sa.BigInteger(), nullable=True),
    sa.Column('created_by', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_complaint_costs_amount_positive')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_complaint_costs_complaint_id_complaints'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_costs'))
    )
    op.create_table('complaint_attachments',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('complaint_id', sa.BigInteger(), nullable=False),
    sa.Column('comment_id', sa.BigInteger(), nullable=True),
    sa.Column('filename', sa.Text(), nullable=False),
    sa.Column('stored_name', sa.Text(), nullable=False),
    sa.Column('content_type', sa.Text(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('public', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_by', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['complaint_comments.id'], name=op.f('fk_complaint_attachments_comment_id_complaint_comments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_complaint_attachments_complaint_id_complaints'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_attachments')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_complaint_attachments_stored_name'))
    )
    op.create_index('ix_complaint_attachments_complaint', 'complaint_attachments', ['complaint_id'], unique=False)
    op.add_column('customers', sa.Column('national_id', sa.Text(), nullable=True))
    op.create_index('uq_customers_national_id', 'customers', ['national_id'], unique=True, postgresql_where=sa.text('national_id is not null and deleted_at is null'))
    op.add_column('packages', sa.Column('online', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    op.add_column('packages', sa.Column('auto_approve', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    op.add_column('packages', sa.Column('change_approval', sa.Boolean(), server_default=sa.text('false'), nullable=False))


def downgrade() -> None:
    op.drop_column('packages', 'change_approval')
    op.drop_column('packages', 'auto_approve')
    op.drop_column('packages', 'online')
    op.drop_index('uq_customers_national_id', table_name='customers', postgresql_where=sa.text('national_id is not null and deleted_at is null'))
    op.drop_column('customers', 'national_id')
    op.drop_index('ix_complaint_attachments_complaint', table_name='complaint_attachments')
    op.drop_table('complaint_attachments')
    op.drop_table('complaint_costs')
    op.drop_index('ix_complaint_comments_complaint', table_name='complaint_comments')
    op.drop_table('complaint_comments')
    op.drop_index('ix_signups_pending', table_name='signups', postgresql_where=sa.text("status = 'pending'"))
    op.drop_index('ix_signups_national_id', table_name='signups')
    op.drop_index('ix_signups_mobile', table_name='signups')
    op.drop_table('signups')
    op.drop_index('ix_package_changes_one_open', table_name='package_changes', postgresql_where=sa.text("status IN ('pending', 'scheduled')"))
    op.drop_index('ix_package_changes_due', table_name='package_changes', postgresql_where=sa.text("status = 'scheduled'"))
    op.drop_index('ix_package_changes_customer', table_name='package_changes')
    op.drop_table('package_changes')
    op.drop_index('ix_complaints_working', table_name='complaints', postgresql_where=sa.text("status <> 'closed'"))
    op.drop_index('ix_complaints_customer', table_name='complaints')
    op.drop_index('ix_complaints_created', table_name='complaints')
    op.drop_table('complaints')
    op.drop_table('complaint_categories')
    op.drop_table('departments')
    for name in ('complaint_priority', 'complaint_status', 'signup_status',
                 'package_change_status', 'package_change_kind'):
        op.execute(f"DROP TYPE IF EXISTS {name}")
    # PostgreSQL cannot drop an enum value: 'service_cost' stays

"""An operator's contact details for invoices and receipts; a language per staff login and per
customer (issue 12)

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

LANGS = "lang in ('en', 'bn')"


def upgrade() -> None:
    for name in ('address', 'phone', 'email', 'vat_number', 'bkash_number', 'payment_note'):
        op.add_column('operators', sa.Column(name, sa.Text(), nullable=True))
    op.add_column('operators', sa.Column('logo', sa.LargeBinary(), nullable=True))
    op.add_column('operators', sa.Column('logo_type', sa.Text(), nullable=True))
    op.create_check_constraint(op.f('ck_operators_logo_type_image'), 'operators',
                               "logo_type is null or logo_type in ('image/png', 'image/jpeg')")
    for table in ('staff_users', 'customers'):
        op.add_column(table, sa.Column('lang', sa.Text(), server_default='en', nullable=False))
        op.create_check_constraint(op.f(f'ck_{table}_lang_known'), table, LANGS)


def downgrade() -> None:
    for table in ('staff_users', 'customers'):
        op.drop_constraint(op.f(f'ck_{table}_lang_known'), table, type_='check')
        op.drop_column(table, 'lang')
    op.drop_constraint(op.f('ck_operators_logo_type_image'), 'operators', type_='check')
    for name in ('logo_type', 'logo', 'payment_note', 'bkash_number', 'vat_number', 'email',
                 'phone', 'address'):
        op.drop_column('operators', name)

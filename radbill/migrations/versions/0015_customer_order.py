"""The customer list's order: lower(username) byte by byte (COLLATE "C"), then id, from an index
whose range also answers a username prefix search (the REST API's keyset paging, issue 15).

Revision ID: 0015
Revises: 0014
"""
from alembic import op
import sqlalchemy as sa

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_customers_username_c', 'customers',
                    [sa.text('(lower(username) COLLATE "C")'), 'id'])


def downgrade() -> None:
    op.drop_index('ix_customers_username_c', table_name='customers')

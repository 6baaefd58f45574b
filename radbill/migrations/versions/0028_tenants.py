"""Tenants and special permissions (issue 19). Reserved: filled in by the change that needs it.

Revision ID: 0028
Revises: 0027
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""Alerts to on-call staff by SMS and e-mail (issue 18). Reserved: filled in by the change that needs it.

Revision ID: 0025
Revises: 0024
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""SNMP status checks' communities encrypted at rest. Reserved: filled in by the change that
needs it.

Revision ID: 0032
Revises: 0031
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""nas_settings.snmp_port: routers may answer SNMP on a port other than 161

Revision ID: 0007
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("nas_settings", sa.Column("snmp_port", sa.Integer(), server_default="161",
                                            nullable=False))
    op.create_check_constraint("snmp_port_range", "nas_settings", "snmp_port between 1 and 65535")


def downgrade() -> None:
    op.drop_constraint("ck_nas_settings_snmp_port_range", "nas_settings", type_="check")
    op.drop_column("nas_settings", "snmp_port")

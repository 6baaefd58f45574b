"""OLT logs, VLANs and ONU temperatures (issue 18): the DBC brand, a protocol choice for huawei
and zte (SNMP or their CLI), the OLT's cached VLAN list, the ONU's optics temperature.

Revision ID: 0023
Revises: 0022
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TYPE olt_brand ADD VALUE IF NOT EXISTS 'dbc'")
    op.add_column('olts', sa.Column('protocol', sa.Text(), nullable=True))
    op.add_column('olts', sa.Column('vlans', postgresql.JSONB(astext_type=sa.Text()),
                                    nullable=True))
    op.add_column('olts', sa.Column('vlans_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('olts', sa.Column('vlans_error', sa.Text(), nullable=True))
    op.create_check_constraint(op.f('ck_olts_protocol_valid'), 'olts',
                               "protocol in ('snmp', 'cli')")
    op.add_column('onus', sa.Column('temperature', sa.Numeric(5, 2), nullable=True))


def downgrade() -> None:
    op.drop_column('onus', 'temperature')
    op.drop_constraint(op.f('ck_olts_protocol_valid'), 'olts', type_='check')
    op.drop_column('olts', 'vlans_error')
    op.drop_column('olts', 'vlans_at')
    op.drop_column('olts', 'vlans')
    op.drop_column('olts', 'protocol')
    # PostgreSQL cannot drop one value of an enum: DBC OLTs go, then the type is rebuilt
    op.execute("DELETE FROM olts WHERE brand = 'dbc'")
    op.execute("ALTER TYPE olt_brand RENAME TO olt_brand_old")
    op.execute("CREATE TYPE olt_brand AS ENUM ('vsol', 'bdcom', 'huawei', 'zte')")
    op.execute("ALTER TABLE olts ALTER COLUMN brand TYPE olt_brand USING brand::text::olt_brand")
    op.execute("DROP TYPE olt_brand_old")

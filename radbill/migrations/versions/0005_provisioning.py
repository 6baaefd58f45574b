"""provisioning: OLTs, ONUs, device status, interface samples

Revision ID: 0005
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0005'
down_revision = '0001'
branch_labels = None
depends_on = None

BRAND = postgresql.ENUM('vsol', 'bdcom', 'huawei', 'zte', name='olt_brand', create_type=False)
KIND = postgresql.ENUM('nas', 'olt', name='device_kind', create_type=False)


def upgrade() -> None:
    BRAND.create(op.get_bind(), checkfirst=True)
    KIND.create(op.get_bind(), checkfirst=True)
    op.create_table(
        'olts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.Text(), nullable=False),
        sa.Column('brand', BRAND, nullable=False),
        sa.Column('host', sa.Text(), nullable=False),
        sa.Column('ssh_port', sa.Integer(), server_default='22', nullable=False),
        sa.Column('username', sa.Text(), nullable=True),
        sa.Column('password', sa.Text(), nullable=True),
        sa.Column('community', sa.Text(), nullable=True),
        sa.Column('snmp_port', sa.Integer(), server_default='161', nullable=False),
        sa.Column('nas_id', sa.Integer(), nullable=True),
        sa.Column('operator_id', sa.Integer(), nullable=True),
        sa.Column('sync_interval', sa.Integer(), server_default='900', nullable=False),
        sa.Column('optics_interval', sa.Integer(), server_default='3600', nullable=False),
        sa.Column('enabled', sa.Boolean(), server_default=sa.text('true'), nullable=False),
        sa.Column('last_sync_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_optics_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('description', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint('sync_interval >= 300', name=op.f('ck_olts_sync_interval_min')),
        sa.CheckConstraint('optics_interval >= 900', name=op.f('ck_olts_optics_interval_min')),
        sa.CheckConstraint('ssh_port between 1 and 65535 and snmp_port between 1 and 65535',
                           name=op.f('ck_olts_port_range')),
        sa.CheckConstraint("name ~ '^[A-Za-z0-9_.-]{1,64}$'", name=op.f('ck_olts_name_format')),
        sa.ForeignKeyConstraint(['nas_id'], ['nas.id'], name=op.f('fk_olts_nas_id_nas'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_olts_operator_id_operators'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_olts')),
        sa.UniqueConstraint('name', name=op.f('uq_olts_name')),
    )
    op.create_table(
        'onus',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('olt_id', sa.Integer(), nullable=False),
        sa.Column('port', sa.Text(), nullable=False),
        sa.Column('onu_id', sa.Integer(), nullable=False),
        sa.Column('serial', sa.Text(), nullable=True),
        sa.Column('mac', sa.Text(), nullable=True),
        sa.Column('status', sa.Text(), server_default='unknown', nullable=False),
        sa.Column('rx_power', sa.Numeric(6, 2), nullable=True),
        sa.Column('distance', sa.Integer(), nullable=True),
        sa.Column('description', sa.Text(), nullable=True),
        sa.Column('customer_id', sa.Integer(), nullable=True),
        sa.Column('first_seen_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['olt_id'], ['olts.id'], name=op.f('fk_onus_olt_id_olts'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_onus_customer_id_customers'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_onus')),
        sa.UniqueConstraint('olt_id', 'port', 'onu_id', name='uq_onus_olt_port_onu'),
    )
    op.create_index('ix_onus_mac', 'onus', ['mac'])
    op.create_index('ix_onus_serial', 'onus', ['serial'])
    op.create_index('ix_onus_customer', 'onus', ['customer_id'])
    op.create_table(
        'device_status',
        sa.Column('kind', KIND, nullable=False),
        sa.Column('device_id', sa.Integer(), nullable=False),
        sa.Column('up', sa.Boolean(), nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sys_uptime', sa.BigInteger(), nullable=True),
        sa.Column('sys_descr', sa.Text(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('kind', 'device_id', name=op.f('pk_device_status')),
    )
    op.create_table(
        'interface_samples',
        sa.Column('id', sa.BigInteger(), nullable=False),
        sa.Column('kind', KIND, nullable=False),
        sa.Column('device_id', sa.Integer(), nullable=False),
        sa.Column('if_index', sa.Integer(), nullable=False),
        sa.Column('if_name', sa.Text(), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('in_octets', sa.Numeric(20, 0), nullable=False),
        sa.Column('out_octets', sa.Numeric(20, 0), nullable=False),
        sa.Column('counter_bits', sa.SmallInteger(), server_default='64', nullable=False),
        sa.Column('in_bps', sa.BigInteger(), nullable=True),
        sa.Column('out_bps', sa.BigInteger(), nullable=True),
        sa.CheckConstraint('counter_bits in (32, 64)', name=op.f('ck_interface_samples_counter_bits_valid')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_interface_samples')),
    )
    op.create_index('ix_interface_samples_series', 'interface_samples',
                    ['kind', 'device_id', 'if_index', 'at'])


def downgrade() -> None:
    op.drop_index('ix_interface_samples_series', table_name='interface_samples')
    op.drop_table('interface_samples')
    op.drop_table('device_status')
    op.drop_index('ix_onus_customer', table_name='onus')
    op.drop_index('ix_onus_serial', table_name='onus')
    op.drop_index('ix_onus_mac', table_name='onus')
    op.drop_table('onus')
    op.drop_table('olts')
    KIND.drop(op.get_bind(), checkfirst=True)
    BRAND.drop(op.get_bind(), checkfirst=True)

"""Network devices radbill watches: OLTs and their ONUs, device health and interface traffic."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from radbill.models.base import Base, created_at, pg_enum

OLT_BRANDS = ("vsol", "bdcom", "huawei", "zte", "dbc")
CLI_ONLY_BRANDS = ("vsol", "bdcom", "dbc")  # no SNMP driver: always read over SSH/Telnet
OLT_PROTOCOLS = ("snmp", "cli")  # how huawei and zte OLTs are read (NULL: the brand's default)
DEVICE_KINDS = ("nas", "olt")
# Polling every ONU's optics too often is known to crash some OLT line cards: these floors
# are enforced here as well as in olt.edit, so no caller can go below them.
MIN_SYNC_INTERVAL = 300
MIN_OPTICS_INTERVAL = 900
Counter = sa.Numeric(20, 0)  # SNMP Counter64 does not fit a signed bigint


class Olt(Base):
    __tablename__ = "olts"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text, unique=True)
    brand: Mapped[str] = mapped_column(pg_enum("olt_brand", *OLT_BRANDS))
    host: Mapped[str] = mapped_column(sa.Text)
    ssh_port: Mapped[int] = mapped_column(server_default="22")
    # many EPON OLTs ship with Telnet alone; SSH where the device has it
    cli_transport: Mapped[str] = mapped_column(sa.Text, server_default="ssh")
    telnet_port: Mapped[int] = mapped_column(server_default="23")
    username: Mapped[str | None] = mapped_column(sa.Text)
    # the CLI password and the SNMP community, Fernet-encrypted (rating/gateways/secrets.py;
    # provisioning/device_secrets.py): write-only in olt.edit, never shown back (migration 0031)
    credentials: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    # the key the OLT showed on first contact; a different one later is refused (trust on
    # first use), so a device impersonating the OLT never receives its password
    ssh_host_key: Mapped[str | None] = mapped_column(sa.Text)
    snmp_port: Mapped[int] = mapped_column(server_default="161")
    # huawei and zte: 'snmp' (the default) or 'cli' (their SSH/Telnet shell, cli_transport)
    protocol: Mapped[str | None] = mapped_column(sa.Text)
    # the VLANs the OLT had at the last discovery ([{vlan_id, name, ports}]), read by the sync
    # job once a day or by olt.vlans refresh=yes; pages show this copy, never the device
    vlans: Mapped[list | None] = mapped_column(JSONB)
    vlans_at: Mapped[dt.datetime | None]  # the last attempt (vlans_error says if it failed)
    vlans_error: Mapped[str | None] = mapped_column(sa.Text)
    nas_id: Mapped[int | None] = mapped_column(sa.ForeignKey("nas.id", ondelete="SET NULL"))
    operator_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("operators.id", ondelete="SET NULL"))
    sync_interval: Mapped[int] = mapped_column(server_default="900")
    optics_interval: Mapped[int] = mapped_column(server_default="3600")
    enabled: Mapped[bool] = mapped_column(server_default=sa.true())
    last_sync_at: Mapped[dt.datetime | None]
    last_optics_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    description: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = created_at()
    __table_args__ = (
        sa.CheckConstraint(f"sync_interval >= {MIN_SYNC_INTERVAL}", name="sync_interval_min"),
        sa.CheckConstraint(f"optics_interval >= {MIN_OPTICS_INTERVAL}", name="optics_interval_min"),
        sa.CheckConstraint("ssh_port between 1 and 65535 and snmp_port between 1 and 65535",
                           name="port_range"),
        sa.CheckConstraint("name ~ '^[A-Za-z0-9_.-]{1,64}$'", name="name_format"),
        sa.CheckConstraint("cli_transport in ('ssh', 'telnet')", name="cli_transport_valid"),
        sa.CheckConstraint("telnet_port between 1 and 65535", name="telnet_port_range"),
        sa.CheckConstraint("protocol in ('snmp', 'cli')", name="protocol_valid"),
    )


class Onu(Base):
    """An ONU as last seen on its OLT's PON port; `customer_id` comes from radacct MACs."""

    __tablename__ = "onus"
    id: Mapped[int] = mapped_column(primary_key=True)
    olt_id: Mapped[int] = mapped_column(sa.ForeignKey("olts.id", ondelete="CASCADE"))
    port: Mapped[str] = mapped_column(sa.Text)
    onu_id: Mapped[int]
    serial: Mapped[str | None] = mapped_column(sa.Text)
    mac: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.Text, server_default="unknown")
    rx_power: Mapped[Decimal | None] = mapped_column(sa.Numeric(6, 2))
    temperature: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))  # °C, read with optics
    distance: Mapped[int | None]
    description: Mapped[str | None] = mapped_column(sa.Text)
    customer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="SET NULL"))
    first_seen_at: Mapped[dt.datetime] = created_at()
    last_seen_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=sa.func.now())
    __table_args__ = (
        sa.UniqueConstraint("olt_id", "port", "onu_id", name="uq_onus_olt_port_onu"),
        sa.Index("ix_onus_mac", "mac"),
        sa.Index("ix_onus_serial", "serial"),
        sa.Index("ix_onus_customer", "customer_id"),
    )


class DeviceStatus(Base):
    """Whether a router or OLT answered its last poll, and since when that has been so."""

    __tablename__ = "device_status"
    kind: Mapped[str] = mapped_column(pg_enum("device_kind", *DEVICE_KINDS), primary_key=True)
    device_id: Mapped[int] = mapped_column(primary_key=True)
    up: Mapped[bool]
    changed_at: Mapped[dt.datetime]
    checked_at: Mapped[dt.datetime]
    sys_uptime: Mapped[int | None] = mapped_column(sa.BigInteger)
    sys_descr: Mapped[str | None] = mapped_column(sa.Text)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    # a router's RouterOS API login, checked by its own job (SNMP may answer while it fails)
    api_ok: Mapped[bool | None]
    api_checked_at: Mapped[dt.datetime | None]
    api_version: Mapped[str | None] = mapped_column(sa.Text)
    api_error: Mapped[str | None] = mapped_column(sa.Text)


class InterfaceSample(Base):
    """One poll of one interface: raw counters and the rate since the previous poll."""

    __tablename__ = "interface_samples"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(pg_enum("device_kind", *DEVICE_KINDS))
    device_id: Mapped[int]
    if_index: Mapped[int]
    if_name: Mapped[str | None] = mapped_column(sa.Text)
    at: Mapped[dt.datetime]
    in_octets: Mapped[Decimal] = mapped_column(Counter)
    out_octets: Mapped[Decimal] = mapped_column(Counter)
    counter_bits: Mapped[int] = mapped_column(sa.SmallInteger, server_default="64")
    in_bps: Mapped[int | None] = mapped_column(sa.BigInteger)
    out_bps: Mapped[int | None] = mapped_column(sa.BigInteger)
    __table_args__ = (
        sa.Index("ix_interface_samples_series", "kind", "device_id", "if_index", "at"),
        sa.CheckConstraint("counter_bits in (32, 64)", name="counter_bits_valid"),
    )

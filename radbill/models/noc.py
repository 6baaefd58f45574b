"""The NOC's other eyes (issue 18): Zabbix servers and what their last sync saw, wireless radios
(Ubiquiti airMAX, Cambium ePMP) with their poll series and associated stations."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from radbill.models.base import Base, created_at

RADIO_KINDS = ("airmax", "epmp")
# Zabbix's trigger severities, 0..5 (problem.get `severity`)
SEVERITIES = ("not classified", "information", "warning", "average", "high", "disaster")
MIN_RADIO_INTERVAL = 60


class ZabbixServer(Base):
    """An operator's Zabbix frontend: `url` is where api_jsonrpc.php lives, `credentials` the
    Fernet-encrypted API token (rating/gateways/secrets.py), never shown back."""

    __tablename__ = "zabbix_servers"
    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.Text)
    url: Mapped[str] = mapped_column(sa.Text)
    credentials: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    enabled: Mapped[bool] = mapped_column(server_default=sa.true())
    timeout: Mapped[int] = mapped_column(sa.SmallInteger, server_default="10")
    last_sync_at: Mapped[dt.datetime | None]
    last_ok_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    version: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = created_at()
    __table_args__ = (
        sa.UniqueConstraint("operator_id", "name", name="uq_zabbix_servers_operator_name"),
        sa.CheckConstraint("timeout between 1 and 30", name="timeout_range"),
    )


class ZabbixHost(Base):
    """A host as the last host.get showed it; `available` is the worst of its interfaces'
    (0 unknown, 1 available, 2 unavailable), `status` 0 monitored / 1 not."""

    __tablename__ = "zabbix_hosts"
    server_id: Mapped[int] = mapped_column(
        sa.ForeignKey("zabbix_servers.id", ondelete="CASCADE"), primary_key=True)
    hostid: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    host: Mapped[str] = mapped_column(sa.Text)
    name: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[int] = mapped_column(sa.SmallInteger, server_default="0")
    available: Mapped[int] = mapped_column(sa.SmallInteger, server_default="0")
    error: Mapped[str | None] = mapped_column(sa.Text)
    seen_at: Mapped[dt.datetime]


class ZabbixProblem(Base):
    """An unresolved problem from the last problem.get; gone from Zabbix, gone from here."""

    __tablename__ = "zabbix_problems"
    server_id: Mapped[int] = mapped_column(
        sa.ForeignKey("zabbix_servers.id", ondelete="CASCADE"), primary_key=True)
    eventid: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    objectid: Mapped[str | None] = mapped_column(sa.Text)
    name: Mapped[str] = mapped_column(sa.Text)
    severity: Mapped[int] = mapped_column(sa.SmallInteger)
    clock: Mapped[dt.datetime]
    acknowledged: Mapped[bool] = mapped_column(server_default=sa.false())
    suppressed: Mapped[bool] = mapped_column(server_default=sa.false())
    hosts: Mapped[str] = mapped_column(sa.Text, server_default="")
    opdata: Mapped[str | None] = mapped_column(sa.Text)
    seen_at: Mapped[dt.datetime]
    __table_args__ = (
        sa.CheckConstraint("severity between 0 and 5", name="severity_range"),
        sa.Index("ix_zabbix_problems_severity", "severity", "clock"),
    )


class ZabbixEvent(Base):
    """A recent trigger event (event.get): `value` 1 a problem began, 0 it was resolved."""

    __tablename__ = "zabbix_events"
    server_id: Mapped[int] = mapped_column(
        sa.ForeignKey("zabbix_servers.id", ondelete="CASCADE"), primary_key=True)
    eventid: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    clock: Mapped[dt.datetime]
    value: Mapped[int] = mapped_column(sa.SmallInteger)
    severity: Mapped[int] = mapped_column(sa.SmallInteger)
    name: Mapped[str] = mapped_column(sa.Text)
    hosts: Mapped[str] = mapped_column(sa.Text, server_default="")
    __table_args__ = (sa.Index("ix_zabbix_events_clock", "clock"),)


class Radio(Base):
    """A wireless access point or CPE radbill polls: over HTTP (airOS status.cgi, ePMP REST)
    with a login, and over SNMP; `credentials` holds the password and community, encrypted.
    The last poll's figures sit on the row; the series is `radio_samples`."""

    __tablename__ = "radios"
    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.Text, unique=True)
    kind: Mapped[str] = mapped_column(sa.Text)
    host: Mapped[str] = mapped_column(sa.Text)
    http_port: Mapped[int | None]
    https: Mapped[bool] = mapped_column(server_default=sa.true())
    username: Mapped[str | None] = mapped_column(sa.Text)
    credentials: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    snmp_port: Mapped[int] = mapped_column(server_default="161")
    poll_interval: Mapped[int] = mapped_column(server_default="300")
    enabled: Mapped[bool] = mapped_column(server_default=sa.true())
    model: Mapped[str | None] = mapped_column(sa.Text)
    firmware: Mapped[str | None] = mapped_column(sa.Text)
    ssid: Mapped[str | None] = mapped_column(sa.Text)
    mode: Mapped[str | None] = mapped_column(sa.Text)
    frequency: Mapped[int | None]
    signal: Mapped[int | None] = mapped_column(sa.SmallInteger)
    noise: Mapped[int | None] = mapped_column(sa.SmallInteger)
    ccq: Mapped[int | None] = mapped_column(sa.SmallInteger)
    snr: Mapped[int | None] = mapped_column(sa.SmallInteger)
    tx_rate: Mapped[int | None] = mapped_column(sa.BigInteger)  # kbit/s
    rx_rate: Mapped[int | None] = mapped_column(sa.BigInteger)
    cpu: Mapped[int | None] = mapped_column(sa.SmallInteger)  # percent
    memory: Mapped[int | None] = mapped_column(sa.SmallInteger)  # percent used
    uptime: Mapped[int | None] = mapped_column(sa.BigInteger)  # seconds
    stations: Mapped[int | None]
    up: Mapped[bool | None]
    last_poll_at: Mapped[dt.datetime | None]
    last_ok_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = created_at()
    __table_args__ = (
        sa.CheckConstraint("kind in ('airmax', 'epmp')", name="kind_known"),
        sa.CheckConstraint(f"poll_interval between {MIN_RADIO_INTERVAL} and 86400",
                           name="poll_interval_range"),
        sa.CheckConstraint("snmp_port between 1 and 65535 and "
                           "(http_port is null or http_port between 1 and 65535)",
                           name="port_range"),
        sa.CheckConstraint("name ~ '^[A-Za-z0-9_.-]{1,64}$'", name="name_format"),
        sa.Index("ix_radios_operator", "operator_id"),
    )


class RadioSample(Base):
    """One poll of one radio: the figures its page draws."""

    __tablename__ = "radio_samples"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    radio_id: Mapped[int] = mapped_column(sa.ForeignKey("radios.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime]
    signal: Mapped[int | None] = mapped_column(sa.SmallInteger)
    noise: Mapped[int | None] = mapped_column(sa.SmallInteger)
    ccq: Mapped[int | None] = mapped_column(sa.SmallInteger)
    snr: Mapped[int | None] = mapped_column(sa.SmallInteger)
    tx_rate: Mapped[int | None] = mapped_column(sa.BigInteger)
    rx_rate: Mapped[int | None] = mapped_column(sa.BigInteger)
    cpu: Mapped[int | None] = mapped_column(sa.SmallInteger)
    memory: Mapped[int | None] = mapped_column(sa.SmallInteger)
    stations: Mapped[int | None]
    __table_args__ = (sa.Index("ix_radio_samples_series", "radio_id", "at"),)


class RadioStation(Base):
    """A station associated with a radio at its last poll (replaced by each poll)."""

    __tablename__ = "radio_stations"
    radio_id: Mapped[int] = mapped_column(sa.ForeignKey("radios.id", ondelete="CASCADE"),
                                          primary_key=True)
    mac: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    name: Mapped[str | None] = mapped_column(sa.Text)
    ip: Mapped[str | None] = mapped_column(sa.Text)
    signal: Mapped[int | None] = mapped_column(sa.SmallInteger)
    noise: Mapped[int | None] = mapped_column(sa.SmallInteger)
    ccq: Mapped[int | None] = mapped_column(sa.SmallInteger)
    tx_rate: Mapped[int | None] = mapped_column(sa.BigInteger)
    rx_rate: Mapped[int | None] = mapped_column(sa.BigInteger)
    distance: Mapped[int | None]
    uptime: Mapped[int | None] = mapped_column(sa.BigInteger)
    seen_at: Mapped[dt.datetime]

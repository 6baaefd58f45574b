"""Status checks, their results, incidents and announcements (issue 18, monitoring/)."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from radbill.models.base import Base, created_at

CHECK_KINDS = ("http", "ping", "tcp", "dns", "tls", "snmp")
CHECK_STATES = ("unknown", "up", "down")
RECORD_TYPES = ("A", "AAAA", "CNAME", "MX", "NS", "TXT", "PTR")


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class Check(Base):
    """One thing to watch: `kind` says how (monitoring/probes.py), `target` what; run every
    `interval` seconds on a 10-second grid (`next_due`); `failures` consecutive failed runs
    open an incident. A check made for a router or OLT names it (`device_kind`, `device_id`)."""

    __tablename__ = "checks"
    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.Text)
    kind: Mapped[str] = mapped_column(sa.Text)
    target: Mapped[str] = mapped_column(sa.Text)
    interval: Mapped[int] = mapped_column(server_default="60")
    failures: Mapped[int] = mapped_column(sa.SmallInteger, server_default="3")
    timeout: Mapped[int] = mapped_column(sa.SmallInteger, server_default="5")
    # kind-specific: http expected status and body substring; dns server, record type and
    # expected answer; tls warning days
    expect_status: Mapped[int | None] = mapped_column(sa.SmallInteger)
    expect_body: Mapped[str | None] = mapped_column(sa.Text)
    dns_server: Mapped[str | None] = mapped_column(sa.Text)
    record_type: Mapped[str | None] = mapped_column(sa.Text)
    expect_answer: Mapped[str | None] = mapped_column(sa.Text)
    warn_days: Mapped[int | None] = mapped_column(sa.SmallInteger)
    # snmp: the community, Fernet-encrypted (rating/gateways/secrets.py; write-only in
    # check.edit, decrypted only when the probe runs: monitoring/checks.spec_of; migration 0032)
    credentials: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    component: Mapped[str] = mapped_column(sa.Text, server_default="")  # status page group
    public: Mapped[bool] = mapped_column(server_default=sa.false())
    enabled: Mapped[bool] = mapped_column(server_default=sa.true())
    device_kind: Mapped[str | None] = mapped_column(sa.Text)
    device_id: Mapped[int | None]
    next_due: Mapped[dt.datetime] = mapped_column(server_default=sa.func.now())
    state: Mapped[str] = mapped_column(sa.Text, server_default="unknown")
    streak: Mapped[int] = mapped_column(server_default="0")  # consecutive failed runs
    last_at: Mapped[dt.datetime | None]
    last_ms: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = created_at()

    __table_args__ = (
        sa.CheckConstraint(f"kind in ({_in(CHECK_KINDS)})", name="kind_known"),
        sa.CheckConstraint(f"state in ({_in(CHECK_STATES)})", name="state_known"),
        sa.CheckConstraint("interval between 10 and 86400 and interval % 10 = 0",
                           name="interval_grid"),
        sa.CheckConstraint("failures between 1 and 100", name="failures_range"),
        sa.CheckConstraint("timeout between 1 and 8", name="timeout_range"),
        sa.CheckConstraint("(device_kind is null) = (device_id is null)", name="device_pair"),
        sa.Index("ix_checks_due", "next_due", postgresql_where=sa.text("enabled")),
        sa.Index("ix_checks_operator", "operator_id", "name"),
        sa.Index("uq_checks_device", "device_kind", "device_id", unique=True,
                 postgresql_where=sa.text("device_kind is not null")),
    )


class CheckResult(Base):
    """One run: when it was due (`at`), whether it passed, its response time, how late it
    started (`lag_ms`) and why it failed. Kept 35 days (monitoring/rollup.py)."""

    __tablename__ = "check_results"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    check_id: Mapped[int] = mapped_column(sa.ForeignKey("checks.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime]
    ok: Mapped[bool]
    ms: Mapped[int | None]
    lag_ms: Mapped[int] = mapped_column(server_default="0")
    error: Mapped[str | None] = mapped_column(sa.Text)
    detail: Mapped[dict | None]

    __table_args__ = (
        sa.Index("ix_check_results_check_at", "check_id", "at"),
        sa.Index("ix_check_results_at", "at"),
    )


class CheckHourly(Base):
    """A check's hour: runs, passed runs and response times (kept a year)."""

    __tablename__ = "check_hourly"
    check_id: Mapped[int] = mapped_column(sa.ForeignKey("checks.id", ondelete="CASCADE"),
                                          primary_key=True)
    hour: Mapped[dt.datetime] = mapped_column(primary_key=True)
    runs: Mapped[int]
    ups: Mapped[int]
    ms_sum: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")
    ms_count: Mapped[int] = mapped_column(server_default="0")

    __table_args__ = (sa.Index("ix_check_hourly_hour", "hour"),)


class Incident(Base):
    """A check down: opened after `failures` failed runs in a row, resolved by the first run
    that passes. `alerted_at`: when staff were told (flap suppression may delay it)."""

    __tablename__ = "incidents"
    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(sa.ForeignKey("checks.id", ondelete="CASCADE"))
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="CASCADE"))
    opened_at: Mapped[dt.datetime]
    resolved_at: Mapped[dt.datetime | None]
    duration_seconds: Mapped[int | None]
    cause: Mapped[str] = mapped_column(sa.Text, server_default="")
    alerted_at: Mapped[dt.datetime | None]
    acked_at: Mapped[dt.datetime | None]
    acked_by: Mapped[str | None] = mapped_column(sa.Text)
    ack_note: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        sa.Index("uq_incidents_open", "check_id", unique=True,
                 postgresql_where=sa.text("resolved_at is null")),
        sa.Index("ix_incidents_check_opened", "check_id", "opened_at"),
        sa.Index("ix_incidents_operator", "operator_id", "opened_at"),
    )


class Announcement(Base):
    """News for the status page; with a window (`starts_at`..`ends_at`) a planned maintenance."""

    __tablename__ = "announcements"
    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.Text)
    body: Mapped[str] = mapped_column(sa.Text, server_default="")
    starts_at: Mapped[dt.datetime | None]
    ends_at: Mapped[dt.datetime | None]
    public: Mapped[bool] = mapped_column(server_default=sa.true())
    created_at: Mapped[dt.datetime] = created_at()

    __table_args__ = (
        sa.CheckConstraint("ends_at is null or starts_at is null or ends_at > starts_at",
                           name="window_order"),
        sa.Index("ix_announcements_operator", "operator_id", "created_at"),
    )

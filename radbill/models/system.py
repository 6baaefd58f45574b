"""The audit log, the outbox of side effects, and NAS settings beside FreeRADIUS' nas table."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from radbill.models.base import Base, created_at, pg_enum

OUTBOX_KINDS = ("coa", "disconnect", "notify", "alert")
OUTBOX_STATES = ("pending", "done", "failed")


class AuditLog(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    at: Mapped[dt.datetime] = created_at()
    actor: Mapped[str] = mapped_column(sa.Text)
    actor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id", ondelete="SET NULL"))
    operator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("operators.id", ondelete="SET NULL"))
    func: Mapped[str] = mapped_column(sa.Text)
    object_type: Mapped[str | None] = mapped_column(sa.Text)
    object_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    object_name: Mapped[str | None] = mapped_column(sa.Text)
    before: Mapped[dict | None] = mapped_column(JSONB)
    after: Mapped[dict | None] = mapped_column(JSONB)
    request: Mapped[str | None] = mapped_column(sa.Text)
    ip: Mapped[str | None] = mapped_column(sa.Text)
    __table_args__ = (
        sa.Index("ix_audit_object", "object_type", "object_id"),
        sa.Index("ix_audit_at", "at"),
        sa.Index("ix_audit_operator", "operator_id"),
    )


class Outbox(Base):
    """A side effect to carry out after commit (CoA, Disconnect, notification)."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    created_at: Mapped[dt.datetime] = created_at()
    kind: Mapped[str] = mapped_column(pg_enum("outbox_kind", *OUTBOX_KINDS))
    customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customers.id", ondelete="SET NULL"))
    payload: Mapped[dict] = mapped_column(JSONB, server_default=sa.text("'{}'::jsonb"))
    status: Mapped[str] = mapped_column(pg_enum("outbox_status", *OUTBOX_STATES), server_default="pending")
    attempts: Mapped[int] = mapped_column(server_default="0")
    next_attempt_at: Mapped[dt.datetime] = mapped_column(server_default=sa.func.now())
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    result: Mapped[str | None] = mapped_column(sa.Text)
    done_at: Mapped[dt.datetime | None]
    event_id: Mapped[int | None] = mapped_column(sa.BigInteger)  # the event it was derived from
    __table_args__ = (
        sa.Index("ix_outbox_pending", "next_attempt_at", postgresql_where=sa.text("status = 'pending'")),
        sa.Index("ix_outbox_customer", "customer_id"),
    )


class NasSettings(Base):
    """radbill's settings for a row of FreeRADIUS' `nas` table (which stays stock)."""

    __tablename__ = "nas_settings"
    nas_id: Mapped[int] = mapped_column(sa.ForeignKey("nas.id", ondelete="CASCADE"), primary_key=True)
    operator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("operators.id", ondelete="SET NULL"))
    coa_port: Mapped[int] = mapped_column(server_default="3799")
    api_user: Mapped[str | None] = mapped_column(sa.Text)
    # the RouterOS API password and the SNMP community, Fernet-encrypted
    # (provisioning/device_secrets.py; migration 0031): write-only in nas.edit, never shown
    # back. The RADIUS shared secret stays in nas.secret: FreeRADIUS reads it from there.
    credentials: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    api_port: Mapped[int] = mapped_column(server_default="8728")
    snmp_version: Mapped[str] = mapped_column(sa.Text, server_default="2c")
    snmp_port: Mapped[int] = mapped_column(server_default="161")
    __table_args__ = (
        sa.CheckConstraint("snmp_port between 1 and 65535", name="snmp_port_range"),
        sa.CheckConstraint("coa_port between 1 and 65535", name="coa_port_range"),
        sa.CheckConstraint("api_port between 1 and 65535", name="api_port_range"),
    )

"""Talking to subscribers and staff (issue 13): templates, the operators' message gateways, the
messages themselves (queue and history in one table), incoming messages, broadcasts, one-time
codes; and `tasks`, the kernel's long-running background work with progress."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from radbill.models.base import Base, created_at, pg_enum

CHANNELS = ("sms", "whatsapp", "email", "telegram")
GATEWAY_KINDS = ("http", "bulksmsbd", "sslwireless", "adn", "meta", "twilio", "smtp", "telegram")
MESSAGE_STATUSES = ("queued", "sending", "sent", "delivered", "failed")
TASK_STATUSES = ("queued", "running", "done", "failed", "cancelled")
LANGS_CHECK = "lang in ('en', 'bn')"


class MessageTemplate(Base):
    """An operator's wording of one event on one channel in one language. Without a row the
    parent operator's is used, then the default in messaging/defaults.py."""

    __tablename__ = "message_templates"
    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(sa.Text)
    channel: Mapped[str] = mapped_column(pg_enum("msg_channel", *CHANNELS))
    lang: Mapped[str] = mapped_column(sa.Text)
    subject: Mapped[str | None] = mapped_column(sa.Text)  # e-mail only
    body: Mapped[str] = mapped_column(sa.Text)
    enabled: Mapped[bool] = mapped_column(server_default=sa.true())  # False: send nothing
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=sa.func.now())
    __table_args__ = (
        sa.UniqueConstraint("operator_id", "event", "channel", "lang",
                            name="uq_message_templates_key"),
        sa.CheckConstraint(LANGS_CHECK, name="lang_known"),
    )


class MessageGateway(Base):
    """An operator's account with an SMS/WhatsApp/e-mail/Telegram provider. `config` holds the
    kind's plain settings (sender id, host, chat id, ...), `credentials` the Fernet-encrypted
    secrets (rating/gateways/secrets.py). Operators without one of a channel use the nearest
    ancestor's. `price` is what one SMS segment (or one message elsewhere) costs the operator."""

    __tablename__ = "message_gateways"
    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.Text)
    channel: Mapped[str] = mapped_column(pg_enum("msg_channel", *CHANNELS))
    kind: Mapped[str] = mapped_column(pg_enum("msg_gateway_kind", *GATEWAY_KINDS))
    config: Mapped[dict] = mapped_column(JSONB, server_default=sa.text("'{}'::jsonb"))
    credentials: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    price: Mapped[Decimal] = mapped_column(sa.Numeric(10, 4), server_default="0")
    rate_per_second: Mapped[int] = mapped_column(server_default="20")
    enabled: Mapped[bool] = mapped_column(server_default=sa.true())
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = created_at()
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=sa.func.now())
    __table_args__ = (
        sa.UniqueConstraint("operator_id", "name", name="uq_message_gateways_operator_name"),
        sa.CheckConstraint("price >= 0", name="price_nonneg"),
        sa.CheckConstraint("rate_per_second between 1 and 10000", name="rate_range"),
        sa.Index("ix_message_gateways_operator_channel", "operator_id", "channel"),
    )


class Message(Base):
    """One message to one recipient: the sender's queue while `queued`, its history after.
    `dedupe_key` makes composing it again a no-op (an event's notice per channel, a broadcast's
    per customer, a reminder per bill and day). `cost` is segments x the gateway's price, booked
    to the operator's ledger by the job message_charge (`charge_txn_id`)."""

    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    created_at: Mapped[dt.datetime] = created_at()
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="RESTRICT"))
    customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customers.id", ondelete="SET NULL"))
    event: Mapped[str] = mapped_column(sa.Text)  # the catalogue's name, or broadcast / otp / alert
    event_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    broadcast_id: Mapped[int | None] = mapped_column(sa.ForeignKey("broadcasts.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(pg_enum("msg_channel", *CHANNELS))
    lang: Mapped[str] = mapped_column(sa.Text, server_default="en")
    recipient: Mapped[str] = mapped_column(sa.Text)  # E.164, e-mail address, chat id
    subject: Mapped[str | None] = mapped_column(sa.Text)
    body: Mapped[str] = mapped_column(sa.Text)
    extra: Mapped[dict | None] = mapped_column(JSONB)  # a WhatsApp template's name/components, ...
    status: Mapped[str] = mapped_column(pg_enum("msg_status", *MESSAGE_STATUSES),
                                        server_default="queued")
    reason: Mapped[str | None] = mapped_column(sa.Text)  # why it failed, or the last retry's error
    gateway_id: Mapped[int | None] = mapped_column(sa.ForeignKey("message_gateways.id", ondelete="SET NULL"))
    gateway_ref: Mapped[str | None] = mapped_column(sa.Text)  # the gateway's message id
    segments: Mapped[int] = mapped_column(server_default="1")
    cost: Mapped[Decimal] = mapped_column(sa.Numeric(12, 4), server_default="0")
    attempts: Mapped[int] = mapped_column(server_default="0")
    next_attempt_at: Mapped[dt.datetime] = mapped_column(server_default=sa.func.now())
    claimed_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    delivered_at: Mapped[dt.datetime | None]
    charge_txn_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    dedupe_key: Mapped[str | None] = mapped_column(sa.Text)
    __table_args__ = (
        sa.Index("ix_messages_due", "next_attempt_at", postgresql_where=sa.text("status = 'queued'")),
        sa.Index("ix_messages_sending", "claimed_at", postgresql_where=sa.text("status = 'sending'")),
        sa.Index("ix_messages_customer", "customer_id", "id"),
        sa.Index("ix_messages_created", "created_at"),
        sa.Index("ix_messages_broadcast", "broadcast_id", "status"),
        sa.Index("ix_messages_gateway_ref", "gateway_id", "gateway_ref"),
        sa.Index("ix_messages_dedupe", "dedupe_key", unique=True,
                 postgresql_where=sa.text("dedupe_key IS NOT NULL")),
        sa.Index("ix_messages_uncharged", "operator_id", postgresql_where=sa.text(
            "charge_txn_id IS NULL AND cost > 0 AND status IN ('sent', 'delivered')")),
        sa.CheckConstraint("segments >= 0", name="segments_nonneg"),
        sa.CheckConstraint("cost >= 0", name="cost_nonneg"),
    )


class IncomingMessage(Base):
    """A message a subscriber sent us (WhatsApp's webhook, an SMS gateway's MO callback)."""

    __tablename__ = "incoming_messages"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    received_at: Mapped[dt.datetime] = created_at()
    gateway_id: Mapped[int | None] = mapped_column(sa.ForeignKey("message_gateways.id", ondelete="SET NULL"))
    operator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("operators.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(pg_enum("msg_channel", *CHANNELS))
    sender: Mapped[str] = mapped_column(sa.Text)
    customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customers.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(sa.Text)
    gateway_ref: Mapped[str | None] = mapped_column(sa.Text)
    __table_args__ = (
        sa.UniqueConstraint("gateway_id", "gateway_ref", name="uq_incoming_messages_ref"),
        sa.Index("ix_incoming_messages_customer", "customer_id", "id"),
    )


class Broadcast(Base):
    """A message to a filtered group of customers, queued by a background task."""

    __tablename__ = "broadcasts"
    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="RESTRICT"))
    created_by: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = created_at()
    channel: Mapped[str] = mapped_column(pg_enum("msg_channel", *CHANNELS))
    filters: Mapped[dict] = mapped_column(JSONB, server_default=sa.text("'{}'::jsonb"))
    template: Mapped[str | None] = mapped_column(sa.Text)  # an event whose template to use
    subject: Mapped[str | None] = mapped_column(sa.Text)
    body: Mapped[str | None] = mapped_column(sa.Text)
    total: Mapped[int] = mapped_column(server_default="0")
    task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tasks.id", ondelete="SET NULL"))


class OtpCode(Base):
    """A one-time code sent for `purpose` to `recipient`; only its hash is kept."""

    __tablename__ = "otp_codes"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    created_at: Mapped[dt.datetime] = created_at()
    purpose: Mapped[str] = mapped_column(sa.Text)
    channel: Mapped[str] = mapped_column(pg_enum("msg_channel", *CHANNELS))
    recipient: Mapped[str] = mapped_column(sa.Text)
    customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customers.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(sa.Text)
    expires_at: Mapped[dt.datetime]
    tries: Mapped[int] = mapped_column(server_default="0")
    used_at: Mapped[dt.datetime | None]
    ip: Mapped[str | None] = mapped_column(sa.Text)
    message_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    __table_args__ = (
        sa.Index("ix_otp_codes_recipient", "recipient", "created_at"),
        sa.Index("ix_otp_codes_ip", "ip", "created_at"),
    )


class Task(Base):
    """Long work in the background (a broadcast, an import): progress `done` of `total`, a
    heartbeat while it runs; a runner that finds a stale heartbeat takes it over and resumes
    (each kind's steps are idempotent), so a killed worker loses nothing and repeats nothing."""

    __tablename__ = "tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.Text)
    params: Mapped[dict] = mapped_column(JSONB, server_default=sa.text("'{}'::jsonb"))
    status: Mapped[str] = mapped_column(pg_enum("task_status", *TASK_STATUSES),
                                        server_default="queued")
    operator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("operators.id", ondelete="SET NULL"))
    created_by: Mapped[str] = mapped_column(sa.Text, server_default="")
    title: Mapped[str] = mapped_column(sa.Text, server_default="")
    total: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")
    done: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")
    failed: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")
    note: Mapped[str | None] = mapped_column(sa.Text)  # the last progress line, or the error
    attempts: Mapped[int] = mapped_column(server_default="0")
    created_at: Mapped[dt.datetime] = created_at()
    started_at: Mapped[dt.datetime | None]
    heartbeat_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    __table_args__ = (
        sa.Index("ix_tasks_open", "id", postgresql_where=sa.text("status IN ('queued', 'running')")),
    )

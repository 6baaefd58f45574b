"""The open API (issue 15): API clients and their access tokens, the request log, webhooks and
their deliveries."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from radbill.models.base import Base, created_at, pg_enum

DELIVERY_STATUSES = ("pending", "sending", "delivered", "failed")


class ApiClient(Base):
    """An integrator's client: acts with `role` inside `operator_id`'s subtree, limited to
    `scopes` (`customer:read`, `payment:write`, ...), from `networks` (CIDRs; empty: anywhere),
    at most `rate_limit` requests a minute. `key` is the public half of its static bearer token
    (`<key>.<secret>`) and its OAuth2 client_id; only the secret's hash is kept."""

    __tablename__ = "api_clients"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text)
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(sa.Text)
    scopes: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), server_default="{}")
    networks: Mapped[str] = mapped_column(sa.Text, server_default="")
    rate_limit: Mapped[int] = mapped_column(server_default="600")  # requests a minute
    key: Mapped[str] = mapped_column(sa.Text, unique=True)
    secret_hash: Mapped[str] = mapped_column(sa.Text)
    created_by: Mapped[str] = mapped_column(sa.Text, server_default="")
    created_at: Mapped[dt.datetime] = created_at()
    revoked_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]
    __table_args__ = (
        sa.UniqueConstraint("operator_id", "name", name="uq_api_clients_operator_name"),
        sa.CheckConstraint("rate_limit between 1 and 100000", name="rate_limit_range"),
    )


class ApiToken(Base):
    """A short-lived OAuth2 access token (client credentials); only its SHA-256 is kept."""

    __tablename__ = "api_tokens"
    token_hash: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("api_clients.id", ondelete="CASCADE"))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), server_default="{}")
    expires_at: Mapped[dt.datetime]
    created_at: Mapped[dt.datetime] = created_at()
    __table_args__ = (sa.Index("ix_api_tokens_client", "client_id"),
                      sa.Index("ix_api_tokens_expires", "expires_at"))


class ApiRequest(Base):
    """One REST call: who, what, how it ended and how long it took (kept for a while)."""

    __tablename__ = "api_requests"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    at: Mapped[dt.datetime] = created_at()
    client_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("api_clients.id", ondelete="SET NULL"))
    ip: Mapped[str | None] = mapped_column(sa.Text)
    method: Mapped[str] = mapped_column(sa.Text)
    path: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[int] = mapped_column(sa.SmallInteger)
    duration_ms: Mapped[int]
    __table_args__ = (sa.Index("ix_api_requests_client_at", "client_id", "at"),
                      sa.Index("ix_api_requests_at", "at"))


class Webhook(Base):
    """A receiver of events: `events` are event type names or patterns (`payment.*`, `*`);
    `secret` (Fernet-encrypted, it must sign) keys the HMAC-SHA256 signature."""

    __tablename__ = "webhooks"
    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(sa.Text)
    events: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), server_default="{}")
    secret: Mapped[str] = mapped_column(sa.Text)
    active: Mapped[bool] = mapped_column(server_default=sa.true())
    note: Mapped[str] = mapped_column(sa.Text, server_default="")
    created_at: Mapped[dt.datetime] = created_at()
    last_status: Mapped[int | None] = mapped_column(sa.SmallInteger)
    last_error: Mapped[str | None] = mapped_column(sa.Text)


class WebhookDelivery(Base):
    """One event for one webhook: the envelope as sent (the same bytes on every attempt and
    redelivery, so its `id` tells a receiver it has seen it), attempts and the last answer."""

    __tablename__ = "webhook_deliveries"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    webhook_id: Mapped[int] = mapped_column(sa.ForeignKey("webhooks.id", ondelete="CASCADE"))
    event_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    event: Mapped[str] = mapped_column(sa.Text)
    body: Mapped[str] = mapped_column(sa.Text)  # the JSON envelope, exactly as signed
    status: Mapped[str] = mapped_column(pg_enum("webhook_delivery_status", *DELIVERY_STATUSES),
                                        server_default="pending")
    attempts: Mapped[int] = mapped_column(server_default="0")
    next_attempt_at: Mapped[dt.datetime] = mapped_column(server_default=sa.func.now())
    response_code: Mapped[int | None] = mapped_column(sa.SmallInteger)
    response_body: Mapped[str | None] = mapped_column(sa.Text)  # the first 500 characters
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    duration_ms: Mapped[int | None]
    delivered_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = created_at()
    __table_args__ = (
        sa.Index("ix_webhook_deliveries_due", "next_attempt_at",
                 postgresql_where=sa.text("status = 'pending'")),
        sa.Index("ix_webhook_deliveries_hook", "webhook_id", "id"),
        # an event reaches a webhook once (a redelivery is another attempt of the same row)
        sa.Index("uq_webhook_deliveries_event", "webhook_id", "event_id", unique=True,
                 postgresql_where=sa.text("event_id IS NOT NULL")),
    )

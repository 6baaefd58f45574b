"""The reseller tree's own traffic (issue 19): notices a parent sends down its subtree, who has
acknowledged them, and one-time provisioning keys a new operator registers with.

A customer's transfer between operators needs no table of its own: the customer row, its open
bills and a ledger transaction (kind `customer_transfer`) say it all (rating/transfer.py).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from radbill.models.base import Base, created_at

SEVERITIES = ("info", "warning", "critical")
KEY_KINDS = ("credit", "debit")


class Notice(Base):
    """A notice from `operator_id` to the staff of every operator below it, shown on their
    dashboards from `starts_at` until `ends_at` (NULL: until withdrawn) or its withdrawal."""

    __tablename__ = "notices"
    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(sa.Text)
    body: Mapped[str] = mapped_column(sa.Text, server_default="")
    severity: Mapped[str] = mapped_column(sa.Text, server_default="info")
    starts_at: Mapped[dt.datetime] = mapped_column(server_default=sa.func.now())
    ends_at: Mapped[dt.datetime | None]
    withdrawn_at: Mapped[dt.datetime | None]
    created_by: Mapped[str] = mapped_column(sa.Text, server_default="")
    created_at: Mapped[dt.datetime] = created_at()

    __table_args__ = (
        sa.CheckConstraint("severity in ('info', 'warning', 'critical')", name="severity_known"),
        sa.CheckConstraint("length(title) between 1 and 200", name="title_length"),
        sa.CheckConstraint("ends_at is null or ends_at > starts_at", name="ends_after_start"),
        sa.Index("ix_notices_operator", "operator_id", "starts_at"),
    )


class NoticeAck(Base):
    """One staff login has read (acknowledged) one notice: it leaves that login's dashboard."""

    __tablename__ = "notice_acks"
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("notices.id", ondelete="CASCADE"),
                                           primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_users.id", ondelete="CASCADE"),
                                         primary_key=True)
    at: Mapped[dt.datetime] = created_at()
    __table_args__ = (sa.Index("ix_notice_acks_user", "user_id"),)


class ProvisioningKey(Base):
    """A one-time key that lets a new operator register under `operator_id` (the parent that
    issued it) with the kind and credit limit set here. Only the key's SHA-256 is kept
    (`key_hash`); `hint` is its first characters, so staff can tell keys apart in a list."""

    __tablename__ = "provisioning_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="CASCADE"))
    key_hash: Mapped[str] = mapped_column(sa.Text, unique=True)
    hint: Mapped[str] = mapped_column(sa.Text)
    kind: Mapped[str] = mapped_column(sa.Text, server_default="credit")
    credit_limit: Mapped[Decimal] = mapped_column(server_default="0")
    note: Mapped[str | None] = mapped_column(sa.Text)
    expires_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(sa.Text, server_default="")
    created_at: Mapped[dt.datetime] = created_at()
    revoked_at: Mapped[dt.datetime | None]
    used_at: Mapped[dt.datetime | None]
    used_ip: Mapped[str | None] = mapped_column(sa.Text)
    new_operator_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("operators.id", ondelete="SET NULL"))
    new_login: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        sa.CheckConstraint("kind in ('credit', 'debit')", name="kind_known"),
        sa.CheckConstraint("credit_limit >= 0", name="credit_limit_nonneg"),
        sa.CheckConstraint("key_hash ~ '^[0-9a-f]{64}$'", name="key_hash_sha256"),
        # a key is used or revoked, never both
        sa.CheckConstraint("used_at is null or revoked_at is null", name="used_or_revoked"),
        sa.Index("ix_provisioning_keys_operator", "operator_id", "created_at"),
    )

"""Filings and their controls (issue 19): credits waiting for a second staff approval, and which
custom fields feed the regulator's (BTRC) subscriber report.

A `pending_transactions` row is a money change a staff member asked for above their operator
chain's `approval_threshold` (operators): the function's name and the parameters it was
called with (validated when asked), who asked, and what became of it. Nothing is booked until
a different login approves it; the approval replays exactly that call (rating/approvals.py).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from radbill.models.base import Base, created_at

PENDING_FUNCS = ("payment.edit", "operator.fund")  # what may wait for an approval
PENDING_STATUSES = ("pending", "approved", "rejected")


class PendingTransaction(Base):
    __tablename__ = "pending_transactions"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    func: Mapped[str] = mapped_column(sa.Text)
    # whose money it is: the customer's operator (a payment), the funded reseller (a fund)
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="SET NULL"))
    amount: Mapped[Decimal]
    threshold: Mapped[Decimal]  # the threshold it was over when asked
    summary: Mapped[str] = mapped_column(sa.Text)
    params: Mapped[dict] = mapped_column(JSONB)  # the call to replay, validated when asked
    # who asked: the login, and its caller as it was (rating/approvals.py re-reads it)
    requested_by: Mapped[int | None] = mapped_column(
        sa.ForeignKey("staff_users.id", ondelete="SET NULL"))
    requester: Mapped[str] = mapped_column(sa.Text)
    requester_caller: Mapped[dict] = mapped_column(JSONB)
    requested_at: Mapped[dt.datetime] = created_at()
    status: Mapped[str] = mapped_column(sa.Text, server_default="pending")
    decided_by: Mapped[int | None] = mapped_column(
        sa.ForeignKey("staff_users.id", ondelete="SET NULL"))
    decider: Mapped[str | None] = mapped_column(sa.Text)
    decided_at: Mapped[dt.datetime | None]
    reason: Mapped[str | None] = mapped_column(sa.Text)
    result: Mapped[dict | None] = mapped_column(JSONB)  # what the booking answered

    __table_args__ = (
        sa.CheckConstraint("func in ('payment.edit', 'operator.fund')", name="func_known"),
        sa.CheckConstraint("status in ('pending', 'approved', 'rejected')", name="status_known"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.CheckConstraint("(status = 'pending') = (decided_at is null)", name="decided_when"),
        sa.CheckConstraint("status <> 'rejected' or reason is not null", name="rejected_why"),
        # the second pair of eyes, in the database too: nobody decides their own request
        sa.CheckConstraint("decider is null or decider <> requester", name="four_eyes"),
        sa.Index("ix_pending_transactions_open", "operator_id", "requested_at",
                 postgresql_where=sa.text("status = 'pending'")),
        sa.Index("ix_pending_transactions_requested", "requested_at"),
    )


class FilingSettings(Base):
    """Which custom field (customers.custom_fields key) an operator's BTRC report reads as the
    subscriber's national ID, area, district and connection type; empty: the built-in column
    (customers.national_id, the zone, none, the service and the network)."""

    __tablename__ = "filing_settings"
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="CASCADE"),
                                             primary_key=True)
    nid_field: Mapped[str | None] = mapped_column(sa.Text)
    area_field: Mapped[str | None] = mapped_column(sa.Text)
    district_field: Mapped[str | None] = mapped_column(sa.Text)
    connection_field: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=sa.func.now())

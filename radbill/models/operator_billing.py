"""Operators' subscription bills, their suspensions, and what a deleted operator left (issue 19).

A parent bills each operator below it monthly under the plan it set (`operator_plans`): a fee
per active subscriber or a flat one. `operator_bills` holds one bill per operator per month
(the unique index makes the job restart-safe). An operator that leaves a bill unpaid past its
due date and grace days is suspended (`operator_suspensions`: one open row while suspended; its
customers follow after `customer_grace_days`). A deleted operator's money history is kept in
`operator_archives` (gzip'd JSON parts with SHA-256 digests), attached to its parent.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from radbill.models.base import Base, created_at

FEE_KINDS = ("per_subscriber", "flat")
OPERATOR_BILL_STATUSES = ("open", "paid")


class OperatorPlan(Base):
    """What an operator's parent bills it each month, and how long it waits."""

    __tablename__ = "operator_plans"
    operator_id: Mapped[int] = mapped_column(
        sa.ForeignKey("operators.id", ondelete="CASCADE"), primary_key=True)
    fee_kind: Mapped[str] = mapped_column(sa.Text)
    fee: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2))
    due_days: Mapped[int] = mapped_column(sa.SmallInteger, server_default="7")
    grace_days: Mapped[int] = mapped_column(sa.SmallInteger, server_default="7")
    customer_grace_days: Mapped[int] = mapped_column(sa.SmallInteger, server_default="7")
    updated_at: Mapped[dt.datetime] = created_at()
    __table_args__ = (
        sa.CheckConstraint("fee_kind in ('per_subscriber', 'flat')", name="fee_kind_known"),
        sa.CheckConstraint("fee >= 0", name="fee_nonneg"),
        sa.CheckConstraint("due_days between 0 and 90", name="due_days_range"),
        sa.CheckConstraint("grace_days between 0 and 90", name="grace_days_range"),
        sa.CheckConstraint("customer_grace_days between 0 and 90",
                           name="customer_grace_days_range"),
    )


class OperatorBill(Base):
    """One month's subscription bill of an operator to its parent."""

    __tablename__ = "operator_bills"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="RESTRICT"))
    parent_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="RESTRICT"))
    period: Mapped[dt.date]  # the month's first day
    issued_on: Mapped[dt.date]
    due_date: Mapped[dt.date]
    fee_kind: Mapped[str] = mapped_column(sa.Text)
    fee: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2))
    subscribers: Mapped[int]
    amount: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2))
    status: Mapped[str] = mapped_column(sa.Text, server_default="open")
    paid_at: Mapped[dt.datetime | None]
    transaction_id: Mapped[int | None] = mapped_column(sa.BigInteger)  # the booking
    payment_transaction_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_at: Mapped[dt.datetime] = created_at()
    __table_args__ = (
        sa.UniqueConstraint("operator_id", "period", name="uq_operator_bills_operator_period"),
        sa.CheckConstraint("extract(day from period) = 1", name="period_month_start"),
        sa.CheckConstraint("amount >= 0", name="amount_nonneg"),
        sa.CheckConstraint("subscribers >= 0", name="subscribers_nonneg"),
        sa.CheckConstraint("status in ('open', 'paid')", name="status_known"),
        sa.CheckConstraint("(status = 'paid') = (paid_at is not null)", name="paid_has_time"),
        sa.CheckConstraint("due_date >= issued_on", name="due_after_issue"),
        sa.Index("ix_operator_bills_open", "due_date", postgresql_where=sa.text("status = 'open'")),
        sa.Index("ix_operator_bills_parent", "parent_id", "period"),
    )


class OperatorSuspension(Base):
    """An operator's suspension: its staff are shut out at once, its customers from
    `customers_on`; closed (`resumed_on`) when it settles or its parent resumes it."""

    __tablename__ = "operator_suspensions"
    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(sa.Text)
    suspended_on: Mapped[dt.date]
    customers_on: Mapped[dt.date | None]  # NULL: its customers are never suspended for it
    customers_task_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("tasks.id", ondelete="SET NULL"))
    resumed_on: Mapped[dt.date | None]
    created_at: Mapped[dt.datetime] = created_at()
    __table_args__ = (
        sa.CheckConstraint("reason in ('unpaid', 'manual')", name="reason_known"),
        sa.Index("uq_operator_suspensions_open", "operator_id", unique=True,
                 postgresql_where=sa.text("resumed_on IS NULL")),
    )


class OperatorArchive(Base):
    """What a deleted operator's subtree left: its money history, kept with its parent."""

    __tablename__ = "operator_archives"
    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="RESTRICT"))
    operator_id: Mapped[int]  # the deleted operator's id (no longer in operators)
    operator_name: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.Text, server_default="building")
    summary: Mapped[dict] = mapped_column(JSONB, server_default=sa.text("'{}'::jsonb"))
    parts: Mapped[int] = mapped_column(server_default="0")
    sha256: Mapped[str | None] = mapped_column(sa.Text)  # over the parts' digests, in order
    created_by: Mapped[str] = mapped_column(sa.Text, server_default="")
    created_at: Mapped[dt.datetime] = created_at()
    finished_at: Mapped[dt.datetime | None]
    __table_args__ = (
        sa.CheckConstraint("status in ('building', 'complete')", name="status_known"),
        sa.CheckConstraint("(status = 'complete') = (sha256 is not null)", name="complete_has_sum"),
    )


class OperatorArchivePart(Base):
    """One step's rows: gzip'd JSON {table: [row, ...]} and the SHA-256 of the JSON."""

    __tablename__ = "operator_archive_parts"
    archive_id: Mapped[int] = mapped_column(
        sa.ForeignKey("operator_archives.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True)
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)
    sha256: Mapped[str] = mapped_column(sa.Text)
    rows: Mapped[int]

"""Self-care and the complaint desk (issue 14): sign-ups waiting for approval, package changes,
departments, complaint categories, complaints with their comments, attachments and costs."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from radbill.models.base import Base, created_at, pg_enum

SIGNUP_STATUSES = ("pending", "approved", "rejected", "cancelled")
CHANGE_KINDS = ("upgrade", "downgrade")
CHANGE_STATUSES = ("pending", "scheduled", "applied", "refused", "cancelled")
COMPLAINT_STATUSES = ("open", "acknowledged", "in_progress", "resolved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")


class Signup(Base):
    """A subscriber's application from the portal: the mobile confirmed by an OTP; approval
    (by staff, or at once when the package says auto_approve) creates the customer."""

    __tablename__ = "signups"
    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="RESTRICT"))
    zone_id: Mapped[int | None] = mapped_column(sa.ForeignKey("zones.id", ondelete="SET NULL"))
    package_id: Mapped[int] = mapped_column(sa.ForeignKey("packages.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(sa.Text)
    mobile: Mapped[str] = mapped_column(sa.Text)  # E.164
    email: Mapped[str | None] = mapped_column(sa.Text)
    address: Mapped[str] = mapped_column(sa.Text)
    national_id: Mapped[str] = mapped_column(sa.Text)
    lang: Mapped[str] = mapped_column(sa.Text, server_default="en")
    status: Mapped[str] = mapped_column(pg_enum("signup_status", *SIGNUP_STATUSES),
                                        server_default="pending")
    verified_at: Mapped[dt.datetime | None]  # the OTP confirmed the mobile
    ip: Mapped[str | None] = mapped_column(sa.Text)
    reason: Mapped[str | None] = mapped_column(sa.Text)  # why rejected
    decided_by: Mapped[str | None] = mapped_column(sa.Text)
    decided_at: Mapped[dt.datetime | None]
    customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customers.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = created_at()
    __table_args__ = (
        sa.Index("ix_signups_pending", "operator_id", postgresql_where=sa.text("status = 'pending'")),
        sa.Index("ix_signups_mobile", "mobile"),
        sa.Index("ix_signups_national_id", "national_id"),
    )


class PackageChange(Base):
    """A customer's move to another package: an upgrade applies at once (the pro-rated
    difference billed, a CoA), a downgrade on `effective_on` (the next cycle); `pending` while
    the operator's approval is needed."""

    __tablename__ = "package_changes"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id", ondelete="CASCADE"))
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="RESTRICT"))
    from_package_id: Mapped[int] = mapped_column(sa.ForeignKey("packages.id", ondelete="RESTRICT"))
    to_package_id: Mapped[int] = mapped_column(sa.ForeignKey("packages.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(pg_enum("package_change_kind", *CHANGE_KINDS))
    status: Mapped[str] = mapped_column(pg_enum("package_change_status", *CHANGE_STATUSES),
                                        server_default="pending")
    effective_on: Mapped[dt.date]
    amount: Mapped[Decimal] = mapped_column(server_default="0")  # the pro-rated difference
    bill_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    source: Mapped[str] = mapped_column(sa.Text, server_default="staff")  # staff | portal
    requested_by: Mapped[str] = mapped_column(sa.Text, server_default="")
    decided_by: Mapped[str | None] = mapped_column(sa.Text)
    decided_at: Mapped[dt.datetime | None]
    applied_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = created_at()
    __table_args__ = (
        sa.Index("ix_package_changes_customer", "customer_id", "id"),
        sa.Index("ix_package_changes_due", "effective_on",
                 postgresql_where=sa.text("status = 'scheduled'")),
        # one open change per customer at a time
        sa.Index("ix_package_changes_one_open", "customer_id", unique=True,
                 postgresql_where=sa.text("status IN ('pending', 'scheduled')")),
    )


class Department(Base):
    __tablename__ = "departments"
    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = created_at()
    __table_args__ = (sa.UniqueConstraint("operator_id", "name", name="uq_departments_operator_name"),)


class ComplaintCategory(Base):
    """What a complaint is about, routed to a department with a response target; `technical`
    categories are the ones a NOC login sees."""

    __tablename__ = "complaint_categories"
    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.Text)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id", ondelete="RESTRICT"))
    target_hours: Mapped[int] = mapped_column(server_default="24")
    technical: Mapped[bool] = mapped_column(server_default=sa.false())
    portal: Mapped[bool] = mapped_column(server_default=sa.true())  # customers may choose it
    created_at: Mapped[dt.datetime] = created_at()
    __table_args__ = (
        sa.UniqueConstraint("operator_id", "name", name="uq_complaint_categories_operator_name"),
        sa.CheckConstraint("target_hours between 1 and 8760", name="target_range"),
    )


class Complaint(Base):
    __tablename__ = "complaints"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="RESTRICT"))
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id", ondelete="RESTRICT"))
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("complaint_categories.id", ondelete="RESTRICT"))
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id", ondelete="RESTRICT"))
    subject: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(pg_enum("complaint_status", *COMPLAINT_STATUSES),
                                        server_default="open")
    priority: Mapped[str] = mapped_column(pg_enum("complaint_priority", *PRIORITIES),
                                          server_default="normal")
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(sa.Text, server_default="staff")  # staff | portal
    created_by: Mapped[str] = mapped_column(sa.Text, server_default="")
    due_at: Mapped[dt.datetime]  # created + the category's target
    created_at: Mapped[dt.datetime] = created_at()
    acknowledged_at: Mapped[dt.datetime | None]
    resolved_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    reopened: Mapped[int] = mapped_column(server_default="0")
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=sa.func.now())
    __table_args__ = (
        sa.Index("ix_complaints_working", "operator_id", "status",
                 postgresql_where=sa.text("status <> 'closed'")),
        sa.Index("ix_complaints_customer", "customer_id", "id"),
        sa.Index("ix_complaints_created", "created_at"),
    )


class ComplaintComment(Base):
    """A note on a complaint: `public` ones the customer sees (and is told of)."""

    __tablename__ = "complaint_comments"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(sa.ForeignKey("complaints.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(sa.Text)
    staff_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id", ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customers.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(sa.Text)
    public: Mapped[bool] = mapped_column(server_default=sa.false())
    created_at: Mapped[dt.datetime] = created_at()
    __table_args__ = (sa.Index("ix_complaint_comments_complaint", "complaint_id", "id"),)


class ComplaintAttachment(Base):
    """An image on a complaint, stored on disk under var/ with a name we made."""

    __tablename__ = "complaint_attachments"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(sa.ForeignKey("complaints.id", ondelete="CASCADE"))
    comment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("complaint_comments.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(sa.Text)  # as uploaded, cleaned, for display only
    stored_name: Mapped[str] = mapped_column(sa.Text, unique=True)
    content_type: Mapped[str] = mapped_column(sa.Text)
    size: Mapped[int]
    public: Mapped[bool] = mapped_column(server_default=sa.false())
    created_by: Mapped[str] = mapped_column(sa.Text, server_default="")
    created_at: Mapped[dt.datetime] = created_at()
    __table_args__ = (sa.Index("ix_complaint_attachments_complaint", "complaint_id"),)


class ComplaintCost(Base):
    """A cost of fixing a complaint (parts, a visit), booked as an expense in the ledger."""

    __tablename__ = "complaint_costs"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(sa.ForeignKey("complaints.id", ondelete="RESTRICT"))
    description: Mapped[str] = mapped_column(sa.Text)
    amount: Mapped[Decimal]
    ledger_txn_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_by: Mapped[str] = mapped_column(sa.Text, server_default="")
    created_at: Mapped[dt.datetime] = created_at()
    __table_args__ = (sa.CheckConstraint("amount > 0", name="amount_positive"),)


class WalledGardenHost(Base):
    """A host a hotspot visitor may reach before logging in (the portal, a payment gateway),
    pushed to the operator's routers as /ip hotspot walled-garden entries."""

    __tablename__ = "walled_garden"
    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="CASCADE"))
    host: Mapped[str] = mapped_column(sa.Text)  # a name, *.name or an IPv4 address
    note: Mapped[str] = mapped_column(sa.Text, server_default="")
    created_at: Mapped[dt.datetime] = created_at()
    __table_args__ = (
        sa.UniqueConstraint("operator_id", "host", name="uq_walled_garden_operator_host"),
    )

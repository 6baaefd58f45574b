"""What is sold: IP pools, packages and billing profiles."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import CIDR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from radbill.models.base import Base, created_at, pg_enum

BILLING_TERMS = ("monthly", "daily", "free")
DISCOUNT_KINDS = ("none", "percent", "fixed")


class IpPool(Base):
    """An address pool the NAS hands out, named in the reply: IPv4 (Framed-Pool) or IPv6, whose
    `prefix_length` is the prefix each subscriber gets (Framed-IPv6-Pool for a link's /64,
    Delegated-IPv6-Prefix-Pool for a delegated /56 or /60). One of each family may be the walled
    garden."""

    __tablename__ = "ip_pools"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text, unique=True)
    cidr: Mapped[str] = mapped_column(CIDR)
    prefix_length: Mapped[int | None] = mapped_column(sa.SmallInteger)
    suspended: Mapped[bool] = mapped_column(server_default=sa.false())
    operator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("operators.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = created_at()
    __table_args__ = (
        sa.CheckConstraint("(family(cidr) = 4 and prefix_length is null) or "
                           "(family(cidr) = 6 and prefix_length between masklen(cidr) and 128)",
                           name="family_prefix"),
        sa.CheckConstraint("name ~ '^[A-Za-z0-9_.-]{1,64}$'", name="name_format"),
        # one walled garden of each family: authorize must know which pools a suspended
        # subscriber gets
        sa.Index("uq_ip_pools_one_suspended", sa.text("family(cidr)"), unique=True,
                 postgresql_where=sa.text("suspended")),
    )


class Package(Base):
    __tablename__ = "packages"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text, unique=True)
    operator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("operators.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("packages.id", ondelete="SET NULL"))
    rate_down: Mapped[int] = mapped_column(sa.BigInteger)
    rate_up: Mapped[int] = mapped_column(sa.BigInteger)
    burst_down: Mapped[int | None] = mapped_column(sa.BigInteger)
    burst_up: Mapped[int | None] = mapped_column(sa.BigInteger)
    burst_threshold_down: Mapped[int | None] = mapped_column(sa.BigInteger)
    burst_threshold_up: Mapped[int | None] = mapped_column(sa.BigInteger)
    burst_time: Mapped[int | None]
    price: Mapped[Decimal]
    wholesale_price: Mapped[Decimal | None]
    validity_days: Mapped[int] = mapped_column(server_default="30")
    data_cap: Mapped[int | None] = mapped_column(sa.BigInteger)
    fup_rate_down: Mapped[int | None] = mapped_column(sa.BigInteger)
    fup_rate_up: Mapped[int | None] = mapped_column(sa.BigInteger)
    pool_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ip_pools.id", ondelete="SET NULL"))
    fup_pool_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ip_pools.id", ondelete="SET NULL"))
    # IPv6 (issue 17): the link's prefix (Framed-IPv6-Pool) and the delegated prefix
    # (Delegated-IPv6-Prefix-Pool)
    pool6_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ip_pools.id", ondelete="SET NULL"))
    pd_pool_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ip_pools.id", ondelete="SET NULL"))
    sim_use: Mapped[int] = mapped_column(server_default="1")
    # self-care (issue 14): offered on the portal (sign-up, package change); a sign-up for it
    # is approved at once; a change to it waits for the operator's approval
    online: Mapped[bool] = mapped_column(server_default=sa.false())
    auto_approve: Mapped[bool] = mapped_column(server_default=sa.false())
    change_approval: Mapped[bool] = mapped_column(server_default=sa.false())
    # hotspot (issue 14): online time and data a cycle allows (the NAS enforces what is left
    # through Session-Timeout and Mikrotik-Total-Limit; login is refused once used up); a
    # hotspot package's sign-ups and vouchers get the hotspot service
    time_limit: Mapped[int | None]  # seconds
    data_limit: Mapped[int | None] = mapped_column(sa.BigInteger)  # bytes, in + out
    hotspot: Mapped[bool] = mapped_column(server_default=sa.false())
    # a trial (issue 17): a customer on it gets this many days, is never billed, expires
    trial_days: Mapped[int | None]
    created_at: Mapped[dt.datetime] = created_at()

    pool: Mapped[IpPool | None] = relationship(foreign_keys=[pool_id])
    fup_pool: Mapped[IpPool | None] = relationship(foreign_keys=[fup_pool_id])
    pool6: Mapped[IpPool | None] = relationship(foreign_keys=[pool6_id])
    pd_pool: Mapped[IpPool | None] = relationship(foreign_keys=[pd_pool_id])
    parent: Mapped[Package | None] = relationship(remote_side=[id])

    __table_args__ = (
        sa.CheckConstraint("rate_down > 0 and rate_up > 0", name="rates_positive"),
        sa.CheckConstraint("price >= 0", name="price_nonneg"),
        sa.CheckConstraint("wholesale_price is null or wholesale_price >= 0", name="wholesale_nonneg"),
        sa.CheckConstraint("validity_days > 0", name="validity_positive"),
        sa.CheckConstraint("data_cap is null or data_cap > 0", name="cap_positive"),
        sa.CheckConstraint("sim_use >= 1", name="sim_use_positive"),
        sa.CheckConstraint("time_limit is null or time_limit > 0", name="time_limit_positive"),
        sa.CheckConstraint("data_limit is null or data_limit > 0", name="data_limit_positive"),
        sa.CheckConstraint("trial_days is null or trial_days between 1 and 366",
                           name="trial_days_range"),
        sa.CheckConstraint("(burst_down is null) = (burst_up is null)", name="burst_pair"),
        sa.CheckConstraint("(fup_rate_down is null) = (fup_rate_up is null)", name="fup_pair"),
        sa.CheckConstraint("data_cap is null or fup_rate_down is not null", name="cap_needs_fup"),
    )


class BillingProfile(Base):
    __tablename__ = "billing_profiles"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text, unique=True)
    operator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("operators.id", ondelete="CASCADE"))
    term: Mapped[str] = mapped_column(pg_enum("billing_term", *BILLING_TERMS), server_default="monthly")
    due_day: Mapped[int] = mapped_column(server_default="1")
    grace_days: Mapped[int] = mapped_column(server_default="0")
    auto_bill: Mapped[bool] = mapped_column(server_default=sa.true())
    min_validity_days: Mapped[int] = mapped_column(server_default="0")
    discount_kind: Mapped[str] = mapped_column(pg_enum("discount_kind", *DISCOUNT_KINDS), server_default="none")
    discount_value: Mapped[Decimal] = mapped_column(server_default="0")
    # reminders (issue 13): a bill's reminder N days before it falls due (and one on the day);
    # the validity-ends warning N days before (NULL: RADBILL_EXPIRY_NOTICE_DAYS)
    due_reminder_days: Mapped[int] = mapped_column(server_default="3")
    expiry_notice_days: Mapped[int | None]
    created_at: Mapped[dt.datetime] = created_at()
    __table_args__ = (
        sa.CheckConstraint("due_day between 1 and 28", name="due_day_range"),
        sa.CheckConstraint("due_reminder_days between 0 and 60", name="due_reminder_range"),
        sa.CheckConstraint("expiry_notice_days between 0 and 60", name="expiry_notice_range"),
        sa.CheckConstraint("grace_days >= 0", name="grace_nonneg"),
        sa.CheckConstraint("min_validity_days >= 0", name="min_validity_nonneg"),
        sa.CheckConstraint("discount_value >= 0", name="discount_nonneg"),
        sa.CheckConstraint("discount_kind <> 'percent' or discount_value <= 100", name="percent_range"),
    )

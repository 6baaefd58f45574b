"""Subscribers and their per-cycle usage counters."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import CIDR, INET, JSONB, ExcludeConstraint
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from radbill.models.base import Base, created_at, pg_enum
from radbill.models.catalog import BillingProfile, Package
from radbill.models.operators import Operator, Zone

SERVICES = ("pppoe", "hotspot", "static")
STATUSES = ("active", "suspended", "disabled", "fup")
MAC_RE = "^([0-9A-F]{2}:){5}[0-9A-F]{2}$"
USERNAME_RE = "^[A-Za-z0-9_.@-]{1,64}$"


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.Text)
    password: Mapped[str | None] = mapped_column(sa.Text)
    nt_hash: Mapped[str | None] = mapped_column(sa.Text)
    name: Mapped[str | None] = mapped_column(sa.Text)
    mobile: Mapped[str | None] = mapped_column(sa.Text)
    email: Mapped[str | None] = mapped_column(sa.Text)
    address: Mapped[str | None] = mapped_column(sa.Text)
    mac: Mapped[str | None] = mapped_column(sa.Text)
    service: Mapped[str] = mapped_column(pg_enum("service_kind", *SERVICES), server_default="pppoe")
    static_ip: Mapped[str | None] = mapped_column(INET)
    # static IPv6 (issue 17): the link's prefix (Framed-IPv6-Prefix) and the delegated prefix
    # (Delegated-IPv6-Prefix); no two live customers overlap
    ipv6_prefix: Mapped[str | None] = mapped_column(CIDR)
    delegated_prefix: Mapped[str | None] = mapped_column(CIDR)
    status: Mapped[str] = mapped_column(pg_enum("customer_status", *STATUSES), server_default="active")
    status_reason: Mapped[str | None] = mapped_column(sa.Text)
    deleted_at: Mapped[dt.datetime | None]
    expires_at: Mapped[dt.datetime | None]
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="RESTRICT"))
    zone_id: Mapped[int | None] = mapped_column(sa.ForeignKey("zones.id", ondelete="SET NULL"))
    package_id: Mapped[int] = mapped_column(sa.ForeignKey("packages.id", ondelete="RESTRICT"))
    billing_profile_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("billing_profiles.id", ondelete="SET NULL"))
    custom_price: Mapped[Decimal | None]
    advance_balance: Mapped[Decimal] = mapped_column(server_default="0")
    custom_fields: Mapped[dict] = mapped_column(JSONB, server_default=sa.text("'{}'::jsonb"))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customers.id", ondelete="SET NULL"))
    manager_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id", ondelete="SET NULL"))
    cycle_start: Mapped[dt.date] = mapped_column(server_default=sa.func.current_date())
    cycle_day: Mapped[int | None] = mapped_column(sa.SmallInteger)  # a monthly cycle's anchor
    billing_from: Mapped[dt.date | None]  # a converted trial's first billed day (issue 17)
    lang: Mapped[str] = mapped_column(sa.Text, server_default="en")  # en, bn: portal, notices
    national_id: Mapped[str | None] = mapped_column(sa.Text)  # NID, one live customer each
    notes: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = created_at()
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=sa.func.now(), onupdate=sa.func.now())

    operator: Mapped[Operator] = relationship()
    package: Mapped[Package] = relationship()
    zone: Mapped[Zone | None] = relationship()
    billing_profile: Mapped[BillingProfile | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(f"username ~ '{USERNAME_RE}'", name="username_format"),
        sa.CheckConstraint(f"mac is null or mac ~ '{MAC_RE}'", name="mac_format"),
        sa.CheckConstraint("mobile is null or mobile ~ '^\\+?[0-9]{6,15}$'", name="mobile_format"),
        sa.CheckConstraint("password is not null or nt_hash is not null", name="has_secret"),
        sa.CheckConstraint("nt_hash is null or nt_hash ~ '^[0-9A-F]{32}$'", name="nt_hash_format"),
        sa.CheckConstraint("service <> 'static' or static_ip is not null", name="static_needs_ip"),
        sa.CheckConstraint("static_ip is null or family(static_ip) = 4", name="static_ipv4"),
        sa.CheckConstraint("ipv6_prefix is null or family(ipv6_prefix) = 6", name="ipv6_prefix_v6"),
        sa.CheckConstraint("delegated_prefix is null or family(delegated_prefix) = 6",
                           name="delegated_prefix_v6"),
        ExcludeConstraint((sa.column("ipv6_prefix"), "&&"), name="ex_customers_ipv6_prefix",
                          using="gist", ops={"ipv6_prefix": "inet_ops"},
                          where=sa.text("ipv6_prefix IS NOT NULL AND deleted_at IS NULL")),
        ExcludeConstraint((sa.column("delegated_prefix"), "&&"),
                          name="ex_customers_delegated_prefix", using="gist",
                          ops={"delegated_prefix": "inet_ops"},
                          where=sa.text("delegated_prefix IS NOT NULL AND deleted_at IS NULL")),
        sa.CheckConstraint("advance_balance >= 0", name="advance_nonneg"),
        sa.CheckConstraint("custom_price is null or custom_price >= 0", name="custom_price_nonneg"),
        sa.CheckConstraint("parent_id is null or parent_id <> id", name="not_own_parent"),
        sa.CheckConstraint("cycle_day is null or cycle_day between 1 and 31", name="cycle_day_range"),
        sa.CheckConstraint("lang in ('en', 'bn')", name="lang_known"),
        sa.Index("uq_customers_username_lower", sa.text("lower(username)"), unique=True),
        sa.Index("uq_customers_static_ip", "static_ip", unique=True,
                 postgresql_where=sa.text("static_ip is not null and deleted_at is null")),
        sa.Index("ix_customers_operator_status", "operator_id", "status"),
        sa.Index("uq_customers_national_id", "national_id", unique=True,
                 postgresql_where=sa.text("national_id is not null and deleted_at is null")),
        sa.Index("ix_customers_mobile", "mobile"),
        sa.Index("ix_customers_mobile_reverse", sa.text("reverse(mobile) text_pattern_ops")),
        sa.Index("ix_customers_mac", "mac"),
        sa.Index("ix_customers_package", "package_id"),
        sa.Index("ix_customers_expires", "expires_at"),
        sa.Index("ix_customers_name_lower", sa.text("lower(name) text_pattern_ops")),
        sa.Index("ix_customers_username_pattern", sa.text("lower(username) text_pattern_ops")),
        # a word inside a name or an address (collect.find; pg_trgm, migration 0010)
        sa.Index("ix_customers_name_trgm", sa.text("lower(name) gin_trgm_ops"),
                 postgresql_using="gin"),
        sa.Index("ix_customers_address_trgm", sa.text("lower(address) gin_trgm_ops"),
                 postgresql_using="gin"),
        # custom field values: search and the unique check by containment (issue 17)
        sa.Index("ix_customers_custom_fields", "custom_fields", postgresql_using="gin",
                 postgresql_ops={"custom_fields": "jsonb_path_ops"}),
    )


class CustomerLastSeen(Base):
    """When the customer last authenticated: written in bulk by the RADIUS module's post-auth
    flush (once a minute a customer at most), apart from `customers` so that write is a HOT
    update of a narrow row instead of a new version of a wide one in 22 indexes (0037)."""

    __tablename__ = "customer_last_seen"
    customer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    last_seen_at: Mapped[dt.datetime]
    # fillfactor 70 (migration 0037; SQLAlchemy has no table option for it)


# read as a column of the customer (lists, the API, the customer page)
Customer.last_seen_at = column_property(
    sa.select(CustomerLastSeen.last_seen_at)
    .where(CustomerLastSeen.customer_id == Customer.id)
    .correlate_except(CustomerLastSeen).scalar_subquery())


class UsageCounter(Base):
    """Bytes and seconds used in one cycle; accounting adds deltas, never re-sums radacct."""

    __tablename__ = "usage_counters"
    customer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    cycle_start: Mapped[dt.date] = mapped_column(primary_key=True)
    bytes_in: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")
    bytes_out: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")
    session_time: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=sa.func.now())
    __table_args__ = (
        sa.CheckConstraint("bytes_in >= 0 and bytes_out >= 0 and session_time >= 0",
                           name="nonneg"),
    )

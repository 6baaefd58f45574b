"""The operator tree (group admin -> operator -> sub-operator), staff logins and zones."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from radbill.models.base import Base, created_at, pg_enum

OPERATOR_KINDS = ("credit", "debit")
OPERATOR_LEVELS = ("group", "operator", "sub")
ROLES = ("admin", "group_admin", "operator", "sub_operator", "manager", "noc", "card_distributor")


class Operator(Base):
    """A node of the reseller tree; `path` is the materialized chain of ids, '/1/4/9/'."""

    __tablename__ = "operators"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text, unique=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("operators.id", ondelete="RESTRICT"))
    path: Mapped[str] = mapped_column(sa.Text, server_default="")
    level: Mapped[str] = mapped_column(pg_enum("operator_level", *OPERATOR_LEVELS))
    kind: Mapped[str] = mapped_column(pg_enum("operator_kind", *OPERATOR_KINDS), server_default="credit")
    credit_limit: Mapped[Decimal] = mapped_column(server_default="0")
    status: Mapped[str] = mapped_column(sa.Text, server_default="active")
    vat_percent: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), server_default="0")
    require_2fa: Mapped[bool] = mapped_column(server_default=sa.false())
    # two customers may share a mobile number (a family's phone); off: duplicates are refused
    allow_shared_mobile: Mapped[bool] = mapped_column(server_default=sa.false())
    # printed on its invoices and receipts (issue 12)
    address: Mapped[str | None] = mapped_column(sa.Text)
    phone: Mapped[str | None] = mapped_column(sa.Text)
    email: Mapped[str | None] = mapped_column(sa.Text)
    vat_number: Mapped[str | None] = mapped_column(sa.Text)
    bkash_number: Mapped[str | None] = mapped_column(sa.Text)  # "send money to" for customers
    payment_note: Mapped[str | None] = mapped_column(sa.Text)  # how to pay, in its own words
    logo: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    logo_type: Mapped[str | None] = mapped_column(sa.Text)
    # messaging (issue 13): scheduled notices wait outside [quiet_start, quiet_end) in the ISP's
    # zone; the channels customers are told on (NULL: the parent's, at the top sms + email);
    # a messaging charge leaving the balance under low_balance alerts the operator's staff
    quiet_start: Mapped[dt.time | None] = mapped_column(sa.Time)
    quiet_end: Mapped[dt.time | None] = mapped_column(sa.Time)
    notify_channels: Mapped[list[str] | None] = mapped_column(sa.ARRAY(sa.Text))
    low_balance: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 2))
    # issue 19: a staff-entered credit above it (the lowest along the operator's chain) waits
    # for a second login's approval (rating/approvals.py); NULL: no approval needed
    approval_threshold: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 2))
    created_at: Mapped[dt.datetime] = created_at()

    parent: Mapped[Operator | None] = relationship(remote_side=[id])

    __table_args__ = (
        sa.CheckConstraint("credit_limit >= 0", name="credit_limit_nonneg"),
        sa.CheckConstraint("status in ('active', 'suspended')", name="status_valid"),
        sa.CheckConstraint("vat_percent >= 0 and vat_percent <= 100", name="vat_range"),
        sa.CheckConstraint("approval_threshold is null or approval_threshold >= 0",
                           name="approval_threshold_nonneg"),
        sa.CheckConstraint("logo_type is null or logo_type in ('image/png', 'image/jpeg')",
                           name="logo_type_image"),
        sa.CheckConstraint("(level = 'group') = (parent_id is null)", name="root_is_group"),
        sa.Index("ix_operators_path", "path", postgresql_ops={"path": "text_pattern_ops"}),
    )


class StaffUser(Base):
    """A staff login; its role decides menus, its operator decides the subtree it sees."""

    __tablename__ = "staff_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(sa.Text, unique=True)
    password_hash: Mapped[str] = mapped_column(sa.Text)
    role: Mapped[str] = mapped_column(pg_enum("staff_role", *ROLES))
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="CASCADE"))
    name: Mapped[str | None] = mapped_column(sa.Text)
    disabled: Mapped[bool] = mapped_column(server_default=sa.false())
    totp_secret: Mapped[str | None] = mapped_column(sa.Text)
    totp_enabled: Mapped[bool] = mapped_column(server_default=sa.false())
    recovery_codes: Mapped[list | None] = mapped_column(sa.ARRAY(sa.Text))
    failed_logins: Mapped[int] = mapped_column(server_default="0")
    locked_until: Mapped[dt.datetime | None]
    last_login_at: Mapped[dt.datetime | None]
    # a distributor's or collector's commission: a percent of what they collect, or a fixed
    # amount per card of theirs redeemed (rating/commission.py)
    commission_percent: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))
    commission_fixed: Mapped[Decimal | None]
    lang: Mapped[str] = mapped_column(sa.Text, server_default="en")  # en, bn: its pages' language
    created_at: Mapped[dt.datetime] = created_at()
    # issue 18: staff alerts by SMS and e-mail go to on-call logins (messaging/compose.alert):
    # `on_call`, within [on_call_start, on_call_end) in the ISP's zone (wrapping midnight; both
    # NULL: all day) on the ISO weekdays `on_call_days` (1 = Monday; NULL: every day; a window
    # past midnight belongs to the day it starts)
    mobile: Mapped[str | None] = mapped_column(sa.Text)  # E.164
    email: Mapped[str | None] = mapped_column(sa.Text)
    on_call: Mapped[bool] = mapped_column(server_default=sa.false())
    on_call_start: Mapped[dt.time | None] = mapped_column(sa.Time)
    on_call_end: Mapped[dt.time | None] = mapped_column(sa.Time)
    on_call_days: Mapped[list[int] | None] = mapped_column(sa.ARRAY(sa.SmallInteger))
    # the NOC wall's links carry the generation they were made in; noc.wall_revoke moves it on
    wall_generation: Mapped[int] = mapped_column(server_default="0")

    operator: Mapped[Operator] = relationship()

    __table_args__ = (
        sa.CheckConstraint("login ~ '^[A-Za-z0-9_.@-]{2,64}$'", name="login_format"),
        sa.CheckConstraint("commission_percent is null or commission_percent between 0 and 100",
                           name="commission_percent_range"),
        sa.CheckConstraint("commission_fixed is null or commission_fixed >= 0",
                           name="commission_fixed_nonneg"),
        sa.CheckConstraint("lang in ('en', 'bn')", name="lang_known"),
        sa.CheckConstraint("(on_call_start is null) = (on_call_end is null) and "
                           "(on_call_start is null or on_call_start <> on_call_end)",
                           name="on_call_window"),
        sa.CheckConstraint("on_call_days is null or (on_call_days <@ array[1,2,3,4,5,6,7]"
                           "::smallint[] and cardinality(on_call_days) > 0)",
                           name="on_call_days_known"),
        sa.CheckConstraint("wall_generation >= 0", name="wall_generation_nonneg"),
    )


class Zone(Base):
    __tablename__ = "zones"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text)
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id", ondelete="CASCADE"))
    __table_args__ = (sa.UniqueConstraint("operator_id", "name", name="uq_zones_operator_name"),)

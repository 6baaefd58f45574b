"""What the web admin and the func API remember: API sessions, one-time login keys, login attempts.

Also the indexes the customer list's search needs at 100,000 customers (prefix search on each
searchable column, through the same lower() expression the list function uses).
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from radbill.models.base import Base, created_at
from radbill.models.customers import Customer
from radbill.models.freeradius import RadAcct


class ApiSession(Base):
    """A staff session: a func API session (`auth=ID`) or a browser login (via 'web', its id in
    the signed cookie). Only the token's SHA-256 is kept: a dump can't replay it. Rows die with
    a password, role, operator or disabled change and an operator's suspension (sessions.sql)."""

    __tablename__ = "api_sessions"
    token_hash: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_users.id", ondelete="CASCADE"))
    ip: Mapped[str | None] = mapped_column(sa.Text)
    via: Mapped[str] = mapped_column(sa.Text, server_default="password")
    created_at: Mapped[dt.datetime] = created_at()
    last_used_at: Mapped[dt.datetime] = mapped_column(server_default=sa.func.now())
    __table_args__ = (
        sa.CheckConstraint("via in ('password', 'key', 'web')", name="via_valid"),
        sa.Index("ix_api_sessions_user", "user_id"),
    )


class IdempotencyKey(Base):
    """A change made under a one-time key (a form's token, an Idempotency-Key header) and its
    result: a resubmission with the key gets that result again instead of a second change."""

    __tablename__ = "idempotency_keys"
    scope: Mapped[str] = mapped_column(sa.Text, primary_key=True)  # who: the caller's login
    key: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    func: Mapped[str] = mapped_column(sa.Text)
    request_hash: Mapped[str] = mapped_column(sa.Text)  # the same key with other values is refused
    result: Mapped[dict | None]
    created_at: Mapped[dt.datetime] = created_at()
    __table_args__ = (sa.Index("ix_idempotency_keys_created_at", "created_at"),)


class LoginKey(Base):
    """A one-time key an administrator made with session.newkey; deleted when used."""

    __tablename__ = "login_keys"
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_users.id", ondelete="CASCADE"),
                                         primary_key=True)
    key_hash: Mapped[str] = mapped_column(sa.Text)
    created_by: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = created_at()


class LoginAttempt(Base):
    """Every login attempt (staff on the web or API, customers on the portal), so failures can
    be shown and counted."""

    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    at: Mapped[dt.datetime] = created_at()
    login: Mapped[str] = mapped_column(sa.Text)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("staff_users.id", ondelete="SET NULL"))
    ip: Mapped[str | None] = mapped_column(sa.Text)
    channel: Mapped[str] = mapped_column(sa.Text)
    ok: Mapped[bool]
    reason: Mapped[str | None] = mapped_column(sa.Text)
    __table_args__ = (
        sa.CheckConstraint("channel in ('web', 'api', 'portal')", name="channel_valid"),
        sa.Index("ix_login_attempts_at", "at"),
        sa.Index("ix_login_attempts_user", "user_id"),
    )


# The customer list searches lower(col) LIKE 'q%' over username, name, mobile, mac and static_ip;
# with one prefix index per column PostgreSQL ORs bitmap scans instead of reading every row.
# (username and name have theirs in models/customers.py.)
_c = Customer.__table__.c
sa.Index("ix_customers_mobile_pattern", sa.func.lower(_c.mobile).label("mobile_lower"),
         postgresql_ops={"mobile_lower": "text_pattern_ops"})
sa.Index("ix_customers_mac_pattern", sa.func.lower(_c.mac).label("mac_lower"),
         postgresql_ops={"mac_lower": "text_pattern_ops"})
sa.Index("ix_customers_ip_pattern", sa.func.lower(sa.cast(_c.static_ip, sa.Text)).label("ip_lower"),
         postgresql_ops={"ip_lower": "text_pattern_ops"})
# the default list order (username, then id) read from an index instead of sorting every row
sa.Index("ix_customers_username_id", _c.username, _c.id)
# the customer list's order (lower(username) byte by byte, then id): read in order, and a
# username prefix search is a range of it (customers/functions/customers.py)
sa.Index("ix_customers_username_c", sa.text('lower(username) COLLATE "C"'), _c.id)

# A customer's page shows its latest sessions and 30 days of usage: stock FreeRADIUS indexes
# radacct by (acctstarttime, username), which makes "this user's sessions" a full scan.
sa.Index("ix_radacct_user_start", RadAcct.__table__.c.username, RadAcct.__table__.c.acctstarttime)
# The suspension page knows a walled-garden subscriber by the address of their open session;
# every web request they make lands there, so that lookup must not scan radacct.
sa.Index("ix_radacct_open_framedip", RadAcct.__table__.c.framedipaddress,
         postgresql_where=sa.text("acctstoptime IS NULL"))


class TotpStep(Base):
    """The last TOTP time step each login used: a code works once, even inside its 30 seconds."""

    __tablename__ = "totp_steps"
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_users.id", ondelete="CASCADE"),
                                         primary_key=True)
    last_step: Mapped[int] = mapped_column(sa.BigInteger)

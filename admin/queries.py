"""Read-only queries the pages show beside function results: online status, sessions, usage,
status counts and money sums. Each is scoped with the kernel's own visibility rules."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill.functions.caller import Caller
from radbill.functions.crud import in_subtree
from customers.functions.customers import ENTITY as CUSTOMERS
from radbill.functions.registry import Call
from radbill.models import Base, Customer, RadAcct

SESSION_COLUMNS = ("radacctid", "acctstarttime", "acctstoptime", "acctsessiontime", "nasipaddress",
                   "framedipaddress", "callingstationid", "acctinputoctets", "acctoutputoctets",
                   "acctterminatecause")


def _call(session: Session, caller: Caller) -> Call:
    return Call(session, caller, "dashboard", {})


def visible_customers(session: Session, caller: Caller) -> sa.Select:
    """The customers the caller may see, as the customer list function scopes them."""
    return CUSTOMERS.visible(_call(session, caller), sa.select(Customer.id))


def status_counts(session: Session, caller: Caller) -> dict[str, int]:
    """Customers per status, and how many are past their expiry, in one pass over the table."""
    expired = sa.func.count().filter(Customer.expires_at < sa.func.now())
    stmt = CUSTOMERS.visible(_call(session, caller),
                             sa.select(Customer.status, sa.func.count(), expired))
    counts: dict[str, int] = {"expired": 0}
    for status, n, late in session.execute(stmt.group_by(Customer.status)):
        counts[status] = n
        counts["expired"] += late
    return counts


def online_count(session: Session, caller: Caller) -> int:
    """Open radacct sessions (no stop time) of the caller's customers."""
    stmt = (sa.select(sa.func.count(sa.distinct(RadAcct.username)))
            .where(RadAcct.acctstoptime.is_(None)))
    if caller.operator_path is not None or caller.role == "manager":
        names = CUSTOMERS.visible(_call(session, caller), sa.select(Customer.username))
        stmt = stmt.where(RadAcct.username.in_(names))
    return session.scalar(stmt) or 0


def online_usernames(session: Session, usernames: list[str]) -> set[str]:
    if not usernames:
        return set()
    return set(session.scalars(sa.select(RadAcct.username).where(
        RadAcct.acctstoptime.is_(None), RadAcct.username.in_(usernames))))


def sessions(session: Session, username: str, open_only: bool = False,
             limit: int = 20) -> list[dict]:
    cols = [getattr(RadAcct, c) for c in SESSION_COLUMNS]
    stmt = sa.select(*cols).where(RadAcct.username == username)
    if open_only:
        stmt = stmt.where(RadAcct.acctstoptime.is_(None))
    stmt = stmt.order_by(RadAcct.acctstarttime.desc().nulls_last()).limit(limit)
    return [dict(r._mapping) for r in session.execute(stmt)]


def daily_usage(session: Session, username: str, tz,
                days: int = 30) -> list[tuple[dt.date, int, int]]:
    """(day, bytes in, bytes out) per day in the ISP's zone, for the usage graph."""
    since = dt.datetime.now(tz) - dt.timedelta(days=days)
    day = sa.func.date(sa.func.timezone(str(tz), RadAcct.acctstarttime))
    stmt = (sa.select(day, sa.func.sum(RadAcct.acctinputoctets),
                      sa.func.sum(RadAcct.acctoutputoctets))
            .where(RadAcct.username == username, RadAcct.acctstarttime >= since)
            .group_by(day).order_by(day))
    return [(d, int(i or 0), int(o or 0)) for d, i, o in session.execute(stmt)]


def money_table(name: str) -> sa.Table | None:
    """The rating domain's table, when it is installed (the admin must work without it)."""
    return Base.metadata.tables.get(name)


def daily_money(session: Session, caller: Caller, tz, days: int = 30) -> dict[str, dict]:
    """Bills issued and payments received per day (ISP zone), in the caller's subtree; a
    manager's only for the customers assigned to them."""
    out: dict[str, dict] = {}
    start = (dt.datetime.now(tz) - dt.timedelta(days=days - 1)).date()
    bills, payments = money_table("bills"), money_table("payments")
    if bills is not None:
        day = bills.c.issued_on
        stmt = sa.select(day, sa.func.sum(bills.c.total)).where(day >= start)
        stmt = _scope(session, caller, stmt, bills)
        out["bills"] = dict(session.execute(stmt.group_by(day)).all())
    if payments is not None:
        day = sa.func.date(sa.func.timezone(str(tz), payments.c.received_at))
        stmt = sa.select(day, sa.func.sum(payments.c.amount)).where(
            payments.c.received_at >= dt.datetime.combine(start, dt.time(), tz))
        if "status" in payments.c:
            stmt = stmt.where(payments.c.status != "reversed")
        stmt = _scope(session, caller, stmt, payments)
        out["payments"] = dict(session.execute(stmt.group_by(day)).all())
    return out


def _scope(session: Session, caller: Caller, stmt: sa.Select, table: sa.Table) -> sa.Select:
    stmt = stmt.where(in_subtree(_call(session, caller), table.c.operator_id))
    if caller.role == "manager":
        stmt = stmt.where(table.c.customer_id.in_(visible_customers(session, caller)))
    return stmt

"""Read-only queries the pages show beside function results: online status, sessions, usage.
(The dashboard's counts and money are functions now: report.customers, report.aging, ...)"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill.functions.caller import Caller
from customers.functions.customers import ENTITY as CUSTOMERS
from radbill.functions.registry import Call
from radbill.models import Customer, RadAcct

SESSION_COLUMNS = ("radacctid", "acctstarttime", "acctstoptime", "acctsessiontime", "nasipaddress",
                   "framedipaddress", "callingstationid", "acctinputoctets", "acctoutputoctets",
                   "acctterminatecause")


def _call(session: Session, caller: Caller) -> Call:
    return Call(session, caller, "dashboard", {})


def visible_customers(session: Session, caller: Caller) -> sa.Select:
    """The customers the caller may see, as the customer list function scopes them."""
    return CUSTOMERS.visible(_call(session, caller), sa.select(Customer.id))


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

"""The dashboard's figures as read for speed (migration 0010) equal their definitions: report.aging
adds per-due-date totals into buckets (every boundary day lands where the buckets say), and
report.online's three index passes give, for each hour, the sessions that started before it
ended and had not stopped before it began."""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from radbill.functions.registry import load_all
from radbill.models import RadAcct
from tests.support.factories import caller_of, fn, make_customer, make_operator, make_package, \
    make_user

pytestmark = pytest.mark.skipif("report.aging" not in load_all(), reason="rating not installed")

ON = dt.date(2026, 11, 30)


def test_aging_buckets_at_every_boundary(session):
    make_operator(session, name="agisp")
    make_operator(session, name="agA", parent="agisp")
    make_operator(session, name="agB", parent="agisp")
    ops = {n: caller_of(session, make_user(session, login=f"u{n}", role="operator", operator=n))
           for n in ("agA", "agB")}
    make_package(session, name="agpkg", price="500")
    a = make_customer(session, ops["agA"], username="aga", package="agpkg")
    b = make_customer(session, ops["agB"], username="agb", package="agpkg")
    # (days late, amount, whose): each bucket's first and last day, twice on one due date
    bills = [(-5, "1.10", a), (-1, "2.20", a), (0, "3.30", a), (0, "4.40", b), (30, "5.50", a),
             (31, "6.60", b), (60, "7.70", a), (61, "8.80", a), (90, "9.90", b),
             (91, "10.01", a), (400, "20.02", b)]
    for late, amount, cust in bills:
        op = "agA" if cust is a else "agB"
        fn(session, "bill.edit", ops[op], sok="ok", customer=cust.username, description="x",
           amount=amount, due_date=(ON - dt.timedelta(days=late)).isoformat())
    buckets = (("not due", None, -1), ("0-30", 0, 30), ("31-60", 31, 60), ("61-90", 61, 90),
               ("90+", 91, None))

    def expected(which) -> list[dict]:
        rows = []
        for label, lo, hi in buckets:
            mine = [D(m) for late, m, c in bills if c in which and (lo is None or late >= lo)
                    and (hi is None or late <= hi)]
            rows.append({"bucket": label, "bills": len(mine), "due": str(sum(mine, D(0)))})
        rows.append({"bucket": "total", "bills": sum(r["bills"] for r in rows),
                     "due": str(sum(D(r["due"]) for r in rows))})
        return rows

    assert fn(session, "report.aging", ops["agA"], date=ON.isoformat()).rows == expected({a})
    assert fn(session, "report.aging", ops["agB"], date=ON.isoformat()).rows == expected({b})
    assert fn(session, "report.aging", ops["agA"], date="2026-12-31").rows[0] == \
        {"bucket": "not due", "bills": 0, "due": "0"}


def test_online_trend_equals_its_definition(session):
    """Random sessions around the window's edges, against the definition counted per hour."""
    rnd = random.Random(7)
    now = dt.datetime.now(dt.timezone.utc)
    first = now.replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=23)
    edges = [first - dt.timedelta(hours=30), first - dt.timedelta(seconds=1), first,
             first + dt.timedelta(minutes=59, seconds=59), first + dt.timedelta(hours=5),
             now - dt.timedelta(seconds=1), now + dt.timedelta(minutes=5)]
    for i in range(300):
        start = rnd.choice(edges) if i % 3 == 0 else \
            first + dt.timedelta(seconds=rnd.randrange(-40 * 3600, 25 * 3600))
        stop = None if rnd.random() < 0.3 else max(start, (  # a session stops after it starts
            rnd.choice(edges) if i % 4 == 0 else start + dt.timedelta(
                seconds=rnd.randrange(0, 30 * 3600))))
        session.add(RadAcct(acctsessionid=f"t{i}", acctuniqueid=f"trend{i}", username=f"x{i}",
                            nasipaddress="10.0.0.1", acctstarttime=start, acctstoptime=stop))
    session.flush()
    got = fn(session, "report.online").rows
    now = dt.datetime.now(dt.timezone.utc)
    first = dt.datetime.fromisoformat(got[0]["hour"])  # the clock may have crossed an hour
    every = session.execute(sa.select(RadAcct.acctstarttime, RadAcct.acctstoptime).where(
        RadAcct.acctstarttime <= now)).all()
    want = []
    for h in range(24):
        begins = first + dt.timedelta(hours=h)
        ends = begins + dt.timedelta(hours=1)
        want.append(sum(1 for s, e in every if s < ends and (e is None or e >= begins)))
    assert [r["sessions"] for r in got] == want

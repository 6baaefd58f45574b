"""report.aging, report.collections: the owner's dashboard's money, as list functions (pages,
/billmgr, CSV). Each reads the caller's operator subtree; a manager only the customers assigned
to them; roles without money are refused (money=True)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from radbill.functions import fields as F
from radbill.functions.crud import in_subtree
from radbill.functions.registry import Call, ListResult, Param, function
from radbill.functions.roles import MONEY_STAFF
from radbill.models import Bill, Customer, Operator, Payment, StaffUser, Zone
from rating.functions.common import day
from rating.terms import midnight

# days past due: (label, first day, last day or None)
AGE_BUCKETS = (("not due", None, -1), ("0-30", 0, 30), ("31-60", 31, 60), ("61-90", 61, 90),
               ("90+", 91, None))
COLLECTION_KEYS = ("method", "collector", "reseller", "zone")
PERIODS = ("today", "month")


def _mine(call: Call, table) -> list:
    """The conditions that keep a bill or payment inside the caller's reach."""
    conds = [in_subtree(call, table.operator_id)]
    if call.caller.role == "manager":
        conds.append(table.customer_id.in_(sa.select(Customer.id).where(
            Customer.manager_id == call.caller.user_id)))
    return conds


@function("report.aging", replica=True, money=True, kind="list", roles=MONEY_STAFF,
          params=(Param("date", "age on this day (default today)"),))
def aging(call: Call) -> ListResult:
    """Money owed: open bills' balance by days past due (not due, 0-30, 31-60, 61-90, 90+)."""
    on = day(call)
    # per due date (a few hundred at most), read from ix_bills_open_aging alone; the buckets
    # are added up here (ten filtered aggregates over every open bill cost ~60 ms at 100k)
    per_due = call.session.execute(
        sa.select(Bill.due_date, sa.func.count(), sa.func.sum(Bill.total - Bill.paid))
        .where(Bill.status == "open", *_mine(call, Bill)).group_by(Bill.due_date)).all()
    counts = [0] * len(AGE_BUCKETS)
    sums = [Decimal(0)] * len(AGE_BUCKETS)
    for due_date, n, amount in per_due:
        i = bucket((on - due_date).days)
        counts[i] += n
        sums[i] += amount
    rows = [{"bucket": label, "bills": counts[i], "due": str(sums[i])}
            for i, (label, _, _) in enumerate(AGE_BUCKETS)]
    rows.append({"bucket": "total", "bills": sum(counts), "due": str(sum(sums))})
    return ListResult(rows, len(rows), 1, len(rows), ["bucket", "bills", "due"])


def bucket(late: int) -> int:
    """The AGE_BUCKETS index for a bill `late` days past due (negative: not due yet)."""
    return next(i for i, (_, lo, hi) in enumerate(AGE_BUCKETS)
                if (lo is None or late >= lo) and (hi is None or late <= hi))


@function("report.collections", replica=True, money=True, kind="list", roles=MONEY_STAFF,
          params=(Param("by", "method, collector, reseller, zone, or all (default method)"),
                  Param("period", "today or month (default today)"),
                  Param("date", "the day (default today)")))
def collections(call: Call) -> ListResult:
    """Payments received (reversed ones and spent advance excluded) today or this month, by
    method, collector, reseller (the customer's operator) or zone; by=all: each of them, in one
    pass over the period's payments (the row's `by` says which)."""
    by = F.parse_one("by", F.choice(*COLLECTION_KEYS, "all"), call.get("by") or "method")
    period = F.parse_one("period", F.choice(*PERIODS), call.get("period") or "today")
    on = day(call)
    start = on if period == "today" else on.replace(day=1)
    end = on + dt.timedelta(days=1) if period == "today" else \
        (start + dt.timedelta(days=32)).replace(day=1)
    wanted = COLLECTION_KEYS if by == "all" else (by,)
    # the operators in reach as a list: (operator_id, received_at) is indexed, so the period's
    # payments are read through it instead of scanning every payment ever taken
    ops = list(call.session.scalars(sa.select(Operator.id).where(in_subtree(call, Operator.id))))
    cols = [Payment.method, Payment.collected_by, Payment.operator_id, Payment.amount]
    stmt = sa.select(*cols, *([Customer.zone_id] if "zone" in wanted else []))
    if "zone" in wanted:
        stmt = stmt.join(Customer, Customer.id == Payment.customer_id)
    # an advance payment spends money already counted when it was received
    stmt = stmt.where(Payment.operator_id.in_(ops), Payment.status != "reversed",
                      Payment.method != "advance", Payment.received_at >= midnight(start),
                      Payment.received_at < midnight(end), *_mine(call, Payment)[1:])
    p = stmt.cte("p")
    keys = {"method": p.c.method, "collector": p.c.collected_by, "reseller": p.c.operator_id,
            "zone": p.c.zone_id if "zone" in wanted else None}
    keys = {k: keys[k] for k in wanted}
    grouped = sa.select(*[c.label(k) for k, c in keys.items()],
                        *[sa.func.grouping(c).label(f"g_{k}") for k, c in keys.items()],
                        sa.func.count().label("payments"), sa.func.sum(p.c.amount).label("amount"))
    grouped = grouped.group_by(sa.func.grouping_sets(*[sa.tuple_(c) for c in keys.values()])) \
        if len(keys) > 1 else grouped.group_by(*keys.values())
    found = call.session.execute(grouped).all()
    rows = []
    for r in found:
        which = next(k for k in keys if len(keys) == 1 or getattr(r, f"g_{k}") == 0)
        rows.append({"by": which, "key": getattr(r, which), "payments": r.payments,
                     "amount": r.amount})
    names = _names(call, rows)
    rows.sort(key=lambda r: (COLLECTION_KEYS.index(r["by"]), -r["amount"], str(r["key"])))
    out = [{"by": r["by"], "key": None if r["key"] is None else str(r["key"]),
            "name": names.get((r["by"], r["key"])), "payments": r["payments"],
            "amount": str(r["amount"])} for r in rows]
    return ListResult(out, len(out), 1, len(out), ["by", "key", "name", "payments", "amount"])


def _names(call: Call, rows: list[dict]) -> dict:
    """(by, key) -> what to call it: the method itself, a login, an operator's or zone's name."""
    ids = {b: {r["key"] for r in rows if r["by"] == b and r["key"] is not None}
           for b in COLLECTION_KEYS}
    names = {("method", k): str(k) for k in ids["method"]}
    for by, model, col in (("collector", StaffUser, StaffUser.login),
                           ("reseller", Operator, Operator.name), ("zone", Zone, Zone.name)):
        if ids[by]:
            names.update({(by, i): n for i, n in call.session.execute(
                sa.select(model.id, col).where(model.id.in_(ids[by])))})
    names.update({("collector", None): "(none)", ("zone", None): "(no zone)"})
    return names


@function("report.daily", replica=True, money=True, kind="list", roles=MONEY_STAFF,
          params=(Param("days", "how many days back, today included (default 30)"),
                  Param("date", "the last day (default today)")))
def daily(call: Call) -> ListResult:
    """Payments received per day (the ISP's days), reversed ones and spent advance excluded."""
    from radbill import settings
    days = F.parse_one("days", F.integer(1, 366), call.get("days") or "30")
    last = day(call)
    first = last - dt.timedelta(days=days - 1)
    ops = list(call.session.scalars(sa.select(Operator.id).where(in_subtree(call, Operator.id))))
    local = sa.func.date(sa.func.timezone(settings.get().time_zone, Payment.received_at))
    stmt = (sa.select(local.label("day"), sa.func.count().label("payments"),
                      sa.func.sum(Payment.amount).label("amount"))
            .where(Payment.operator_id.in_(ops), Payment.status != "reversed",
                   Payment.method != "advance", Payment.received_at >= midnight(first),
                   Payment.received_at < midnight(last + dt.timedelta(days=1)),
                   *_mine(call, Payment)[1:])
            .group_by(local))
    got = {r.day: r for r in call.session.execute(stmt)}
    rows = []
    for i in range(days):
        d = first + dt.timedelta(days=i)
        r = got.get(d)
        rows.append({"day": d.isoformat(), "payments": r.payments if r else 0,
                     "amount": str(r.amount if r else "0.00")})
    return ListResult(rows, len(rows), 1, len(rows), ["day", "payments", "amount"])

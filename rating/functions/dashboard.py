"""report.aging, report.collections: the owner's dashboard's money, as list functions (pages,
/billmgr, CSV). Each reads the caller's operator subtree; a manager only the customers assigned
to them; roles without money are refused (money=True)."""
from __future__ import annotations

import datetime as dt

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


@function("report.aging", money=True, kind="list", roles=MONEY_STAFF,
          params=(Param("date", "age on this day (default today)"),))
def aging(call: Call) -> ListResult:
    """Money owed: open bills' balance by days past due (not due, 0-30, 31-60, 61-90, 90+)."""
    on = day(call)
    late = sa.literal(on) - Bill.due_date  # date - date: days
    due = Bill.total - Bill.paid
    cols = []
    for label, lo, hi in AGE_BUCKETS:
        cond = sa.and_(*([late >= lo] if lo is not None else []),
                       *([late <= hi] if hi is not None else []))
        cols += [sa.func.count().filter(cond).label(f"n{len(cols)}"),
                 sa.func.coalesce(sa.func.sum(due).filter(cond), 0).label(f"a{len(cols)}")]
    row = call.session.execute(sa.select(*cols).where(Bill.status == "open",
                                                      *_mine(call, Bill))).one()
    rows = [{"bucket": label, "bills": row[2 * i], "due": str(row[2 * i + 1])}
            for i, (label, _, _) in enumerate(AGE_BUCKETS)]
    rows.append({"bucket": "total", "bills": sum(r["bills"] for r in rows),
                 "due": str(sum(row[2 * i + 1] for i in range(len(AGE_BUCKETS))))})
    return ListResult(rows, len(rows), 1, len(rows), ["bucket", "bills", "due"])


@function("report.collections", money=True, kind="list", roles=MONEY_STAFF,
          params=(Param("by", "method, collector, reseller or zone (default method)"),
                  Param("period", "today or month (default today)"),
                  Param("date", "the day (default today)")))
def collections(call: Call) -> ListResult:
    """Payments received (reversed ones and spent advance excluded) today or this month, by method, collector,
    reseller (the customer's operator) or zone."""
    by = F.parse_one("by", F.choice(*COLLECTION_KEYS), call.get("by") or "method")
    period = F.parse_one("period", F.choice(*PERIODS), call.get("period") or "today")
    on = day(call)
    start = on if period == "today" else on.replace(day=1)
    end = on + dt.timedelta(days=1) if period == "today" else \
        (start + dt.timedelta(days=32)).replace(day=1)
    if by == "method":
        key, label, joins = Payment.method, sa.cast(Payment.method, sa.Text), []
    elif by == "collector":
        key, label = Payment.collected_by, sa.func.coalesce(StaffUser.login, "(none)")
        joins = [(StaffUser, StaffUser.id == Payment.collected_by)]
    elif by == "reseller":
        key, label = Payment.operator_id, Operator.name
        joins = [(Operator, Operator.id == Payment.operator_id)]
    else:
        key, label = Customer.zone_id, sa.func.coalesce(Zone.name, "(no zone)")
        joins = [(Customer, Customer.id == Payment.customer_id),
                 (Zone, Zone.id == Customer.zone_id)]
    amount = sa.func.sum(Payment.amount)
    stmt = sa.select(key.label("key"), label.label("name"), sa.func.count().label("payments"),
                     amount.label("amount")).select_from(Payment)
    for table, cond in joins:
        stmt = stmt.outerjoin(table, cond)
    # an advance payment spends money already counted when it was received
    stmt = (stmt.where(Payment.status != "reversed", Payment.method != "advance",
                       Payment.received_at >= midnight(start),
                       Payment.received_at < midnight(end), *_mine(call, Payment))
            .group_by(key, label).order_by(amount.desc(), label))
    rows = [{"key": r.key if r.key is None or by != "method" else str(r.key), "name": r.name,
             "payments": r.payments, "amount": str(r.amount)} for r in call.session.execute(stmt)]
    return ListResult(rows, len(rows), 1, len(rows), ["key", "name", "payments", "amount"])

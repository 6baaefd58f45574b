"""usage.daily: a customer's bytes and session time per day (from the rollup)."""
from __future__ import annotations

import sqlalchemy as sa

from radbill.functions.crud import in_subtree
from radbill.functions.registry import Call, ListResult, Param, function
from radbill.functions.roles import CUSTOMER_VIEWERS
from radbill.models import Customer, UsageDaily
from rating.functions.accounts import _listed
from rating.functions.common import customer, optional_day


@function("usage.daily", kind="list", money=False, roles=CUSTOMER_VIEWERS,
          params=(Param("customer", "id or username"), Param("from"), Param("to"), Param("page"),
                  Param("per_page")))
def daily(call: Call) -> ListResult:
    """Daily usage, newest first: one customer's, or every customer's in your subtree."""
    stmt = (sa.select(UsageDaily.day, Customer.username, UsageDaily.bytes_in,
                      UsageDaily.bytes_out, UsageDaily.session_time, UsageDaily.sessions)
            .join(Customer, Customer.id == UsageDaily.customer_id)
            .where(in_subtree(call, Customer.operator_id)))
    if call.get("customer"):
        stmt = stmt.where(Customer.id == customer(call).id)
    if start := optional_day(call, "from"):
        stmt = stmt.where(UsageDaily.day >= start)
    if end := optional_day(call, "to"):
        stmt = stmt.where(UsageDaily.day <= end)
    stmt = stmt.order_by(UsageDaily.day.desc(), Customer.username)
    return _listed(call, stmt, ["day", "username", "bytes_in", "bytes_out", "session_time",
                                "sessions"])

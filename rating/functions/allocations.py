"""bill.allocations: the payments that settled a bill and how much of each (for the bill's page)."""
from __future__ import annotations

import sqlalchemy as sa

from radbill.functions import audit
from radbill.functions.registry import Call, ListResult, Param, function
from radbill.functions.roles import MONEY_STAFF
from radbill.models import Payment, PaymentAllocation, StaffUser

COLUMNS = ["payment_id", "received_at", "method", "reference", "collector", "applied",
           "payment_amount", "status", "reversed_at"]


@function("bill.allocations", money=True, kind="list", roles=MONEY_STAFF,
          params=(Param("elid", "bill id", True),))
def allocations(call: Call) -> ListResult:
    """Payments allocated to one bill, oldest first: how much of each, by whom, and reversals."""
    from rating.functions.bills import ENTITY as BILLS
    bill = BILLS.find(call, call.elid or "")  # visible to the caller, else "no bill"
    stmt = (sa.select(Payment.id.label("payment_id"), Payment.received_at, Payment.method,
                      Payment.reference, StaffUser.login.label("collector"),
                      PaymentAllocation.amount.label("applied"),
                      Payment.amount.label("payment_amount"), Payment.status, Payment.reversed_at)
            .join(Payment, Payment.id == PaymentAllocation.payment_id)
            .outerjoin(StaffUser, StaffUser.id == Payment.collected_by)
            .where(PaymentAllocation.bill_id == bill.id)
            .order_by(Payment.received_at, Payment.id))
    rows = [{k: audit.jsonable(v) for k, v in r._mapping.items()}
            for r in call.session.execute(stmt)]
    return ListResult(rows, len(rows), 1, len(rows), COLUMNS)

"""operator_plan, operator_plan.edit, operator_plan.delete, operator_bill, operator_bill.pay.

A parent sets the plan of an operator below it; the job `operator_billing` bills by it
(rating/operator_billing.py). Bills are seen by the operator itself and everyone above it;
`operator_bill.pay` pays one from the operator's balance (its own staff, or the parent's after
recording the operator's money with operator.fund).
"""
from __future__ import annotations

import sqlalchemy as sa

from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.crud import in_subtree, paged, resolve_operator
from radbill.functions.registry import (AccessDenied, Call, FormResult, FuncError, ListResult,
                                        NotFound, OkResult, Param, function)
from radbill.functions.roles import RESELLERS
from radbill.lifecycle import Actor
from radbill.models import Operator, OperatorBill, OperatorPlan, OperatorSuspension
from radbill.models.operator_billing import FEE_KINDS, OPERATOR_BILL_STATUSES
from rating import operator_billing, resellers
from rating.errors import InsufficientBalance
from rating.terms import today

PARENTS = ("group_admin", "operator")  # a sub-operator has nobody below it to bill
PLAN_FIELDS = [
    F.Field("fee_kind", F.choice(*FEE_KINDS), clearable=False,
            help="per_subscriber: the fee times its active subscribers; flat: the fee"),
    F.Field("fee", F.amount(), clearable=False, help="per subscriber or for the month"),
    F.Field("due_days", F.integer(0, 90), clearable=False,
            help="days from the bill to its due date (default 7)"),
    F.Field("grace_days", F.integer(0, 90), clearable=False,
            help="days after the due date before the operator is suspended (default 7)"),
    F.Field("customer_grace_days", F.integer(0, 90), clearable=False,
            help="days a suspended operator's customers keep service (default 7)"),
]
PLAN_COLUMNS = ["operator_id", "operator", "parent_id", "kind", "credit_limit", "status",
                "balance", "open_bills", "fee_kind", "fee", "due_days", "grace_days",
                "customer_grace_days", "suspended_for", "suspended_on", "customers_on"]
BILL_COLUMNS = ["id", "operator_id", "operator", "period", "subscribers", "fee_kind", "fee",
                "amount", "status", "issued_on", "due_date", "paid_at"]


def _row(columns: list[str]):
    """A list's row from its selected values (selected in the order of `columns`)."""
    return lambda *values: {k: audit.jsonable(v) for k, v in zip(columns, values, strict=True)}


def below(call: Call, ref: str | None, field: str = "elid") -> Operator:
    """An operator strictly below the caller: its parent (or one above) decides its plan."""
    if not ref:
        raise FuncError("is required", field=field)
    op = resolve_operator(call, ref, field=field)
    if op.id == call.caller.operator_id and not call.caller.is_sysadmin:
        raise AccessDenied("your parent operator sets your plan, not you", field=field)
    if op.parent_id is None:
        raise FuncError("the group at the top has no parent to bill it", field=field)
    return op


@function("operator_plan", money=True, kind="list", roles=RESELLERS,
          params=(Param("operator"), Param("page"), Param("per_page")))
def plans(call: Call) -> ListResult:
    """Each operator you see (yours and those under you): its subscription plan (empty without
    one; the group at the top has none), its balance with its parent, and its suspension."""
    from radbill.models import LedgerAccount, LedgerEntry
    susp = OperatorSuspension
    upstream = (sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount), 0))
                .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
                .where(LedgerAccount.operator_id == Operator.id, LedgerAccount.kind == "upstream")
                .scalar_subquery())
    open_bills = (sa.select(sa.func.count()).select_from(OperatorBill)
                  .where(OperatorBill.operator_id == Operator.id, OperatorBill.status == "open")
                  .scalar_subquery())
    stmt = (sa.select(Operator.id.label("operator_id"), Operator.name.label("operator"),
                      Operator.parent_id, Operator.kind, Operator.credit_limit, Operator.status,
                      upstream.label("balance"), open_bills.label("open_bills"),
                      OperatorPlan.fee_kind, OperatorPlan.fee, OperatorPlan.due_days,
                      OperatorPlan.grace_days, OperatorPlan.customer_grace_days,
                      susp.reason.label("suspended_for"), susp.suspended_on, susp.customers_on)
            .outerjoin(OperatorPlan, OperatorPlan.operator_id == Operator.id)
            .outerjoin(susp, sa.and_(susp.operator_id == Operator.id, susp.resumed_on.is_(None)))
            .where(in_subtree(call, Operator.id)))
    if call.get("operator"):
        stmt = stmt.where(Operator.id == resolve_operator(call, call.get("operator")).id)
    return paged(call, stmt, PLAN_COLUMNS, _row(PLAN_COLUMNS), Operator.name)


@function("operator_plan.edit", money=True, kind="form", roles=PARENTS,
          params=(Param("elid", "the operator (id or name)", True),
                  *(f.param() for f in PLAN_FIELDS)))
def edit_plan(call: Call) -> FormResult | OkResult:
    """Set what an operator below you is billed each month."""
    op = below(call, call.elid)
    plan = call.session.get(OperatorPlan, op.id, with_for_update=True)
    if not call.sok:
        values = audit.snapshot(plan) if plan else {"fee_kind": "per_subscriber", "fee": "0",
                                                    "due_days": 7, "grace_days": 7,
                                                    "customer_grace_days": 7}
        return FormResult(op.id, {k: audit.jsonable(v) for k, v in values.items()})
    values = F.parse_fields(PLAN_FIELDS, call.params, creating=plan is None)
    before = audit.snapshot(plan)
    if plan is None:
        plan = OperatorPlan(operator_id=op.id)
        call.session.add(plan)
    for key, value in values.items():
        setattr(plan, key, value)
    plan.updated_at = sa.func.now()
    call.session.flush()
    call.session.refresh(plan)
    audit.record(call, "operator_plan", op.id, op.name, before, audit.snapshot(plan), op.id)
    return OkResult(op.id)


@function("operator_plan.delete", money=True, roles=PARENTS,
          params=(Param("elid", "the operator (id or name)", True),))
def delete_plan(call: Call) -> OkResult:
    """Stop billing an operator (its bills stay)."""
    op = below(call, call.elid)
    plan = call.session.get(OperatorPlan, op.id)
    if plan is not None:
        before = audit.snapshot(plan)
        call.session.delete(plan)
        call.session.flush()
        audit.record(call, "operator_plan", op.id, op.name, before, None, op.id)
    return OkResult(op.id)


@function("operator_bill", money=True, kind="list", roles=RESELLERS,
          params=(Param("operator"), Param("status", "open or paid"),
                  Param("period", "YYYY-MM"), Param("page"), Param("per_page")))
def bills(call: Call) -> ListResult:
    """Subscription bills of your operator and those below it, newest first."""
    stmt = (sa.select(OperatorBill.id, OperatorBill.operator_id, Operator.name.label("operator"),
                      OperatorBill.period, OperatorBill.subscribers, OperatorBill.fee_kind,
                      OperatorBill.fee, OperatorBill.amount, OperatorBill.status,
                      OperatorBill.issued_on, OperatorBill.due_date, OperatorBill.paid_at)
            .join(Operator, Operator.id == OperatorBill.operator_id)
            .where(in_subtree(call, OperatorBill.operator_id)))
    if call.get("operator"):
        op = resolve_operator(call, call.get("operator"))
        stmt = stmt.where(OperatorBill.operator_id == op.id)
    status = F.parse_one("status", F.choice(*OPERATOR_BILL_STATUSES), call.get("status")) \
        if call.get("status") else None
    if status:
        stmt = stmt.where(OperatorBill.status == status)
    if call.get("period"):
        month = F.parse_one("period", F.text(7, r"^\d{4}-(0[1-9]|1[0-2])$", "YYYY-MM"),
                            call.get("period"))
        stmt = stmt.where(OperatorBill.period == F.day(f"{month}-01"))
    return paged(call, stmt, BILL_COLUMNS, _row(BILL_COLUMNS), OperatorBill.period.desc(),
                 OperatorBill.id.desc())


@function("operator_bill.pay", money=True, roles=RESELLERS,
          params=(Param("elid", "the bill's id", True),))
def pay(call: Call) -> OkResult:
    """Pay an open subscription bill from the operator's balance; an operator suspended for
    unpaid bills is resumed once none is overdue."""
    ref = call.elid
    bill_id = F.as_id(ref, OperatorBill.id) if ref else None
    if bill_id is None:
        raise FuncError("is required" if not ref else "must be a bill's id", field="elid")
    bill = call.session.scalars(sa.select(OperatorBill).where(
        OperatorBill.id == bill_id, in_subtree(call, OperatorBill.operator_id))
        .with_for_update()).first()
    if bill is None:
        raise NotFound(f"no operator bill {bill_id}", field="elid")
    if bill.status != "open":
        raise FuncError("is paid already", field="elid")
    op = resellers.locked(call.session, bill.operator_id)
    have = resellers.available(call.session, op)
    if have < bill.amount:
        raise InsufficientBalance(op.name, have, bill.amount, field="elid")
    actor = Actor.of(call)
    operator_billing.pay(call.session, op, bill, actor)
    row = operator_billing.open_suspension(call.session, op.id)
    on = max(today(), row.suspended_on) if row is not None else today()
    resumed = operator_billing.settle(call.session, op, on, actor)
    audit.record(call, "operator_bill", bill.id, op.name, {"status": "open"},
                 {"status": "paid", "amount": str(bill.amount), "resumed": resumed}, op.id)
    return OkResult(bill.id, {"resumed": resumed,
                              "available": str(resellers.available(call.session, op))})

"""approval, approval.approve, approval.reject, approval.threshold: manual credits above the
operator's threshold wait for a second staff login (rating/approvals.py says what waits)."""
from __future__ import annotations

import sqlalchemy as sa

from radbill import events
from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.crud import in_subtree, page_params, resolve_operator
from radbill.functions.registry import (AccessDenied, Call, FormResult, FuncError, ListResult,
                                        NotFound, OkResult, Param, call as registry_call,
                                        function)
from radbill.functions.roles import RESELLERS
from radbill.models import Customer, Operator, PendingTransaction
from rating import approvals
from rating.functions.common import money

APPROVERS = RESELLERS  # and the system administrator: the ISP's and resellers' own staff
REQUESTERS = RESELLERS + ("manager", "card_distributor")  # they see their own requests
STATUSES = ("pending", "approved", "rejected", "all")
COLUMNS = ["id", "requested_at", "kind", "summary", "operator", "customer", "amount",
           "threshold", "requester", "status", "decider", "decided_at", "reason", "may_decide"]


def _visible(call: Call, stmt: sa.Select) -> sa.Select:
    stmt = stmt.where(in_subtree(call, PendingTransaction.operator_id))
    if call.caller.role not in APPROVERS and not call.caller.is_sysadmin:
        stmt = stmt.where(PendingTransaction.requester == call.caller.login)
    return stmt


@function("approval", money=True, kind="list", roles=REQUESTERS, params=(
    Param("status", "pending (default), approved, rejected or all"), Param("operator"),
    Param("page"), Param("per_page")))
def pending_list(call: Call) -> ListResult:
    """Credits waiting for a second login's approval (and those decided), newest first."""
    status = F.parse_one("status", F.choice(*STATUSES), call.get("status") or "pending")
    cust = sa.select(Customer.username).where(Customer.id == PendingTransaction.customer_id) \
        .scalar_subquery()
    stmt = (sa.select(PendingTransaction, Operator.name, cust)
            .join(Operator, Operator.id == PendingTransaction.operator_id))
    stmt = _visible(call, stmt)
    if status != "all":
        stmt = stmt.where(PendingTransaction.status == status)
    if call.get("operator"):
        path = resolve_operator(call, call.get("operator")).path
        stmt = stmt.where(Operator.path.startswith(path, autoescape=True))
    page, per_page = page_params(call)
    total = call.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    found = call.session.execute(stmt.order_by(PendingTransaction.id.desc()).limit(per_page)
                                 .offset((page - 1) * per_page))
    approver = call.caller.role in APPROVERS or call.caller.is_sysadmin
    rows = [audit.jsonable({
        "id": p.id, "requested_at": p.requested_at, "kind": p.func, "summary": p.summary,
        "operator": operator, "customer": customer, "amount": p.amount,
        "threshold": p.threshold, "requester": p.requester, "status": p.status,
        "decider": p.decider, "decided_at": p.decided_at, "reason": p.reason,
        "may_decide": approver and p.status == "pending" and _refusal(call, p) is None})
        for p, operator, customer in found]
    return ListResult(rows, total, page, per_page, list(COLUMNS))


def _find(call: Call) -> PendingTransaction:
    ref = call.elid
    if not ref:
        raise FuncError("is required", field="elid")
    pid = F.as_id(ref, PendingTransaction.id)
    p = None
    if pid is not None:
        p = call.session.scalars(_visible(call, sa.select(PendingTransaction).where(
            PendingTransaction.id == pid)).with_for_update()).first()
    if p is None:
        raise NotFound(f"no pending request {F.short(ref)!r}", field="elid")
    return p


def _refusal(call: Call, p: PendingTransaction) -> str | None:
    """Why the caller may not decide `p` (None: they may): it must be a different login than
    the requester and, for a fund, one that could fund it (strictly above the funded
    operator), so a reseller never approves its own."""
    if approvals.same_person(call.caller, p):
        return "you asked for it: a different staff login must decide it"
    if p.func == "operator.fund" and not call.caller.is_sysadmin \
            and p.operator_id == call.caller.operator_id:
        return "your parent operator approves money for you, not yourself"
    return None


def _may_decide(call: Call, p: PendingTransaction) -> None:
    why = _refusal(call, p)
    if why is not None:
        raise AccessDenied(why, field="elid")


def _decided(call: Call, p: PendingTransaction, status: str, reason: str | None) -> None:
    before = audit.snapshot(p)
    p.status, p.reason = status, reason
    p.decided_by, p.decider, p.decided_at = call.caller.user_id, call.caller.login, sa.func.now()
    call.session.flush()
    call.session.refresh(p)
    audit.record(call, "pending_transaction", p.id, p.summary, before, audit.snapshot(p),
                 p.operator_id)
    username = call.session.scalar(sa.select(Customer.username).where(
        Customer.id == p.customer_id)) if p.customer_id else None
    events.emit(call.session, f"approval.{status}", customer_id=p.customer_id,
                operator_id=p.operator_id, actor=call.caller.login, func=call.func,
                pending_id=p.id, kind=p.func, amount=p.amount, requester=p.requester,
                approver=call.caller.login, reason=reason, username=username)


@function("approval.approve", money=True, roles=APPROVERS, params=(
    Param("elid", "the pending request's id", True),))
def approve(call: Call) -> OkResult:
    """Book a pending credit exactly as asked (its function, as the requester); a second
    approval of the same request books nothing and answers the first one's result."""
    p = _find(call)
    if p.status == "approved":
        return OkResult(p.id, {"status": "approved", "already": True, **(p.result or {})})
    if p.status == "rejected":
        raise FuncError("was rejected; it cannot be approved", field="elid", status=409)
    _may_decide(call, p)
    requester = approvals.requester_again(call.session, p, call.caller.ip)
    call.session.info[approvals.APPROVING] = p.id
    try:
        booked = registry_call(call.session, requester, p.func, {**p.params, "sok": "ok"})
    finally:
        call.session.info.pop(approvals.APPROVING, None)
    extra = {k: v for k, v in (booked.extra or {}).items() if k != "pending"}
    p.result = audit.jsonable({"booked": booked.elid, **extra})
    _decided(call, p, "approved", None)
    return OkResult(p.id, {"status": "approved", **p.result})


@function("approval.reject", money=True, roles=APPROVERS, params=(
    Param("elid", "the pending request's id", True), Param("reason", "why (required)", True)))
def reject(call: Call) -> OkResult:
    """Refuse a pending credit: nothing is booked; the reason is kept and told."""
    reason = F.parse_one("reason", F.text(500), (call.get("reason") or "").strip())
    if not reason:
        raise FuncError("is required: say why", field="reason")
    p = _find(call)
    if p.status == "rejected":
        return OkResult(p.id, {"status": "rejected", "already": True})
    if p.status == "approved":
        raise FuncError("was approved and booked; reverse the payment instead", field="elid",
                        status=409)
    _may_decide(call, p)
    _decided(call, p, "rejected", reason)
    return OkResult(p.id, {"status": "rejected"})


@function("approval.threshold", money=True, kind="form", roles=APPROVERS, params=(
    Param("elid", "the operator (id or name; default yours)"),
    Param("threshold", "credits above it wait for a second login; empty: none of its own")))
def threshold(call: Call):
    """An operator's approval threshold; the one that applies is the lowest along its chain."""
    op = resolve_operator(call, call.elid, field="elid")
    if call.sok:
        raw = (call.get("threshold") or "").strip()
        value = money(call, "threshold", positive=False) if raw else None
        if value is not None and value < 0:
            raise FuncError("must be zero or above", field="threshold")
        before = audit.snapshot(op)
        op.approval_threshold = value
        call.session.flush()
        audit.record(call, "operator", op.id, op.name, before, audit.snapshot(op), op.id)
        return OkResult(op.id, {"applies": _str(approvals.threshold_for(call.session, op.id))})
    return FormResult(op.id, {"elid": op.name, "threshold": _str(op.approval_threshold),
                              "applies": _str(approvals.threshold_for(call.session, op.id))})


def _str(value) -> str | None:
    return None if value is None else str(value)

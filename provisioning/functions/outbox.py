"""outbox, outbox.retry: what the worker sent to routers and subscribers, and what it gave up on."""
from __future__ import annotations

import sqlalchemy as sa

from radbill import outbox as queue
from radbill.functions import audit
from radbill.functions.crud import in_subtree, page_params
from radbill.functions.fields import as_id, is_id
from radbill.functions.registry import Call, FuncError, ListResult, OkResult, Param, function
from radbill.functions.roles import DEVICE_STAFF, RESELLERS
from radbill.models import Customer, Outbox
from radbill.models.system import OUTBOX_KINDS, OUTBOX_STATES

COLUMNS = ["id", "created_at", "kind", "status", "customer_id", "username", "payload", "attempts",
           "next_attempt_at", "last_error", "result", "done_at"]
ROLES = tuple(dict.fromkeys(RESELLERS + DEVICE_STAFF))


def _visible(call: Call, stmt: sa.Select) -> sa.Select:
    """Events of customers in the caller's subtree; events without a customer: sysadmin only."""
    if call.caller.is_sysadmin:
        return stmt
    return stmt.where(Outbox.customer_id.in_(
        sa.select(Customer.id).where(in_subtree(call, Customer.operator_id))))


@function("outbox", kind="list", roles=ROLES,
          params=(Param("status", "pending, done or failed"),
                  Param("kind", "coa, disconnect, notify"),
                  Param("customer", "customer id"), Param("page"), Param("per_page")))
def events(call: Call) -> ListResult:
    """Queued side effects, newest first, with the NAS's answer or why they failed."""
    stmt = _visible(call, sa.select(Outbox, Customer.username)
                    .outerjoin(Customer, Customer.id == Outbox.customer_id))
    for name, column, allowed in (("status", Outbox.status, OUTBOX_STATES),
                                  ("kind", Outbox.kind, OUTBOX_KINDS)):
        value = call.get(name)
        if value:
            if value not in allowed:
                raise FuncError(f"must be one of {', '.join(allowed)}", field=name)
            stmt = stmt.where(column == value)
    if call.get("customer"):
        if not is_id(call.get("customer")):
            raise FuncError("must be a customer id", field="customer")
        stmt = stmt.where(Outbox.customer_id == as_id(call.get("customer")))
    total = call.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    page, per_page = page_params(call)
    stmt = stmt.order_by(Outbox.id.desc()).limit(per_page).offset((page - 1) * per_page)
    rows = []
    for ev, username in call.session.execute(stmt):
        row = {c: audit.jsonable(getattr(ev, c)) for c in COLUMNS if c != "username"}
        row["username"] = username
        rows.append(row)
    return ListResult(rows, total, page, per_page, COLUMNS)


@function("outbox.retry", roles=ROLES,
          params=(Param("elid", "event ids, comma-separated", True, multi=True),))
def retry(call: Call) -> OkResult:
    """Send failed events again from a fresh start (after fixing, say, the NAS's CoA port)."""
    ids = [r.strip() for r in (call.elid or "").split(",") if r.strip()]
    if not ids or not all(is_id(i, Outbox.id) for i in ids):
        raise FuncError("give event ids", field="elid")
    found = call.session.scalars(_visible(call, sa.select(Outbox).where(
        Outbox.id.in_([as_id(i, Outbox.id) for i in ids]))).with_for_update()).all()
    if len(found) != len(ids):
        raise FuncError("no such event", field="elid", status=404)
    for ev in found:
        if ev.status != "failed":
            raise FuncError(f"event {ev.id} is {ev.status}; only failed events are retried",
                            field="elid")
        before = audit.snapshot(ev)
        ev.status, ev.attempts, ev.done_at = "pending", 0, None
        ev.next_attempt_at = sa.func.now()
        call.session.flush()
        audit.record(call, "outbox", ev.id, ev.kind, before, audit.snapshot(ev))
    call.session.execute(sa.select(sa.func.pg_notify(queue.CHANNEL, "retry")))
    return OkResult()

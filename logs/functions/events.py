"""event and suspension: the event stream and the customer status log, scoped to the caller."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from radbill import events, lifecycle, settings
from radbill.functions import fields as F
from radbill.functions.audit import jsonable
from radbill.functions.crud import in_subtree, paged, resolve_operator
from radbill.functions.registry import Call, FuncError, ListResult, Param, function
from radbill.functions.roles import CUSTOMER_VIEWERS, DEVICE_STAFF, RESELLERS, sees_money
from radbill.models import Customer, Event, Operator

EVENT_COLUMNS = ["id", "at", "name", "customer_id", "username", "operator_id", "actor", "func",
                 "data"]
STATUS_COLUMNS = ["id", "at", "customer_id", "username", "from_state", "to_state", "reason",
                  "note", "actor", "func", "event"]
MONEY_KEYS = {"amount", "total", "due", "cost", "balance", "reported"}  # hidden from roles without money
PERIOD = (Param("since", "from this day (ISP's zone)"), Param("until", "to this day, inclusive"))


@function("event", kind="list", roles=tuple(sorted(set(CUSTOMER_VIEWERS + DEVICE_STAFF))),
          money=False,
          params=(Param("name", "an event name, or a prefix ending in '.' (customer.)"),
                  Param("customer", "id or username"), Param("operator", "id or name: its subtree"),
                  *PERIOD, Param("page"), Param("per_page")))
def event_list(call: Call) -> ListResult:
    """The event stream (radbill/events.py) of the caller's subtree, newest first."""
    stmt = sa.select(Event, Customer.username).outerjoin(Customer, Customer.id == Event.customer_id)
    stmt = _scoped(call, stmt, Event.operator_id, Event.customer_id)
    if name := (call.get("name") or "").strip():
        if name.endswith("."):
            stmt = stmt.where(Event.name.startswith(name, autoescape=True))
        elif name in events.CATALOGUE:
            stmt = stmt.where(Event.name == name)
        else:
            raise FuncError(f"{name!r} is no event; the catalogue has "
                            f"{', '.join(sorted(events.CATALOGUE))}", field="name")
    stmt = _period(call, stmt, Event.at)
    money = sees_money(call.caller.role)
    return paged(call, stmt, EVENT_COLUMNS, lambda e, username: {
        "id": e.id, "at": jsonable(e.at), "name": e.name, "customer_id": e.customer_id,
        "username": username, "operator_id": e.operator_id, "actor": e.actor, "func": e.func,
        "data": e.data if money else {k: v for k, v in e.data.items() if k not in MONEY_KEYS}},
        Event.id.desc())


@function("suspension", kind="list", roles=RESELLERS, money=False,
          params=(Param("customer", "id or username"), Param("operator", "id or name"),
                  Param("to", "the status it went to (suspended, active, fup, ...)"),
                  Param("reason", "unpaid, expired, manual, payment, data_cap, new_cycle"),
                  *PERIOD, Param("page"), Param("per_page")))
def suspension_list(call: Call) -> ListResult:
    """Every change of a customer's status (the suspension log: the lifecycle's events),
    newest first."""
    stmt = sa.select(Event, Customer.username).join(Customer, Customer.id == Event.customer_id)
    stmt = stmt.where(Event.name.in_(sorted({t.event for t in lifecycle.TRANSITIONS})))
    stmt = _scoped(call, stmt, Event.operator_id, Event.customer_id)
    if to := call.get("to"):
        stmt = stmt.where(Event.data["to"].astext == to)
    if reason := call.get("reason"):
        stmt = stmt.where(Event.data["reason"].astext == reason)
    stmt = _period(call, stmt, Event.at)
    return paged(call, stmt, STATUS_COLUMNS, lambda e, username: {
        "id": e.id, "at": jsonable(e.at), "customer_id": e.customer_id, "username": username,
        "from_state": e.data.get("from"), "to_state": e.data.get("to"),
        "reason": e.data.get("reason"), "note": e.data.get("note"), "actor": e.actor,
        "func": e.func, "event": e.name}, Event.id.desc())


def _scoped(call: Call, stmt: sa.Select, operator_col, customer_col) -> sa.Select:
    """The caller's subtree (a manager: its own customers), then the customer and operator
    filters, each refused when it names something the caller cannot see."""
    from customers.functions.customers import ENTITY as customers
    if call.caller.operator_path is not None:
        stmt = stmt.where(in_subtree(call, operator_col))
    if call.caller.role == "manager":
        stmt = stmt.where(customer_col.in_(customers.visible(call, sa.select(Customer.id))))
    if ref := call.get("customer"):
        stmt = stmt.where(customer_col == customers.find(call, ref, field="customer").id)
    if ref := call.get("operator"):
        op = resolve_operator(call, ref)
        stmt = stmt.where(operator_col.in_(sa.select(Operator.id).where(
            Operator.path.startswith(op.path, autoescape=True))))
    return stmt


def _period(call: Call, stmt: sa.Select, at_col) -> sa.Select:
    tz = settings.get().tz
    for param, op in (("since", "ge"), ("until", "lt")):
        if raw := call.get(param):
            day = F.parse_one(param, F.day, raw)
            if op == "lt":
                day += dt.timedelta(days=1)
            edge = dt.datetime.combine(day, dt.time(), tz)
            stmt = stmt.where(at_col >= edge if op == "ge" else at_col < edge)
    return stmt

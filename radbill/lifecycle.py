"""What can happen to a customer: the one table of allowed status changes.

Every status change -- staff actions, the suspension and expiry jobs, a payment that settles,
the fair-usage crossing in accounting and the cycle reset -- goes through the plpgsql function
`radbill_transition(ids, to, reason, ...)` (radbill/sql/lifecycle.sql), which reads this table
(copied into `customer_transitions` by `radbill db upgrade`) and, for each customer whose
current state allows the change, in one statement: updates the row, appends the event, a
status-log row and an audit row with before and after. Jobs call it over many ids at once;
`change()` below is its Python form for functions, which first checks each customer and names
the current status when the change is not allowed.

`deleted` is a state too (the row's deleted_at): a deleted customer can only be restored, and
restoring gives back the status it had.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

LIVE = ("active", "fup", "suspended", "disabled")
RESTORED = "restored"  # the destination of customer.restore: the status it had before


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    dest: str
    reasons: tuple[str, ...]
    event: str


TRANSITIONS = (
    #          from                          to            why                          event
    Transition(("active", "fup"), "suspended", ("manual", "unpaid", "expired", "import",
                                                "operator_suspended"), "customer.suspended"),
    Transition(("suspended",), "active", ("manual", "payment", "operator_resumed"),
               "customer.activated"),
    Transition(("disabled",), "active", ("manual",), "customer.activated"),
    Transition(("active", "fup", "suspended"), "disabled", ("manual", "import"),
               "customer.disabled"),
    Transition(("active",), "fup", ("data_cap",), "customer.fup_reached"),
    Transition(("fup",), "active", ("new_cycle",), "customer.fup_reset"),
    Transition(LIVE, "deleted", ("manual",), "customer.deleted"),
    Transition(("deleted",), RESTORED, ("manual",), "customer.restored"),
)
REASONS = {
    "manual": "by staff",
    "unpaid": "a bill is unpaid past its due date and grace days",
    "expired": "the prepaid validity ended",
    "payment": "a payment settled what was due",
    "data_cap": "the cycle's data cap was reached",
    "new_cycle": "a new usage cycle started",
    "import": "as it was in the previous system (a cut-over import)",
    # issue 19: the customers of an operator suspended past its parent's customer grace days
    # (rating/operator_billing.py), and back when it settles (only those suspended so)
    "operator_suspended": "its operator is suspended",
    "operator_resumed": "its operator was resumed",
}
AUTO_REASONS = ("unpaid", "expired")  # suspensions rating made, which a payment may lift


def table() -> list[tuple[str, str, str, str]]:
    """Every allowed (from, to, reason, event), as `customer_transitions` holds them."""
    return [(s, t.dest, r, t.event) for t in TRANSITIONS for s in t.sources for r in t.reasons]


def find(state: str, dest: str, reason: str) -> Transition | None:
    for t in TRANSITIONS:
        if state in t.sources and t.dest == dest and reason in t.reasons:
            return t
    return None


class TransitionRefused(ValueError):
    """The change is not in the table for the customer's current state."""

    def __init__(self, username: str, state: str, dest: str, reason: str):
        self.username, self.state, self.dest, self.reason = username, state, dest, reason
        verb = {"active": "activate", "suspended": "suspend", "disabled": "disable",
                "fup": "throttle", "deleted": "delete", RESTORED: "restore"}.get(dest, dest)
        super().__init__(f"{username!r} is {state}; cannot {verb} it"
                         + ("" if reason == "manual" else f" ({reason})"))


@dataclass(frozen=True)
class Actor:
    """Who makes a change, for the audit row and the event."""

    login: str
    func: str
    user_id: int | None = None
    ip: str | None = None
    request: str | None = None

    @classmethod
    def of(cls, call) -> Actor:
        from radbill.functions.registry import request_line
        return cls(call.caller.login, call.func, call.caller.user_id, call.caller.ip,
                   request_line(call.func, call.params))


def state_of(customer) -> str:
    return "deleted" if customer.deleted_at is not None else customer.status


def change(session: Session, customers: Iterable, dest: str, reason: str, actor: Actor,
           note: str | None = None) -> list[int]:
    """Move each customer (ORM objects, locked by the caller) to `dest`; raises
    TransitionRefused naming the first one whose current state does not allow it."""
    customers = list(customers)
    for c in customers:
        if find(state_of(c), dest, reason) is None:
            raise TransitionRefused(c.username, state_of(c), dest, reason)
    session.flush()
    changed = apply(session, [c.id for c in customers], dest, reason, actor, note)
    for c in customers:
        session.refresh(c)
    return changed


def apply(session: Session, ids: list[int], dest: str, reason: str, actor: Actor,
          note: str | None = None) -> list[int]:
    """The set-based form: move every customer in `ids` whose state allows it; returns those
    moved. Rows not allowed are left as they are."""
    if not ids:
        return []
    return list(session.scalars(sa.text(
        "SELECT customer_id FROM radbill_transition(CAST(:ids AS int[]), :dest, :reason, "
        ":actor, :func, :user_id, :ip, :request, :note)"),
        {"ids": list(ids), "dest": dest, "reason": reason, "actor": actor.login,
         "func": actor.func, "user_id": actor.user_id, "ip": actor.ip,
         "request": actor.request, "note": note}))


def sync(conn: sa.Connection) -> None:
    """Make the `customer_transitions` table this module's table (run by `radbill db upgrade`)."""
    conn.execute(sa.text("DELETE FROM customer_transitions"))
    conn.execute(sa.text("INSERT INTO customer_transitions (from_state, to_state, reason, event) "
                         "VALUES (:f, :t, :r, :e)"),
                 [{"f": f, "t": t, "r": r, "e": e} for f, t, r, e in table()])


def differences(conn: sa.Connection) -> list[str]:
    have = set(conn.execute(sa.text(
        "SELECT from_state, to_state, reason, event FROM customer_transitions")).tuples())
    want = set(table())
    return ([f"transition {w} is in radbill/lifecycle.py but not the database" for w in want - have]
            + [f"transition {h} is in the database but not radbill/lifecycle.py"
               for h in have - want])


# -- operators (issue 19) ------------------------------------------------------------------------
# An operator's status changes only through change_operator: the row, an operator.suspended /
# operator.resumed event and an audit row, together. A suspended operator's staff (and those of
# the operators below it) cannot log in, act through `su=` or an API client of theirs (see
# operator_blocked); what happens to its customers is rating's (rating/operator_billing.py).
OPERATOR_TRANSITIONS = (
    Transition(("active",), "suspended", ("manual", "unpaid"), "operator.suspended"),
    Transition(("suspended",), "active", ("manual", "payment"), "operator.resumed"),
)
OPERATOR_REASONS = {
    "manual": "by the staff above it",
    "unpaid": "a subscription bill is unpaid past its due date and grace days",
    "payment": "its overdue subscription bills were paid",
}


def change_operator(session: Session, operator, dest: str, reason: str, actor: Actor,
                    note: str | None = None) -> None:
    """Move an operator (an ORM object, locked by the caller) to `dest`; raises
    TransitionRefused naming its current status when the table does not allow it."""
    from radbill import events
    from radbill.models import AuditLog
    found = next((t for t in OPERATOR_TRANSITIONS if operator.status in t.sources
                  and t.dest == dest and reason in t.reasons), None)
    if found is None:
        raise TransitionRefused(operator.name, operator.status, dest, reason)
    before = operator.status
    operator.status = dest
    session.flush()
    events.emit(session, found.event, operator_id=operator.id, actor=actor.login,
                func=actor.func, name=operator.name, reason=reason, note=note,
                **{"from": before, "to": dest})
    after = {"status": dest, "reason": reason} | ({"note": note} if note else {})
    session.add(AuditLog(actor=actor.login, actor_user_id=actor.user_id, operator_id=operator.id,
                         func=actor.func, object_type="operator", object_id=operator.id,
                         object_name=operator.name, before={"status": before}, after=after,
                         request=actor.request, ip=actor.ip))


def login_blocked(session: Session, user) -> str | None:
    """The suspended operator shutting this staff login out (operator_blocked), None when none;
    the system administrator's role is never shut out. The one check of every way a login
    comes in: the web and func API login and one-time keys (admin/security), `su=`
    (radbill/functions/auth._su); an API client is checked by its operator (admin/rest/auth)."""
    return None if user.role == "admin" else operator_blocked(session, user.operator_id)


def operator_blocked(session: Session, operator_id: int | None) -> str | None:
    """The name of the suspended operator at or above `operator_id` (its staff are shut out),
    None when there is none."""
    if operator_id is None:
        return None
    return session.scalar(sa.text(
        "SELECT s.name FROM operators o JOIN operators s ON s.status = 'suspended' "
        "AND (s.id = o.id OR (s.path <> '' AND o.path LIKE s.path || '%')) WHERE o.id = :id "
        "ORDER BY length(s.path) LIMIT 1"), {"id": operator_id})

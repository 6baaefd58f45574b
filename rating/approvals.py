"""Four eyes on large manual credits (issue 19).

A "manual credit" is money a staff member says a customer or reseller gave, which nothing
outside radbill confirms: a cash payment typed into `payment.edit` (method cash; a card has
its PIN, an online payment its gateway, an advance payment spends a balance already there)
and `operator.fund` (a reseller's payment to its parent). When its amount is above the
operator's `approval_threshold` -- the lowest one set along the operator's chain, so a
reseller can tighten its parent's limit but never loosen it -- the function books nothing:
`hold` writes a `pending_transactions` row with the call's validated parameters, audits it and
emits `approval.requested`. `approval.approve` (another login) then replays exactly that call
through the registry as the requester (so the payment is theirs: collected_by, receipt,
commission), with `APPROVING` set in the session so `hold` lets that one call through.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill import events
from radbill.functions import audit
from radbill.functions.caller import Caller
from radbill.functions.registry import Call, FuncError, OkResult
from radbill.models import Operator, PendingTransaction, StaffUser

# session.info key: the pending request whose approval is replaying its call right now
APPROVING = "radbill.approving"


@dataclass
class Held:
    """A call that waits for approval instead of booking; `ok()` is the function's answer."""

    pending: PendingTransaction

    def ok(self) -> OkResult:
        p = self.pending
        return OkResult(None, {"pending": p.id, "status": "pending", "amount": str(p.amount),
                               "threshold": str(p.threshold)})


def chain_ids(path: str | None) -> list[int]:
    return [int(x) for x in (path or "").strip("/").split("/") if x]


def threshold_for(session: Session, operator_id: int) -> Decimal | None:
    """The lowest approval_threshold set on the operator or any operator above it."""
    path = session.scalar(sa.select(Operator.path).where(Operator.id == operator_id))
    ids = chain_ids(path) or [operator_id]
    return session.scalar(sa.select(sa.func.min(Operator.approval_threshold))
                          .where(Operator.id.in_(ids)))


def hold(call: Call, *, operator_id: int, amount: Decimal, summary: str, params: dict,
         customer_id: int | None = None, username: str | None = None) -> Held | None:
    """Hold the call for approval when `amount` is above the threshold (None: book it now).
    `params` are the call's parameters as validated, to be replayed on approval."""
    if call.session.info.pop(APPROVING, None) is not None:
        return None  # the approved replay of a held call
    limit = threshold_for(call.session, operator_id)
    if limit is None or amount <= limit:
        return None
    params = {k: str(v) for k, v in params.items() if v not in (None, "")}
    _not_twice(call, params)
    c = call.caller
    p = PendingTransaction(
        func=call.func, operator_id=operator_id, customer_id=customer_id, amount=amount,
        threshold=limit, summary=summary, params=params, requested_by=c.user_id,
        requester=c.login, requester_caller=caller_params(c))
    call.session.add(p)
    call.session.flush()
    audit.record(call, "pending_transaction", p.id, summary, None, audit.snapshot(p),
                 operator_id)
    events.emit(call.session, "approval.requested", customer_id=customer_id,
                operator_id=operator_id, actor=c.login, func=call.func, pending_id=p.id,
                kind=call.func, amount=amount, threshold=limit, requester=c.login,
                summary=summary, username=username)
    return Held(p)


def _not_twice(call: Call, params: dict) -> None:
    """A reference already waiting for approval is refused (a second would book twice)."""
    ref = params.get("reference")
    if not ref:
        return
    other = call.session.scalar(sa.select(PendingTransaction.id).where(
        PendingTransaction.func == call.func, PendingTransaction.status == "pending",
        PendingTransaction.params["reference"].astext == ref))
    if other is not None:
        raise FuncError(f"is already waiting for approval (request {other})", field="reference")


def caller_params(c: Caller) -> dict:
    """What `requester_again` needs to act as the requester later."""
    return {"login": c.login, "role": c.role, "operator_id": c.operator_id,
            "operator_path": c.operator_path, "user_id": c.user_id, "channel": c.channel,
            "scopes": sorted(c.scopes) if c.scopes is not None else None,
            "api_client_id": c.api_client_id}


def requester_again(session: Session, p: PendingTransaction, ip: str | None) -> Caller:
    """The requester as a Caller now: a staff login's role and place re-read (a login since
    disabled cannot have its request booked; reject it instead)."""
    from radbill.functions.auth import caller_for
    saved = p.requester_caller
    if saved.get("user_id") is not None:
        user = session.get(StaffUser, saved["user_id"])
        if user is None or user.disabled:
            raise FuncError(f"{p.requester} can no longer sign in, so their request cannot be "
                            "booked as theirs; reject it", field="elid", status=409)
        return caller_for(session, user, ip)
    scopes = saved.get("scopes")
    return Caller(saved["login"], saved["role"], saved.get("operator_id"),
                  saved.get("operator_path"), None, ip,
                  channel=saved.get("channel") or "cli",
                  scopes=frozenset(scopes) if scopes is not None else None,
                  api_client_id=saved.get("api_client_id"))


def same_person(c: Caller, p: PendingTransaction) -> bool:
    """Whether `c` is the login that asked (by user id when both have one, else by login)."""
    if c.user_id is not None and p.requested_by is not None:
        return c.user_id == p.requested_by
    return c.login.lower() == p.requester.lower()

"""payment, payment.edit, payment.reverse."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from radbill import lockout
from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.crud import Entity, in_subtree
from radbill.functions.registry import (AccessDenied, Call, FormResult, FuncError, NotFound,
                                        OkResult, Param, function)
from radbill.functions.roles import MONEY_STAFF, RESELLERS
from radbill.lifecycle import Actor
from radbill.models import Bill, Customer, Payment
from radbill.models.billing import PAYMENT_METHODS
from rating import approvals, cards, checkout, payments
from rating.functions.common import customer, money, parse_day
from rating.terms import midnight

PAYERS = MONEY_STAFF + ("card_distributor",)
DISTRIBUTOR_METHODS = ("cash", "card")  # collected on a customer's behalf (issue 11)


class Payments(Entity):
    name = "payment"
    money = True
    model = Payment
    label = "id"
    columns = ["id", "customer", "operator_id", "method", "amount", "applied", "to_advance",
               "reference", "gateway", "status", "received_at", "collected_by", "reversed_at"]
    filters = {"customer": "customer_id", "method": "method", "status": "status",
               "operator": "operator_id", "gateway": "gateway", "collected_by": "collected_by",
               "from": "received_at", "to": "received_at"}
    default_sort = "-id"

    def visible(self, call: Call, stmt: sa.Select) -> sa.Select:
        stmt = stmt.where(in_subtree(call, Payment.operator_id))
        if call.caller.role in ("manager", "card_distributor"):
            stmt = stmt.where(Payment.collected_by == call.caller.user_id)
        return stmt

    def filter(self, stmt, param, column, value):
        if param == "customer" and not F.is_id(value):
            return stmt.where(Payment.customer_id.in_(sa.select(Customer.id).where(
                sa.func.lower(Customer.username) == value.lower())))
        if param in ("from", "to"):
            edge = midnight(parse_day(value, param)
                            + dt.timedelta(days=0 if param == "from" else 1))
            return stmt.where(Payment.received_at >= edge if param == "from"
                              else Payment.received_at < edge)
        return super().filter(stmt, param, column, value)

    def find(self, call: Call, ref: str, field: str = "elid", lock: bool = False) -> Payment:
        stmt = self.visible(call, sa.select(Payment).where(
            Payment.id == F.as_id(ref, Payment.id) if F.is_id(ref, Payment.id) else sa.false()))
        obj = call.session.scalars(stmt.with_for_update() if lock else stmt).first()
        if obj is None:
            raise NotFound(f"no payment {ref!r}", field=field)
        return obj

    def row(self, obj: Payment) -> dict:
        row = {c: audit.jsonable(getattr(obj, c)) for c in self.columns if c != "customer"}
        row["customer"] = obj_username(obj)
        return row


def obj_username(p: Payment) -> str | None:
    from sqlalchemy.orm import object_session
    return object_session(p).scalar(sa.select(Customer.username)
                                    .where(Customer.id == p.customer_id))


ENTITY = Payments()
function("payment", money=True, kind="list", roles=PAYERS,
         params=(Param("page"), Param("per_page"), Param("sort"))
         + tuple(Param(k, "filter") for k in Payments.filters))(ENTITY.list)


@function("payment.edit", money=True, kind="form", roles=PAYERS, params=(
    Param("elid", "payment id (open it)"), Param("customer", "id or username", True),
    Param("method", "cash, card, online or advance"), Param("amount"),
    Param("reference", "unique: a replay with the same reference counts once"),
    Param("pin", "card: the recharge PIN"),
    Param("note")))
def edit(call: Call):
    """Take a payment: settle bills oldest first, extend validity, resume, notify, book it."""
    if call.elid:
        p = ENTITY.find(call, call.elid, lock=call.sok)
        if call.sok and call.get("note") is not None:
            before = audit.snapshot(p)
            p.note = F.parse_one("note", F.text(500), call.get("note").strip()) or None
            call.session.flush()
            audit.record(call, "payment", p.id, str(p.id), before, audit.snapshot(p), p.operator_id)
            return OkResult(p.id)
        return FormResult(p.id, {**ENTITY.row(p), "note": p.note})
    if not call.sok:
        values = {"method": "cash"}
        if call.get("customer"):
            cust = customer(call)
            values.update(customer=cust.username, advance_balance=str(cust.advance_balance),
                          due=str(due_of(call, cust.id)))
        return FormResult(None, values)
    receipt = take(call)
    if isinstance(receipt, approvals.Held):  # above the approval threshold: nothing booked
        return receipt.ok()
    p = receipt.payment
    if not receipt.replayed:
        audit.record(call, "payment", p.id, str(p.id), None, audit.snapshot(p), p.operator_id)
    return OkResult(p.id, {"replayed": receipt.replayed, "applied": str(p.applied),
                           "to_advance": str(p.to_advance)})


def take(call: Call) -> payments.Receipt | approvals.Held:
    method = call.get("method") or "cash"
    if method not in PAYMENT_METHODS:
        raise FuncError(f"{method!r} is not one of {', '.join(PAYMENT_METHODS)}", field="method")
    if call.caller.role == "card_distributor" and method not in DISTRIBUTOR_METHODS:
        raise AccessDenied("card distributors take cash and card payments only", field="method")
    cust = customer(call, lock=True)
    reference = F.parse_one("reference", F.text(200), (call.get("reference") or "").strip()) or None
    note = F.parse_one("note", F.text(500), (call.get("note") or "").strip()) or None
    extra = {"collected_by": call.caller.user_id, "note": note,
             "actor": Actor.of(call)}
    if method == "card":
        if not call.get("pin"):
            raise FuncError("is required for a card payment", field="pin")
        return redeem(call, cust, call.get("pin"), extra)
    if method == "advance":
        return payments.pay(call.session, cust, "advance", money(call, required=False), **extra)
    if method == "online":
        raise FuncError("an online payment is taken by payment.checkout (the gateway confirms "
                        "it), not entered by hand", field="method")
    amount = money(call)
    if reference is None or not _used(call, reference):  # a replay books nothing: no approval
        held = approvals.hold(call, operator_id=cust.operator_id, customer_id=cust.id,
                              username=cust.username, amount=amount,
                              summary=f"{method} payment of {amount} from {cust.username}",
                              params={"customer": cust.id, "method": method, "amount": amount,
                                      "reference": reference, "note": note})
        if held is not None:
            return held
    return payments.pay(call.session, cust, method, amount, reference, **extra)


def _used(call: Call, reference: str) -> bool:
    return call.session.scalar(sa.select(Payment.id).where(Payment.reference == reference)) \
        is not None


def redeem(call: Call, cust: Customer, pin: str, extra: dict) -> payments.Receipt:
    """A card payment, PIN guessing throttled per caller and per customer (radbill.lockout):
    a wrong PIN is recorded and the refusal asks its caller to keep that record (keep=True)."""
    c = call.caller
    lockout.pin_guard(call.session, c, cust.username)
    attempt = call.session.begin_nested()
    try:
        receipt = cards.redeem(call.session, cust, pin, **extra)
    except FuncError as exc:
        attempt.rollback()  # nothing of the refused card stays, only the attempt's record
        lockout.pin_failed(call.session, c.channel, c.login, cust.username, c.ip, c.user_id)
        exc.keep = True
        raise
    attempt.commit()
    return receipt


def due_of(call: Call, customer_id: int):
    return call.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Bill.total - Bill.paid), 0))
                               .where(Bill.customer_id == customer_id, Bill.status == "open"))


@function("payment.reverse", money=True, roles=RESELLERS, params=(
    Param("elid", "payment ids, comma-separated", True, multi=True), Param("reason"),
    Param("refund", "online payments: yes (default) refunds through the gateway; no only "
                    "reverses our books (refunded some other way)")))
def reverse(call: Call) -> OkResult:
    """Reverse payments: their bills are due again, the ledger gets the opposite entries; an
    online payment is refunded through its gateway where the gateway can (else it says so)."""
    from rating.functions.common import refs
    if not refs(call):
        raise FuncError("is required", field="elid")
    reason = F.parse_one("reason", F.text(500), (call.get("reason") or "").strip()) or None
    refund = F.parse_one("refund", F.boolean, call.get("refund") or "yes")
    notes = []
    for ref in refs(call):
        p = ENTITY.find(call, ref, lock=True)
        before = audit.snapshot(p)
        if p.status != "reversed" and p.method == "online" and refund:
            notes.append(checkout.refund(call.session, p, reason or "reversed"))
        payments.reverse(call.session, p, reason, Actor.of(call))
        audit.record(call, "payment", p.id, str(p.id), before, audit.snapshot(p), p.operator_id)
    return OkResult(None, {"refunds": notes} if notes else {})

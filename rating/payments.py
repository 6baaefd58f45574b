"""The payment pipeline, in the caller's transaction: record -> settle open bills oldest first ->
extend expiry -> resume a suspended customer (through the lifecycle) -> the payment.received
event (its consumers send the receipt, and a Disconnect when needed) -> ledger entries. A
reversal undoes exactly what its payment did."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from radbill import events, lifecycle
from radbill.lifecycle import AUTO_REASONS, Actor
from radbill.models import (Bill, BillingProfile, Customer, LedgerTransaction, Payment,
                            PaymentAllocation, RechargeCard)
from radbill.money import ZERO
from rating import bills, commission, ledger, transfer
from rating.errors import RatingError
from rating.terms import midnight, today


SYSTEM_ACTOR = Actor("system", "payment")


@dataclass
class Receipt:
    payment: Payment
    replayed: bool = False


def open_bills(session: Session, customer_id: int) -> list[Bill]:
    return list(session.scalars(sa.select(Bill).where(
        Bill.customer_id == customer_id, Bill.status == "open")
        .order_by(Bill.due_date, Bill.id).with_for_update()))


def record(session: Session, customer: Customer, method: str, amount: Decimal,
           reference: str | None, **extra) -> Receipt:
    """Insert the payment; a reference seen before returns the first payment instead."""
    values = dict(customer_id=customer.id, operator_id=customer.operator_id, method=method,
                  amount=amount, applied=ZERO, to_advance=amount, reference=reference, **extra)
    stmt = insert(Payment).values(**values)
    if reference is not None:  # a concurrent twin waits here, then finds the first
        stmt = stmt.on_conflict_do_nothing(index_elements=["reference"])
    new_id = session.scalar(stmt.returning(Payment.id))
    if new_id is None:
        return Receipt(_by_reference(session, customer, amount, reference), replayed=True)
    return Receipt(session.get(Payment, new_id))


def _by_reference(session: Session, customer: Customer, amount: Decimal | None,
                  reference: str) -> Payment | None:
    """The payment already made with `reference`; a different customer or amount is refused."""
    first = session.scalars(sa.select(Payment).where(Payment.reference == reference)).first()
    if first is not None and (first.customer_id != customer.id
                              or (amount is not None and first.amount != amount)):
        raise RatingError(f"{reference!r} was already used for payment {first.id}",
                          field="reference")
    return first


def pay(session: Session, customer: Customer, method: str, amount: Decimal | None,
        reference: str | None = None, on: dt.date | None = None, actor: Actor = SYSTEM_ACTOR,
        fee: Decimal = ZERO, **extra) -> Receipt:
    """Take a payment through the whole pipeline (see the module docstring). `fee` is what an
    online gateway kept of it: the operator's cash grows by the rest, the fee is booked to its
    gateway_fees account (the customer is credited the whole amount)."""
    on = on or today()
    session.refresh(customer, with_for_update=True)  # one payment per customer at a time
    if reference is not None and (first := _by_reference(session, customer, amount, reference)):
        return Receipt(first, replayed=True)
    if _prepaid(customer) and not open_bills(session, customer.id):
        quote, _ = bills.quote(session, customer, on)
        if method != "advance" or customer.advance_balance >= quote.total > 0:
            bills.issue_period_bill(session, customer, on)  # buys the next validity
    if method == "advance":
        due = sum((b.total - b.paid for b in open_bills(session, customer.id)), ZERO)
        amount = min(customer.advance_balance, due, amount or due)
        if amount <= 0:
            raise RatingError("nothing to debit: no advance balance or nothing due", field="amount")
    receipt = record(session, customer, method, amount, reference, **extra)
    if receipt.replayed:
        return receipt
    p = receipt.payment
    p.expires_before = customer.expires_at
    now = dt.datetime.now(dt.timezone.utc)
    walled = customer.expires_at is not None and customer.expires_at <= now
    p.applied = settle(session, customer, p, on)
    p.to_advance = ZERO if method == "advance" else amount - p.applied
    customer.advance_balance += p.to_advance - (p.applied if method == "advance" else ZERO)
    p.expires_after = customer.expires_at
    resumed = resume_if_settled(session, customer, on, actor)
    # expired but not yet suspended by the expiry job: authorize put the live session in the
    # walled garden all the same, so it must dial again now that validity is good again
    redial = walled and not resumed and customer.status in ("active", "fup") \
        and customer.expires_at is not None and customer.expires_at > now
    events.emit(session, "payment.received", customer_id=customer.id,
                operator_id=customer.operator_id, actor=actor.login, func=actor.func,
                payment_id=p.id, username=customer.username, amount=amount, method=method,
                reference=reference, redial=redial or None)
    source = "advances" if method == "advance" else "cash"
    ledger.post(session, "payment", f"{method} payment {p.id} from {customer.username}",
                [(customer.operator_id, source, amount - fee),
                 (customer.operator_id, "gateway_fees", fee),
                 (customer.operator_id, "receivable", -p.applied),
                 (customer.operator_id, "advances", -p.to_advance)],
                operator_id=customer.operator_id, payment_id=p.id, reference=reference)
    transfer.reroute(session, [p.id])  # bills a transfer left with the old operator (issue 19)
    commission.book(session, p)
    session.flush()
    return receipt


def _prepaid(customer: Customer) -> bool:
    return customer.billing_profile_id is None


def settle(session: Session, customer: Customer, p: Payment, on: dt.date) -> Decimal:
    """Apply the payment to open bills, oldest first; returns how much it applied."""
    left = p.amount
    for bill in open_bills(session, customer.id):
        if left <= 0:
            break
        take = min(left, bill.total - bill.paid)
        session.add(PaymentAllocation(payment_id=p.id, bill_id=bill.id, amount=take))
        bill.paid += take
        left -= take
        if bill.paid == bill.total:
            bill.status = "paid"
            extend_expiry(session, customer, bill)
    session.flush()
    return p.amount - left


def extend_expiry(session: Session, customer: Customer, bill: Bill) -> None:
    """A paid period bill makes the service valid to the end of that period."""
    if bill.kind != "period" or bill.service_to is None:
        return
    if _prepaid(customer):  # prepaid: the package's validity, from now or from the old expiry
        now = dt.datetime.now(dt.timezone.utc)
        start = max(customer.expires_at or now, now)
        customer.expires_at = start + dt.timedelta(days=(bill.service_to - bill.service_from).days)
    elif customer.expires_at is not None:
        customer.expires_at = max(customer.expires_at, midnight(bill.service_to))


def overdue(session: Session, customer: Customer, on: dt.date) -> bool:
    """Whether an open bill is past its due date plus the profile's grace days."""
    grace = session.scalar(sa.select(BillingProfile.grace_days).where(
        BillingProfile.id == customer.billing_profile_id)) or 0
    return session.scalar(sa.select(sa.func.count()).select_from(Bill).where(
        Bill.customer_id == customer.id, Bill.status == "open",
        Bill.due_date + grace < on)) > 0


def resume_if_settled(session: Session, customer: Customer, on: dt.date,
                      actor: Actor = SYSTEM_ACTOR) -> bool:
    """Lift a suspension rating made once nothing is overdue and validity is good."""
    if customer.deleted_at is not None or customer.status != "suspended" \
            or customer.status_reason not in AUTO_REASONS:
        return False
    if overdue(session, customer, on):
        return False
    if customer.expires_at is not None and customer.expires_at <= dt.datetime.now(dt.timezone.utc):
        return False
    lifecycle.change(session, [customer], "active", "payment", actor)
    return True


def reverse(session: Session, p: Payment, reason: str | None = None,
            actor: Actor = SYSTEM_ACTOR) -> None:
    """Undo a payment: bills open again, the advance and the expiry go back, the ledger reverses."""
    if p.status == "reversed":
        return
    customer = session.get(Customer, p.customer_id, with_for_update=True, populate_existing=True)
    if p.to_advance > customer.advance_balance:
        raise RatingError(f"{p.to_advance} of it went to the advance balance and has been spent",
                          field="elid")
    allocs = sa.select(PaymentAllocation).where(PaymentAllocation.payment_id == p.id)
    for alloc in session.scalars(allocs):
        bill = session.get(Bill, alloc.bill_id, with_for_update=True)
        bill.paid -= alloc.amount
        bill.status = "open"
    customer.advance_balance -= p.to_advance
    if p.method == "advance":
        customer.advance_balance += p.applied
    if p.expires_after is not None and customer.expires_at == p.expires_after:
        customer.expires_at = p.expires_before
    if p.card_id is not None:
        card = session.get(RechargeCard, p.card_id)
        card.status, card.used_by, card.used_at = "unused", None, None
        p.reference = None  # the card may be used again, so its reference must be free
    p.status, p.reversed_at = "reversed", sa.func.now()
    txs = session.scalars(sa.select(LedgerTransaction.id)
                          .where(LedgerTransaction.payment_id == p.id))
    ledger.reverse(session, list(txs), "payment_reversal",
                   f"payment {p.id} reversed" + (f": {reason}" if reason else ""),
                   operator_id=p.operator_id, payment_id=p.id)
    events.emit(session, "payment.reversed", customer_id=customer.id,
                operator_id=customer.operator_id, actor=actor.login, func=actor.func,
                payment_id=p.id, username=customer.username, amount=p.amount, reason=reason)
    session.flush()

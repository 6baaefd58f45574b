"""A customer's money when the customer moves to another operator (customer.transfer, issue 19).

Each operator keeps its own books (rating/ledger.py), and the money history stays where it
happened: bills already billed, payments already taken, their revenue and VAT stay booked to
the operator that made them. What moves is what is still open:

  bills=move   the open bills become the new operator's (bills.operator_id) and so does what
               is still owed on them: the old operator's receivable goes down, the new one's
               up, and the old operator is owed that much by the new one (their `transfers`
               accounts: the new operator will collect it);
  bills=leave  the open bills stay the old operator's (its receivable, its aging report).

The advance balance always moves: it is the customer's money, which only the customer's
current operator can spend (a payment from the advance is booked to it). The old operator's
`advances` liability goes down, the new one's up, and the old operator owes the new one that
much (`transfers`).

One balanced transaction (kind `customer_transfer`) carries it, and each operator's legs in it
sum to zero, so both operators' books still balance on their own; the two `transfers` legs
mirror each other, so nothing is counted twice.

An operator change by customer.edit (and customer.bulk, which edits through it) is this move
with bills=move: to the customer, a new operator is the one it now owes and pays, open bills
and advance included.

A bill left with the old operator is still the customer's: a payment settles it as any other
(oldest first) and is taken by the customer's current operator, whose payment transaction
credits its own receivable. `reroute` then books that part where it belongs: the new
operator's receivable back up, the old one's down, and the new operator owes the old one
what it collected for it (`transfers`). `payments.pay` and the advance auto-debit call it.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill.models import Bill, Customer, LedgerTransaction, Payment, PaymentAllocation
from radbill.money import ZERO
from rating import ledger

KIND = "customer_transfer"
REROUTE = "transfer_settle"


@dataclass
class Moving:
    """What a transfer of one customer moves (the preview shows it, `move` books it)."""

    open_bills: list[int] = field(default_factory=list)
    owed: Decimal = ZERO  # still owed on the open bills
    advance: Decimal = ZERO


def moving(session: Session, customer: Customer, lock: bool = False,
           leaving: int | None = None) -> Moving:
    """The customer's open bills held by the operator it leaves (`leaving`, else its current
    one) and its advance balance."""
    held_by = customer.operator_id if leaving is None else leaving
    stmt = sa.select(Bill).where(Bill.customer_id == customer.id, Bill.status == "open",
                                 Bill.operator_id == held_by).order_by(Bill.id)
    if lock:
        stmt = stmt.with_for_update()
    bills = list(session.scalars(stmt))
    return Moving([b.id for b in bills], sum((b.total - b.paid for b in bills), ZERO),
                  customer.advance_balance)


def legs(old: int, new: int, owed: Decimal, advance: Decimal) -> list[ledger.Leg]:
    """The transfer's legs: `owed` of receivable and `advance` of advances from `old` to `new`,
    each operator's own legs summing to zero through its `transfers` account."""
    return [(old, "receivable", -owed), (new, "receivable", owed),
            (old, "advances", advance), (new, "advances", -advance),
            (old, "transfers", owed - advance), (new, "transfers", advance - owed)]


def move(session: Session, customer: Customer, new_operator_id: int, bills: str,
         leaving: int | None = None) -> Moving:
    """Book the move of `customer` from `leaving` (by default its operator_id: the caller then
    sets the new one; customer.edit has set it already and names the old one) to
    `new_operator_id`. Returns what moved."""
    old = customer.operator_id if leaving is None else leaving
    what = moving(session, customer, lock=True, leaving=old)
    owed = what.owed if bills == "move" else ZERO
    if bills == "move" and what.open_bills:
        session.execute(sa.update(Bill).where(Bill.id.in_(what.open_bills))
                        .values(operator_id=new_operator_id))
    ledger.post(session, KIND, f"{customer.username} moved to another operator",
                legs(old, new_operator_id, owed, what.advance), operator_id=old)
    return what


def reroute(session: Session, payment_ids: list[int]) -> None:
    """For each payment, the part that settled bills another operator holds (a bill left behind
    by a transfer) is booked to that operator's receivable, the collecting operator owing it
    (see the module docstring). Once per payment: a payment already rerouted is skipped."""
    if not payment_ids:
        return
    done = sa.select(LedgerTransaction.payment_id).where(
        LedgerTransaction.kind == REROUTE, LedgerTransaction.payment_id.in_(payment_ids))
    rows = session.execute(
        sa.select(Payment.id, Payment.operator_id, Bill.operator_id,
                  sa.func.sum(PaymentAllocation.amount))
        .join(PaymentAllocation, PaymentAllocation.payment_id == Payment.id)
        .join(Bill, Bill.id == PaymentAllocation.bill_id)
        .where(Payment.id.in_(payment_ids), Bill.operator_id != Payment.operator_id,
               Payment.id.not_in(done))
        .group_by(Payment.id, Payment.operator_id, Bill.operator_id)).all()
    per_payment: dict[int, list] = defaultdict(list)
    for pid, collector, holder, amount in rows:
        per_payment[pid] += [(collector, "receivable", amount), (collector, "transfers", -amount),
                             (holder, "receivable", -amount), (holder, "transfers", amount)]
    for pid, payment_legs in per_payment.items():
        collector = payment_legs[0][0]
        ledger.post(session, REROUTE, f"payment {pid} settled bills another operator holds",
                    payment_legs, operator_id=collector, payment_id=pid)


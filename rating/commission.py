"""Distributors' and collectors' commission, booked as a payment lands.

Who earns on a payment:
  - a card payment: the card's distributor (recharge_cards.distributor_id) -- their fixed amount
    per card when they have one, else their percent of the card's amount;
  - a cash payment: whoever collected it (payments.collected_by) -- their percent of it.
Nothing else earns commission (online, advance, a card nobody distributed).

The commission is an expense of the earner's operator, owed to the earner until paid out: one
balanced transaction (debit `commission`, credit `commission_payable`) linked to the payment,
so a payment's reversal (rating/payments.reverse undoes every transaction linked to it) takes
the commission back as well. `earner_of` is the same rule as SQL, for the report.
"""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill.models import Payment, RechargeCard, StaffUser
from radbill.money import ZERO, q
from rating import ledger

KIND = "commission"


def rate(staff: StaffUser, base: Decimal, per_card: bool) -> Decimal:
    """What `staff` earns on `base`: a fixed amount per card (when set), else the percent."""
    if per_card and staff.commission_fixed:
        return staff.commission_fixed
    if staff.commission_percent:
        return q(base * staff.commission_percent / 100)
    return ZERO


def earner(session: Session, p: Payment) -> tuple[StaffUser | None, bool]:
    """The staff member who earns on `p` and whether it is a card of theirs."""
    if p.card_id is not None:
        distributor_id = session.scalar(sa.select(RechargeCard.distributor_id)
                                        .where(RechargeCard.id == p.card_id))
        return (session.get(StaffUser, distributor_id) if distributor_id else None), True
    if p.method == "cash" and p.collected_by is not None:
        return session.get(StaffUser, p.collected_by), False
    return None, False


def book(session: Session, p: Payment) -> int | None:
    """Book the commission on a payment that has just landed; returns the transaction's id (None
    when nobody earns anything on it)."""
    staff, per_card = earner(session, p)
    if staff is None:
        return None
    amount = rate(staff, p.amount, per_card)
    if amount <= 0:
        return None
    what = "card" if per_card else "cash"
    return ledger.post(session, KIND, f"commission to {staff.login} on {what} payment {p.id}",
                       [(staff.operator_id, "commission", amount),
                        (staff.operator_id, "commission_payable", -amount)],
                       operator_id=staff.operator_id, payment_id=p.id)


def earner_of() -> sa.ColumnElement:
    """The earner of a payment as SQL (select from payments outer-joined to recharge_cards)."""
    return sa.case((Payment.card_id.is_not(None), RechargeCard.distributor_id),
                   (Payment.method == "cash", Payment.collected_by), else_=sa.null())

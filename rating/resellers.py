"""Resellers' money: the wholesale price per activation, funding, and transfers.

An operator's `upstream` account is its position with its parent (+ prepaid funds, - owed).
A debit (prepaid) operator may spend down to zero; a credit operator down to minus its limit.
The row lock on the operator serialises activations, so two at once cannot both pass; the
billing run takes the same locks (lock_for_billing) before it books renewals set-based.
"""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill.models import Customer, Operator, Package
from rating import ledger
from rating.errors import InsufficientBalance, RatingError


def available(session: Session, op: Operator) -> Decimal:
    """What the operator may still spend with its parent."""
    limit = op.credit_limit if op.kind == "credit" else Decimal(0)
    return ledger.balance(session, op.id, "upstream") + limit


def locked(session: Session, operator_id: int) -> Operator:
    return session.get(Operator, operator_id, with_for_update=True, populate_existing=True)


# The resellers whose customers a billing run covers, in id order (two runs, or a run and an
# activation, queue instead of both spending the same balance). NO KEY UPDATE conflicts with
# charge_activation's FOR UPDATE and with itself, not with the key-share locks of the rows
# that merely reference an operator (a payment's ledger rows, a new customer).
LOCK_FOR_BILLING_SQL = """
SELECT o.id FROM operators o
WHERE o.parent_id IS NOT NULL
  AND (CAST(:path AS text) IS NULL OR o.path LIKE CAST(:path AS text) || '%')
  AND (CAST(:ids AS int[]) IS NULL OR o.id IN (
       SELECT c.operator_id FROM customers c WHERE c.id = ANY(CAST(:ids AS int[]))))
ORDER BY o.id FOR NO KEY UPDATE OF o
"""


def lock_for_billing(session: Session, path: str | None, ids: list[int] | None) -> None:
    session.execute(sa.text(LOCK_FOR_BILLING_SQL), {"path": path, "ids": ids})


def charge_activation(session: Session, customer: Customer, package: Package) -> None:
    """The reseller pays its parent the package's wholesale price for this activation."""
    price = package.wholesale_price
    op = session.get(Operator, customer.operator_id)
    if not price or op.parent_id is None:
        return  # the ISP itself, or a package without a wholesale price
    op = locked(session, op.id)
    have = available(session, op)
    if have < price:
        raise InsufficientBalance(op.name, have, price)
    ledger.post(session, "activation", f"activation of {customer.username} ({package.name})",
                activation_legs(op.id, op.parent_id, price), operator_id=op.id)


def activation_legs(operator_id: int, parent_id: int, price: Decimal) -> list[ledger.Leg]:
    """The reseller's cost and debt (or spent funds); the parent's revenue."""
    return [(operator_id, "wholesale_cost", price), (operator_id, "upstream", -price),
            (parent_id, "downstream", price), (parent_id, "revenue", -price)]


def fund(session: Session, op: Operator, amount: Decimal, note: str | None = None) -> int:
    """The reseller pays its parent: a debit one tops up, a credit one pays down its debt."""
    if op.parent_id is None:
        raise RatingError("the ISP itself has no upstream to fund it", field="elid")
    if amount <= 0:
        raise RatingError("must be above zero", field="amount")
    return ledger.post(session, "fund", note or f"funds for {op.name}",
                       [(op.id, "upstream", amount), (op.id, "cash", -amount),
                        (op.parent_id, "cash", amount), (op.parent_id, "downstream", -amount)],
                       operator_id=op.id)


def transfer(session: Session, src: Operator, dst: Operator, amount: Decimal,
             note: str | None = None) -> int:
    """Move spendable balance from one reseller to another."""
    if src.parent_id is None or dst.parent_id is None:
        raise RatingError("both operators must be resellers", field="to")
    if src.id == dst.id:
        raise RatingError("must differ from the source", field="to")
    if amount <= 0:
        raise RatingError("must be above zero", field="amount")
    src = locked(session, src.id)
    have = available(session, src)
    if have < amount:
        raise InsufficientBalance(src.name, have, amount, field="amount")
    return ledger.post(session, "transfer", note or f"transfer {src.name} -> {dst.name}",
                       [(src.id, "upstream", -amount), (dst.id, "upstream", amount),
                        (src.parent_id, "downstream", amount),
                        (dst.parent_id, "downstream", -amount)],
                       operator_id=src.id)

"""Resellers' money: the wholesale price per activation, funding, and transfers.

An operator's `upstream` account is its position with its parent (+ prepaid funds, - owed).
A debit (prepaid) operator may spend down to zero; a credit operator down to minus its limit.
The row lock on the operator serialises activations, so two at once cannot both pass.
"""
from __future__ import annotations

from decimal import Decimal

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

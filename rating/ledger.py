"""The double-entry ledger: each operator's chart of accounts and balanced transactions.

A positive amount debits an account, a negative one credits it. `post` refuses an unbalanced
transaction in Python for a clear message; the deferred trigger `ledger_balanced` refuses it
in the database whoever writes.

The chart, per operator:
  cash            money the operator holds (debit +)
  receivable      customers' unpaid bills
  advances        customers' advance balances the operator holds (a liability: credit +)
  vat_payable     VAT collected on bills, owed to the tax office
  revenue         what customers were billed, net of discount and VAT
  upstream        the operator's position with its parent: + prepaid funds, - owed
  downstream      the parent's mirror of its resellers' positions
  wholesale_cost  what the operator paid its parent for activations
  gateway_fees    what online gateways kept of customers' payments (an expense: debit +)
  commission      distributors' and collectors' commission (an expense: debit +)
  commission_payable  commission owed to them until paid out (a liability: credit +)
  messaging_cost  what its SMS/WhatsApp/e-mail cost it (messaging/charging.py)
  service_cost    what fixing complaints cost it: parts, visits (complaint costs)
  payable         what the ISP owes its own providers (the SMS gateway's bill)
  opening_balance equity: dues and advances carried over from the previous system by a
                  cut-over import (customers/importing/)
  expense         what the operator spent (rent, salaries, fuel): expense.edit, by category
                  on the expenses row (rating/books.py; an expense: debit +)
  bank            money the operator holds at the bank (an expense paid from the bank)
  operator_fees   what the operator's parent billed it for its subscription (an expense)
  fees_payable    those bills while unpaid (a liability); fees_receivable the parent's claim
  archived        the parent's leg standing for a deleted reseller's legs in a transaction
                  they shared (staff/operator_delete.py)
  transfers       what other operators owe it (debit +) or it owes them (credit -) since a
                  customer moved between them with open bills or an advance, or paid a bill
                  its old operator still holds (rating/transfer.py)
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from radbill.models import LedgerAccount, LedgerEntry, LedgerTransaction
from radbill.money import ZERO
from rating.errors import RatingError

Leg = tuple[int, str, Decimal]  # (operator id, account kind, signed amount)

LABELS = {"cash": "Cash", "receivable": "Accounts receivable", "advances": "Customer advances",
          "vat_payable": "VAT payable", "revenue": "Revenue", "upstream": "Balance with upstream",
          "downstream": "Reseller balances", "wholesale_cost": "Wholesale cost",
          "gateway_fees": "Gateway charges", "commission": "Commission",
          "commission_payable": "Commission payable", "messaging_cost": "Messaging cost",
          "service_cost": "Service cost",
          "payable": "Payable to providers", "opening_balance": "Opening balances",
          "expense": "Expenses", "bank": "Bank",
          # issue 19, operator bills (rating/operator_billing.py, staff/operator_delete.py)
          "operator_fees": "Operator fees", "fees_payable": "Operator fees payable",
          "fees_receivable": "Operator fees receivable",
          "archived": "Deleted resellers' legs",
          "transfers": "Due from (+) / to (-) other operators"}  # issue 19, rating/transfer.py


def account_ids(session: Session, keys: Iterable[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """The ids of (operator, kind) accounts, opened on first use."""
    keys = sorted(set(keys))
    if not keys:
        return {}
    session.execute(insert(LedgerAccount).values([{"operator_id": o, "kind": k} for o, k in keys])
                    .on_conflict_do_nothing(constraint="uq_ledger_accounts_operator_kind"))
    acc = LedgerAccount
    rows = session.execute(sa.select(acc.operator_id, acc.kind, acc.id)
                           .where(sa.tuple_(acc.operator_id, acc.kind).in_(keys)))
    return {(o, k): i for o, k, i in rows}


def post(session: Session, kind: str, description: str, legs: list[Leg], *,
         operator_id: int | None = None, payment_id: int | None = None,
         bill_id: int | None = None, reference: str | None = None,
         at: dt.datetime | None = None) -> int | None:
    """Write one balanced transaction (legs of zero are dropped); returns its id. `at`: when
    it happened, if not now (an expense is dated at its day)."""
    legs = [(o, k, a) for o, k, a in legs if a != 0]
    if not legs:
        return None
    total = sum((a for _, _, a in legs), ZERO)
    if total != 0:
        raise RatingError(f"unbalanced ledger transaction ({kind}): legs sum to {total}")
    ids = account_ids(session, [(o, k) for o, k, _ in legs])
    tx = LedgerTransaction(kind=kind, description=description, operator_id=operator_id,
                           payment_id=payment_id, bill_id=bill_id, reference=reference)
    if at is not None:
        tx.at = at
    session.add(tx)
    session.flush()
    session.execute(insert(LedgerEntry), [{"transaction_id": tx.id, "account_id": ids[(o, k)],
                                           "amount": a} for o, k, a in legs])
    return tx.id


def reverse(session: Session, tx_ids: Iterable[int], kind: str, description: str,
            **links) -> int | None:
    """A transaction that undoes others leg by leg (the ledger is never edited)."""
    rows = session.execute(
        sa.select(LedgerAccount.operator_id, LedgerAccount.kind, sa.func.sum(LedgerEntry.amount))
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .where(LedgerEntry.transaction_id.in_(list(tx_ids)))
        .group_by(LedgerAccount.operator_id, LedgerAccount.kind)).all()
    return post(session, kind, description, [(o, k, -a) for o, k, a in rows], **links)


def balance(session: Session, operator_id: int, kind: str) -> Decimal:
    """An account's balance, debit positive."""
    value = session.scalar(
        sa.select(sa.func.sum(LedgerEntry.amount))
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .where(LedgerAccount.operator_id == operator_id, LedgerAccount.kind == kind))
    return value if value is not None else ZERO


def bill_legs(operator_id: int, total: Decimal, net: Decimal, vat: Decimal) -> list[Leg]:
    """Billing a customer: they owe the total; the operator earned the net and owes the VAT."""
    return [(operator_id, "receivable", total), (operator_id, "revenue", -net),
            (operator_id, "vat_payable", -vat)]


def unbalanced_transactions(session: Session) -> list[int]:
    """Ids of transactions whose legs do not sum to zero (always empty: the trigger sees to it)."""
    return list(session.scalars(sa.select(LedgerEntry.transaction_id)
                                .group_by(LedgerEntry.transaction_id)
                                .having(sa.func.sum(LedgerEntry.amount) != 0)))

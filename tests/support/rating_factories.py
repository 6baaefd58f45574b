"""Rating test data, made through the function layer like the other factories."""
from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import sqlalchemy as sa

from tests.support.factories import fn, make, make_customer
from radbill.functions.caller import SYSTEM
from radbill.models import Bill, Customer, Outbox, Payment
from rating import ledger
from rating.terms import midnight

_seq = itertools.count(1)


def make_profile(session, caller=SYSTEM, **kw):
    kw.setdefault("name", f"profile{next(_seq)}")
    kw.setdefault("term", "monthly")
    kw.setdefault("due_day", "1")
    return make(session, "billing_profile", caller, **kw)


def postpaid_customer(session, profile=None, since: dt.date = dt.date(2026, 1, 1), caller=SYSTEM,
                      **kw):
    """A monthly-billed customer who has been with the ISP since `since`."""
    profile = profile or make_profile(session)
    c = make_customer(session, caller, billing_profile=profile.name, **kw)
    c.created_at = midnight(since)
    session.flush()
    return c


def pay(session, customer, amount=None, caller=SYSTEM, method="cash", **kw):
    return fn(session, "payment.edit", caller, sok="ok", customer=customer.username,
              method=method, amount=amount, **kw)


def bills_of(session, customer) -> list[Bill]:
    return list(session.scalars(sa.select(Bill).where(Bill.customer_id == customer.id)
                                .order_by(Bill.id)))


def payments_of(session, customer) -> list[Payment]:
    return list(session.scalars(sa.select(Payment).where(Payment.customer_id == customer.id)))


def outbox_of(session, customer, kind=None) -> list[Outbox]:
    stmt = sa.select(Outbox).where(Outbox.customer_id == customer.id).order_by(Outbox.id)
    if kind:
        stmt = stmt.where(Outbox.kind == kind)
    return list(session.scalars(stmt))


def due(session, customer) -> Decimal:
    return sum((b.total - b.paid for b in bills_of(session, customer) if b.status == "open"),
               Decimal("0.00"))


def assert_books_balance(session) -> None:
    """Every transaction balances (the deferred trigger fires now), and the books agree with
    the bills and advance balances they describe."""
    session.flush()
    session.execute(sa.text("SET CONSTRAINTS ALL IMMEDIATE"))
    assert ledger.unbalanced_transactions(session) == []
    session.expire_all()
    receivable = session.scalar(sa.text(
        "select coalesce(sum(e.amount), 0) from ledger_entries e join ledger_accounts a "
        "on a.id = e.account_id where a.kind = 'receivable'"))
    open_due = session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Bill.total - Bill.paid), 0)))
    assert receivable == open_due
    advances = session.scalar(sa.text(
        "select coalesce(-sum(e.amount), 0) from ledger_entries e join ledger_accounts a "
        "on a.id = e.account_id where a.kind = 'advances'"))
    assert advances == session.scalar(sa.select(sa.func.coalesce(
        sa.func.sum(Customer.advance_balance), 0)))
    session.execute(sa.text("SET CONSTRAINTS ALL DEFERRED"))


def pins(session, batch: str) -> list[str]:
    """A batch's PINs as printed on the cards (the card list shows them only to their issuer)."""
    from radbill.models import RechargeCard
    return list(session.scalars(sa.select(RechargeCard.pin).where(RechargeCard.batch == batch)
                                .order_by(RechargeCard.id)))

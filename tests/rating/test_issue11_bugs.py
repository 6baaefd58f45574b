"""Issue 11's money bugs, as an ISP would tell them: a package card short of its VAT, and a
prepaid (debit) reseller driven below zero by the billing run's renewals."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from radbill.models import Bill, Event
from rating import jobs, ledger, resellers
from tests.support.factories import (caller_of, fn, make_customer, make_isp, make_operator,
                                     make_package, make_user)
from tests.support.rating_factories import (assert_books_balance, bills_of, due, make_profile,
                                            pay, postpaid_customer)


@pytest.fixture(autouse=True)
def books_balance(session):
    yield
    assert_books_balance(session)


# -- a package card is one period of the package, VAT included ----------------------------------
def test_a_package_card_pays_one_period_with_the_operators_vat(session):
    isp = make_isp(session)
    fn(session, "operator.edit", sok="ok", elid=isp.name, vat_percent="5")
    pkg = make_package(session, price="500", validity_days="30")
    fn(session, "card.generate", count="2", package=pkg.name, batch="vat5", operator=isp.name)
    cards = fn(session, "card", batch="vat5").rows
    assert [r["amount"] for r in cards] == ["525.00", "525.00"]

    c = make_customer(session, package=pkg.name, operator=isp.name)  # prepaid: no profile
    pay(session, c, method="card", pin=cards[0]["pin"])
    session.refresh(c)
    [bill] = bills_of(session, c)
    assert (bill.total, bill.status, due(session, c)) == (D("525.00"), "paid", 0)
    assert c.advance_balance == 0
    # one period of validity, from now
    left = c.expires_at - dt.datetime.now(dt.timezone.utc)
    assert dt.timedelta(days=29, hours=23) < left <= dt.timedelta(days=30)


def test_an_amount_given_for_a_package_card_is_kept(session):
    isp = make_isp(session)
    fn(session, "operator.edit", sok="ok", elid=isp.name, vat_percent="5")
    pkg = make_package(session, price="500")
    fn(session, "card.generate", count="1", package=pkg.name, amount="480", batch="promo",
       operator=isp.name)
    assert fn(session, "card", batch="promo").rows[0]["amount"] == "480.00"


# -- the billing run books a renewal only when the reseller can pay for it ----------------------
def _reseller(session, kind="debit", credit_limit="0"):
    isp = make_isp(session)
    return isp, make_operator(session, parent=isp.name, kind=kind, credit_limit=credit_limit)


def _period_bill(session, customer, start):
    return session.scalar(sa.select(Bill).where(Bill.customer_id == customer.id,
                                                Bill.kind == "period",
                                                Bill.period_start == start))


def test_a_debit_reseller_renews_oldest_customers_first_as_far_as_its_balance_goes(session):
    isp, op = _reseller(session)
    fn(session, "operator.fund", elid=op.name, amount="1000")
    pkg = make_package(session, price="500", wholesale_price="200")
    profile = make_profile(session)
    cs = [postpaid_customer(session, profile, package=pkg.name, operator=op.name)
          for _ in range(4)]  # four activations: 800
    # first periods were paid when activated
    fn(session, "bill.generate", sok="ok", date="2026-11-01")
    fn(session, "operator.fund", elid=op.name, amount="250")
    assert resellers.available(session, op) == D("450")

    december = dt.date(2026, 12, 1)
    out = fn(session, "bill.generate", sok="ok", date=december.isoformat()).extra
    assert resellers.available(session, op) == D("50")  # two renewals, never below zero
    assert ledger.balance(session, op.id, "upstream") == D("50")
    assert [bool(_period_bill(session, c, december)) for c in cs] == [True, True, False, False]
    assert out["bills"] == 2
    assert out["refused"] == [
        {"customer": cs[2].username, "customer_id": cs[2].id, "reseller": op.name,
         "reseller_id": op.id, "cost": "200.00", "balance": "50.00",
         "reason": "reseller balance too low"},
        {"customer": cs[3].username, "customer_id": cs[3].id, "reseller": op.name,
         "reseller_id": op.id, "cost": "200.00", "balance": "50.00",
         "reason": "reseller balance too low"}]

    # the reseller's staff see why in their event list, once per customer and period
    staff = caller_of(session, make_user(session, role="operator", operator=op.name))
    seen = fn(session, "event", staff, name="bill.refused").rows
    assert sorted((r["customer_id"], r["operator_id"], r["data"]["cost"], r["data"]["balance"],
                   r["data"]["period_from"]) for r in seen) == [
        (cs[2].id, op.id, "200.00", "50.00", "2026-12-01"),
        (cs[3].id, op.id, "200.00", "50.00", "2026-12-01")]
    again = fn(session, "bill.generate", sok="ok", date="2026-12-02").extra  # the next day's run
    assert again["bills"] == 0 and len(again["refused"]) == 2
    assert len(fn(session, "event", staff, name="bill.refused").rows) == 2

    # funded, the next run renews them; the period is the same, so nothing is lost
    fn(session, "operator.fund", elid=op.name, amount="400")
    out = fn(session, "bill.generate", sok="ok", date="2026-12-03").extra
    assert out["bills"] == 2 and out["refused"] == []
    assert all(_period_bill(session, c, december) for c in cs)
    assert resellers.available(session, op) == D("50")


def test_the_scheduled_billing_job_says_which_renewals_it_refused(session):
    isp, op = _reseller(session)
    fn(session, "operator.fund", elid=op.name, amount="200")
    pkg = make_package(session, price="500", wholesale_price="200")
    c = postpaid_customer(session, package=pkg.name, operator=op.name)
    jobs.billing(session, dt.date(2026, 11, 1))
    said = jobs.billing(session, dt.date(2026, 12, 1))
    assert said.startswith("0 bills") and "1 renewal refused" in said
    assert f"{c.username} ({op.name}: needs 200.00, has 0.00)" in said
    assert resellers.available(session, op) == 0
    ev = session.scalars(sa.select(Event).where(Event.name == "bill.refused")).one()
    assert (ev.customer_id, ev.operator_id, ev.func) == (c.id, op.id, "job.billing")


def test_a_credit_reseller_renews_within_its_limit_and_not_past_it(session):
    isp, op = _reseller(session, "credit", "700")
    pkg = make_package(session, price="500", wholesale_price="200")
    profile = make_profile(session)
    cs = [postpaid_customer(session, profile, package=pkg.name, operator=op.name)
          for _ in range(3)]  # 600 of credit used
    fn(session, "bill.generate", sok="ok", date="2026-11-01")
    fn(session, "operator.edit", sok="ok", elid=op.name, credit_limit="1100")
    out = fn(session, "bill.generate", sok="ok", date="2026-12-01").extra
    assert out["bills"] == 2 and [r["customer_id"] for r in out["refused"]] == [cs[2].id]
    assert ledger.balance(session, op.id, "upstream") == D("-1000")  # in debt, within limit
    assert resellers.available(session, op) == D("100")
    fn(session, "operator.edit", sok="ok", elid=op.name, credit_limit="5000")
    out = fn(session, "bill.generate", sok="ok", date="2026-12-01").extra
    assert out["bills"] == 1 and out["refused"] == []


def test_the_isps_own_customers_and_free_wholesale_renew_without_a_balance(session):
    isp, op = _reseller(session)
    own = postpaid_customer(session, package=make_package(session, price="500",
                                                          wholesale_price="200").name,
                            operator=isp.name)
    free = postpaid_customer(session, package=make_package(session, price="300").name,
                             operator=op.name)  # no wholesale price: nothing to pay upstream
    fn(session, "bill.generate", sok="ok", date="2026-11-01")
    out = fn(session, "bill.generate", sok="ok", date="2026-12-01").extra
    assert out["bills"] == 2 and out["refused"] == []
    assert _period_bill(session, own, dt.date(2026, 12, 1))
    assert _period_bill(session, free, dt.date(2026, 12, 1))
    assert resellers.available(session, op) == 0


def test_a_refused_renewal_is_not_listed_to_another_reseller(session):
    isp = make_isp(session)
    a = make_operator(session, parent=isp.name, kind="debit")
    b = make_operator(session, parent=isp.name, kind="debit")
    fn(session, "operator.fund", elid=a.name, amount="200")
    pkg = make_package(session, price="500", wholesale_price="200")
    postpaid_customer(session, package=pkg.name, operator=a.name)
    fn(session, "bill.generate", sok="ok", date="2026-11-01")
    fn(session, "bill.generate", sok="ok", date="2026-12-01")
    b_staff = caller_of(session, make_user(session, role="operator", operator=b.name))
    assert fn(session, "event", b_staff, name="bill.refused").rows == []

"""Issue 11's money bugs, as an ISP would tell them: a package card short of its VAT."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from tests.support.factories import fn, make_customer, make_isp, make_package
from tests.support.rating_factories import assert_books_balance, bills_of, due, pay


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

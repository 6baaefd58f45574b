"""Cards, online gateways, invoices and profiles: the rest of the payment side."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D

import pytest
from pypdf import PdfReader

from tests.support.factories import caller_of, fn, make_isp, make_operator, make_package, make_user
from radbill.functions.registry import AccessDenied, FuncError
from tests.support.rating_factories import (assert_books_balance, bills_of, due, make_profile, pay,
                              payments_of, postpaid_customer)


@pytest.fixture(autouse=True)
def books_balance(session):
    yield
    assert_books_balance(session)


def test_bill_pdf_shows_isp_customer_lines_vat_totals_due_date_and_status(session):
    profile = make_profile(session)
    c = postpaid_customer(session, profile, package=make_package(session, name="Home-20M",
                                                                  price="1000").name,
                          name="Rahim Uddin", mobile="01711000000")
    c.operator.vat_percent = D("5")
    fn(session, "bill.generate", sok="ok", date="2026-11-01")
    pay(session, c, "300")
    [bill] = bills_of(session, c)
    result = fn(session, "bill.pdf", elid=str(bill.id))
    assert result.content_type == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(result.data)).pages)
    for expected in ("radbill ISP", f"INVOICE #{bill.id}", "Rahim Uddin", c.username,
                     "01711000000", "Home-20M, 2026-11-01 to 2026-11-30", "VAT 5.00%", "50.00",
                     "1050.00", "Due: 2026-11-01", "PARTLY PAID", "750.00"):
        assert expected in text, expected


def test_a_recharge_card_pays_once_and_only_for_its_package(session):
    pkg, other = make_package(session, price="500"), make_package(session, price="800")
    c = postpaid_customer(session, package=pkg.name)
    fn(session, "bill.generate", sok="ok", date="2026-11-01")
    made = fn(session, "card.generate", count="3", package=pkg.name, batch="nov")
    assert made.extra["count"] == 3
    cards = fn(session, "card", batch="nov").rows
    assert len({r["pin"] for r in cards}) == 3 and cards[0]["amount"] == "500.00"
    pin = cards[0]["pin"]
    pay(session, c, method="card", pin=pin)
    again = pay(session, c, method="card", pin=pin)  # a double submission counts once
    assert again.extra["replayed"] is True and due(session, c) == 0
    someone = postpaid_customer(session, package=pkg.name)
    with pytest.raises(FuncError, match="used") as err:
        pay(session, someone, method="card", pin=pin)
    assert err.value.field == "pin"
    fn(session, "card.generate", count="1", package=other.name, batch="gold")
    gold = fn(session, "card", batch="gold").rows[0]["pin"]
    with pytest.raises(FuncError, match="for package"):
        pay(session, someone, method="card", pin=gold)
    with pytest.raises(FuncError, match="exists"):
        fn(session, "card.generate", count="1", package=pkg.name, batch="nov")


def test_a_card_distributor_sees_its_cards_and_collects_cards_and_cash_only(session):
    isp = make_isp(session)
    seller = make_user(session, role="card_distributor", operator=isp.name)
    fn(session, "card.generate", count="2", amount="300", distributor=seller.login, batch="d1",
       operator=isp.name)
    fn(session, "card.generate", count="2", amount="300", batch="d2", operator=isp.name)
    as_seller = caller_of(session, seller)
    assert {r["batch"] for r in fn(session, "card", as_seller).rows} == {"d1"}
    c = postpaid_customer(session, operator=isp.name)
    assert pay(session, c, "100", caller=as_seller).extra["replayed"] is False
    with pytest.raises(AccessDenied):
        pay(session, c, "100", caller=as_seller, method="advance")


def test_online_payments_come_only_through_a_gateway_checkout(session):
    c = postpaid_customer(session, package=make_package(session, price="500").name)
    with pytest.raises(FuncError, match="payment.checkout") as err:
        pay(session, c, "500", method="online", gateway="bkash", reference="TX1")
    assert err.value.field == "method" and payments_of(session, c) == []


def test_auto_debit_from_the_advance_balance(session):
    c = postpaid_customer(session, package=make_package(session, price="500").name)
    c.advance_balance = D("0")
    pay(session, c, "0.01")  # nothing due yet: it all goes to the advance
    fn(session, "bill.generate", sok="ok", date="2026-11-01")
    assert due(session, c) == D("499.99")
    pay(session, c, "800")
    assert c.advance_balance == D("300.01")
    fn(session, "bill.edit", sok="ok", customer=c.username, description="Cable", amount="100")
    pay(session, c, method="advance")
    assert (due(session, c), c.advance_balance) == (0, D("200.01"))
    with pytest.raises(FuncError, match="nothing to debit"):
        pay(session, c, method="advance")


def test_billing_profile_replace_moves_all_its_customers(session):
    old, new = make_profile(session), make_profile(session, due_day="10")
    customers = [postpaid_customer(session, old) for _ in range(3)]
    result = fn(session, "billing_profile.replace", elid=old.name, to=new.name)
    assert result.extra["moved"] == 3
    for c in customers:
        session.refresh(c)
        assert c.billing_profile_id == new.id


def test_a_manager_collects_cash_only_from_its_customers(session):
    isp = make_isp(session)
    op = make_operator(session, parent=isp.name)
    manager = make_user(session, role="manager", operator=op.name)
    mine = postpaid_customer(session, operator=op.name, manager=manager.login)
    other = postpaid_customer(session, operator=op.name)
    as_manager = caller_of(session, manager)
    fn(session, "bill.generate", sok="ok", date="2026-11-01")
    pay(session, mine, "100", caller=as_manager)
    with pytest.raises(FuncError) as err:
        pay(session, other, "100", caller=as_manager)
    assert err.value.status == 404
    assert [r["customer"] for r in fn(session, "payment", as_manager).rows] == [mine.username]
    with pytest.raises(AccessDenied):
        fn(session, "payment.reverse", as_manager, elid=str(payments_of(session, mine)[0].id))


def test_forms_without_sok_show_what_would_happen_and_write_nothing(session):
    c = postpaid_customer(session, package=make_package(session, price="500").name)
    fn(session, "bill.generate", sok="ok", date="2026-11-01")
    form = fn(session, "payment.edit", customer=c.username).values
    assert (form["method"], form["due"]) == ("cash", "500.00")
    preview = fn(session, "bill.edit", customer=c.username, date="2026-12-05").values
    assert (preview["period_start"], preview["payable"]) == (dt.date(2026, 12, 1), "500.00")
    assert len(bills_of(session, c)) == 1 and payments_of(session, c) == []
    [bill] = bills_of(session, c)
    opened = fn(session, "bill.edit", elid=str(bill.id)).values
    assert opened["lines"][0]["amount"] == "500.00" and opened["due"] == "500.00"
    pay(session, c, "100")
    assert [r["amount"] for r in fn(session, "payment", customer=c.username).rows] == ["100.00"]
    assert fn(session, "payment", customer=c.username, to="2020-01-01").rows == []
    assert len(fn(session, "bill", customer=c.username, **{"from": "2026-11-01"}).rows) == 1
    assert fn(session, "bill", customer=c.username, to="2026-10-31").rows == []
    with pytest.raises(FuncError) as err:
        fn(session, "bill", to="yesterday")
    assert err.value.field == "to"


def test_reversing_a_card_payment_frees_the_card_and_old_cards_are_refused(session):
    pkg = make_package(session, price="500")
    c = postpaid_customer(session, package=pkg.name)
    fn(session, "bill.generate", sok="ok", date="2026-11-01")
    fn(session, "card.generate", count="1", package=pkg.name, batch="rev")
    pin = fn(session, "card", batch="rev").rows[0]["pin"]
    p = pay(session, c, method="card", pin=pin)
    fn(session, "payment.reverse", elid=p.elid)
    assert fn(session, "card", batch="rev").rows[0]["status"] == "unused" and due(session, c) == 500
    pay(session, c, method="card", pin=pin)  # the card can pay again
    assert due(session, c) == 0
    fn(session, "card.generate", count="1", amount="100", batch="old", valid_until="2020-01-01")
    with pytest.raises(FuncError, match="expired"):
        pay(session, c, method="card", pin=fn(session, "card", batch="old").rows[0]["pin"])
    fn(session, "card.delete", elid=fn(session, "card", batch="old").rows[0]["serial"])
    assert fn(session, "card", batch="old").rows == []


def test_paying_cash_after_expiry_brings_the_walled_garden_session_back_at_once(session):
    """Expired but not yet suspended by the expiry job: authorize already put the subscriber in
    the suspension pool, so the payment that renews validity must queue one Disconnect."""
    from tests.support.factories import make_customer
    from tests.support.rating_factories import outbox_of
    c = make_customer(session, package=make_package(session, price="500").name,
                      expires="2026-01-01")
    assert c.status == "active" and c.expires_at < dt.datetime.now(dt.timezone.utc)
    pay(session, c, "500")
    session.refresh(c)
    assert c.expires_at > dt.datetime.now(dt.timezone.utc)
    assert [(o.payload["event"], o.payload["redial"])
            for o in outbox_of(session, c, "disconnect")] == [("payment.received", True)]
    pay(session, c, "500")  # a renewal while valid re-dials nobody
    assert len(outbox_of(session, c, "disconnect")) == 1


def test_a_card_list_shows_the_pin_to_the_issuing_operator_only(session):
    isp = make_isp(session)
    make_operator(session, name="resX", parent=isp.name, level="operator")
    make_operator(session, name="resY", parent=isp.name, level="operator")
    boss = caller_of(session, make_user(session, role="operator", operator="resX"))
    parent = caller_of(session, make_user(session, role="group_admin", operator=isp.name))
    other = caller_of(session, make_user(session, role="operator", operator="resY"))
    fn(session, "card.generate", boss, count="2", amount="300", batch="x1")
    fn(session, "card.generate", count="1", amount="300", batch="isp1", operator=isp.name)
    assert all(r["pin"] for r in fn(session, "card", boss).rows)
    seen = {r["batch"]: r["pin"] for r in fn(session, "card", parent).rows}
    assert seen["isp1"] and seen["x1"] is None  # the parent sees the reseller's cards, no PIN
    sysadmin = {r["batch"]: r["pin"] for r in fn(session, "card").rows}
    assert sysadmin["isp1"] and sysadmin["x1"] is None
    assert fn(session, "card", other).rows == []

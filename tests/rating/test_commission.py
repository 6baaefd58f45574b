"""Distributors and collectors (issue 11): finding a customer to collect from, paying on their
behalf, the commission it earns, its reversal, and the commission report."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from radbill.functions.registry import AccessDenied, FuncError, NotFound, load_all
from radbill.models import LedgerTransaction, Payment
from rating import ledger
from customers.functions.customers import mobile_starts, normalise
from rating.functions.collect import mask
from rating.terms import today
from tests.support.factories import caller_of, fn, make_isp, make_operator, make_package, \
    make_user
from tests.support.rating_factories import pins, assert_books_balance, bills_of, due, pay, \
    postpaid_customer

NOVEMBER = dt.date(2026, 11, 1)


@pytest.fixture(autouse=True)
def books_balance(session):
    yield
    assert_books_balance(session)


@pytest.fixture
def shop(session):
    """Two resellers under one ISP. Reseller A has a card distributor (2 % of cash, 10.00 a card),
    a distributor on percent only (5 %) and a cash collector (1.5 %); reseller B a distributor
    of its own. Alice (A) and Bob (B) each owe November's 500."""
    w = SimpleNamespace()
    isp = make_isp(session)
    w.res_a = make_operator(session, parent=isp.name)
    w.res_b = make_operator(session, parent=isp.name)
    w.anna = make_user(session, role="operator", operator=w.res_a.name)
    w.ben = make_user(session, role="operator", operator=w.res_b.name)
    w.dist = make_user(session, role="card_distributor", operator=w.res_a.name,
                       commission_percent="2", commission_fixed="10")
    w.pct = make_user(session, role="card_distributor", operator=w.res_a.name,
                      commission_percent="5")
    w.mgr = make_user(session, role="manager", operator=w.res_a.name, commission_percent="1.5")
    w.dist_b = make_user(session, role="card_distributor", operator=w.res_b.name,
                         commission_percent="3")
    w.pkg = make_package(session, price="500")
    w.alice = postpaid_customer(session, package=w.pkg.name, operator=w.res_a.name,
                                mobile="01712345678", name="Alice Akter", manager=w.mgr.login)
    w.amos = postpaid_customer(session, package=w.pkg.name, operator=w.res_a.name,
                               mobile="+8801712000111", name="Amos")
    w.bob = postpaid_customer(session, package=w.pkg.name, operator=w.res_b.name,
                              mobile="01812345678", name="Bob")
    fn(session, "bill.generate", sok="ok", date=NOVEMBER.isoformat())
    for who in ("anna", "ben", "dist", "pct", "mgr", "dist_b"):
        setattr(w, f"as_{who}", caller_of(session, getattr(w, who)))
    return w


def commission(session, operator) -> tuple[D, D]:
    return (ledger.balance(session, operator.id, "commission"),
            ledger.balance(session, operator.id, "commission_payable"))


def report(session, caller, **params) -> dict[str, dict]:
    return {r["login"]: r for r in fn(session, "report.commission", caller, **params).rows}


# -- finding the customer -------------------------------------------------------------------------
def test_a_mobile_number_is_one_number_however_it_is_written():
    for written in ("01712345678", "+8801712345678", "8801712345678", "008801712345678",
                    "017-1234-5678", "+880 1712 345678", "+880 01712345678"):
        assert normalise(written) == "+8801712345678", written
        assert mobile_starts(written) == ["+8801712345678"], written
    assert "+8801712345678" in mobile_starts("1712345678")  # no prefix: also read as Bangladeshi
    assert mobile_starts("017123") == ["+88017123"]
    assert mobile_starts("+447911123456") == mobile_starts("00447911123456") == ["+447911123456"]
    assert mobile_starts("alice") == mobile_starts("+") == []
    assert mask("01712345678") == mask("+8801712345678") == "01712***678"
    assert mask("12345678") == "12****78"


def test_a_distributor_finds_a_customer_by_mobile_in_any_spelling_and_sees_what_is_due(session,
                                                                                       shop):
    for q in ("01712345678", "+8801712345678", "8801712345678", " 017 1234 5678 ", "0171234",
              "+880171234"):
        rows = fn(session, "collect.find", shop.as_dist, q=q).rows
        assert [r["username"] for r in rows] == [shop.alice.username], q
    [row] = fn(session, "collect.find", shop.as_dist, q="01712345678").rows
    assert row["mobile"] == "01712***678"  # a distributor recognises, does not harvest
    assert (row["name"], row["status"], row["due"], row["price"]) == ("Alice Akter", "active",
                                                                      "500.00", "500.00")
    # the stored +880 spelling is found by the local one, and the other way round
    assert [r["username"] for r in fn(session, "collect.find", shop.as_dist,
                                      q="01712000111").rows] == [shop.amos.username]
    # by username, whole or its start; the reseller sees the whole number
    assert fn(session, "collect.find", shop.as_anna,
              q=shop.alice.username.upper()).rows[0]["mobile"] == "01712345678"
    assert shop.alice.username in {r["username"] for r in fn(
        session, "collect.find", shop.as_dist, q=shop.alice.username[:4]).rows}


def test_a_prepaid_customer_with_nothing_open_is_offered_the_next_validity(session, shop):
    from tests.support.factories import make_customer
    c = make_customer(session, caller_of(session, shop.anna), package=shop.pkg.name,
                      mobile="01799000000")
    [row] = fn(session, "collect.find", shop.as_dist, q="01799000000").rows
    assert (row["due"], row["renewal"]) == ("0.00", "500.00")
    fn(session, "payment.edit", shop.as_dist, sok="ok", customer=str(c.id), method="cash",
       amount=row["renewal"])
    session.refresh(c)
    assert c.expires_at > dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=20)


def test_a_manager_finds_only_the_customers_they_collect_from(session, shop):
    assert [r["username"] for r in fn(session, "collect.find", shop.as_mgr,
                                      q="017123").rows] == [shop.alice.username]
    assert fn(session, "collect.find", shop.as_mgr, q="01712345678").rows[0]["mobile"] \
        == "01712345678"


def test_another_resellers_distributor_neither_finds_nor_pays_the_customer(session, shop):
    unknown = fn(session, "collect.find", shop.as_dist_b, q="01799999999").rows
    assert unknown == []
    for q in ("01712345678", "+8801712345678", shop.alice.username, "0171"):
        assert fn(session, "collect.find", shop.as_dist_b, q=q).rows == unknown, q
    refusals = []
    for ref in (shop.alice.username, str(shop.alice.id), "nosuch", "2147483000"):
        with pytest.raises(NotFound) as err:
            fn(session, "payment.edit", shop.as_dist_b, sok="ok", customer=ref, method="cash",
               amount="500")
        refusals.append((err.value.status, err.value.field,
                         err.value.message.replace(repr(ref), "X")))
    assert len(set(refusals)) == 1  # the same answer as for a customer that does not exist
    assert due(session, shop.alice) == 500
    assert session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 0


# -- paying on the customer's behalf --------------------------------------------------------------
def test_a_distributor_takes_cash_for_a_customer_and_earns_its_percent(session, shop):
    [row] = fn(session, "collect.find", shop.as_dist, q="+8801712345678").rows
    done = fn(session, "payment.edit", shop.as_dist, sok="ok", customer=str(row["id"]),
              method="cash", amount=row["due"])
    [bill] = bills_of(session, shop.alice)
    assert bill.status == "paid" and due(session, shop.alice) == 0
    p = session.get(Payment, done.elid)
    assert (p.method, p.amount, p.collected_by) == ("cash", D("500.00"), shop.dist.id)
    assert commission(session, shop.res_a) == (D("10.00"), D("-10.00"))  # 2 % of 500
    [tx] = session.scalars(sa.select(LedgerTransaction).where(
        LedgerTransaction.payment_id == p.id, LedgerTransaction.kind == "commission"))
    assert tx.operator_id == shop.res_a.id and shop.dist.login in tx.description
    assert commission(session, shop.res_b) == (0, 0)


def test_distributors_take_cash_and_cards_but_never_online_or_advance(session, shop):
    for method in ("online", "advance"):
        with pytest.raises(AccessDenied) as err:
            fn(session, "payment.edit", shop.as_dist, sok="ok", customer=shop.alice.username,
               method=method, amount="100")
        assert err.value.field == "method"
    fn(session, "payment.edit", shop.as_dist, sok="ok", customer=shop.alice.username,
       method="cash", amount="100")
    assert due(session, shop.alice) == 400


def test_a_collector_earns_its_percent_and_a_reseller_collecting_earns_nothing(session, shop):
    pay(session, shop.alice, "200", caller=shop.as_mgr)
    assert commission(session, shop.res_a) == (D("3.00"), D("-3.00"))  # 1.5 % of 200
    pay(session, shop.amos, "500", caller=shop.as_anna)  # anna has no commission rate
    assert commission(session, shop.res_a) == (D("3.00"), D("-3.00"))


def test_a_redeemed_card_earns_its_distributor_the_fixed_amount_else_the_percent(session, shop):
    fn(session, "card.generate", count="1", amount="500", distributor=shop.dist.login,
       batch="fixed", operator=shop.res_a.name)
    fn(session, "card.generate", count="1", amount="500", distributor=shop.pct.login,
       batch="pct", operator=shop.res_a.name)
    fn(session, "card.generate", count="1", amount="500", batch="nobody", operator=shop.res_a.name)
    pin_of = {b: pins(session, b)[0] for b in ("fixed", "pct", "nobody")}
    pay(session, shop.alice, method="card", pin=pin_of["fixed"])  # the customer redeems it
    assert commission(session, shop.res_a) == (D("10.00"), D("-10.00"))
    # a card the distributor redeems for the customer earns the same, once
    fn(session, "payment.edit", shop.as_pct, sok="ok", customer=shop.amos.username,
       method="card", pin=pin_of["pct"])
    assert commission(session, shop.res_a) == (D("35.00"), D("-35.00"))  # + 5 % of 500
    fn(session, "payment.edit", shop.as_pct, sok="ok", customer=shop.amos.username,
       method="card", pin=pin_of["pct"])  # a double submission counts once
    assert commission(session, shop.res_a) == (D("35.00"), D("-35.00"))
    fn(session, "bill.edit", sok="ok", customer=shop.alice.username, description="Router",
       amount="500")
    pay(session, shop.alice, method="card", pin=pin_of["nobody"])  # no distributor: no commission
    assert commission(session, shop.res_a) == (D("35.00"), D("-35.00"))


def test_reversing_a_payment_takes_its_commission_back(session, shop):
    fn(session, "card.generate", count="1", amount="500", distributor=shop.dist.login,
       batch="rev", operator=shop.res_a.name)
    pin = pins(session, "rev")[0]
    card = pay(session, shop.alice, method="card", pin=pin)
    cash = fn(session, "payment.edit", shop.as_dist, sok="ok", customer=shop.amos.username,
              method="cash", amount="500")
    assert commission(session, shop.res_a) == (D("20.00"), D("-20.00"))
    fn(session, "payment.reverse", shop.as_anna, elid=f"{card.elid},{cash.elid}", reason="bounced")
    assert commission(session, shop.res_a) == (0, 0)
    assert due(session, shop.alice) == due(session, shop.amos) == 500
    row = report(session, shop.as_anna)[shop.dist.login]
    assert (row["earned"], row["reversed"], row["net"]) == ("20.00", "20.00", "0.00")
    assert (row["cards_redeemed"], row["amount_collected"]) == (0, "0.00")


# -- the report -----------------------------------------------------------------------------------
def test_the_commission_report_per_distributor_and_collector(session, shop):
    fn(session, "card.generate", count="2", amount="500", distributor=shop.dist.login,
       batch="r1", operator=shop.res_a.name)
    printed = pins(session, "r1")
    pay(session, shop.alice, method="card", pin=printed[0])
    fn(session, "payment.edit", shop.as_dist, sok="ok", customer=shop.amos.username,
       method="cash", amount="300")
    pay(session, shop.alice, "0.01", caller=shop.as_mgr)  # into the advance: 1.5 % rounds to 0
    fn(session, "payment.edit", shop.as_dist_b, sok="ok", customer=shop.bob.username,
       method="cash", amount="500")

    rows = report(session, shop.as_anna)
    assert set(rows) == {shop.dist.login, shop.pct.login, shop.mgr.login}  # not B's distributor
    d = rows[shop.dist.login]
    assert (d["cards_redeemed"], d["card_value"], d["amount_collected"]) == (1, "500.00", "300.00")
    assert (d["earned"], d["reversed"], d["net"]) == ("16.00", "0.00", "16.00")  # 10 + 2 % of 300
    assert (d["commission_percent"], d["commission_fixed"]) == ("2.00", "10.00")
    m = rows[shop.mgr.login]
    assert (m["amount_collected"], m["earned"]) == ("0.01", "0.00")
    assert rows[shop.pct.login]["net"] == "0.00"

    # B's reseller sees its own distributor only; the group sees everyone
    assert set(report(session, shop.as_ben)) == {shop.dist_b.login}
    assert report(session, shop.as_ben)[shop.dist_b.login]["earned"] == "15.00"
    assert {shop.dist.login, shop.dist_b.login} <= set(report(session, caller_of(
        session, make_user(session, role="group_admin", operator=shop.res_a.parent.name))))
    # one distributor by login or id; another reseller's is not there at all
    assert set(report(session, shop.as_anna, distributor=shop.dist.login.upper())) \
        == {shop.dist.login}
    assert set(report(session, shop.as_anna, distributor=str(shop.dist.id))) == {shop.dist.login}
    with pytest.raises(NotFound) as err:
        report(session, shop.as_anna, distributor=shop.dist_b.login)
    assert err.value.field == "distributor"
    # days in the ISP's zone
    day = today()
    assert report(session, shop.as_anna, **{"from": day.isoformat(), "to": day.isoformat()}) \
        [shop.dist.login]["net"] == "16.00"
    later = report(session, shop.as_anna, **{"from": (day + dt.timedelta(days=1)).isoformat()})
    assert later[shop.dist.login]["net"] == "0.00" and later[shop.dist.login]["cards_redeemed"] == 0
    with pytest.raises(FuncError) as err:
        report(session, shop.as_anna, to="yesterday")
    assert err.value.field == "to"


def test_a_distributor_sees_its_own_commission_and_nobody_elses(session, shop):
    fn(session, "payment.edit", shop.as_dist, sok="ok", customer=shop.alice.username,
       method="cash", amount="500")
    fn(session, "payment.edit", shop.as_pct, sok="ok", customer=shop.amos.username,
       method="cash", amount="500")
    assert set(report(session, shop.as_dist)) == {shop.dist.login}
    assert report(session, shop.as_dist)[shop.dist.login]["net"] == "10.00"
    assert set(report(session, shop.as_pct)) == {shop.pct.login}
    for ref in (shop.pct.login, str(shop.pct.id), shop.dist_b.login, "nobody"):
        with pytest.raises(NotFound):
            report(session, shop.as_dist, distributor=ref)
    with pytest.raises(AccessDenied):
        fn(session, "report.commission", shop.as_dist, operator=shop.res_b.name)


# -- the rates ------------------------------------------------------------------------------------
def test_commission_rates_are_set_on_the_staff_login_and_validated(session, shop):
    fn(session, "user.edit", shop.as_anna, sok="ok", elid=shop.pct.login,
       commission_percent="7.5", commission_fixed="12")
    session.refresh(shop.pct)
    assert (shop.pct.commission_percent, shop.pct.commission_fixed) == (D("7.50"), D("12.00"))
    form = fn(session, "user.edit", shop.as_anna, elid=shop.pct.login).values
    assert (form["commission_percent"], form["commission_fixed"]) == ("7.50", "12.00")
    with pytest.raises(FuncError) as err:
        fn(session, "user.edit", shop.as_anna, sok="ok", elid=shop.pct.login,
           commission_percent="101", commission_fixed="-1")
    assert set(err.value.errors) == {"commission_percent", "commission_fixed"}
    for bad in ("1e3", "NaN", "2.555", "١٠"):
        with pytest.raises(FuncError) as err:
            fn(session, "user.edit", shop.as_anna, sok="ok", elid=shop.pct.login,
               commission_percent=bad)
        assert err.value.field == "commission_percent" and not err.value.fallback
    fn(session, "user.edit", shop.as_anna, sok="ok", elid=shop.pct.login, commission_fixed="")
    session.refresh(shop.pct)
    assert shop.pct.commission_fixed is None
    with pytest.raises(AccessDenied):  # nobody sets their own
        fn(session, "user.edit", shop.as_anna, sok="ok", elid=shop.anna.login,
           commission_percent="50")
    assert {"commission_percent", "commission_fixed"} <= load_all()["user"].money_fields

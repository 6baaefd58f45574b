"""The collect pages (issue 11): a distributor or collector finds a customer on a phone, sees what
is due and takes cash or a card for them -- through collect.find and payment.edit, with CSRF."""
from __future__ import annotations

import csv
import io
import re
import shutil
from decimal import Decimal as D

import pytest

from tests.support.rating_factories import pins
import sqlalchemy as sa

from radbill.models import Bill, Payment
from rating import ledger
from tests.admin.test_browser import ARTIFACTS, browser, live_admin  # noqa: F401 (fixtures)
from tests.support.factories import fn, make_user

SCREENS = ARTIFACTS / "screens"


@pytest.fixture
def owed(world, dbs):
    """Alice owes 500; the distributor cards1 earns 2 % of cash and 10.00 a card; reseller B has
    a distributor of its own."""
    fn(dbs, "bill.edit", sok="ok", customer="alice", description="November", amount="500")
    fn(dbs, "user.edit", sok="ok", elid="cards1", commission_percent="2", commission_fixed="10")
    world.cards_b = make_user(dbs, login="cardsb", role="card_distributor", operator="opB",
                              password="correct-horse")
    dbs.commit()
    return world


def due(dbs, world) -> D:
    dbs.expire_all()
    return dbs.scalar(sa.select(sa.func.coalesce(sa.func.sum(Bill.total - Bill.paid), 0))
                      .where(Bill.customer_id == world.cust_a.id, Bill.status == "open"))


def test_a_distributor_finds_by_mobile_and_takes_cash_with_a_receipt_line(owed, auth, dbs):
    auth.login("cards1")
    for q in ("01711000001", "+8801711000001", "8801711000001"):
        page = auth.get("/collect", query_string={"q": q}).get_data(as_text=True)
        assert 'id="c-alice"' in page and "Alice A" in page, q
        assert "<small>alice · 01711***001</small>" in page  # recognised, not harvested
    page = auth.get("/collect/alice?q=01711000001").get_data(as_text=True)
    assert re.search(r'id="due">500\.00 BDT<', page)
    assert re.search(r'id="amount" name="amount"[^>]*value="500.00"', page)  # prefilled
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)

    # without the page's CSRF token nothing is taken
    bare = auth.client.post("/collect/alice", data={"method": "cash", "amount": "500"})
    assert bare.status_code == 400 and due(dbs, owed) == 500

    done = auth.post("/collect/alice", {"method": "cash", "amount": "500.00",
                                        "idempotency_key": key})
    assert done.status_code == 302 and done.location.endswith("/collect/alice")
    shown = auth.get("/collect/alice").get_data(as_text=True)
    line = re.search(r'id="receipt">([^<]+)<', shown).group(1)
    assert line.startswith("Received 500.00 BDT in cash from Alice A (alice). Receipt MR-")
    assert "Nothing due" in shown and due(dbs, owed) == 0
    [p] = dbs.scalars(sa.select(Payment).where(Payment.customer_id == owed.cust_a.id))
    assert (p.method, p.collected_by) == ("cash", owed.cards.id)
    assert ledger.balance(dbs, owed.op_a.id, "commission") == D("10.00")

    again = auth.post("/collect/alice", {"method": "cash", "amount": "500.00",
                                         "idempotency_key": key})  # a double tap
    assert again.status_code == 302
    assert "Already recorded" in auth.get("/collect/alice").get_data(as_text=True)
    assert dbs.scalar(sa.select(sa.func.count()).select_from(Payment)) == 1


def test_a_card_pin_is_taken_and_a_wrong_one_is_said_beside_the_field(owed, auth, dbs):
    fn(dbs, "card.generate", count="1", amount="500", distributor="cards1", batch="c1",
       operator="opA")
    pin = pins(dbs, "c1")[0]
    dbs.commit()
    auth.login("cards1")
    auth.get("/collect/alice")
    wrong = auth.post("/collect/alice", {"method": "card", "pin": "00000000000000"})
    assert wrong.status_code == 400
    assert re.search(r'id="pin-error">[^<]*no such card', wrong.get_data(as_text=True))
    auth.get("/collect/alice")
    done = auth.post("/collect/alice", {"method": "card", "pin": pin})
    assert done.status_code == 302
    line = re.search(r'id="receipt">([^<]+)<', auth.get("/collect/alice").get_data(as_text=True))
    assert "500.00 BDT by recharge card" in line.group(1) and due(dbs, owed) == 0
    assert ledger.balance(dbs, owed.op_a.id, "commission") == D("10.00")  # the fixed amount


def test_a_prepaid_customer_whose_validity_ran_out_is_offered_the_renewal_once(owed, auth, dbs):
    from tests.support.factories import caller_of, make_customer
    make_customer(dbs, caller_of(dbs, owed.operator_a), username="pre1", package="home10",
                  expires="2026-01-01", mobile="01911000001")
    dbs.commit()
    auth.login("cards1")
    page = auth.get("/collect/pre1").get_data(as_text=True)
    assert re.search(r'id="due-line">Renewal due <b id="due">500\.00 BDT<', page)
    assert re.search(r'id="amount" name="amount"[^>]*value="500.00"', page)
    assert auth.post("/collect/pre1", {"method": "cash", "amount": "500.00"}).status_code == 302
    after = auth.get("/collect/pre1").get_data(as_text=True)
    assert "Received 500.00 BDT in cash" in after and 'id="valid"' in after
    assert re.search(r'id="due-line">Nothing due', after)
    assert re.search(r'id="amount" name="amount"[^>]*value=""', after)
    assert "the next period costs 500.00 BDT" in after


def test_a_bad_amount_is_said_beside_the_field_and_nothing_is_taken(owed, auth, dbs):
    auth.login("mgr")
    auth.get("/collect/alice")
    for bad in ("0", "1e30", "five hundred"):
        resp = auth.post("/collect/alice", {"method": "cash", "amount": bad})
        page = resp.get_data(as_text=True)
        assert resp.status_code == 400 and 'id="amount-error"' in page, bad
        assert f'value="{bad}"' in page  # what was typed stays to be corrected
    odd = auth.post("/collect/alice", {"method": "advance", "amount": "5"})
    assert odd.status_code == 400 and 'id="error"' in odd.get_data(as_text=True)
    assert due(dbs, owed) == 500


def test_another_resellers_distributor_gets_no_hint_the_customer_exists(owed, auth, dbs):
    auth.login("cardsb")
    nobody = auth.get("/collect?q=01799999999").get_data(as_text=True)
    alice = auth.get("/collect?q=01711000001").get_data(as_text=True)
    assert 'id="none"' in alice and "Alice" not in alice
    assert alice.replace("01711000001", "Q") == nobody.replace("01799999999", "Q")
    assert auth.get("/collect/alice").status_code == 404
    assert auth.get("/collect/alice").get_data(as_text=True).replace("alice", "X") == \
        auth.get("/collect/nobody").get_data(as_text=True).replace("nobody", "X")
    auth.get("/collect")
    assert auth.post("/collect/alice", {"method": "cash", "amount": "500"}).status_code == 404
    assert due(dbs, owed) == 500


def test_the_menu_offers_collecting_to_those_who_collect(owed, auth):
    for login, shown in (("cards1", True), ("mgr", True), ("opera", True), ("noc1", False)):
        auth.login(login)
        menu = auth.get("/").get_data(as_text=True)
        assert ('href="/collect"' in menu) is shown, login
        if not shown:
            assert auth.get("/collect").status_code == 403
        auth.logout()


def test_the_commission_report_exports_as_csv(owed, auth, dbs):
    auth.login("cards1")
    auth.get("/collect/alice")
    auth.post("/collect/alice", {"method": "cash", "amount": "500"})
    auth.logout()
    auth.login("opera")
    resp = auth.get("/export.csv?func=report.commission")
    assert resp.status_code == 200
    rows = {r["login"]: r for r in csv.DictReader(io.StringIO(resp.get_data(as_text=True)))}
    assert "cardsb" not in rows and rows["cards1"]["amount_collected"] == "500.00"
    assert (rows["cards1"]["earned"], rows["cards1"]["net"]) == ("10.00", "10.00")
    page = auth.get("/billmgr?func=report.commission").get_data(as_text=True)
    assert "Commission report" in page and "cards1" in page


# -- on a phone, in a real browser --------------------------------------------------------------
@pytest.mark.browser
@pytest.mark.skipif(not shutil.which("chromedriver"), reason="no chromedriver")
def test_on_a_390px_phone_a_distributor_collects_in_four_taps(live_admin, browser):  # noqa: F811
    from selenium.webdriver.common.by import By

    from radbill import db
    from tests.admin.test_browser import click, fill
    from tests.support.factories import caller_of, make_customer, make_isp, make_operator, \
        make_package
    with db.session_scope() as s:
        isp = make_isp(s)
        op = make_operator(s, name="resellerA", parent=isp.name)
        make_user(s, login="dist", role="card_distributor", operator=op.name,
                  password="correct-horse", commission_percent="2")
        anna = caller_of(s, make_user(s, login="anna", role="operator", operator=op.name,
                                      password="correct-horse"))
        make_package(s, name="Home-10M", price="500")
        for i, (name, mobile) in enumerate((("Rahima Begum", "01712345678"),
                                            ("Rahim Uddin", "+8801712345690"),
                                            ("Karim Mia", "01812345678"))):
            make_customer(s, anna, username=f"c100{i}", name=name, mobile=mobile,
                          package="Home-10M")
            fn(s, "bill.edit", anna, sok="ok", customer=f"c100{i}", description="December",
               amount="525")
    b = browser
    b.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True})
    b.get(live_admin + "/login")
    fill(b, login="dist", password="correct-horse")
    click(b, "submit")
    b.get(live_admin + "/collect")
    SCREENS.mkdir(parents=True, exist_ok=True)
    fill(b, q="+880 1712 345")
    click(b, "find")
    assert [e.text.split("\n")[0] for e in b.find_elements(By.CSS_SELECTOR, ".people b")] == \
        ["Rahima Begum", "Rahim Uddin"]
    assert "01712***678" in b.page_source and "01712345678" not in b.page_source
    fits(b)
    b.save_screenshot(str(SCREENS / "collect-1-results-390.png"))
    click(b, "c-c1000")
    assert b.find_element(By.ID, "due").text == "525.00 BDT"
    assert b.find_element(By.ID, "amount").get_attribute("value") == "525.00"
    fits(b)
    b.save_screenshot(str(SCREENS / "collect-2-customer-390.png"))
    click(b, "take-cash")
    receipt = b.find_element(By.ID, "receipt").text
    assert receipt.startswith("Received 525.00 BDT in cash from Rahima Begum (c1000). Receipt MR-")
    assert "Nothing due" in b.find_element(By.ID, "due-line").text
    assert b.find_element(By.ID, "amount").get_attribute("value") == ""  # no second helping
    fits(b)
    b.save_screenshot(str(SCREENS / "collect-3-receipt-390.png"))


def fits(driver) -> None:
    """Nothing wider than the phone: no sideways scrolling."""
    width = driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide"

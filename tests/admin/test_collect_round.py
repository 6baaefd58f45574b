"""The collector's round (issue 12): numbers stored as E.164 and found however typed (or by their
last digits), by name or address too; the money receipt (page and PDF) to whoever may see the
payment; the collector's day (collect.day) per method with the cash to hand over."""
from __future__ import annotations

import importlib
import re
import shutil
import subprocess

import pytest
import sqlalchemy as sa

from radbill.models import Customer, Payment
from tests.admin.test_browser import ARTIFACTS, browser, live_admin  # noqa: F401 (fixtures)
from tests.admin.test_collect import owed  # noqa: F401 (fixture)
from tests.support.factories import caller_of, fn, make_customer

SCREENS = ARTIFACTS / "screens"


def found(dbs, caller, q) -> list[str]:
    return [r["username"] for r in fn(dbs, "collect.find", caller, q=q).rows]


def test_numbers_are_stored_as_e164_and_found_however_typed(world, dbs):
    dbs.expire_all()
    assert dbs.get(Customer, world.cust_a.id).mobile == "+8801711000001"  # typed 01711000001
    opera = caller_of(dbs, world.operator_a)
    make_customer(dbs, opera, username="carol", package="home10", mobile="+880 1911-223344",
                  name="Carol Khatun", address="House 12, Road 5, Dhanmondi")
    assert dbs.scalar(sa.select(Customer.mobile).where(Customer.username == "carol")) \
        == "+8801911223344"
    for q in ("01911223344", "+8801911223344", "8801911223344", "008801911223344",
              "0191122", "+880191122", "223344", "1223344", "019 1122 3344"):
        assert found(dbs, opera, q) == ["carol"], q
    assert found(dbs, opera, "carol k") == ["carol"]  # name, whole or its start
    assert found(dbs, opera, "khatun") == ["carol"]  # a word of the name
    assert found(dbs, opera, "dhanmondi") == ["carol"]  # the address contains it
    assert found(dbs, opera, "000001") == ["alice"]  # trailing digits; amos ends 000002
    # the local-format number the issue says found nothing
    assert found(dbs, opera, "01711000001") == ["alice"]
    # another reseller's customers stay out, by number, name or address
    operb = caller_of(dbs, world.operator_b)
    assert found(dbs, operb, "223344") == found(dbs, operb, "dhanmondi") == []
    # the customer list's q: the same spellings and last digits
    for q in ("01911223344", "8801911223344", "223344"):
        rows = fn(dbs, "customer", opera, q=q).rows
        assert [r["username"] for r in rows] == ["carol"], q


def test_the_migration_rewrites_what_phonenumbers_reads_and_keeps_the_rest():
    m = importlib.import_module("radbill.migrations.versions.0009_mobiles_e164")
    assert m.e164("01711000001") == m.e164("8801711000001") == m.e164("008801711000001") \
        == m.e164("+8801711000001") == "+8801711000001"
    assert m.e164("00447911123456") == "+447911123456"
    assert m.e164("123") is None  # stays as it is


def test_a_receipt_page_and_pdf_for_who_may_see_the_payment(owed, auth, dbs):  # noqa: F811
    auth.login("cards1")
    page = auth.get("/collect/alice").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    assert 'id="m-cash" checked' in page and "Take 500.00 BDT in cash" in page
    done = auth.post("/collect/alice", {"method": "cash", "amount": "500.00",
                                        "idempotency_key": key})
    assert done.status_code == 302
    shown = auth.get("/collect/alice").get_data(as_text=True)
    [p] = dbs.scalars(sa.select(Payment).where(Payment.customer_id == owed.cust_a.id))
    assert f'href="/collect/receipt/{p.id}"' in shown and f"/collect/receipt/{p.id}.pdf" in shown
    receipt = auth.get(f"/collect/receipt/{p.id}").get_data(as_text=True)
    number = f"MR-{p.id:06d}"
    assert number in receipt and "500.00 BDT" in receipt and "Cash" in receipt
    assert re.search(r'id="r-collector">cards1<', receipt)
    pdf = auth.client.get(f"/collect/receipt/{p.id}.pdf")
    assert pdf.status_code == 200 and pdf.content_type == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf.data, capture_output=True,
                              check=True).stdout.decode()
        for part in (number, "Alice A", "500.00 BDT", "Cash", "cards1", "MONEY RECEIPT"):
            assert part in text, part
    # my day: cash 500.00 to hand over
    day = auth.get("/collect/day").get_data(as_text=True)
    assert re.search(r'id="handover-cards1">500\.00 BDT<', day)
    auth.logout()
    # another reseller's distributor: as for a payment that does not exist
    auth.login("cardsb")
    assert auth.get(f"/collect/receipt/{p.id}").status_code == 404
    assert auth.client.get(f"/collect/receipt/{p.id}.pdf").status_code == 404
    auth.logout()
    auth.login("opera")  # the reseller sees it, and its collectors' day
    assert auth.get(f"/collect/receipt/{p.id}").status_code == 200
    rows = fn(dbs, "collect.day", caller_of(dbs, owed.operator_a)).rows
    assert [(r["collector"], r["method"], r["amount"], r["to_hand_over"]) for r in rows] == [
        ("cards1", "cash", "500.00", "500.00"), ("cards1", "total", "500.00", "500.00")]
    assert fn(dbs, "collect.day", caller_of(dbs, owed.operator_b)).rows == []
    assert fn(dbs, "collect.day", caller_of(dbs, owed.operator_a), day="2020-01-01").rows == []


# -- the round on a phone ---------------------------------------------------------------------
@pytest.mark.browser
@pytest.mark.skipif(not shutil.which("chromedriver"), reason="no chromedriver")
def test_the_collectors_round_at_390px(live_admin, browser):  # noqa: F811
    import urllib.request

    from selenium.webdriver.common.by import By

    from radbill import db
    from tests.admin.test_browser import click, fill
    from tests.support.factories import make_isp, make_operator, make_package, make_user
    with db.session_scope() as s:
        isp = make_isp(s)
        op = make_operator(s, name="resellerA", parent=isp.name)
        make_user(s, login="mgr1", role="manager", operator=op.name, password="correct-horse",
                  name="Jamal Collector")
        anna = caller_of(s, make_user(s, login="anna", role="operator", operator=op.name,
                                      password="correct-horse"))
        make_package(s, name="Home-10M", price="500")
        for i, (name, mobile) in enumerate((("Rahima Begum", "+880 1711-345678"),
                                            ("Rahim Uddin", "01711345690"),
                                            ("Karim Mia", "01812345678"))):
            make_customer(s, anna, username=f"c200{i}", name=name, mobile=mobile,
                          package="Home-10M", manager="mgr1",
                          address="Road 7, Mirpur" if i == 0 else None)
            fn(s, "bill.edit", anna, sok="ok", customer=f"c200{i}", description="December",
               amount="525")
    b = browser
    b.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True})
    b.get(live_admin + "/login")
    fill(b, login="mgr1", password="correct-horse")
    click(b, "submit")
    b.get(live_admin + "/collect")
    SCREENS.mkdir(parents=True, exist_ok=True)
    fits(b)
    fill(b, q="0171134")  # the start of a local number
    click(b, "find")
    assert [e.text.split("\n")[0] for e in b.find_elements(By.CSS_SELECTOR, ".people b")] == \
        ["Rahima Begum", "Rahim Uddin"]
    assert "01711345678" in b.page_source  # a collector sees the number as written at home
    fits(b)
    b.save_screenshot(str(SCREENS / "collect-round-1-search.png"))
    click(b, "c-c2000")
    assert b.find_element(By.ID, "due").text == "525.00 BDT"
    assert b.find_element(By.ID, "amount").get_attribute("value") == "525.00"
    assert b.find_element(By.ID, "m-cash").is_selected()
    assert not b.find_element(By.ID, "pin").is_displayed()  # the card's field waits for its choice
    fits(b)
    b.save_screenshot(str(SCREENS / "collect-round-2-customer.png"))
    click(b, "take-cash")  # one tap
    assert b.find_element(By.ID, "receipt").text.startswith(
        "Received 525.00 BDT in cash from Rahima Begum (c2000). Receipt MR-")
    fits(b)
    b.save_screenshot(str(SCREENS / "collect-round-3-paid.png"))
    pdf_href = b.find_element(By.ID, "receipt-pdf").get_attribute("href")
    click(b, "receipt-page")
    number = b.find_element(By.ID, "receipt-number").text
    assert re.fullmatch(r"MR-\d{6}", number)
    assert b.find_element(By.ID, "r-amount").text == "525.00 BDT"
    assert b.find_element(By.ID, "r-collector").text == "Jamal Collector"
    assert b.find_element(By.ID, "r-method").text == "Cash"
    fits(b)
    b.save_screenshot(str(SCREENS / "collect-round-4-receipt.png"))
    # the PDF, with the browser's session cookie
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in b.get_cookies())
    req = urllib.request.Request(pdf_href, headers={"Cookie": cookies})
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.headers["Content-Type"] == "application/pdf"
        data = resp.read()
    assert data.startswith(b"%PDF")
    (ARTIFACTS / "collect-round-receipt.pdf").write_bytes(data)
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True,
                              check=True).stdout.decode()
        assert number in text and "525.00 BDT" in text and "Jamal Collector" in text
    b.get(pdf_href)  # the browser's own viewer: still no sideways scrolling
    b.get(live_admin + "/collect/day")
    assert b.find_element(By.ID, "handover-mgr1").text == "525.00 BDT"
    fits(b)
    b.save_screenshot(str(SCREENS / "collect-round-5-day.png"))
    b.get(live_admin + "/collect")
    assert b.find_element(By.ID, "handover-mgr1").text == "525.00 BDT"  # My day on /collect
    fits(b)


def fits(driver) -> None:
    width = driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide"


def test_the_staff_customer_list_links_usernames_to_the_customer_page(world, auth):
    auth.login("mgr")  # a collector: their own customers, each a link
    page = auth.get("/billmgr?func=customer").get_data(as_text=True)
    assert f'<a href="/customers/{world.cust_a.id}">alice</a>' in page
    assert auth.get(f"/customers/{world.cust_a.id}").status_code == 200

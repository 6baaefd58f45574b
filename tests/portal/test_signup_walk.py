"""Issue 14's sign-up, end to end on a phone (360 x 740) in headless Chromium: a visitor signs up
on /portal/register, the code arrives at the SMS emulator through the real worker and sender,
staff approve through signup.approve, the welcome SMS carries the PPPoE login, a real
FreeRADIUS accepts it, and the subscriber logs into the portal and pays the first period online
at the bKash emulator's hosted page; the ledger books it and the next Access-Request carries the
paid validity. The same pages are photographed at a desktop width too, and the sign-up page is
checked in Bangla."""
from __future__ import annotations

import base64
import datetime as dt
import re
import shutil
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill.functions.registry import call
from radbill.models import (Bill, Customer, LedgerAccount, LedgerEntry, LedgerTransaction,
                            Package, Payment, StaffUser)
from radbill.models.selfcare import Signup
from tests.admin.test_browser import browser  # noqa: F401  (fixture)
from tests.portal.test_pay_online import SCREENS, SUSPENDED, portal, radius  # noqa: F401
from tests.support.factories import caller_of, fn, make_operator, make_package, make_user
from tests.support.gateways.bkash_emu import BkashEmulator
from tests.support.messaging.bulksmsbd_emu import BulkSmsBdEmulator
from tests.support.messaging.fixtures import add_gateway, drain
from tests.support.radius_helpers import auth, eventually, radclient

pytestmark = pytest.mark.integration
PHONE = (360, 740)
DESKTOP = (1280, 900)
MOBILE = "01711000051"
WELCOME = re.compile(r"Username: (\S+) Password: (\S+)")
LINES = ("const r = document.createRange(); r.selectNodeContents(arguments[0]); "
         "return r.getClientRects().length")  # the lines an element's text wraps to
INSIDE = ("const a = arguments[0].getBoundingClientRect(); "
          "const box = arguments[0].closest('.scroll').getBoundingClientRect(); "
          "return a.width > 0 && a.right <= box.right")  # seen without scrolling the table


def shop(committed, sms: BulkSmsBdEmulator, pay: BkashEmulator) -> None:
    """An ISP with a zone, a package sold online, an SMS gateway and a bKash account, each
    pointing at its emulator; and a desk clerk who approves sign-ups."""
    with Session(committed) as s:
        isp = make_operator(s, name="isp")
        add_gateway(s, isp.id, sms)
        fn(s, "gateway.edit", sok="ok", name="bkash", kind="bkash", operator="isp",
           base_url=pay.url, **pay.credentials)
        fn(s, "nas.edit", sok="ok", name="core", ip="127.0.0.1", secret="testing123")
        make_package(s, name="Home 10M", price="500", rate_down="10M", rate_up="5M",
                     operator="isp")
        make_package(s, name="Office", price="900", operator="isp")  # not sold online
        # package.edit has no `online` field yet: set as test_signup.py does
        s.scalars(sa.select(Package).where(Package.name == "Home 10M")).one().online = True
        fn(s, "zone.edit", sok="ok", name="north", operator="isp")
        make_user(s, login="desk", role="group_admin", operator="isp")
        s.commit()


def sms_to(emu, number: str) -> list[str]:
    """The texts the SMS gateway's emulator received for `number` (8801...)."""
    return [m["message"] for m in emu.sent if m.get("number") == number]


def shoot(driver, name: str, width: int) -> None:
    """The whole page, top to bottom, at this width; it must not scroll sideways."""
    scroll = driver.execute_script("return document.documentElement.scrollWidth")
    height = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]["height"]
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
    SCREENS.mkdir(parents=True, exist_ok=True)
    (SCREENS / f"signup-walk-{name}-{width}.png").write_bytes(base64.b64decode(shot["data"]))
    assert scroll <= width, f"{name}: the page is {scroll} px wide on a {width} px screen"


def viewport(driver, size: tuple[int, int], mobile: bool) -> None:
    """The phone as Chromium's device emulation (the page's meta viewport applies)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": mobile})


def go(driver, element_id: str):
    from tests.admin.test_browser import click
    click(driver, element_id)


@pytest.mark.browser
@pytest.mark.skipif(not shutil.which("chromedriver"), reason="no chromedriver")
def test_a_new_subscriber_signs_up_on_a_phone_is_approved_dials_in_and_pays_online(
        committed, portal, radius, browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait
    from tests.admin.test_browser import fill
    sms, bkash = BulkSmsBdEmulator(), BkashEmulator()
    with sms, bkash:
        shop(committed, sms, bkash)
        number = "880" + MOBILE[1:]
        w = PHONE[0]
        viewport(browser, PHONE, mobile=True)

        # 1. the sign-up: area, then the package and the applicant's details
        browser.get(portal + "/portal/register?lang=en")
        shoot(browser, "1-register", w)
        Select(browser.find_element(By.ID, "zone")).select_by_visible_text("north")
        go(browser, "show-packages")
        offered = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "label.pkg b")]
        assert offered == ["Home 10M"], offered  # Office is not sold online
        browser.find_element(By.CSS_SELECTOR, "label.pkg input[name=package]").click()
        fill(browser, name="Rahim Uddin", mobile=MOBILE, national_id="1234567890",
             address="House 1, Road 2, Uttara, Dhaka")
        shoot(browser, "2-register-filled", w)
        go(browser, "send-code")
        assert browser.current_url.endswith("/portal/register/verify")
        shoot(browser, "3-verify", w)

        # 2. the code: queued by portal.signup, sent by the worker's sender to the emulator
        drain()
        [text] = sms_to(sms, number)
        code = re.search(r"\b(\d{6})\b", text).group(1)
        fill(browser, code=code)
        go(browser, "confirm")
        done = browser.find_element(By.ID, "done").text
        assert "once it is approved" in done, done
        shoot(browser, "4-waiting-for-approval", w)

        # 3. the desk approves it (signup.approve as its staff member, as the staff page does)
        with Session(committed) as s:
            [row] = s.scalars(sa.select(Signup)).all()
            assert (row.status, row.mobile) == ("pending", "+" + number)
            assert row.verified_at is not None
            zone_id = row.zone_id
            desk = caller_of(s, s.scalars(sa.select(StaffUser)
                                          .where(StaffUser.login == "desk")).one())
            call(s, desk, "signup.approve", {"elid": str(row.id)})
            s.commit()
        drain()
        welcome = [t for t in sms_to(sms, number) if "approved" in t]
        assert len(welcome) == 1, sms_to(sms, number)
        username, password = WELCOME.search(welcome[0]).groups()
        assert sms.violations == []

        # 4. the router dials with the login from the SMS (FreeRADIUS' own radclient). The
        # customer signup.approve makes is active with no validity yet (expires_at is empty:
        # a prepaid customer buys validity with the first payment, rating/payments.pay), and
        # radius_module/policy.decide walls in only the suspended and the expired: so the first
        # dial is a normal accept at the package's rate, with no Session-Timeout (nothing
        # paid runs out) and not in the walled garden.
        def dial():
            return radclient(radius, "auth", {"User-Name": username, "User-Password": password,
                                              "NAS-IP-Address": "127.0.0.1"})
        first = eventually(lambda: (r := dial())[0] == "Access-Accept" and r, timeout=5)
        assert first, dial()
        attrs = dict(first[1])
        assert attrs["Mikrotik-Rate-Limit"] == "5M/10M"
        assert "Session-Timeout" not in attrs and SUSPENDED[0] not in attrs
        assert auth(radius, username, "not-" + password)[0] == "Access-Reject"

        # 5. the portal with the same login: nothing billed yet, the first period is paid online
        browser.get(portal + "/portal/login")
        shoot(browser, "5-login", w)
        fill(browser, username=username, password=password)
        browser.find_element(By.CSS_SELECTOR, "#login button").click()
        WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.ID, "account"))
        assert browser.find_element(By.ID, "state").text == "Active"
        assert "Home 10M" in browser.find_element(By.ID, "package").text
        assert "No bills yet." in browser.find_element(By.ID, "bills").text
        shoot(browser, "6-home-new", w)
        browser.find_element(By.ID, "pay-bkash").click()
        WebDriverWait(browser, 15).until(lambda d: d.find_elements(By.ID, "emu-success"))
        # the default amount: one period of the package (no VAT set), the first bill's total
        assert Decimal(browser.find_element(By.ID, "emu-amount").text) == Decimal("500")
        shoot(browser, "7-gateway", w)
        browser.find_element(By.ID, "emu-success").click()
        WebDriverWait(browser, 20).until(lambda d: d.find_elements(By.ID, "payment-result"))
        result = browser.find_element(By.ID, "payment-result")
        shoot(browser, "8-paid", w)
        assert result.get_attribute("data-status") == "completed", result.text
        assert bkash.violations == []
        browser.find_element(By.LINK_TEXT, "My account").click()
        WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.ID, "bills"))
        bills = browser.find_element(By.ID, "bills").text
        assert "paid" in bills and "500.00" in bills, bills
        assert "500.00" in browser.find_element(By.ID, "payments").text
        assert browser.find_elements(By.ID, "expires")  # the validity the payment bought
        shown = [c for c in browser.find_elements(By.CSS_SELECTOR, "#bills td.when")
                 if c.is_displayed()]  # the due date at least, each on one line
        assert shown and all(browser.execute_script(LINES, c) == 1 for c in shown)
        pdf = browser.find_element(By.CSS_SELECTOR, "#bills a[href$='.pdf']")
        assert browser.execute_script(INSIDE, pdf), "the bill's PDF link is off the screen"
        shoot(browser, "9-home-paid", w)

        # the same pages on a desktop screen (photographed and checked for sideways scroll)
        viewport(browser, DESKTOP, mobile=False)
        shoot(browser, "9-home-paid", DESKTOP[0])
        issued = browser.find_element(By.CSS_SELECTOR, "#bills td.wide")
        assert issued.is_displayed()  # the issue date, hidden only on a phone
        browser.get(portal + f"/portal/register?zone={zone_id}")
        shoot(browser, "2-register", DESKTOP[0])
        browser.get(portal + "/portal/register/done")
        shoot(browser, "4-done", DESKTOP[0])
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

        # the receipt by SMS (payment.received -> notify -> the worker's sender), with the
        # validity bought
        drain()
        receipt = [t for t in sms_to(sms, number) if "we received" in t]
        assert len(receipt) == 1 and "500" in receipt[0] and username in receipt[0], \
            sms_to(sms, number)
        assert "Valid until" in receipt[0]

    # the money: one bill paid in full by one online payment, one balanced ledger transaction
    with Session(committed) as s:
        c = s.scalars(sa.select(Customer).where(Customer.username == username)).one()
        assert (c.status, c.mobile, c.national_id) == ("active", "+" + number, "1234567890")
        [bill] = s.scalars(sa.select(Bill).where(Bill.customer_id == c.id)).all()
        [p] = s.scalars(sa.select(Payment).where(Payment.customer_id == c.id)).all()
        assert (bill.total, bill.paid, bill.status) == (Decimal("500.00"), Decimal("500.00"),
                                                        "paid")
        assert (p.method, p.amount, p.applied) == ("online", Decimal("500.00"),
                                                   Decimal("500.00"))
        legs = dict(s.execute(
            sa.select(LedgerAccount.kind, LedgerEntry.amount)
            .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
            .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
            .where(LedgerTransaction.payment_id == p.id)).all())
        # the customer's 500 leaves the receivable; cash grows by it less bKash's charge
        assert legs["receivable"] == Decimal("-500.00"), legs
        assert legs["cash"] + legs.get("gateway_fees", 0) == Decimal("500.00"), legs
        assert sum(legs.values()) == 0
        expires = c.expires_at

    # after the payment: still a normal accept at the package's rate, now ending with the
    # validity the first payment bought (one period of 30 days)
    def paid_accept():
        reply = auth(radius, username, password)
        timed = any(k == "Session-Timeout" for k, _ in reply[1])
        return reply[0] == "Access-Accept" and timed and reply
    reply = eventually(paid_accept, timeout=5)
    assert reply, auth(radius, username, password)
    assert ("Mikrotik-Rate-Limit", "5M/10M") in reply[1] and SUSPENDED not in reply[1]
    left = int(dict(reply[1])["Session-Timeout"])
    expected = (expires - dt.datetime.now(dt.timezone.utc)).total_seconds()
    assert abs(left - expected) < 60 and 29 * 86400 < left <= 30 * 86400, (left, expires)


def test_the_sign_up_page_in_bangla(client, dbs):
    """With ?lang=bn the sign-up form (area, package and details) shows no English labels."""
    from tests.admin.test_bangla_pages import assert_bangla
    make_operator(dbs, name="isp")
    pkg = make_package(dbs, name="Griho", operator="isp")
    pkg.online = True
    fn(dbs, "zone.edit", sok="ok", name="uttara", operator="isp")
    dbs.commit()
    page = client.get("/portal/register?lang=bn").get_data(as_text=True)
    assert_bangla(page, "/portal/register")
    zone = re.search(r'<option value="(\d+)"', page).group(1)
    page = client.get(f"/portal/register?zone={zone}").get_data(as_text=True)  # the cookie
    assert 'name="national_id"' in page and "Griho" in page
    assert_bangla(page, "/portal/register with the packages")

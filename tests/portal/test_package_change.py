"""Package change on the portal (issue 14): a customer sees the packages offered to them online
with prices, previews a change and confirms it; a package not offered online (or another
branch's) cannot be picked; the page works on a 360x740 phone (screenshot under artifacts/)."""
from __future__ import annotations

import datetime as dt
import re
import threading
from decimal import Decimal as D
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from customers.functions.portal import customer_caller
from radbill import settings
from radbill.functions.registry import FuncError, call
from radbill.models import Customer, PackageChange
from rating.terms import today
from tests.admin.test_browser import browser  # noqa: F401  (fixture)
from tests.support.factories import fn, make_operator, make_package
from tests.support.rating_factories import bills_of, make_profile, postpaid_customer

SCREENS = Path(__file__).resolve().parents[2] / "artifacts" / "screens"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def shop(s):
    """An ISP and a reseller; packages online or not, the ISP's, the reseller's, another's."""
    w = SimpleNamespace()
    make_operator(s, name="isp")
    make_operator(s, name="res1", parent="isp", level="operator")
    make_operator(s, name="res2", parent="isp", level="operator")
    w.basic = make_package(s, name="Basic 10", price="500", rate_down="10M", rate_up="5M",
                           operator="isp")
    w.fast = make_package(s, name="Fast 20", price="800", rate_down="20M", rate_up="10M",
                          operator="isp")
    w.lite = make_package(s, name="Lite 5", price="300", rate_down="5M", rate_up="2M",
                          operator="res1")
    w.hidden = make_package(s, name="Staff only 50", price="900", rate_down="50M",
                            rate_up="25M", operator="isp")
    w.other = make_package(s, name="Other 30", price="700", rate_down="30M", rate_up="15M",
                           operator="res2")
    for p in (w.basic, w.fast, w.lite, w.other):
        p.online = True
    w.alice = postpaid_customer(s, make_profile(s), username="alice", password="s3cret",
                                package=w.basic.name, operator="res1", name="Alice A")
    s.flush()
    return w


def as_customer(s, c, **params):
    return call(s, customer_caller(s, c), "portal.package",
                {k: str(v) for k, v in params.items()})


def test_the_offers_are_the_online_packages_of_the_customers_operator_chain(session):
    w = shop(session)
    values = as_customer(session, w.alice).values
    assert [o["name"] for o in values["offers"]] == ["Lite 5", "Basic 10", "Fast 20"]
    assert [o["current"] for o in values["offers"]] == [False, True, False]
    assert (values["package"], values["price"], values["speed"]) == ("Basic 10", "500.00",
                                                                     "10M/5M")


def test_a_package_not_offered_online_cannot_be_picked(session):
    w = shop(session)
    for pkg in (w.hidden, w.other):  # not online; another reseller's
        for params in ({"package": pkg.name}, {"package": pkg.id, "sok": "ok"}):
            with pytest.raises(FuncError) as err:
                as_customer(session, w.alice, **params)
            assert "package" in err.value.errors and "online" in err.value.errors["package"]
    assert session.scalar(sa.select(sa.func.count()).select_from(PackageChange)) == 0
    # the portal's day is always today: a date given is not a parameter of portal.package
    preview = as_customer(session, w.alice, package=w.fast.name, date="2026-01-01").values
    assert preview["preview"]["date"] == today().isoformat()


def test_preview_then_confirm_an_upgrade_and_schedule_then_cancel_a_downgrade(session):
    w = shop(session)
    fn(session, "bill.generate", sok="ok")  # this period, paid for by its bill
    preview = as_customer(session, w.alice, package=w.fast.id).values["preview"]
    assert (preview["kind"], preview["takes_effect"], preview["price_difference"]) == (
        "upgrade", "now", "300.00")
    assert len(bills_of(session, w.alice)) == 1
    done = as_customer(session, w.alice, package=w.fast.name, sok="ok")
    assert done.extra["status"] == "applied" and done.extra["amount"] == preview["amount"]
    session.refresh(w.alice)
    assert w.alice.package_id == w.fast.id
    row = session.get(PackageChange, done.elid)
    assert (row.source, row.requested_by) == ("portal", "customer:alice")
    down = as_customer(session, w.alice, package=w.lite.name, sok="ok")
    assert down.extra["status"] == "scheduled"
    waiting = as_customer(session, w.alice).values["waiting"]
    assert (waiting["to"], waiting["status"]) == ("Lite 5", "scheduled")
    as_customer(session, w.alice, cancel="on", sok="ok")
    assert session.get(PackageChange, down.elid).status == "cancelled"
    assert as_customer(session, w.alice).values["waiting"] is None


# -- the page, in Chromium at 360x740 ----------------------------------------------------------
@pytest.fixture
def live(committed, monkeypatch):
    from werkzeug.serving import make_server

    from admin import create_app
    server = make_server("127.0.0.1", 0, None, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    monkeypatch.setenv("RADBILL_PUBLIC_URL", base)
    settings.get.cache_clear()
    server.app = create_app({"SECRET_KEY": "package-test", "WTF_CSRF_SSL_STRICT": False})
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield base
    server.shutdown()
    settings.get.cache_clear()


@pytest.mark.integration
def test_the_package_page_on_a_phone(committed, live, browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def wait_for(how, what):  # the click navigates: wait for the next page's element
        WebDriverWait(browser, 15).until(lambda d: d.find_elements(how, what))
        return browser.find_element(how, what)
    with Session(committed) as s, s.begin():
        w = shop(s)
        fn(s, "bill.generate", sok="ok")
        fast_id = w.fast.id
    browser.set_window_size(360, 740)
    browser.get(live + "/portal/login")
    browser.find_element(By.ID, "username").send_keys("alice")
    browser.find_element(By.ID, "password").send_keys("s3cret")
    browser.find_element(By.CSS_SELECTOR, "#login button").click()
    WebDriverWait(browser, 15).until(lambda d: "/portal/login" not in d.current_url)
    browser.get(live + "/portal/package")
    offers = browser.find_element(By.ID, "offers").text
    assert "Fast 20" in offers and "Lite 5" in offers and "Staff only" not in offers
    browser.find_element(By.ID, f"pick-{fast_id}").click()
    assert "Upgrade" in wait_for(By.ID, "kind").text
    assert browser.find_element(By.ID, "when").text == "now"
    SCREENS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENS / "portal-package-360.png"))
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= 360, "the package page scrolls sideways on a phone"
    browser.find_element(By.ID, "confirm").click()
    assert "active now" in wait_for(By.CSS_SELECTOR, ".flash.ok").text
    assert "Fast 20" in browser.find_element(By.ID, "package").text
    with Session(committed) as s:
        c = s.scalars(sa.select(Customer).where(Customer.username == "alice")).one()
        assert c.package_id == fast_id
        [change] = s.scalars(sa.select(PackageChange)).all()
        assert change.status == "applied" and change.source == "portal"
        assert change.amount == sum((b.total for b in bills_of(s, c) if b.kind == "change"),
                                    D("0"))

"""End to end in headless Chromium: log in, pass two-factor, create a customer, take a payment."""
from __future__ import annotations

import os
import shutil
import tempfile
import threading

import pyotp
import pytest

from radbill import db
from radbill.functions.caller import SYSTEM

from tests.conftest import ROOT  # noqa: E402
ARTIFACTS = ROOT / "artifacts"
CHROME_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--window-size=1280,2200")

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not shutil.which("chromedriver"), reason="no chromedriver")]


@pytest.fixture
def live_admin(committed):
    """The real app (its own sessions, real commits) on a free port, in a thread."""
    from werkzeug.serving import make_server

    from admin import create_app
    server = make_server("127.0.0.1", 0, create_app({"SECRET_KEY": "browser-test"}), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def secret(committed):
    """An operator that requires two-factor, its staff login already enrolled, and a package."""
    from tests.support.factories import fn, make_operator, make_package, make_user
    from radbill.models import StaffUser
    totp = pyotp.random_base32()
    with db.session_scope() as s:
        make_operator(s, name="isp")
        make_operator(s, name="resellerA", parent="isp", require_2fa="on")
        user = make_user(s, login="reseller", role="operator", operator="resellerA",
                         password="correct-horse")
        s.get(StaffUser, user.id).totp_secret = totp
        s.get(StaffUser, user.id).totp_enabled = True
        make_package(s, name="home10", price="500")
        assert fn(s, "package", SYSTEM).rows
    return totp


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    profile = tempfile.mkdtemp(prefix="radbill-chrome-")
    for flag in CHROME_FLAGS + (f"--user-data-dir={profile}",):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def fill(driver, **values):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    for name, value in values.items():
        el = driver.find_element(By.NAME, name)
        if el.tag_name == "select":
            Select(el).select_by_visible_text(value)
        else:
            el.clear()
            el.send_keys(value)


def click(driver, element_id: str) -> None:
    """Click and wait for the next page to replace this one."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait
    from selenium.common.exceptions import WebDriverException
    old = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.ID, element_id).click()

    def gone(d) -> bool:  # chromedriver may answer "node does not belong to the document"
        try:            # instead of "stale" while the old page is being replaced
            return EC.staleness_of(old)(d)
        except WebDriverException:
            return True
    WebDriverWait(driver, 15).until(gone)
    WebDriverWait(driver, 15).until(
        lambda d: d.execute_script("return document.readyState") == "complete")


def test_staff_member_logs_in_with_2fa_creates_a_customer_and_takes_cash(live_admin, secret,
                                                                         browser):
    from selenium.webdriver.common.by import By
    from radbill.functions.registry import load_all
    b = browser
    b.get(live_admin + "/")
    assert "/login" in b.current_url
    fill(b, login="reseller", password="correct-horse")
    click(b, "submit")
    assert "/login/2fa" in b.current_url
    fill(b, code=pyotp.TOTP(secret).now())
    click(b, "submit")
    assert b.find_element(By.TAG_NAME, "h1").text == "Dashboard"

    b.get(live_admin + "/billmgr?func=customer.edit")
    fill(b, username="e2e-user", password="s3cret-pw", package="home10", mobile="01700000042",
         name="End To End")
    click(b, "save")
    assert "/customers/" in b.current_url
    assert "e2e-user" in b.find_element(By.TAG_NAME, "h1").text
    customer_page = b.current_url

    if "payment.edit" in load_all():
        click(b, "record-payment")
        fill(b, method="cash", amount="500")
        click(b, "save")
        assert "Payment of 500.00 BDT recorded for End To End" in \
            b.find_element(By.CSS_SELECTOR, ".flash.ok").text  # a sentence (issue 12)
        b.get(customer_page)
        assert "500" in b.find_element(By.ID, "payments").text
    else:
        click(b, "act-suspend")  # a confirmation that asks why (issue 12)
        fill(b, reason="e2e")
        click(b, "confirm")
        assert "suspended" in b.find_element(By.TAG_NAME, "h1").text
        click(b, "act-resume")
        assert "active" in b.find_element(By.TAG_NAME, "h1").text
    ARTIFACTS.mkdir(exist_ok=True)
    assert b.save_screenshot(str(ARTIFACTS / "admin-e2e.png"))
    assert os.path.getsize(ARTIFACTS / "admin-e2e.png") > 1000

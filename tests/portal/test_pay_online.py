"""A suspended subscriber pays through the suspension page in headless Chromium (390 px wide)
against a gateway's emulator: the NAS simulator gets the Disconnect from the real outbox worker,
and the next Access-Request to a real FreeRADIUS is a normal accept. Payment links and the
gateway's server-to-server notice through the real routes too."""
from __future__ import annotations

import datetime as dt
import shutil
import threading
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill import settings
from radbill.models import Customer, GatewayCheckout, Payment, RadAcct
from provisioning import worker
from tests.admin.test_browser import browser  # noqa: F401  (fixture)
from tests.support.factories import fn, make_operator, make_package
from tests.support.gateways.bkash_emu import BkashEmulator
from tests.support.gateways.sslcommerz_emu import SSLCommerzEmulator
from tests.support.radius_helpers import RadiusServer, auth, eventually
from tests.support.rating_factories import make_profile, postpaid_customer

pytestmark = pytest.mark.integration
SCREENS = Path(__file__).resolve().parents[2] / "artifacts" / "screens"
SUSPENDED = ("Mikrotik-Address-List", "radbill-suspended")


@pytest.fixture(scope="module")
def radius(database_url, tmp_path_factory):
    srv = RadiusServer(tmp_path_factory.mktemp("radius-pay")).start()
    yield srv
    assert srv.stop() == 0, srv.output()[-3000:]


@pytest.fixture
def portal(committed, monkeypatch):
    """The app on a free port, its public URL what the gateways send browsers back to."""
    from werkzeug.serving import make_server

    from admin import create_app
    server = make_server("127.0.0.1", 0, None, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    monkeypatch.setenv("RADBILL_PUBLIC_URL", base)
    settings.get.cache_clear()
    server.app = create_app({"SECRET_KEY": "pay-test", "WTF_CSRF_SSL_STRICT": False})
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield base
    server.shutdown()
    settings.get.cache_clear()


def shop(committed, emu, kind: str, nas_port: int | None = None) -> None:
    with Session(committed) as s:
        make_operator(s, name="isp")
        if nas_port is not None:
            fn(s, "nas.edit", sok="ok", name="core", ip="127.0.0.1", secret="testing123",
               coa_port=str(nas_port))
        fn(s, "gateway.edit", sok="ok", name=kind, kind=kind, operator="isp", base_url=emu.url,
           **emu.credentials)
        make_package(s, name="home", price="500", rate_down="10M", rate_up="5M")
        postpaid_customer(s, make_profile(s), username="alice", password="pw", package="home",
                          operator="isp", name="Alice")
        fn(s, "bill.generate", sok="ok", date="2026-11-01")
        fn(s, "customer.suspend", elid="alice", reason="unpaid")
        # her router session: the walled garden knows her by this address
        s.add(RadAcct(acctsessionid="s-alice", acctuniqueid="u-alice", username="alice",
                      nasipaddress="127.0.0.1", framedipaddress="127.0.0.1",
                      acctstarttime=dt.datetime.now(dt.timezone.utc)))
        s.commit()


def fast() -> worker.Policy:
    return worker.Policy(base_delay=0, coa_timeout=0.5, coa_retries=1)


@pytest.mark.browser
@pytest.mark.skipif(not shutil.which("chromedriver"), reason="no chromedriver")
def test_a_suspended_subscriber_pays_with_bkash_in_chromium_and_is_back_at_full_speed(
        committed, portal, radius, coa_nas, browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    with BkashEmulator() as emu:
        shop(committed, emu, "bkash", coa_nas.port)
        coa_nas.add_session("s-alice", "alice", "127.0.0.1")
        assert eventually(lambda: SUSPENDED in auth(radius, "alice", "pw")[1], timeout=5)
        browser.set_window_size(390, 844)
        browser.get(portal + "/portal/suspended")
        assert "500.00" in browser.find_element(By.ID, "due").text
        SCREENS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(SCREENS / "portal-suspended-pay-390.png"))
        width = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390, "the suspension page scrolls sideways on a phone"
        browser.find_element(By.ID, "pay-bkash").click()
        WebDriverWait(browser, 15).until(lambda d: d.find_elements(By.ID, "emu-success"))
        assert "500.00" in browser.find_element(By.ID, "emu-amount").text
        browser.find_element(By.ID, "emu-success").click()
        WebDriverWait(browser, 20).until(lambda d: d.find_elements(By.ID, "payment-result"))
        result = browser.find_element(By.ID, "payment-result")
        browser.save_screenshot(str(SCREENS / "portal-paid-390.png"))
        assert result.get_attribute("data-status") == "completed", result.text
        assert emu.violations == []
    factory = sa.orm.sessionmaker(bind=committed)
    with factory() as s:
        alice = s.scalars(sa.select(Customer).where(Customer.username == "alice")).one()
        assert alice.status == "active"
        [p] = s.scalars(sa.select(Payment)).all()
        assert (p.method, p.amount) == ("online", 500)
    worker.drain(factory, fast())
    kinds = [r["kind"] for r in coa_nas.received]
    assert "disconnect" in kinds and all(r["User-Name"] == ["alice"] for r in coa_nas.received)
    reply = auth(radius, "alice", "pw")
    assert reply[0] == "Access-Accept" and SUSPENDED not in reply[1]
    assert ("Mikrotik-Rate-Limit", "5M/10M") in reply[1]


def test_the_gateways_notice_and_the_browser_return_are_one_payment(committed, portal):
    """SSLCommerz posts its IPN to our route from its own server, and the browser comes back
    with the same facts: both ask the gateway, one payment is taken."""
    with SSLCommerzEmulator() as emu:
        shop(committed, emu, "sslcommerz")
        with Session(committed) as s:
            started = fn(s, "payment.checkout", customer="alice")
            s.commit()
            co = s.get(GatewayCheckout, started.elid)
            back = emu.pay(co.gateway_ref, "success")  # posts the IPN to portal/pay/ipn/...
        assert [status for _, _, status in emu.ipn_log] == [200]
        for _ in range(2):  # the browser's return, then a reload of it
            r = requests.post(back.url, data=back.params, timeout=10)
            assert r.status_code == 200 and 'data-status="completed"' in r.text
        assert emu.violations == []
    with Session(committed) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Payment)) == 1
        assert s.get(GatewayCheckout, co.id).status == "completed"


def test_a_payment_link_opens_the_checkout_without_a_login(committed, portal):
    with BkashEmulator() as emu:
        shop(committed, emu, "bkash")
        with Session(committed) as s:
            url = fn(s, "payment.link", customer="alice", amount="200").extra["url"]
            s.commit()
        assert url.startswith(portal + "/portal/pay/l/")
        web = requests.Session()
        page = web.get(url, timeout=10)
        assert page.status_code == 200 and "200.00" in page.text and "Alice" in page.text
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        go = web.post(url, data={"csrf_token": token, "gateway": "bkash"},
                      allow_redirects=False, timeout=10)
        assert go.status_code == 303 and go.headers["Location"].startswith(emu.url)
        with Session(committed) as s:
            co = s.scalars(sa.select(GatewayCheckout)).one()
            assert (co.amount, co.source) == (200, "link")
        # a changed character, an unknown path: a clear page, not a 500
        bad = web.get(url[:-2] + ("xy" if not url.endswith("xy") else "zz"), timeout=10)
        assert bad.status_code == 400 and "not valid" in bad.text
        assert web.get(portal + "/portal/pay/return/NOSUCH", timeout=10).status_code == 404

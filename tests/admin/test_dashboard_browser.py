"""The dashboard in headless Chromium (issue 12) at a laptop's 1366x768 and a phone's 390x844:
screenshots in artifacts/screens/dashboard-*.png, and no horizontal scroll at either width."""
from __future__ import annotations

import datetime as dt
import os
import random
import shutil

import pytest

from tests.admin.test_browser import ARTIFACTS, browser, live_admin  # noqa: F401 (fixtures)

SCREENS = ARTIFACTS / "screens"
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not shutil.which("chromedriver"), reason="no chromedriver")]


def seed() -> None:
    """A small ISP with two resellers, zones, bills of every age and a day of payments."""
    from radbill import db
    from radbill.models import Customer, RadAcct
    from tests.support.factories import caller_of, fn, make_customer, make_isp, make_operator, \
        make_package, make_user
    rnd = random.Random(12)
    with db.session_scope() as s:
        isp = make_isp(s)
        make_user(s, login="owner", role="group_admin", operator=isp.name, password="correct-horse")
        make_package(s, name="Home-10M", price="500")
        now = dt.datetime.now(dt.timezone.utc)
        for r, zone in (("Dhanmondi Net", "Dhanmondi"), ("Mirpur Link", "Mirpur 10")):
            make_operator(s, name=r, parent=isp.name)
            who = caller_of(s, make_user(s, login=r.split()[0].lower(), role="operator",
                                         operator=r, password="correct-horse"))
            fn(s, "zone.edit", who, sok="ok", name=zone, operator=r)
            for i in range(12):
                c = make_customer(s, who, username=f"{r.split()[0].lower()}{i}", package="Home-10M",
                                  zone=zone)
                due = dt.date(2026, 11, 28) - dt.timedelta(days=rnd.choice((3, 20, 45, 75, 120)))
                fn(s, "bill.edit", who, sok="ok", customer=c.username, description="Router rent",
                   amount=str(rnd.choice((150, 300, 450))), due_date=due.isoformat())
                if i % 3 == 0:
                    fn(s, "payment.edit", who, sok="ok", customer=c.username, method="cash",
                       amount=str(rnd.choice((500, 800, 1000))))
                s.get(Customer, c.id).expires_at = now + dt.timedelta(days=i % 10)
                for k in range(3):
                    start = now - dt.timedelta(hours=rnd.randrange(1, 30))
                    stop = None if k == 0 and i % 2 else start + dt.timedelta(hours=rnd.randrange(1, 8))
                    s.add(RadAcct(acctsessionid=f"{c.id}-{k}", acctuniqueid=f"{c.id}-{k}",
                                  username=c.username, nasipaddress="10.0.0.1",
                                  acctstarttime=start, acctstoptime=stop if stop and stop < now else None))


def fits(driver, width: int) -> None:
    scroll = driver.execute_script("return document.documentElement.scrollWidth")
    assert scroll <= width, f"the page is {scroll}px wide at {width}px"


@pytest.mark.parametrize("width, height", [(1366, 768), (390, 844)])
def test_the_dashboard_at_a_laptop_and_a_phone(live_admin, browser, width, height):  # noqa: F811
    from selenium.webdriver.common.by import By

    from tests.admin.test_browser import click, fill
    seed()
    b = browser
    b.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": height, "deviceScaleFactor": 1,
                       "mobile": width < 500})
    b.get(live_admin + "/login")
    fill(b, login="owner", password="correct-horse")
    click(b, "submit")
    assert b.find_element(By.TAG_NAME, "h1").text == "Dashboard"
    for panel in ("aging", "today-method", "month-reseller", "month-zone", "online-trend"):
        assert b.find_element(By.ID, panel).is_displayed(), panel
    fits(b, width)
    SCREENS.mkdir(parents=True, exist_ok=True)
    # the whole page in one picture: as tall as its content
    full = b.execute_script("return document.documentElement.scrollHeight")
    b.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": full, "deviceScaleFactor": 1,
                       "mobile": width < 500})
    path = SCREENS / f"dashboard-{width}.png"
    assert b.save_screenshot(str(path)) and os.path.getsize(path) > 5000
    b.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": height, "deviceScaleFactor": 1,
                       "mobile": width < 500})
    assert b.save_screenshot(str(SCREENS / f"dashboard-{width}-fold.png"))

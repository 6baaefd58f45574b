"""Issue 12 in headless Chromium: the busiest staff pages fit a 1366x768 desktop and a 390x844
phone (no sideways page scroll), the phone menu folds, and a suspension asks why and logs it.
Screenshots: artifacts/screens/design-*.png."""
from __future__ import annotations

import shutil

import pytest

from radbill import db

from tests.admin.test_browser import ARTIFACTS, browser, click, fill, live_admin  # noqa: F401

SCREENS = ARTIFACTS / "screens"
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not shutil.which("chromedriver"), reason="no chromedriver")]
PAGES = (("customers", "/billmgr?func=customer"), ("customer", "/customers/{cid}"),
         ("packages", "/billmgr?func=package"), ("audit", "/billmgr?func=audit"),
         ("outbox", "/billmgr?func=outbox"), ("suspensions", "/logs/suspensions"))


@pytest.fixture
def shop(committed):
    """An ISP with six packages, a dozen named customers, payments and suspensions (so the
    audit log, the outbox and the suspension log have rows)."""
    from radbill.functions.registry import load_all
    from tests.support.factories import caller_of, fn, make_customer, make_isp, make_operator, \
        make_package, make_user
    with db.session_scope() as s:
        isp = make_isp(s)
        make_operator(s, name="resellerA", parent=isp.name)
        boss = caller_of(s, make_user(s, login="boss", role="group_admin", operator=isp.name,
                                      password="correct-horse"))
        make_package(s, name="Home-5M", rate_down="5M", rate_up="2M", price="500",
                     wholesale_price="350")
        make_package(s, name="Home-20M", rate_down="20M", rate_up="10M", price="1200",
                     wholesale_price="840", data_cap="300G", fup_rate_down="5M", fup_rate_up="2M")
        make_package(s, name="Office-100M", rate_down="100M", rate_up="50M", price="5000",
                     wholesale_price="3500", data_cap="2T", fup_rate_down="20M",
                     fup_rate_up="10M")
        names = ("Rahim Akter", "Tania Akter", "Karim Mia", "Nusrat Jahan", "Shafiqul Islam",
                 "Farhana Yasmin", "Abdul Kader Chowdhury", "Mst. Rokeya Begum", "Jahid Hasan",
                 "Sumaiya Rahman", "Mohammad Ashraful Alam", "Rupa Das")
        ids = []
        for i, name in enumerate(names):
            c = make_customer(s, boss, username=f"cust{1000 + i}", name=name,
                              mobile=f"0171{i:07d}", package=("Home-5M", "Home-20M",
                                                               "Office-100M")[i % 3],
                              mac=f"AA:BB:CC:00:10:{i:02X}", address=f"House {i}, Road 7, Mirpur")
            ids.append(c.id)
        if "payment.edit" in load_all():
            for i in range(3):
                fn(s, "payment.edit", boss, sok="ok", customer=f"cust{1000 + i}", method="cash",
                   amount="1200")
        fn(s, "customer.suspend", boss, elid=f"{ids[3]},{ids[4]},{ids[5]}",
           reason="unpaid")
        fn(s, "customer.disable", boss, elid=str(ids[6]),
           reason="moved away; router returned at the office on 28 November")
    return ids


def login(b, base: str) -> None:
    b.get(base + "/login")
    fill(b, login="boss", password="correct-horse")
    click(b, "submit")


def viewport(b, width: int, height: int) -> None:
    b.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": height, "deviceScaleFactor": 1,
                       "mobile": width < 600})


def fits(b, width: int, what: str) -> None:
    scroll = b.execute_script("return document.documentElement.scrollWidth")
    assert scroll <= width, f"{what} is {scroll}px wide at {width}px"


@pytest.mark.parametrize("width,height", [(1366, 768), (390, 844)])
def test_the_busy_pages_fit_the_screen(live_admin, shop, browser, width, height):  # noqa: F811
    from selenium.webdriver.common.by import By
    b = browser
    viewport(b, width, height)
    login(b, live_admin)
    SCREENS.mkdir(parents=True, exist_ok=True)
    for name, path in PAGES:
        b.get(live_admin + path.format(cid=shop[0]))
        assert b.find_element(By.TAG_NAME, "h1").text
        assert "_at" not in b.find_element(By.TAG_NAME, "main").text.split("API:")[0], name
        fits(b, width, name)
        b.save_screenshot(str(SCREENS / f"design-{name}-{width}.png"))
    if width < 600:  # the menu is folded behind one button, and opens without script
        nav = b.find_element(By.CSS_SELECTOR, "header nav")
        assert not nav.is_displayed()
        assert b.find_element(By.ID, "menu-button").rect["height"] < 60
        b.find_element(By.ID, "menu-button").click()
        assert nav.is_displayed()
        fits(b, width, "the open menu")
        b.save_screenshot(str(SCREENS / f"design-menu-{width}.png"))


def test_suspending_from_the_customer_page_asks_why_and_logs_it(live_admin, shop,
                                                                browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    b = browser
    viewport(b, 390, 844)
    login(b, live_admin)
    b.get(f"{live_admin}/customers/{shop[0]}")
    click(b, "act-suspend")
    assert "Suspend 1 customer" in b.find_element(By.TAG_NAME, "h1").text
    assert "suspension pool" in b.find_element(By.ID, "confirm-what").text
    assert "danger" in b.find_element(By.ID, "confirm").get_attribute("class")
    fits(b, 390, "the confirmation")
    fill(b, reason="asked to pause while abroad")
    b.save_screenshot(str(SCREENS / "design-confirm-suspend-390.png"))
    click(b, "confirm")
    assert "Customer cust1000 suspended" in b.find_element(By.CSS_SELECTOR, ".flash.ok").text
    assert "suspended" in b.find_element(By.TAG_NAME, "h1").text.lower()
    b.get(f"{live_admin}/logs/suspensions")
    assert "asked to pause while abroad" in b.find_element(By.ID, "suspensions").text


def test_bulk_suspend_from_the_list_confirms_the_count(live_admin, shop, browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    b = browser
    viewport(b, 1366, 768)
    login(b, live_admin)
    b.get(f"{live_admin}/billmgr?func=customer&sort=username")
    for cid in shop[9:12]:
        b.find_element(By.CSS_SELECTOR, f'input[name="elid"][value="{cid}"]').click()
    click(b, "bulk-suspend")
    assert b.find_element(By.TAG_NAME, "h1").text == "Suspend 3 customers"
    assert "disconnected and held in the suspension pool" in \
        b.find_element(By.ID, "confirm-what").text
    assert len(b.find_elements(By.CSS_SELECTOR, "#confirm-names li")) == 3
    fill(b, reason="unpaid")
    b.save_screenshot(str(SCREENS / "design-confirm-bulk-1366.png"))
    click(b, "confirm")
    assert "3 customers suspended" in b.find_element(By.CSS_SELECTOR, ".flash.ok").text


@pytest.mark.parametrize("width,height", [(1366, 768), (390, 844)])
def test_every_menu_page_fits(live_admin, shop, browser, width, height):  # noqa: F811
    from selenium.webdriver.common.by import By
    b = browser
    viewport(b, width, height)
    login(b, live_admin)
    links = [a.get_attribute("href") for a in b.find_elements(By.CSS_SELECTOR, "header nav a")]
    wide = {}
    for link in links:
        b.get(link)
        scroll = b.execute_script("return document.documentElement.scrollWidth")
        if scroll > width:
            wide[link.replace(live_admin, "")] = scroll
    assert not wide, f"wider than {width}px: {wide}"

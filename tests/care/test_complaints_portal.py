"""The customer's complaints in the portal pages (issue 14): open one, see staff's public reply
but never an internal note or another's complaint, reply, close; the page on a 360x740 phone
in Chromium (artifacts/screens/portal-complaint-360.png)."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from radbill import db
from radbill.models.selfcare import Complaint
from tests.admin.test_browser import browser, live_admin  # noqa: F401  (fixtures)
from tests.support.factories import fn, make_customer, make_operator

SCREENS = Path(__file__).resolve().parents[2] / "artifacts" / "screens"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def shop(s):
    make_operator(s, name="isp")
    make_operator(s, name="resA", parent="isp")
    fn(s, "department.edit", sok="ok", name="Field")
    fn(s, "complaint_category.edit", sok="ok", name="No internet", department="Field",
       target_hours="4", technical="yes")
    fn(s, "complaint_category.edit", sok="ok", name="Staff only", department="Field",
       portal="no")
    alice = make_customer(s, username="alice", password="s3cret", operator="resA",
                          name="Alice A")
    make_customer(s, username="bob", password="bobpass", operator="resA")
    return alice


def login(client, username="alice", password="s3cret"):
    page = client.get("/portal/login").get_data(as_text=True)
    resp = client.post("/portal/login", data={"username": username, "password": password,
                                              "csrf_token": TOKEN.search(page).group(1)})
    assert resp.status_code == 302, resp.get_data(as_text=True)


def post(client, path, form_page, **data):
    page = client.get(form_page).get_data(as_text=True)
    return client.post(path, data={**data, "csrf_token": TOKEN.search(page).group(1)})


def test_the_portal_pages_carry_a_complaint_through(client, dbs):
    shop(dbs)
    dbs.commit()
    login(client)
    page = client.get("/portal/complaints/new").get_data(as_text=True)
    assert "No internet" in page and "Staff only" not in page
    cat = dbs.scalar(sa.text("select id from complaint_categories where name = 'No internet'"))
    bad = post(client, "/portal/complaints/new", "/portal/complaints/new", category=str(cat),
               subject="", message="x")
    assert bad.status_code == 400 and "required" in bad.get_data(as_text=True)
    resp = post(client, "/portal/complaints/new", "/portal/complaints/new", category=str(cat),
                subject="No link since 9", message="The PON light blinks red")
    assert resp.status_code == 303
    cid = int(resp.location.rstrip("/").rsplit("/", 1)[1])
    fn(dbs, "complaint.edit", sok="ok", elid=cid, status="acknowledged")
    fn(dbs, "complaint.comment", complaint=cid, body="INTERNAL: fibre cut near the mosque")
    fn(dbs, "complaint.comment", complaint=cid, body="A technician comes at 3 pm", public="on")
    dbs.commit()
    listing = client.get("/portal/complaints").get_data(as_text=True)
    assert "No link since 9" in listing and "Acknowledged" in listing
    page = client.get(f"/portal/complaints/{cid}").get_data(as_text=True)
    assert "A technician comes at 3 pm" in page and "The PON light blinks red" in page
    assert "INTERNAL" not in page
    resp = post(client, f"/portal/complaints/{cid}/reply", f"/portal/complaints/{cid}",
                body="Thanks, I will be home")
    assert resp.status_code == 303
    resp = post(client, f"/portal/complaints/{cid}/close", f"/portal/complaints/{cid}")
    assert resp.status_code == 303
    page = client.get(f"/portal/complaints/{cid}").get_data(as_text=True)
    assert "Thanks, I will be home" in page and "Closed" in page and 'id="reply"' not in page
    dbs.expire_all()
    assert dbs.get(Complaint, cid).status == "closed"
    # another customer: nothing of alice's, not even by number
    client.post("/portal/logout", data={"csrf_token": TOKEN.search(page).group(1)})
    login(client, "bob", "bobpass")
    assert client.get(f"/portal/complaints/{cid}").status_code == 404
    assert "No link since 9" not in client.get("/portal/complaints").get_data(as_text=True)
    page = client.get("/portal/complaints").get_data(as_text=True)
    resp = client.post(f"/portal/complaints/{cid}/reply",
                       data={"body": "hi", "csrf_token": TOKEN.search(page).group(1)})
    assert resp.status_code == 404


@pytest.mark.browser
@pytest.mark.skipif(not shutil.which("chromedriver"), reason="no chromedriver")
def test_the_complaint_page_on_a_phone(live_admin, browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    def wait(b, until):
        WebDriverWait(b, 10, ignored_exceptions=(StaleElementReferenceException,)).until(until)
    with db.session_scope() as s:
        shop(s)
    b = browser
    b.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": 360, "height": 740, "deviceScaleFactor": 1, "mobile": True})
    b.get(live_admin + "/portal/login")
    b.find_element(By.ID, "username").send_keys("alice")
    b.find_element(By.ID, "password").send_keys("s3cret")
    b.find_element(By.CSS_SELECTOR, "#login button").click()
    wait(b, lambda d: d.find_elements(By.ID, "account"))
    b.get(live_admin + "/portal/complaints")
    b.find_element(By.ID, "new-complaint").click()
    b.find_element(By.ID, "subject").send_keys("Internet keeps dropping every evening")
    b.find_element(By.ID, "message").send_keys(
        "Since Monday the connection drops around 8 pm for ten minutes, every day.")
    b.find_element(By.CSS_SELECTOR, "#complaint-new button").click()
    wait(b, lambda d: d.find_elements(By.ID, "thread"))
    assert "recorded" in b.find_element(By.CSS_SELECTOR, ".flash.ok").text
    cid = int(b.current_url.rstrip("/").rsplit("/", 1)[1])
    with db.session_scope() as s:
        fn(s, "complaint.edit", sok="ok", elid=cid, status="acknowledged")
        fn(s, "complaint.comment", complaint=cid, body="internal: check OLT port 3")
        fn(s, "complaint.comment", complaint=cid, public="yes",
           body="We found a loose connector on your line; a technician visits today.")
    b.get(live_admin + f"/portal/complaints/{cid}")
    thread = b.find_element(By.ID, "thread").text
    assert "loose connector" in thread and "OLT port 3" not in thread
    SCREENS.mkdir(parents=True, exist_ok=True)
    b.save_screenshot(str(SCREENS / "portal-complaint-360.png"))
    width = b.execute_script("return document.documentElement.scrollWidth")
    assert width <= 360, f"the complaint page is {width}px wide"
    b.find_element(By.ID, "body").send_keys("Thank you!")
    b.find_element(By.CSS_SELECTOR, "#reply .go").click()
    # read in one script: between finding the element and reading its text the page may
    # be replaced by the reply's redirect ("Node ... does not belong to the document")
    wait(b, lambda d: "Thank you!" in (d.execute_script(
        "var t = document.getElementById('thread'); return t ? t.innerText : '';") or ""))

"""Issue 19's reseller-tree pages: a customer's Transfer page (preview, the move, another
reseller refused), the dashboard's notices with their Acknowledge button (down the tree, not to
a sibling), a provisioning key shown once after the generic form, the public /register page
(CSRF, a wrong key, the new login works), Bangla, and 390 px Chromium screenshots of the
dashboard with a notice and of /register."""
from __future__ import annotations

import re
import shutil

import pytest
import sqlalchemy as sa

from radbill.models import Customer, Operator, ProvisioningKey, StaffUser
from tests.admin.test_bangla_pages import assert_bangla
from tests.admin.test_browser import browser, live_admin  # noqa: F401  (fixtures)
from tests.support.admin_fixtures import PASSWORD, Auth
from tests.support.factories import caller_of, fn

ALLOWED = {"Mirpur", "alice", "home10", "opA", "opB", "subA", "isp"}


def test_the_customer_page_moves_a_customer_after_a_preview(world, auth, dbs):
    fn(dbs, "bill.edit", sok="ok", customer="alice", description="install", amount="300")
    dbs.commit()
    cid = world.cust_a.id
    auth.login("gadmin")
    show = auth.get(f"/customers/{cid}").get_data(as_text=True)
    assert f'href="/customers/{cid}/transfer"' in show
    page = auth.get(f"/customers/{cid}/transfer").get_data(as_text=True)
    assert 'id="transfer-form"' in page and ">opB<" in page and 'id="preview"' not in page
    preview = auth.get(f"/customers/{cid}/transfer?to={world.op_b.id}&bills=move")
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and 'id="preview"' in text
    assert re.search(r'id="pv-bills">1<', text) and re.search(r'id="pv-owed">300\.00', text)
    assert 'id="transfer-button"' in text
    left = auth.get(f"/customers/{cid}/transfer?to={world.op_b.id}&bills=leave")
    assert "they stay owed to the old operator" in left.get_data(as_text=True)
    done = auth.post(f"/customers/{cid}/transfer", {"to": str(world.op_b.id), "bills": "move"})
    assert done.status_code == 302 and done.location.endswith(f"/customers/{cid}")
    dbs.expire_all()
    assert dbs.get(Customer, cid).operator_id == world.op_b.id
    assert "moved to opB" in auth.get(f"/customers/{cid}").get_data(as_text=True)


def test_a_reseller_moves_only_inside_its_subtree_by_page(world, auth, dbs):
    cid = world.cust_a.id
    auth.login("opera")
    page = auth.get(f"/customers/{cid}/transfer").get_data(as_text=True)
    assert ">subA<" in page and ">opB<" not in page  # only its own subtree is offered
    refused = auth.post(f"/customers/{cid}/transfer", {"to": str(world.op_b.id),
                                                       "bills": "move"})
    assert refused.status_code == 400
    assert 'id="e-to"' in refused.get_data(as_text=True)
    no_choice = auth.post(f"/customers/{cid}/transfer", {"to": "subA"})
    assert no_choice.status_code == 400 and 'id="e-bills"' in no_choice.get_data(as_text=True)
    dbs.expire_all()
    assert dbs.get(Customer, cid).operator_id == world.op_a.id
    auth.logout()
    auth.login("operb")  # another reseller: no such customer
    assert auth.get(f"/customers/{cid}/transfer").status_code == 404
    assert auth.post(f"/customers/{cid}/transfer", {"to": str(world.op_b.id),
                                                    "bills": "move"}).status_code == 404


def test_notices_on_the_dashboards_below_until_acknowledged(world, auth, dbs):
    sent = fn(dbs, "notice.edit", caller_of(dbs, world.group_admin), sok="ok",
              title="Fibre cut in Mirpur", body="Back by 18:00", severity="critical").elid
    fn(dbs, "notice.edit", caller_of(dbs, world.operator_a), sok="ok", title="A's collection day")
    dbs.commit()
    auth.login("opera")
    home = auth.get("/").get_data(as_text=True)
    assert f'id="notice-{sent}"' in home and "Back by 18:00" in home
    assert "A&#39;s collection day" not in home  # its own notice goes to its subtree
    done = auth.post(f"/notices/{sent}/ack", {})
    assert done.status_code == 302
    assert f'id="notice-{sent}"' not in auth.get("/").get_data(as_text=True)
    auth.logout()
    auth.login("suba")  # below both
    home = auth.get("/").get_data(as_text=True)
    assert f'id="notice-{sent}"' in home and "A&#39;s collection day" in home
    auth.logout()
    auth.login("operb")  # a sibling of opA: the parent's notice only
    home = auth.get("/").get_data(as_text=True)
    assert f'id="notice-{sent}"' in home and "A&#39;s collection day" not in home
    assert auth.post("/notices/999999/ack", {}).status_code == 404
    auth.logout()
    auth.login("gadmin")  # the sender: the list shows who has read it
    listed = auth.get("/billmgr?func=notice&box=sent").get_data(as_text=True)
    assert "Fibre cut in Mirpur" in listed and "A&#39;s collection day" in listed
    menu = auth.get("/").get_data(as_text=True)
    assert "func=notice" in menu and "func=provisioning_key" in menu


def test_a_key_is_shown_once_and_registers_an_operator_on_the_public_page(world, auth, dbs,
                                                                          client):
    auth.login("opera")
    form = auth.get("/billmgr?func=provisioning_key.edit").get_data(as_text=True)
    assert 'name="credit_limit"' in form and 'name="expires"' in form
    shown = auth.post("/billmgr", {"func": "provisioning_key.edit", "sok": "ok",
                                   "kind": "debit", "note": "for Karim"})
    page = shown.get_data(as_text=True)
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    key = re.search(r'id="secret-key"[^>]*>([^<]+)<', page).group(1)
    assert key.startswith("rbp-") and "/register" in page
    listed = auth.get("/billmgr?func=provisioning_key").get_data(as_text=True)
    assert key[:8] in listed and key not in listed
    auth.logout()

    visitor = Auth(client)
    blank = client.get("/register")
    assert blank.status_code == 200 and 'id="register-form"' in blank.get_data(as_text=True)
    fields = {"key": key, "name": "Mirpur Net", "contact": "Karim", "phone": "01711000055",
              "email": "karim@mirpur.example", "address": "Mirpur 10", "login": "karim19",
              "password": "correct-horse", "password2": "correct-horse"}
    assert client.post("/register", data=fields).status_code == 400  # no CSRF token
    visitor.csrf("/register")
    wrong = visitor.post("/register", {**fields, "key": "rbp-wrong"})
    assert wrong.status_code == 403 and 'id="e-key"' in wrong.get_data(as_text=True)
    mismatch = visitor.post("/register", {**fields, "password2": "other-horse"})
    assert mismatch.status_code == 400 and 'id="e-password2"' in mismatch.get_data(as_text=True)
    done = visitor.post("/register", fields)
    assert done.status_code == 200 and 'id="registered"' in done.get_data(as_text=True)
    dbs.expire_all()
    op = dbs.scalars(sa.select(Operator).where(Operator.name == "Mirpur Net")).one()
    assert (op.parent_id, op.level, op.kind) == (world.op_a.id, "sub", "debit")
    assert dbs.scalars(sa.select(ProvisioningKey)).one().used_at is not None
    replay = visitor.post("/register", {**fields, "name": "Again", "login": "again19"})
    assert replay.status_code == 409 and "already been used" in replay.get_data(as_text=True)
    fresh = Auth(client)  # the new login works at once
    assert fresh.login("karim19", "correct-horse").status_code == 302
    assert dbs.scalars(sa.select(StaffUser.role).where(StaffUser.login == "karim19")).one() \
        == "sub_operator"


def test_the_pages_in_bangla(world, auth, dbs, client):
    fn(dbs, "notice.edit", caller_of(dbs, world.group_admin), sok="ok",
       title="Mirpur", body="Mirpur", severity="warning")
    dbs.execute(sa.update(StaffUser).where(StaffUser.login.in_(("opera", "gadmin")))
                .values(lang="bn"))
    dbs.commit()
    page = client.get("/register?lang=bn").get_data(as_text=True)
    assert '<html lang="bn">' in page
    assert_bangla(page, "/register?lang=bn", ALLOWED)
    auth.login("opera")
    for path in ("/", f"/customers/{world.cust_a.id}/transfer",
                 f"/customers/{world.cust_a.id}/transfer?to=subA&bills=move",
                 "/billmgr?func=notice", "/billmgr?func=notice.edit",
                 "/billmgr?func=provisioning_key", "/billmgr?func=provisioning_key.edit"):
        resp = auth.get(path)
        assert resp.status_code == 200, path
        text = resp.get_data(as_text=True)
        assert '<html lang="bn">' in text, path
        # the page itself (the menu holds other work's items, checked by test_bangla_pages)
        assert_bangla(text.split("<main>", 1)[1], path, ALLOWED)
    assert 'id="notices"' in auth.get("/").get_data(as_text=True)


@pytest.fixture
def phone_tree(committed):
    from radbill import db
    from tests.support.factories import make_customer, make_isp, make_operator, make_user
    with db.session_scope() as s:
        isp = make_isp(s)
        res = make_operator(s, name="p19tree", parent=isp.name)
        boss = make_user(s, login="p19treeboss", role="group_admin", operator=isp.name,
                         password=PASSWORD, lang="bn")
        make_user(s, login="p19treeop", role="operator", operator=res.name,
                  password=PASSWORD, lang="bn")
        fn(s, "notice.edit", caller_of(s, boss), sok="ok", severity="critical",
           title="মিরপুরে ফাইবার কাটা পড়েছে: সন্ধ্যা ৬টার মধ্যে ঠিক হবে",
           body="মিরপুর ১০ ও ১১-এর গ্রাহকেরা সংযোগ পাচ্ছেন না। বিল আদায় চালু রাখুন; "
                "কেউ ফোন করলে জানান যে কাজ চলছে।")
        fn(s, "notice.edit", caller_of(s, boss), sok="ok", severity="info",
           title="নতুন প্যাকেজের দাম ১ জুলাই থেকে")
        c = make_customer(s, caller_of(s, boss), name="রহিম উদ্দিন আহমেদ", operator=res.name)
        fn(s, "bill.edit", sok="ok", customer=c.username, description="router", amount="1200")
        return c.id, isp.id


@pytest.mark.browser
@pytest.mark.skipif(not shutil.which("chromedriver"), reason="no chromedriver")
def test_the_dashboard_notice_and_register_fit_a_390_px_phone_in_bangla(  # noqa: F811
        phone_tree, live_admin, browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    from tests.admin.test_browser import ARTIFACTS, click, fill
    from tests.admin.test_design_browser import fits, viewport
    live, b = live_admin, browser
    screens = ARTIFACTS / "screens"
    screens.mkdir(parents=True, exist_ok=True)
    viewport(b, 390, 844)
    b.get(live + "/register?lang=bn")
    assert b.find_element(By.TAG_NAME, "html").get_attribute("lang") == "bn"
    fits(b, 390, "register")
    b.save_screenshot(str(screens / "issue19-register-390.png"))
    b.get(live + "/login")
    fill(b, login="p19treeop", password=PASSWORD)
    click(b, "submit")
    b.get(live + "/")
    assert b.find_element(By.TAG_NAME, "html").get_attribute("lang") == "bn"
    assert len(b.find_elements(By.CSS_SELECTOR, "#notices .notice")) == 2
    fits(b, 390, "dashboard")
    b.save_screenshot(str(screens / "issue19-notice-dashboard-390.png"))
    first = b.find_elements(By.CSS_SELECTOR, "#notices button")[0]
    first.click()
    # the acknowledgement posts and the dashboard comes back: count on the new page, in one
    # script (the old page's two notices are there until it is replaced)
    from selenium.webdriver.support.ui import WebDriverWait
    WebDriverWait(b, 10).until(lambda d: d.execute_script(
        "return document.querySelectorAll('#notices .notice').length") == 1)
    b.delete_all_cookies()  # the parent moves the customer up to itself, after a preview
    cid, isp_id = phone_tree
    b.get(live + "/login")
    fill(b, login="p19treeboss", password=PASSWORD)
    click(b, "submit")
    b.get(live + f"/customers/{cid}/transfer?to={isp_id}&bills=leave")
    assert b.find_element(By.ID, "pv-bills").text == "১"
    fits(b, 390, "transfer")
    b.save_screenshot(str(screens / "issue19-transfer-390.png"))
    click(b, "transfer-button")
    assert f"/customers/{cid}" in b.current_url


def test_the_customer_lists_row_link_moves_by_the_generic_form(world, auth, dbs):
    amos = world.cust_a2.id
    auth.login("gadmin")
    listed = auth.get("/billmgr?func=customer").get_data(as_text=True)
    assert f"func=customer.transfer&amp;elid={amos}" in listed
    form = auth.get(f"/billmgr?func=customer.transfer&elid={amos}")
    assert form.status_code == 200 and 'name="to"' in form.get_data(as_text=True)
    done = auth.post("/billmgr", {"func": "customer.transfer", "sok": "ok", "elid": str(amos),
                                  "to": "opB", "bills": "leave"})
    assert done.status_code == 302
    dbs.expire_all()
    assert dbs.get(Customer, amos).operator_id == world.op_b.id

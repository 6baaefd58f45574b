"""Issue 17 on the pages: the customer form asks for the operator's custom fields and saves
them, the customer page shows them, the payer and the children with dues, the list heads them
by their label -- in Bangla; the portal's family page in Bangla; both fit a 390 px phone."""
from __future__ import annotations

import re
import shutil

import pytest
import sqlalchemy as sa

from radbill.models import Customer, StaffUser
from tests.admin.test_bangla_pages import assert_bangla, portal_login
from tests.support.factories import caller_of, fn, make_customer

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def family(world, dbs):
    a = caller_of(dbs, world.operator_a)
    fn(dbs, "custom_field.edit", a, sok="ok", name="meter_no", label="মিটার নম্বর",
       kind="number", in_list="on", searchable="on", required="off")
    fn(dbs, "custom_field.edit", a, sok="ok", name="tower", label="Tower", kind="choice",
       choices="North,South")
    fn(dbs, "custom_field.edit", caller_of(dbs, world.operator_b), sok="ok", name="b_only",
       label="B only")
    fn(dbs, "customer.edit", a, sok="ok", elid="amos", parent="alice", cf_meter_no="77")
    dbs.execute(sa.update(Customer).where(Customer.username == "alice").values(
        password="s3cret-pw"))
    dbs.commit()
    return world


def test_the_form_asks_for_custom_fields_and_saves_them(family, auth, dbs):
    auth.login("opera")
    amos = dbs.scalar(sa.select(Customer.id).where(Customer.username == "amos"))
    page = auth.get(f"/billmgr?func=customer.edit&elid={amos}").get_data(as_text=True)
    assert 'name="cf_meter_no"' in page and 'name="cf_tower"' in page
    assert "B only" not in page  # the other reseller's field
    assert '<option value="South"' in page
    orig = re.search(r'name="_orig" value="([^"]*)"', page).group(1)
    resp = auth.post("/billmgr", {"func": "customer.edit", "sok": "ok", "elid": str(amos),
                                  "_orig": orig.replace("&#34;", '"').replace("&quot;", '"'),
                                  "cf_tower": "South", "cf_meter_no": "77.0"})
    assert resp.status_code in (302, 303), resp.get_data(as_text=True)[:2000]
    dbs.expire_all()
    assert dbs.scalar(sa.select(Customer.custom_fields).where(Customer.id == amos)) == \
        {"meter_no": "77", "tower": "South"}
    bad = auth.post("/billmgr", {"func": "customer.edit", "sok": "ok", "elid": str(amos),
                                 "cf_meter_no": "seventy"})
    assert bad.status_code == 400 and "is not a number" in bad.get_data(as_text=True)


def test_a_trial_customers_page_offers_the_conversion_and_others_do_not(family, auth, dbs):
    from tests.support.factories import make_package
    a = caller_of(dbs, family.operator_a)
    make_package(dbs, a, name="Try7", trial_days="7")
    fn(dbs, "customer.edit", a, sok="ok", username="trier", password="pw-trier", package="Try7")
    dbs.commit()
    auth.login("opera")
    trier = dbs.scalar(sa.select(Customer.id).where(Customer.username == "trier"))
    amos = dbs.scalar(sa.select(Customer.id).where(Customer.username == "amos"))
    assert 'id="convert-trial"' in auth.get(f"/customers/{trier}").get_data(as_text=True)
    assert 'id="convert-trial"' not in auth.get(f"/customers/{amos}").get_data(as_text=True)


def test_the_customer_pages_show_custom_fields_and_children_in_bangla(family, auth, dbs):
    dbs.execute(sa.update(StaffUser).where(StaffUser.login == "opera").values(lang="bn"))
    dbs.commit()
    auth.login("opera")
    alice = dbs.scalar(sa.select(Customer.id).where(Customer.username == "alice"))
    amos = dbs.scalar(sa.select(Customer.id).where(Customer.username == "amos"))
    page = auth.get(f"/customers/{alice}").get_data(as_text=True)
    assert 'id="children"' in page and "amos" in page
    assert_bangla(page, "the parent's page")
    page = auth.get(f"/customers/{amos}").get_data(as_text=True)
    assert 'id="cf-meter_no"' in page and 'id="parent-link"' in page
    assert_bangla(page, "the child's page")
    listing = auth.get("/billmgr?func=customer&q=77").get_data(as_text=True)
    assert "মিটার নম্বর" in listing and "amos" in listing and "alice" not in listing
    assert_bangla(listing, "the list")
    fields = auth.get("/billmgr?func=custom_field").get_data(as_text=True)
    assert "meter_no" in fields and "b_only" not in fields
    assert_bangla(fields, "the custom field list")
    csv = auth.get("/export.csv?func=customer&custom=all").get_data(as_text=True)
    assert csv.splitlines()[0].endswith("cf_meter_no,cf_tower")


def test_the_portal_family_page_in_bangla(family, client, dbs):
    dbs.execute(sa.update(Customer).where(Customer.username == "alice").values(lang="bn"))
    dbs.commit()
    assert portal_login(client, "alice").status_code == 302
    home = client.get("/portal/").get_data(as_text=True)
    assert 'id="link-family"' in home
    page = client.get("/portal/family").get_data(as_text=True)
    assert 'id="child-amos"' in page
    assert_bangla(page, "/portal/family")
    # the child has no family page worth the name: nothing of the parent shows
    client.post("/portal/logout", data={"csrf_token": TOKEN.search(page).group(1)})
    dbs.execute(sa.update(Customer).where(Customer.username == "amos").values(
        password="s3cret-pw"))
    dbs.commit()
    assert portal_login(client, "amos").status_code == 302
    assert 'id="link-family"' not in client.get("/portal/").get_data(as_text=True)
    page = client.get("/portal/family").get_data(as_text=True)
    assert 'id="child-' not in page and "alice" not in page


def test_a_parent_recharges_a_child_from_the_family_page(family, client, dbs):
    from radbill.models import Payment
    from tests.support.rating_factories import pins
    fn(dbs, "card.generate", count="1", amount="500", batch="fam", operator="opA")
    [pin] = pins(dbs, "fam")
    dbs.commit()
    assert portal_login(client, "alice").status_code == 302

    def post(child, pin):
        token = TOKEN.search(client.get("/portal/family").get_data(as_text=True)).group(1)
        return client.post("/portal/family/recharge",
                           data={"child": child, "pin": pin, "csrf_token": token})
    wrong = post("amos", "12345678901234")
    assert wrong.status_code == 400 and "no such card" in wrong.get_data(as_text=True)
    assert 'id="child-amos"' in wrong.get_data(as_text=True)  # the page again, with the error
    stranger = post("bob", pin)  # not alice's child: no such account here
    assert stranger.status_code == 400 and "among yours" in stranger.get_data(as_text=True)
    paid = post("amos", pin)
    assert paid.status_code == 302 and paid.headers["Location"].endswith("/portal/family")
    assert "Paid. Thank you." in client.get("/portal/family").get_data(as_text=True)
    amos = dbs.scalar(sa.select(Customer.id).where(Customer.username == "amos"))
    assert dbs.scalars(sa.select(Payment.customer_id)).all() == [amos]
    # a refused online payment answers the page again, its gateway buttons still allowed
    token = TOKEN.search(client.get("/portal/family").get_data(as_text=True)).group(1)
    refused = client.post("/portal/family/pay",
                          data={"child": "amos", "gateway": "nope", "csrf_token": token})
    assert refused.status_code == 400 and 'id="child-amos"' in refused.get_data(as_text=True)
    assert "form-action 'self' https:" in refused.headers["Content-Security-Policy"]


@pytest.fixture
def phone_world(committed):
    from radbill import db
    from tests.support.factories import make_isp, make_operator, make_package, make_user
    with db.session_scope() as s:
        isp = make_isp(s)
        make_operator(s, name="resP", parent=isp.name)
        boss = caller_of(s, make_user(s, login="pboss", role="operator", operator="resP",
                                      password="correct-horse", lang="bn"))
        make_package(s, name="HomeP", price="500")
        fn(s, "custom_field.edit", boss, sok="ok", name="meter_no",
           label="মিটার নম্বর (বিদ্যুৎ অফিসের দেওয়া)", kind="number", in_list="on")
        fn(s, "custom_field.edit", boss, sok="ok", name="landmark",
           label="বাড়ির কাছের চিহ্ন", in_list="on")
        dad = make_customer(s, boss, username="rahim.family.account", package="HomeP",
                            password="s3cret-pw", name="রহিম উদ্দিন আহমেদ চৌধুরী", lang="bn",
                            cf_meter_no="1234567890123", cf_landmark="পুরাতন মসজিদের পাশে")
        for i in range(3):
            make_customer(s, boss, username=f"rahim.child{i}", package="HomeP",
                          parent=dad.username, cf_meter_no=str(900 + i))
        return dad.id


@pytest.mark.browser
@pytest.mark.skipif(not shutil.which("chromedriver"), reason="no chromedriver")
def test_the_pages_fit_a_390_px_phone_in_bangla(phone_world, live_admin, browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    from tests.admin.test_browser import ARTIFACTS, click, fill
    from tests.admin.test_design_browser import fits, viewport
    live, b = live_admin, browser
    screens = ARTIFACTS / "screens"
    screens.mkdir(parents=True, exist_ok=True)
    viewport(b, 390, 844)
    b.get(live + "/login")
    fill(b, login="pboss", password="correct-horse")
    click(b, "submit")
    for name, path in (("customer", f"/customers/{phone_world}"),
                       ("customers", "/billmgr?func=customer"),
                       ("form", f"/billmgr?func=customer.edit&elid={phone_world}"),
                       ("custom-fields", "/billmgr?func=custom_field")):
        b.get(live + path)
        assert b.find_element(By.TAG_NAME, "h1").text
        fits(b, 390, name)
        b.save_screenshot(str(screens / f"issue17-{name}-390.png"))
    b.delete_all_cookies()
    b.get(live + "/portal/login")
    fill(b, username="rahim.family.account", password="s3cret-pw")
    b.find_element(By.CSS_SELECTOR, "form#login button").click()
    # the login's answer first: navigating away at once may cancel its POST
    WebDriverWait(b, 15).until(lambda d: "/portal/login" not in d.current_url)
    b.get(live + "/portal/family")
    assert b.find_element(By.ID, "child-rahim.child0")
    fits(b, 390, "the portal's family page")
    b.save_screenshot(str(screens / "issue17-portal-family-390.png"))


from tests.admin.test_browser import browser, live_admin  # noqa: E402,F401  (fixtures)



def test_a_trial_customer_s_page_offers_the_conversion(world, auth, dbs):
    from tests.support.factories import make_package
    make_package(dbs, name="Try7", price="0", trial_days="7")
    c = make_customer(dbs, caller_of(dbs, world.operator_a), username="trier", package="Try7")
    dbs.commit()
    auth.login("opera")
    page = auth.get(f"/customers/{c.id}").get_data(as_text=True)
    assert 'id="convert-trial"' in page
    form = auth.get(f"/billmgr?func=customer.convert_trial&elid={c.id}")
    assert form.status_code == 200 and 'name="package"' in form.get_data(as_text=True)
    resp = auth.post("/billmgr", {"func": "customer.convert_trial", "elid": str(c.id),
                                  "package": "home10"})
    assert resp.status_code in (302, 303), resp.get_data(as_text=True)[:1500]
    dbs.expire_all()
    assert dbs.get(Customer, c.id).billing_from is not None
    amos = dbs.scalar(sa.select(Customer.id).where(Customer.username == "amos"))
    assert 'id="convert-trial"' not in auth.get(f"/customers/{amos}").get_data(as_text=True)

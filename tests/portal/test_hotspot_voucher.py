"""Hotspot vouchers (issue 14, customers/functions/vouchers.py): a recharge card for a hotspot
package, typed on the hotspot login page, becomes a hotspot account paid with the card (the
recharge pipeline: ledger, card, commission, events); the PIN is the login again every time;
other PINs get one answer and count against the address; the page at 360 px in Chromium."""
from __future__ import annotations

import datetime as dt
import re
import shutil
import threading
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from customers.functions.signups import visitor
from customers.functions.vouchers import REFUSED
from radbill import lockout
from radbill.functions.registry import FuncError, call
from radbill.models import AuditLog, Customer, Event, Payment, RechargeCard
from rating import ledger
from tests.admin.test_browser import browser  # noqa: F401  (fixture)
from tests.portal.test_portal import fake_router  # noqa: F401  (fixture)
from tests.support.factories import fn, make_customer, make_operator, make_package, make_user
from tests.support.rating_factories import assert_books_balance

IP = "100.64.9.7"
HOTSPOT = {"link-login-only": "http://10.5.50.1/login", "chap-id": "\\347",
           "chap-challenge": "\\022\\064\\126\\170\\232\\274\\336\\360\\001\\043\\105\\147"
                             "\\211\\253\\315\\357", "dst": "http://example.com/"}


def world(s):
    """The ISP sells a daily 1-hour hotspot package (and a monthly PPPoE one); reseller A has a
    card distributor (10.00 a card); reseller B issues vouchers of its own."""
    isp = make_operator(s, name="isp")
    res_a = make_operator(s, name="resA", parent="isp", credit_limit="1000")
    res_b = make_operator(s, name="resB", parent="isp", credit_limit="1000")
    make_package(s, name="Hour", price="20", validity_days="daily", time_limit="1h",
                 data_limit="2G", hotspot="yes", operator="isp")
    make_package(s, name="Home", price="500", operator="isp")
    dist = make_user(s, role="card_distributor", operator="resA", commission_fixed="1")
    fn(s, "card.generate", count="2", package="Hour", batch="hs-a", operator="resA",
       distributor=dist.login)
    fn(s, "card.generate", count="1", package="Hour", batch="hs-b", operator="resB")
    fn(s, "card.generate", count="1", package="Home", batch="home", operator="isp")
    fn(s, "card.generate", count="1", package="Hour", batch="old", operator="isp",
       valid_until="2020-01-01")
    s.flush()
    return isp, res_a, res_b, dist


def pins(s, batch):
    return list(s.scalars(sa.select(RechargeCard.pin).where(RechargeCard.batch == batch)
                          .order_by(RechargeCard.id)))


def voucher(s, pin, ip=IP):
    return call(s, visitor(ip).via("portal", True), "portal.voucher", {"pin": pin})


def test_a_voucher_redeems_once_into_a_hotspot_account_and_stays_its_login(session):
    _, res_a, _, _ = world(session)
    pin = pins(session, "hs-a")[0]
    first = voucher(session, pin)
    assert first.extra["first"] is True
    username, password = first.extra["username"], first.extra["password"]
    assert re.fullmatch(r"[a-z2-9]{8}", password) and password not in pin
    c = session.get(Customer, first.elid)
    card = session.scalars(sa.select(RechargeCard).where(RechargeCard.pin == pin)).one()
    assert (c.username, c.service, c.status, c.operator_id) == (username, "hotspot", "active",
                                                                 res_a.id)
    assert c.mobile is None and c.custom_fields["voucher"] == card.serial
    assert c.package.name == "Hour" and c.package.time_limit == 3600
    # one day of validity from now (prepaid), paid with the card
    ahead = c.expires_at - dt.datetime.now(dt.timezone.utc)
    assert dt.timedelta(hours=23, minutes=58) < ahead <= dt.timedelta(days=1)
    assert (card.status, card.used_by) == ("used", c.id)
    [pay] = session.scalars(sa.select(Payment).where(Payment.customer_id == c.id)).all()
    assert (pay.method, pay.card_id, pay.amount) == ("card", card.id, card.amount)
    assert pay.reference == f"card:{card.serial}" and pay.applied == card.amount
    assert ledger.balance(session, res_a.id, "commission") == D("1.00")  # the distributor's
    kinds = set(session.scalars(sa.select(Event.name).where(Event.customer_id == c.id)))
    assert {"customer.created", "payment.received", "card.redeemed"} <= kinds
    assert_books_balance(session)

    again = voucher(session, f" {pin[:7]}-{pin[7:]} ")  # as printed, with a dash and spaces
    assert (again.elid, again.extra["username"], again.extra["password"], again.extra["first"]) \
        == (c.id, username, password, False)
    assert session.scalar(sa.select(sa.func.count()).select_from(Customer)
                          .where(Customer.custom_fields["voucher"].astext == card.serial)) == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(Payment)
                          .where(Payment.customer_id == c.id)) == 1
    logins = session.scalars(sa.select(AuditLog.after).where(
        AuditLog.object_type == "customer", AuditLog.object_id == c.id,
        AuditLog.func == "portal.voucher")).all()
    assert [a["first"] for a in logins] == [True, False]
    assert all("password" not in str(a) for a in logins)


def test_other_pins_get_one_answer_and_count_against_the_address(session):
    world(session)
    home, old = pins(session, "home")[0], pins(session, "old")[0]
    for bad in ("12345678901234", home, old, "not-a-pin"):
        with pytest.raises(FuncError) as err:
            voucher(session, bad)
        assert (err.value.field, err.value.errors["pin"], err.value.keep) == ("pin", REFUSED,
                                                                              True)
    # a PIN an ordinary customer already recharged with is someone else's: refused alike
    make_customer(session, username="hs-user", package="Hour", operator="resA",
                  service="hotspot")
    used = pins(session, "hs-a")[1]
    fn(session, "payment.edit", sok="ok", customer="hs-user", method="card", pin=used)
    with pytest.raises(FuncError, match=REFUSED):
        voucher(session, used)
    assert session.scalar(sa.select(RechargeCard.status).where(RechargeCard.pin == home)) \
        == "unused"
    assert lockout.failures(session, "pin", ip=IP) == 5
    # ...until the address has used up its tries: then even a good voucher waits
    for _ in range(lockout.limit() * lockout.ADDRESS_FACTOR - 5):
        with pytest.raises(FuncError):
            voucher(session, "99999999999999")
    with pytest.raises(FuncError) as err:
        voucher(session, pins(session, "hs-b")[0])
    assert err.value.status == 429 and err.value.errors["pin"] == lockout.TOO_MANY_PINS
    assert voucher(session, pins(session, "hs-b")[0], ip="100.64.9.8").extra["first"]


def test_a_voucher_lands_under_the_operator_that_issued_it(session):
    _, res_a, res_b, _ = world(session)
    b = voucher(session, pins(session, "hs-b")[0])
    a = voucher(session, pins(session, "hs-a")[0])
    owners = {session.get(Customer, r.elid).operator_id for r in (a, b)}
    assert owners == {res_a.id, res_b.id}
    assert session.get(Customer, b.elid).operator_id == res_b.id
    # each reseller paid its activation upstream, as for any customer it adds
    assert ledger.balance(session, res_b.id, "upstream") <= 0
    assert_books_balance(session)


# -- the hotspot login page ----------------------------------------------------------------------
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def voucher_page(client, pin, **router):
    page = client.get("/portal/hotspot/login", query_string={**HOTSPOT, **router})
    token = TOKEN.search(page.get_data(as_text=True)).group(1)
    return client.post("/portal/hotspot/login", data={
        **HOTSPOT, "chap-id": "e7", "chap-challenge": "123456789abcdef00123456789abcdef",
        **router, "pin": pin, "csrf_token": token})


def test_the_hotspot_page_takes_a_voucher_and_logs_in_with_it(client, dbs):
    world(dbs)
    dbs.commit()
    page = client.get("/portal/hotspot/login", query_string=HOTSPOT).get_data(as_text=True)
    assert 'id="voucher"' in page and "Have a voucher? Enter its PIN" in page
    assert 'name="link-login-only" value="http://10.5.50.1/login"' in page
    assert 'name="chap-challenge" value="123456789abcdef00123456789abcdef"' in page

    bad = voucher_page(client, "12345678901234")
    assert bad.status_code == 400 and REFUSED in bad.get_data(as_text=True)
    dbs.expire_all()
    assert lockout.failures(dbs, "pin", ip="127.0.0.1") == 1  # kept, though the answer is 400

    pin = pins(dbs, "hs-a")[0]
    ok = voucher_page(client, pin)
    html = ok.get_data(as_text=True)
    assert ok.status_code == 200 and ok.headers["Cache-Control"] == "no-store"
    dbs.expire_all()
    c = dbs.scalars(sa.select(Customer).where(Customer.service == "hotspot")).one()
    assert f'<b id="voucher-username">{c.username}</b>' in html
    assert f'value="{c.password}"' in html and 'data-auto="1"' in html
    assert 'data-chap-challenge="123456789abcdef00123456789abcdef"' in html
    assert 'id="voucher"' not in html  # the login is under way: no second voucher form
    csp = ok.headers["Content-Security-Policy"]
    assert "form-action http://10.5.50.1 'self'" in csp
    again = voucher_page(client, pin).get_data(as_text=True)
    assert f'value="{c.password}"' in again
    # a crafted link gets neither a form nor a try of the PIN
    evil = voucher_page(client, pins(dbs, "hs-b")[0],
                        **{"link-login-only": "https://evil.example/"})
    assert evil.status_code == 400
    dbs.expire_all()
    assert dbs.scalar(sa.select(RechargeCard.status).where(RechargeCard.batch == "hs-b")) \
        == "unused"


@pytest.fixture
def live_portal(committed):
    """The real app on a free port that knows `localhost` as a hotspot router's name."""
    from werkzeug.serving import make_server

    from admin import create_app
    app = create_app({"SECRET_KEY": "voucher-test", "PORTAL_HOTSPOT_HOSTS": "localhost"})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.mark.browser
@pytest.mark.skipif(not shutil.which("chromedriver"), reason="no chromedriver")
def test_in_chromium_at_360px_a_voucher_logs_in_to_the_router(live_portal, fake_router, browser):
    import hashlib
    from urllib.parse import urlencode

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from radbill import db
    from tests.admin.test_browser import ARTIFACTS
    with db.session_scope() as s:
        world(s)
        pin = pins(s, "hs-a")[0]
    link, posts = fake_router
    b = browser
    b.set_window_size(360, 900)
    b.get(f"{live_portal}/portal/hotspot/login?" + urlencode({**HOTSPOT, "link-login-only": link}))
    assert b.execute_script("return document.documentElement.scrollWidth") <= 360
    b.find_element(By.ID, "pin").send_keys("1111 2222 3333 44")
    b.find_element(By.ID, "use-voucher").click()
    WebDriverWait(b, 15).until(lambda d: d.find_elements(By.ID, "voucher-error"))
    assert b.find_element(By.ID, "voucher-error").text == REFUSED
    b.find_element(By.ID, "pin").send_keys(f"{pin[:4]} {pin[4:8]} {pin[8:12]} {pin[12:]}")
    (ARTIFACTS / "screens").mkdir(parents=True, exist_ok=True)
    b.save_screenshot(str(ARTIFACTS / "screens" / "hotspot-voucher.png"))
    b.find_element(By.ID, "use-voucher").click()
    WebDriverWait(b, 15).until(lambda d: d.find_elements(By.ID, "in"))  # the router's answer
    with db.session_scope() as s:
        c = s.scalars(sa.select(Customer).where(Customer.service == "hotspot")).one()
        username, password = c.username, c.password
    expected = hashlib.md5(bytes([0o347]) + password.encode()
                           + bytes.fromhex("123456789abcdef00123456789abcdef")).hexdigest()
    assert posts == [{"username": username, "password": expected, "dst": "http://example.com/",
                      "popup": "true"}]


# -- sold online ---------------------------------------------------------------------------------
def test_a_hotspot_package_sold_online_shows_its_limits_and_makes_a_hotspot_customer(client,
                                                                                    dbs):
    from radbill.models import Package, Zone
    from radbill.models.selfcare import Signup
    world(dbs)
    for name in ("Hour", "Home"):
        dbs.scalars(sa.select(Package).where(Package.name == name)).one().online = True
    fn(dbs, "zone.edit", sok="ok", name="north", operator="isp")
    zone = dbs.scalars(sa.select(Zone).where(Zone.name == "north")).one()
    dbs.commit()
    page = client.get("/portal/register", query_string={"zone": zone.id}).get_data(as_text=True)
    limits = re.findall(r'<span class="muted limits">\s*(.*?)</span>', page, re.S)
    assert [" ".join(x.split()) for x in limits] == ["1 h online · 2 GB of data"]
    # every card says its price, period and speed; the ordinary one has no limits line
    cards = [" ".join(re.sub(r"<[^>]+>", " ", x).split()) for x in
             re.findall(r'<label class="pkg">(.*?)</label>', page, re.S)]
    hour_pkg = dbs.scalars(sa.select(Package).where(Package.name == "Hour")).one()
    home_pkg = dbs.scalars(sa.select(Package).where(Package.name == "Home")).one()
    assert len(cards) == 2
    assert any(c.startswith("Hour") and "a day" in c and "1 h online" in c for c in cards), cards
    home_card = next(c for c in cards if c.startswith("Home"))
    assert "online" not in home_card and "bit/s" in home_card, home_card
    assert (("a month" in home_card) if home_pkg.validity_days in (30, 31)
            else f"per {home_pkg.validity_days} days" in home_card), home_card
    assert hour_pkg.validity_days == 1

    hour = dbs.scalars(sa.select(Package).where(Package.name == "Hour")).one()
    home = dbs.scalars(sa.select(Package).where(Package.name == "Home")).one()
    made = {}
    for pkg, mobile, nid in ((hour, "+8801711000101", "1234567890"),
                             (home, "+8801711000102", "1234567891")):
        row = Signup(operator_id=zone.operator_id, zone_id=zone.id, package_id=pkg.id,
                     name="Rahim Uddin", mobile=mobile, address="Dhaka", national_id=nid,
                     verified_at=dt.datetime.now(dt.timezone.utc))
        dbs.add(row)
        dbs.flush()
        made[pkg.name] = dbs.get(Customer, fn(dbs, "signup.approve", elid=str(row.id)).extra[
            "customer"])
    assert (made["Hour"].service, made["Home"].service) == ("hotspot", "pppoe")
    assert made["Hour"].mac is None and made["Hour"].static_ip is None


def test_a_double_submit_waits_for_the_first_and_gets_the_same_account(committed):
    """Two requests with one PIN at once: the second waits on the card's row lock, then finds
    the account the first made (one customer, one payment)."""
    from sqlalchemy.orm import Session
    with Session(committed) as s:
        world(s)
        s.commit()
        pin = pins(s, "hs-a")[0]
    first_s, second_s = Session(committed), Session(committed)
    try:
        first = voucher(first_s, pin)  # holds the card's lock until it commits
        answers = []
        racer = threading.Thread(target=lambda: answers.append(voucher(second_s, pin)))
        racer.start()
        racer.join(1.0)
        assert racer.is_alive()  # waiting on the lock, not making a second account
        first_s.commit()
        racer.join(15)
        second_s.commit()
    finally:
        first_s.close()
        second_s.close()
    [second] = answers
    assert (second.elid, second.extra["username"], second.extra["password"]) == \
        (first.elid, first.extra["username"], first.extra["password"])
    assert (first.extra["first"], second.extra["first"]) == (True, False)
    with Session(committed) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Customer)
                        .where(Customer.service == "hotspot")) == 1
        assert s.scalar(sa.select(sa.func.count()).select_from(Payment)) == 1

"""The customers' portal: login, home, recharge, invoices, the suspension page, the hotspot page."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import subprocess
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from radbill import lockout

from tests.support.factories import fn, make_customer, make_operator, make_package
from customers.functions.portal import customer_caller
from radbill.functions.registry import AccessDenied, call
from radbill.models import AuditLog, Customer, Outbox, RadAcct, UsageCounter
from rating.terms import today
from tests.support.rating_factories import bills_of, make_profile, postpaid_customer

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
GIB = 1024 ** 3


@pytest.fixture
def shop(dbs):
    """An ISP with a capped package; alice owes this month's bill and is suspended for it."""
    w = SimpleNamespace()
    w.isp = make_operator(dbs, name="isp")
    w.pkg = make_package(dbs, name="home10", price="500", data_cap="50G", fup_rate_down="1M",
                         fup_rate_up="1M")
    profile = make_profile(dbs)
    w.alice = postpaid_customer(dbs, profile, username="alice", password="s3cret",
                                package="home10", operator="isp", name="Alice A")
    w.bob = postpaid_customer(dbs, profile, username="bob", password="bobpass",
                              package="home10", operator="isp")
    w.hashed = make_customer(dbs, username="carol", password="nt-only", hash_only="on",
                             package="home10", operator="isp")
    fn(dbs, "bill.generate", sok="ok", date=today().isoformat())  # the ISP's day, not the UTC one
    fn(dbs, "customer.suspend", elid="alice", reason="unpaid")
    [w.alice_bill] = bills_of(dbs, w.alice)
    [w.bob_bill] = bills_of(dbs, w.bob)
    fn(dbs, "card.generate", count="2", amount=str(w.alice_bill.total), batch="b1",
       operator="isp")
    w.pins = [r["pin"] for r in fn(dbs, "card", batch="b1").rows]
    now = dt.datetime.now(dt.timezone.utc)
    dbs.add(UsageCounter(customer_id=w.alice.id, cycle_start=w.alice.cycle_start,
                         bytes_in=2 * GIB, bytes_out=10 * GIB))
    dbs.add(session_row("alice", "s1", now - dt.timedelta(days=2), "10.99.0.7", stop=now))
    dbs.add(session_row("alice", "s2", now - dt.timedelta(minutes=5), "10.99.0.8"))
    dbs.add(session_row("bob", "s3", now - dt.timedelta(minutes=9), "10.99.0.9"))
    dbs.commit()
    return w


def session_row(username, sid, start, ip, stop=None):
    return RadAcct(acctsessionid=sid, acctuniqueid=f"u-{sid}", username=username,
                   nasipaddress="192.0.2.1", acctstarttime=start, acctstoptime=stop,
                   acctsessiontime=int((stop - start).total_seconds()) if stop else None,
                   framedipaddress=ip, acctinputoctets=1000, acctoutputoctets=5 * 1024 ** 2)


def token(client, path="/portal/login", **kw) -> str:
    page = client.get(path, follow_redirects=True, **kw)
    return TOKEN.search(page.get_data(as_text=True)).group(1)


def login(client, username="alice", password="s3cret"):
    return client.post("/portal/login", data={"username": username, "password": password,
                                              "csrf_token": token(client)})


def disconnects(dbs, customer) -> int:
    dbs.expire_all()
    return dbs.scalar(sa.select(sa.func.count()).select_from(Outbox).where(
        Outbox.customer_id == customer.id, Outbox.kind == "disconnect"))


# -- login -------------------------------------------------------------------------------------
def test_a_customer_logs_in_with_the_router_password_and_sees_the_account(client, shop):
    resp = login(client)
    assert resp.status_code == 302 and resp.location.endswith("/portal/")
    page = client.get("/portal/").get_data(as_text=True)
    assert "Alice A" in page and 'id="state">Suspended' in page and "unpaid bills" in page
    assert "home10 (10M/5M bit/s)" in page
    assert "12.0 GiB" in page and "50.0 GiB" in page  # this cycle's usage against the cap
    assert 'class="dot on"' in page and "10.99.0.8" in page  # online now
    assert f"/portal/bills/{shop.alice_bill.id}.pdf" in page and str(shop.alice_bill.total) in page
    assert f"/portal/bills/{shop.bob_bill.id}.pdf" not in page
    # a customer session is not a staff session
    assert client.get("/").status_code == 302 and "/login" in client.get("/").location


def test_a_hash_only_customer_logs_in_through_the_nt_hash(client, shop):
    assert shop.hashed.password is None
    assert login(client, "carol", "wrong").status_code == 400
    assert login(client, "carol", "nt-only").status_code == 302
    assert "carol" in client.get("/portal/").get_data(as_text=True)


def test_a_wrong_password_is_refused_and_repeated_failures_lock_the_login(client, shop, dbs):
    resp = login(client, "alice", "nope")
    assert resp.status_code == 400 and "wrong username or password" in resp.get_data(as_text=True)
    assert login(client, "nobody", "nope").status_code == 400
    login(client, "alice", "nope2")  # LOCKOUT_AFTER is 3 in the admin fixtures
    login(client, "alice", "nope3")
    locked = login(client, "alice", "s3cret")  # even the right password, while locked
    assert locked.status_code == 400 and "too many failed logins" in locked.get_data(as_text=True)
    rows = dbs.execute(sa.text("select ok, reason from login_attempts where channel = 'portal' "
                               "and login = 'alice' order by id")).all()
    assert [r.reason for r in rows] == ["bad password"] * 3 + ["locked"]
    assert client.get("/portal/").status_code == 302  # not signed in


def test_a_customer_over_the_cap_sees_the_reduced_speed(client, shop, dbs):
    bob = dbs.get(Customer, shop.bob.id)
    bob.status, bob.status_reason = "fup", "data cap reached"
    dbs.commit()
    login(client, "bob", "bobpass")
    page = client.get("/portal/").get_data(as_text=True)
    assert 'id="state">Reduced speed' in page and "data cap is used up" in page
    assert "now 1M/1M bit/s until the next cycle" in page


def test_a_good_login_clears_earlier_failures_and_an_idle_session_ends(app, client, shop):
    login(client, "alice", "nope")
    login(client, "alice", "nope")
    assert login(client, "alice", "s3cret").status_code == 302
    login(client, "alice", "nope")
    assert login(client, "alice", "s3cret").status_code == 302  # 1 failure since, not 3
    assert client.get("/portal/").status_code == 200
    app.config["IDLE_MINUTES"] = 0
    assert client.get("/portal/").status_code == 302


def test_the_staff_login_knows_no_customer(client, shop):
    staff = client.post("/login", data={"login": "alice", "password": "s3cret",
                                        "csrf_token": token(client, "/login")})
    assert staff.status_code == 401


# -- what a customer may see -------------------------------------------------------------------
def test_one_customer_cannot_open_anothers_bill_pdf(client, shop):
    login(client)
    mine = client.get(f"/portal/bills/{shop.alice_bill.id}.pdf")
    assert mine.status_code == 200 and mine.data.startswith(b"%PDF")
    assert client.get(f"/portal/bills/{shop.bob_bill.id}.pdf").status_code == 404
    missing = client.get("/portal/bills/999999.pdf")
    assert missing.status_code == 404 and 'id="not-found"' in missing.get_data(as_text=True)


def test_portal_functions_are_for_customers_only(dbs, shop):
    from radbill.functions.caller import SYSTEM
    with pytest.raises(AccessDenied):
        call(dbs, SYSTEM, "portal.status", {})
    staff_like = customer_caller(dbs, shop.alice)
    assert call(dbs, staff_like, "portal.status", {}).values["username"] == "alice"
    with pytest.raises(AccessDenied):
        call(dbs, staff_like, "customer.suspend", {"elid": "bob"})


# -- recharge ----------------------------------------------------------------------------------
def test_a_card_resumes_a_suspended_customer_at_once_and_queues_one_disconnect(client, shop, dbs):
    before = disconnects(dbs, shop.alice)
    login(client)
    resp = client.post("/portal/recharge", data={"pin": shop.pins[0],
                                                 "csrf_token": token(client, "/portal/")})
    assert resp.status_code == 302
    page = client.get("/portal/").get_data(as_text=True)
    assert "come back within a few seconds" in page and 'id="state">Active' in page
    assert disconnects(dbs, shop.alice) == before + 1
    alice = dbs.get(Customer, shop.alice.id)
    assert alice.status == "active" and bills_of(dbs, alice)[0].status == "paid"
    audit = dbs.scalars(sa.select(AuditLog).where(AuditLog.func == "payment.edit")
                        .order_by(AuditLog.id)).all()
    # the status change (by the lifecycle) and the payment, both the customer's own doing
    assert [(a.actor, a.object_type) for a in audit] == [("customer:alice", "customer"),
                                                        ("customer:alice", "payment")]
    assert audit[0].after["reason"] == "payment"
    assert all(shop.pins[0] not in (a.request or "") for a in audit)


def test_an_expired_prepaid_customer_pays_by_card_and_is_redialled_once(client, shop, dbs):
    dave = make_customer(dbs, username="dave", password="d4ve", package="home10",
                         operator="isp")
    dave.expires_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    fn(dbs, "card.generate", count="1", package="home10", batch="pre", operator="isp")
    pin = fn(dbs, "card", batch="pre").rows[0]["pin"]
    dbs.commit()
    login(client, "dave", "d4ve")
    assert 'id="state">Expired' in client.get("/portal/").get_data(as_text=True)
    client.post("/portal/recharge", data={"pin": pin, "csrf_token": token(client, "/portal/")})
    page = client.get("/portal/").get_data(as_text=True)
    assert 'id="state">Active' in page and "come back within a few seconds" in page
    assert disconnects(dbs, dave) == 1
    assert dbs.get(Customer, dave.id).expires_at > dt.datetime.now(dt.timezone.utc)


def test_a_replayed_pin_counts_once(client, shop, dbs):
    login(client)
    for _ in range(2):
        client.post("/portal/recharge", data={"pin": shop.pins[0],
                                              "csrf_token": token(client, "/portal/")})
    page = client.get("/portal/").get_data(as_text=True)
    assert "it counts once" in page
    n = dbs.scalar(sa.text("select count(*) from payments where customer_id = :c"),
                   {"c": shop.alice.id})
    assert n == 1 and disconnects(dbs, shop.alice) == 2  # the suspension's, and the payment's


def test_a_wrong_pin_is_refused_counted_and_changes_nothing(client, shop, dbs):
    login(client)
    for _ in range(lockout.limit()):  # counted by portal.recharge (radbill.lockout)
        resp = client.post("/portal/recharge", data={"pin": "12345678901234",
                                                     "csrf_token": token(client, "/portal/")})
        assert resp.status_code == 400 and "no such card" in resp.get_data(as_text=True)
    resp = client.post("/portal/recharge", data={"pin": shop.pins[0],
                                                 "csrf_token": token(client, "/portal/")})
    assert "too many wrong PINs" in resp.get_data(as_text=True)
    assert dbs.get(Customer, shop.alice.id).status == "suspended"


# -- the suspension page -----------------------------------------------------------------------
def test_the_suspension_page_knows_the_subscriber_by_address_and_takes_a_card(client, shop, dbs):
    env = {"REMOTE_ADDR": "10.99.0.8"}
    page = client.get("/portal/suspended", environ_base=env).get_data(as_text=True)
    assert "Alice A" in page and "unpaid bills" in page and str(shop.alice_bill.total) in page
    assert 'id="recharge"' in page
    before = disconnects(dbs, shop.alice)
    resp = client.post("/portal/suspended", environ_base=env, data={
        "pin": shop.pins[0], "csrf_token": token(client, "/portal/suspended", environ_base=env)})
    assert resp.status_code == 302
    page = client.get("/portal/suspended", environ_base=env).get_data(as_text=True)
    assert "come back within a few seconds" in page and 'id="state">Active' in page
    assert disconnects(dbs, shop.alice) == before + 1


def test_an_unknown_address_gets_the_generic_page_with_a_login_form(client, shop):
    for addr in ("10.99.0.7", "198.51.100.1"):  # a closed session's address, a stranger's
        page = client.get("/portal/suspended", environ_base={"REMOTE_ADDR": addr})
        text = page.get_data(as_text=True)
        assert page.status_code == 200 and 'id="unknown"' in text and 'id="login"' in text
        assert "Alice" not in text


def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy(app, client, shop):
    app.config["PORTAL_TRUSTED_PROXIES"] = "127.0.0.0/8"
    forged = {"X-Forwarded-For": "10.99.0.8"}
    via_proxy = client.get("/portal/suspended", headers=forged,
                           environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_data(as_text=True)
    assert "Alice A" in via_proxy
    direct = client.get("/portal/suspended", headers=forged,
                        environ_base={"REMOTE_ADDR": "198.51.100.1"}).get_data(as_text=True)
    assert "Alice" not in direct


# -- the hotspot login page --------------------------------------------------------------------
HOTSPOT = {"link-login-only": "http://10.5.50.1/login", "chap-id": "\\347",
           "chap-challenge": "\\022\\064\\126\\170\\232\\274\\336\\360\\001\\043\\105\\147"
                             "\\211\\253\\315\\357", "dst": "http://example.com/", "error": ""}


def test_the_hotspot_page_carries_the_routers_variables(client):
    resp = client.get("/portal/hotspot/login",
                      query_string={**HOTSPOT, "error": "invalid password"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'action="http://10.5.50.1/login"' in page and 'value="http://example.com/"' in page
    assert 'data-chap-id="e7"' in page
    assert 'data-chap-challenge="123456789abcdef00123456789abcdef"' in page
    assert "invalid password" in page
    csp = resp.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    assert f'<script nonce="{nonce}">' in page and "form-action http://10.5.50.1" in csp


def test_the_hotspot_page_posts_nowhere_but_a_router(client):
    resp = client.get("/portal/hotspot/login",
                      query_string={**HOTSPOT, "link-login-only": "https://evil.example/steal"})
    assert resp.status_code == 400 and "evil.example" not in resp.get_data(as_text=True)
    assert "form-action 'none'" in resp.headers["Content-Security-Policy"]


@pytest.mark.skipif(not shutil.which("node"), reason="no node")
def test_the_pages_md5_answers_chap_like_python(client):
    page = client.get("/portal/hotspot/login", query_string=HOTSPOT).get_data(as_text=True)
    script = re.search(r"<script nonce=\"[^\"]+\">(.*?)</script>", page, re.S).group(1)
    vectors = ["", "abc", "message digest", "x" * 55, "y" * 56, "z" * 64, "q" * 200,
               "পাসওয়ার্ড"]  # block edges, and a password beyond ASCII (sent as UTF-8)
    probe = script + "\nconsole.log(JSON.stringify({md5: %s.map(function (t) { return " \
        "md5Hex(utf8Bytes(t)); }), chap: chapResponse('e7', 's3cret', '%s')}));" % (
            json.dumps(vectors), "123456789abcdef00123456789abcdef")
    out = json.loads(subprocess.run(["node", "-e", probe], capture_output=True, text=True,
                                    check=True, timeout=30).stdout)
    assert out["md5"] == [hashlib.md5(v.encode()).hexdigest() for v in vectors]
    expected = hashlib.md5(bytes([0o347]) + b"s3cret"
                           + bytes.fromhex("123456789abcdef00123456789abcdef")).hexdigest()
    assert out["chap"] == expected


@pytest.fixture
def fake_router():
    """A hotspot router's login URL on a free port, remembering what browsers post to it."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer
    from urllib.parse import parse_qs
    posts = []

    class Login(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            posts.append({k: v[0] for k, v in parse_qs(body).items()})
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html><body><h1 id='in'>You are logged in</h1></body></html>")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Login)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_port}/login", posts
    server.shutdown()
    thread.join(5)


@pytest.mark.browser
@pytest.mark.skipif(not shutil.which("chromedriver"), reason="no chromedriver")
def test_in_chromium_the_hotspot_page_posts_only_the_chap_hash(engine, fake_router):
    """The real page in headless Chromium (CSP, nonce and all) against a fake router."""
    import tempfile
    import threading

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    from werkzeug.serving import make_server

    from admin import create_app
    from tests.admin.test_browser import CHROME_FLAGS
    link, posts = fake_router
    app = create_app({"SECRET_KEY": "hotspot-test", "PORTAL_HOTSPOT_HOSTS": "localhost"})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    profile = tempfile.mkdtemp(prefix="radbill-chrome-")
    for flag in CHROME_FLAGS + (f"--user-data-dir={profile}",):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)
    try:
        from urllib.parse import urlencode
        driver.get(f"http://127.0.0.1:{server.server_port}/portal/hotspot/login?"
                   + urlencode({**HOTSPOT, "link-login-only": link}))
        driver.find_element(By.ID, "username").send_keys("alice")
        driver.find_element(By.ID, "password").send_keys("s3cret")
        driver.find_element(By.CSS_SELECTOR, "#login button").click()
        WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "in"))
    finally:
        driver.quit()
        server.shutdown()
        shutil.rmtree(profile, ignore_errors=True)
    expected = hashlib.md5(bytes([0o347]) + b"s3cret"
                           + bytes.fromhex("123456789abcdef00123456789abcdef")).hexdigest()
    assert posts == [{"username": "alice", "password": expected, "dst": "http://example.com/",
                      "popup": "true"}]


# -- pure pieces -------------------------------------------------------------------------------
def test_routeros_chap_variables_decode_from_octal_escapes_or_hex():
    from admin.portal.hotspot import chap_bytes
    assert chap_bytes("\\347") == b"\xe7"
    assert chap_bytes("\\000\\377") == b"\x00\xff"
    assert chap_bytes("e7ff") == b"\xe7\xff"
    assert chap_bytes("") is None and chap_bytes("x" * 300) is None


def test_the_portal_states_follow_the_radius_policys_precedence():
    from customers.functions.portal import state_of
    now = dt.datetime(2026, 11, 22, tzinfo=dt.timezone.utc)
    past, future = now - dt.timedelta(days=1), now + dt.timedelta(days=1)

    def c(status, reason=None, expires=None):
        return SimpleNamespace(status=status, status_reason=reason, expires_at=expires)
    assert state_of(c("active", expires=future), now) == ("active", None)
    assert state_of(c("suspended", "unpaid", past), now) == ("suspended", "unpaid bills")
    assert state_of(c("suspended", "moved house"), now) == ("suspended", "moved house")
    assert state_of(c("fup", "data cap reached", past), now)[0] == "expired"
    assert state_of(c("fup", "data cap reached"), now) == ("fup",
                                                           "this cycle's data cap is used up")
    assert state_of(c("disabled"), now)[0] == "disabled"

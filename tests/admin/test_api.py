"""The func API at /billmgr, convention by convention (seed 003)."""
from __future__ import annotations

import datetime as dt
import logging
import re

import pyotp
import sqlalchemy as sa

from tests.support.admin_fixtures import PASSWORD
from radbill.models import Customer
from radbill.models.web import ApiSession

AUTH_ID = re.compile(r'<auth id="([0-9a-f]+)"')


def api(client, ip="127.0.0.1", method="get", **params):
    fn = client.get if method == "get" else client.post
    kw = {"query_string": params} if method == "get" else {"data": params}
    return fn("/billmgr", environ_base={"REMOTE_ADDR": ip}, **kw)


def login(client, user="opera", ip="127.0.0.1", **extra) -> str:
    resp = api(client, ip, func="auth", username=user, password=PASSWORD, out="xml", **extra)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return AUTH_ID.search(resp.get_data(as_text=True)).group(1)


def test_auth_returns_a_session_id_used_as_auth(world, client):
    sid = login(client)
    body = api(client, func="customer", auth=sid, out="xml").get_data(as_text=True)
    assert body.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert "<doc><elem>" in body and "<username>alice</username>" in body
    assert "<username>bob</username>" not in body  # opB's customer is outside opA's subtree


def test_wrong_password_is_an_error_document(world, client):
    resp = api(client, func="auth", username="opera", password="x", out="xml")
    assert resp.status_code == 401
    body = resp.get_data(as_text=True)
    assert "<error" in body and "wrong login or password" in body


def test_the_session_dies_after_an_hour_without_requests(world, client, dbs):
    sid = login(client)
    assert api(client, func="customer", auth=sid, out="xml").status_code == 200
    dbs.execute(sa.update(ApiSession).values(last_used_at=sa.func.now() - dt.timedelta(minutes=61)))
    dbs.commit()
    resp = api(client, func="customer", auth=sid, out="xml")
    assert resp.status_code == 401 and "expired" in resp.get_data(as_text=True)


def test_a_request_keeps_the_session_alive(world, client, dbs):
    sid = login(client)
    dbs.execute(sa.update(ApiSession).values(last_used_at=sa.func.now() - dt.timedelta(minutes=59)))
    dbs.commit()
    assert api(client, func="customer", auth=sid, out="xml").status_code == 200
    assert api(client, func="customer", auth=sid, out="xml").status_code == 200


def test_a_session_belongs_to_the_address_that_opened_it(world, client):
    sid = login(client, ip="10.0.0.5")
    assert api(client, ip="10.0.0.6", func="customer", auth=sid, out="xml").status_code == 401


def test_authinfo_on_each_call(world, client):
    resp = api(client, func="customer", authinfo=f"opera:{PASSWORD}", out="JSONdata")
    assert {r["username"] for r in resp.get_json()} == {"alice", "amos"}
    resp = api(client, func="customer", authinfo="opera:bad", out="JSONdata")
    assert resp.status_code == 401


def test_authinfo_can_be_limited_to_networks(world, app, client):
    app.config["AUTHINFO_NETWORKS"] = "10.0.0.0/8, 192.168.1.0/24"
    resp = api(client, ip="172.16.0.1", func="customer", authinfo=f"opera:{PASSWORD}", out="xml")
    assert resp.status_code == 403
    assert "not allowed from this address" in resp.get_data(as_text=True)
    assert api(client, ip="10.9.9.9", func="customer", authinfo=f"opera:{PASSWORD}",
               out="xml").status_code == 200
    # password logins (func=auth) are not authinfo and stay open
    assert login(client, ip="172.16.0.1")


def test_key_login_once_from_any_address(world, client):
    admin = f"gadmin:{PASSWORD}"
    short = api(client, func="session.newkey", authinfo=admin, username="opera", key="short",
                out="xml")
    assert short.status_code == 400 and 'object="key"' in short.get_data(as_text=True)
    ok = api(client, func="session.newkey", authinfo=admin, username="opera",
             key="1234567890qwertyuiop", out="xml")
    assert "<ok" in ok.get_data(as_text=True)
    resp = api(client, ip="203.0.113.7", func="auth", username="opera",
               key="1234567890qwertyuiop", out="xml")
    assert AUTH_ID.search(resp.get_data(as_text=True))
    again = api(client, ip="203.0.113.7", func="auth", username="opera",
                key="1234567890qwertyuiop", out="xml")
    assert again.status_code == 401 and "already used" in again.get_data(as_text=True)


def test_key_login_in_a_browser_opens_the_panel(world, client):
    api(client, func="session.newkey", authinfo=f"gadmin:{PASSWORD}", username="opera",
        key="abcdefghijklmnopqrst", out="xml")
    resp = api(client, func="auth", username="opera", key="abcdefghijklmnopqrst")
    assert resp.status_code == 302
    assert client.get("/").status_code == 200


def test_only_administrators_make_keys(world, client):
    resp = api(client, func="session.newkey", authinfo=f"opera:{PASSWORD}", username="suba",
               key="1234567890qwertyuiop", out="xml")
    assert resp.status_code == 403


def test_su_rules(world, client):
    def names(auth_login, su):
        resp = api(client, func="customer", authinfo=f"{auth_login}:{PASSWORD}", su=su,
                   out="JSONdata")
        return resp.status_code, resp.get_json()
    status, rows = names("gadmin", "opera")  # a reseller as its own staff
    assert status == 200 and {r["username"] for r in rows} == {"alice", "amos"}
    assert names("root1", "operb")[0] == 200  # the system administrator as anyone
    assert names("opera", "operb")[0] == 403  # outside its subtree
    assert names("opera", "gadmin")[0] == 403  # never upwards
    assert names("mgr", "opera")[0] == 403  # everyone else refused


def test_lang_translates_with_english_fallback(world, client):
    ru = api(client, func="auth", username="opera", password="x", out="xml", lang="ru")
    assert "неверный логин или пароль" in ru.get_data(as_text=True)
    xx = api(client, func="auth", username="opera", password="x", out="xml", lang="xx")
    assert "wrong login or password" in xx.get_data(as_text=True)


def test_output_formats(world, client):
    a = f"opera:{PASSWORD}"
    assert "<doc><elem>" in api(client, func="customer", authinfo=a,
                                out="xml").get_data(as_text=True)
    assert api(client, func="customer", authinfo=a, out="json").get_json()["doc"]["elem"]
    assert isinstance(api(client, func="customer", authinfo=a, out="JSONdata").get_json(), list)
    assert "username=alice" in api(client, func="customer", authinfo=a,
                                   out="text").get_data(as_text=True)
    printed = api(client, func="customer", authinfo=a, out="print")
    assert "<table>" in printed.get_data(as_text=True)
    assert printed.content_type.startswith("text/html")
    assert api(client, func="customer.edit", elid="alice", authinfo=a,
               out="print").status_code == 400
    devel = api(client, func="customer.edit", elid="alice", authinfo=a,
                out="devel").get_data(as_text=True)
    assert "<metadata" in devel and 'name="username"' in devel
    form = api(client, func="customer.edit", elid="alice", authinfo=a,
               out="xml").get_data(as_text=True)
    assert f"<elid>{world.cust_a.id}</elid>" in form
    err = api(client, func="nosuch", authinfo=a, out="json")
    assert err.status_code == 404 and err.get_json()["doc"]["error"]["msg"]


def test_no_out_gives_the_html_page(world, client):
    sid = login(client)
    resp = api(client, func="customer", auth=sid)
    assert resp.content_type.startswith("text/html") and "alice" in resp.get_data(as_text=True)


def test_sok_applies_and_without_it_values_come_back(world, client, dbs):
    a = f"opera:{PASSWORD}"
    form = api(client, func="customer.edit", elid="alice", name="Changed", authinfo=a,
               out="JSONdata").get_json()
    assert form["name"] == "Alice A"  # only a look
    ok = api(client, func="customer.edit", elid="alice", name="Changed", sok="ok", authinfo=a,
             out="xml")
    assert "<ok" in ok.get_data(as_text=True)
    dbs.expire_all()
    assert dbs.get(Customer, world.cust_a.id).name == "Changed"


def test_field_errors_name_the_field(world, client):
    resp = api(client, func="customer.edit", sok="ok", username="new1", mobile="abc",
               authinfo=f"opera:{PASSWORD}",
               out="json", method="post")
    err = resp.get_json()["doc"]["error"]
    assert resp.status_code == 400 and err["field"] == "mobile" and "mobile" in err["fields"]


def test_redirect_to_startform_after_a_change(world, client):
    resp = api(client, func="customer.edit", sok="ok", username="carol", password="pw123456",
               package="home10", authinfo=f"opera:{PASSWORD}", out="xml",
               redirect="startform=customer.edit")
    assert resp.status_code == 302
    assert all(part in resp.location for part in ("func=customer.edit", "elid=", "out=xml"))


def test_delete_of_nothing_succeeds(world, client):
    resp = api(client, func="customer.delete", elid="nobody-at-all", authinfo=f"opera:{PASSWORD}",
               out="xml")
    assert resp.status_code == 200 and "<ok" in resp.get_data(as_text=True)


def test_another_operators_customer_is_404(world, client):
    resp = api(client, func="customer.edit", elid=str(world.cust_b.id),
               authinfo=f"opera:{PASSWORD}", out="xml")
    assert resp.status_code == 404


def test_every_call_is_logged_as_its_request_line(world, client, caplog):
    with caplog.at_level(logging.INFO, logger="radbill.requests"):
        api(client, func="customer.suspend", elid="alice", authinfo=f"opera:{PASSWORD}", out="xml")
    assert any("Request [127.0.0.1][opera] 'func=customer.suspend&elid=alice'" in r.getMessage()
               for r in caplog.records)


def test_browser_cookie_cannot_change_by_get(world, auth, client):
    auth.login("opera")
    resp = client.get("/billmgr", query_string={"func": "customer.suspend", "elid": "alice",
                                                "out": "xml"})
    assert resp.status_code == 403
    resp = auth.post("/billmgr", {"func": "customer.suspend", "elid": "alice", "out": "xml"})
    assert resp.status_code == 200 and "<ok" in resp.get_data(as_text=True)


def test_two_factor_logins_need_the_code_over_the_api_too(world, client, dbs):
    secret = pyotp.random_base32()
    world.operator_a.totp_secret, world.operator_a.totp_enabled = secret, True
    dbs.commit()
    resp = api(client, func="auth", username="opera", password=PASSWORD, out="json")
    assert resp.status_code == 401 and resp.get_json()["doc"]["error"]["field"] == "totp"
    assert login(client, totp=pyotp.TOTP(secret).now())


def test_the_noc_sees_no_money_over_the_api(world, client):
    rows = api(client, func="customer", authinfo=f"noc1:{PASSWORD}", out="JSONdata").get_json()
    assert rows and all("advance_balance" not in r for r in rows)


def test_radbill_call_info_lists_the_admins_functions():
    from radbill.functions.registry import load_all
    assert {"session.newkey", "me.totp", "me.recovery"} <= set(load_all())


def test_newkey_without_out_sends_the_browser_on_to_log_in(world, app):
    script = app.test_client()  # the outside system, as an administrator
    resp = api(script, func="session.newkey", authinfo=f"gadmin:{PASSWORD}", username="opera",
               key="0123456789abcdefghij")
    assert resp.status_code == 302 and "func=auth" in resp.location and "key=" in resp.location
    browser = app.test_client()  # the person's browser follows the redirect
    assert browser.get(resp.location, environ_base={"REMOTE_ADDR": "198.51.100.4"}).status_code == 302
    assert browser.get("/").status_code == 200
    assert "/login" in app.test_client().get(resp.location).location  # used: back to the login

"""Staff sessions die when they should (issue 10): logout, a password, role or operator change,
a disabled login, an operator (or one above it) suspended. A session is a database row, so a
second app (another gunicorn worker) sees the revocation at once."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from admin.auth.user import SID
from radbill.models import Customer, StaffUser
from radbill.models.web import ApiSession
from tests.support.admin_fixtures import Auth
from tests.support.factories import fn

from tests.admin.test_api import api, login as api_login


def customer_name(dbs, username="alice") -> str | None:
    dbs.expire_all()
    return dbs.scalar(sa.select(Customer.name).where(Customer.username == username))


def rename_by_api(client, sid, name="Hijacked"):
    return api(client, method="post", func="customer.edit", elid="alice", name=name, sok="ok",
               auth=sid, out="xml")


def copy_of(app, client):
    """A second browser (a second worker, too: another app over the same database) holding a
    copy of `client`'s cookie."""
    from admin import create_app
    other = create_app(dict(app.config)).test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


def logged_in_browser(app, client, login="opera"):
    auth = Auth(client)
    assert auth.login(login).status_code == 302
    assert client.get("/").status_code == 200
    thief = copy_of(app, client)
    assert thief.get("/").status_code == 200
    return auth, thief


def post_rename(client, name="Hijacked"):
    auth = Auth(client)
    token = auth.csrf("/login")
    return client.post("/billmgr", data={"func": "customer.edit", "elid": "alice", "name": name,
                                         "sok": "ok", "csrf_token": token})


REVOKE = {
    "password": lambda w: fn(w.dbs, "user.edit", sok="ok", elid="opera", password="a-new-password-1"),
    "role": lambda w: fn(w.dbs, "user.edit", sok="ok", elid="opera", role="manager"),
    "disabled": lambda w: fn(w.dbs, "user.edit", sok="ok", elid="opera", disabled="on"),
    "operator suspended": lambda w: fn(w.dbs, "operator.edit", sok="ok", elid="opA", status="suspended"),
    "ancestor suspended": lambda w: fn(w.dbs, "operator.edit", sok="ok", elid="isp", status="suspended"),
}


@pytest.mark.parametrize("what", list(REVOKE))
def test_an_api_session_dies_with_the_change(world, client, what):
    sid = api_login(client, user="opera")
    assert api(client, func="customer", auth=sid, out="xml").status_code == 200
    REVOKE[what](world)
    world.dbs.commit()
    resp = rename_by_api(client, sid)
    assert resp.status_code == 401, resp.get_data(as_text=True)
    assert customer_name(world.dbs) == "Alice A"


@pytest.mark.parametrize("what", list(REVOKE))
def test_a_browser_cookie_and_its_copies_die_with_the_change(world, app, client, what):
    _, thief = logged_in_browser(app, client)
    REVOKE[what](world)
    world.dbs.commit()
    for browser in (client, thief):
        resp = browser.get("/")
        assert resp.status_code == 302 and "/login" in resp.location
        assert post_rename(browser).status_code in (302, 400, 401)
        assert api(browser, func="customer", out="xml").status_code == 401
    assert customer_name(world.dbs) == "Alice A"


def test_logout_ends_the_cookie_everywhere_but_not_other_logins(world, app, client, dbs):
    auth, thief = logged_in_browser(app, client)
    other_browser = app.test_client()
    assert Auth(other_browser).login("opera").status_code == 302
    sid = api_login(app.test_client(), user="opera")
    auth.logout()
    resp = thief.get("/")
    assert resp.status_code == 302 and "/login" in resp.location
    post_rename(thief)
    assert customer_name(dbs) == "Alice A"
    # only the session logged out ends: the same login elsewhere and its API session live on
    assert other_browser.get("/").status_code == 200
    assert api(app.test_client(), func="customer", auth=sid, out="xml").status_code == 200


def test_api_logout_ends_the_session_id(world, client):
    sid = api_login(client, user="opera")
    assert api(client, func="logout", auth=sid, out="xml").status_code == 200
    assert rename_by_api(client, sid).status_code == 401


def test_a_cookie_without_a_session_row_is_nobody(world, app, client, dbs):
    """A cookie signed with the right key but naming no live row (forged `_user_id`, or one
    issued before sessions had rows) logs nobody in."""
    logged_in_browser(app, client)
    with client.session_transaction() as s:
        s[SID] = "0" * 32
    assert client.get("/").status_code == 302


def test_unrelated_changes_keep_sessions(world, app, client, dbs):
    sid = api_login(client, user="opera")
    _, thief = logged_in_browser(app, client)
    fn(dbs, "user.edit", sok="ok", elid="opera", name="Manager M")
    fn(dbs, "operator.edit", sok="ok", elid="opB", status="suspended")  # a sibling, not an ancestor
    dbs.commit()
    assert thief.get("/").status_code == 200
    assert api(client, func="customer", auth=sid, out="xml").status_code == 200


def test_the_system_administrator_is_not_shut_out_by_a_suspension(world, app, client, dbs):
    sid = api_login(client, user="root1")
    fn(dbs, "operator.edit", sok="ok", elid="isp", status="suspended")
    dbs.commit()
    assert api(client, func="customer", auth=sid, out="xml").status_code == 200
    assert dbs.scalar(sa.select(sa.func.count()).select_from(ApiSession)
                      .join(StaffUser, StaffUser.id == ApiSession.user_id)
                      .where(StaffUser.login == "opera")) == 0

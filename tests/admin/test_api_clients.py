"""API clients (issue 15): api_client.edit validates every field by name, answers the secret
once and keeps only its digest; resellers manage their own subtree's clients with roles not
above their own; revoking ends the static token at once; the staff pages show the secret on a
page of its own."""
from __future__ import annotations

import hashlib
import logging

import pytest
import sqlalchemy as sa

from admin.rest import auth as rest_auth
from radbill.functions.registry import AccessDenied, FuncError, NotFound
from radbill.models import ApiClient, AuditLog
from tests.support.factories import caller_of, fn


def create(session, caller, **params):
    params.setdefault("name", "billing-bot")
    params.setdefault("scopes", "customer:read")
    return fn(session, "api_client.edit", caller, sok="ok", **params)


def test_every_bad_field_is_named(world):
    with pytest.raises(FuncError) as bad:
        create(world.dbs, world.system, name="x" * 101, scopes="customer:reed, nonsense:read",
               networks="10.0.0.1/24, not-a-net", rate_limit="0", role="emperor",
               operator="opA")
    errors = bad.value.errors
    assert set(errors) == {"name", "scopes", "networks", "rate_limit", "role"}
    assert "customer:reed" in errors["scopes"] and "nonsense:read" in errors["scopes"]
    assert "did you mean 10.0.0.0/24" in errors["networks"]
    with pytest.raises(FuncError) as missing:
        fn(world.dbs, "api_client.edit", world.system, sok="ok")
    assert set(missing.value.errors) == {"name", "scopes"}
    with pytest.raises(FuncError) as empty:
        create(world.dbs, world.system, scopes=" , ")
    assert "at least one scope" in empty.value.errors["scopes"]


def test_scopes_are_the_registrys_nouns(world):
    ok = create(world.dbs, world.system, scopes="customer:read, payment:write, bill:*, *",
                operator="opA")
    client = world.dbs.get(ApiClient, ok.elid)
    assert client.scopes == ["customer:read", "payment:write", "bill:*", "*"]
    assert client.role == "operator"  # the highest role at an operator-level operator
    assert client.rate_limit == 600
    with pytest.raises(FuncError) as bad:
        create(world.dbs, world.system, name="other", scopes="customers:read")
    assert bad.value.field == "scopes"


def test_networks_are_cidrs(world):
    ok = create(world.dbs, world.system, networks="203.0.113.0/24 198.51.100.7, 2001:db8::/32")
    assert world.dbs.get(ApiClient, ok.elid).networks == \
        "203.0.113.0/24, 198.51.100.7/32, 2001:db8::/32"


def test_default_role_follows_the_operators_level(world):
    roles = {}
    for op in ("isp", "opA", "subA"):
        ok = create(world.dbs, world.system, name=f"c-{op}", operator=op)
        roles[op] = world.dbs.get(ApiClient, ok.elid).role
    assert roles == {"isp": "group_admin", "opA": "operator", "subA": "sub_operator"}
    with pytest.raises(FuncError) as wrong_level:
        create(world.dbs, world.system, name="c2", operator="subA", role="operator")
    assert wrong_level.value.field == "role"


def test_secret_is_answered_once_and_kept_as_a_digest(world, caplog):
    caplog.set_level(logging.DEBUG)
    ok = create(world.dbs, caller_of(world.dbs, world.group_admin), operator="opA")
    token, client_id, secret = (ok.extra["secret"], ok.extra["client_id"],
                                ok.extra["client_secret"])
    assert token == f"{client_id}.{secret}" and len(secret) >= 40
    row = world.dbs.get(ApiClient, ok.elid)
    assert row.key == client_id
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    world.dbs.flush()
    stored = world.dbs.execute(sa.text("SELECT row_to_json(c)::text FROM api_clients c "
                                       "WHERE id = :id"), {"id": ok.elid}).scalar()
    assert secret not in stored
    audits = world.dbs.execute(sa.text(
        "SELECT coalesce(before::text, '') || coalesce(after::text, '') || request "
        "FROM audit_log WHERE object_type = 'api_client'")).scalars().all()
    assert audits and not any(secret in a or row.secret_hash in a for a in audits)
    assert secret not in caplog.text
    # editing never shows it again
    form = fn(world.dbs, "api_client.edit", world.system, elid=str(ok.elid))
    again = fn(world.dbs, "api_client.edit", world.system, elid=str(ok.elid), sok="ok",
               name="renamed")
    listed = fn(world.dbs, "api_client", world.system)
    for shown in (str(form.values), str(again.extra), str(listed.rows)):
        assert secret not in shown and "secret_hash" not in shown
    assert rest_auth.authenticate(world.dbs, f"Bearer {token}", "127.0.0.1")[1].id == ok.elid


def test_resellers_manage_their_own_subtree_only(world):
    opa = caller_of(world.dbs, world.operator_a)
    with pytest.raises(AccessDenied) as other:
        create(world.dbs, opa, operator="opB")
    assert other.value.field == "operator"
    with pytest.raises(AccessDenied) as higher:
        create(world.dbs, opa, role="group_admin", operator="opA")
    assert higher.value.field == "role"
    mine = create(world.dbs, opa)
    assert world.dbs.get(ApiClient, mine.elid).role == "operator"
    sub = create(world.dbs, opa, name="sub-bot", operator="subA")
    assert world.dbs.get(ApiClient, sub.elid).role == "sub_operator"
    theirs = create(world.dbs, world.system, name="b-bot", operator="opB")
    opb = caller_of(world.dbs, world.operator_b)
    listed = {r["name"] for r in fn(world.dbs, "api_client", opb).rows}
    assert listed == {"b-bot"}
    for func in ("api_client.revoke", "api_client.rotate"):
        with pytest.raises(NotFound):
            fn(world.dbs, func, opb, elid=str(mine.elid))
    with pytest.raises(NotFound):
        fn(world.dbs, "api_client.edit", opa, elid=str(theirs.elid), sok="ok", name="mine")
    # a sub-operator cannot touch its parent's client, nor raise its own to operator
    subc = caller_of(world.dbs, world.sub)
    with pytest.raises(NotFound):
        fn(world.dbs, "api_client.revoke", subc, elid=str(mine.elid))
    with pytest.raises(AccessDenied):
        fn(world.dbs, "api_client.edit", subc, elid=str(sub.elid), sok="ok", role="operator")
    for role in ("manager", "noc", "card_distributor"):
        with pytest.raises(AccessDenied):
            fn(world.dbs, "api_client", caller_of(world.dbs, getattr(world, {
                "manager": "manager", "noc": "noc", "card_distributor": "cards"}[role])))


def test_revoke_ends_the_token_at_once(world):
    ok = create(world.dbs, world.system, operator="opA")
    token = ok.extra["secret"]
    caller, _ = rest_auth.authenticate(world.dbs, f"Bearer {token}", "10.1.1.1")
    assert caller.login == "api:billing-bot" and caller.scopes == {"customer:read"}
    fn(world.dbs, "api_client.revoke", caller_of(world.dbs, world.operator_a), elid="billing-bot")
    with pytest.raises(rest_auth.Problem) as gone:
        rest_auth.authenticate(world.dbs, f"Bearer {token}", "10.1.1.1")
    assert gone.value.status == 401
    audit = world.dbs.scalars(sa.select(AuditLog).where(AuditLog.func == "api_client.revoke")).one()
    assert audit.after["revoked_at"] and audit.object_name == "billing-bot"
    with pytest.raises(FuncError):
        fn(world.dbs, "api_client.rotate", world.system, elid=str(ok.elid))


def test_rotate_answers_a_new_secret_once(world):
    ok = create(world.dbs, world.system)
    old = ok.extra["secret"]
    rotated = fn(world.dbs, "api_client.rotate", world.system, elid=str(ok.elid))
    assert rotated.extra["client_id"] == ok.extra["client_id"]
    assert rotated.extra["secret"] != old
    with pytest.raises(rest_auth.Problem):
        rest_auth.authenticate(world.dbs, f"Bearer {old}", None)
    assert rest_auth.authenticate(world.dbs, f"Bearer {rotated.extra['secret']}", None)


def test_networks_limit_where_the_token_works(world):
    ok = create(world.dbs, world.system, networks="203.0.113.0/24")
    token = ok.extra["secret"]
    assert rest_auth.authenticate(world.dbs, f"Bearer {token}", "203.0.113.9")
    with pytest.raises(rest_auth.Problem) as outside:
        rest_auth.authenticate(world.dbs, f"Bearer {token}", "198.51.100.1")
    assert outside.value.status == 403


def test_staff_page_shows_the_secret_once(world, auth, client):
    page = auth
    page.login("gadmin")
    menu = page.get("/").get_data(as_text=True)
    assert "func=api_client" in menu and "func=api_request" in menu
    page.get("/billmgr?func=api_client.edit")
    resp = page.post("/billmgr", {"func": "api_client.edit", "sok": "ok", "name": "crm",
                                  "scopes": "customer:read, payment:write", "operator": "opA",
                                  "networks": "", "rate_limit": "120"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200, html[:500]
    assert resp.headers["Cache-Control"] == "no-store"
    row = world.dbs.scalars(sa.select(ApiClient).where(ApiClient.name == "crm")).one()
    token = html.split('id="secret-token"', 1)[1].split(">", 1)[1].split("<", 1)[0]
    key, secret = token.split(".", 1)
    assert key == row.key and hashlib.sha256(secret.encode()).hexdigest() == row.secret_hash
    assert "shown only once" in html
    with client.session_transaction() as cookie_session:  # no flash message carries it
        assert cookie_session.get("_user_id") and secret not in str(dict(cookie_session))
    listed = page.get("/billmgr?func=api_client").get_data(as_text=True)
    assert "crm" in listed and row.key in listed and secret not in listed
    form = page.get(f"/billmgr?func=api_client.edit&elid={row.id}").get_data(as_text=True)
    assert secret not in form and row.secret_hash not in form
    assert page.get("/billmgr?func=api_request").status_code == 200

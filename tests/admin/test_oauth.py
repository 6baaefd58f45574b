"""The REST API's door (issue 15) through the real Flask app: OAuth2 client credentials at
/api/oauth/token (Authlib), access tokens that expire and die with their client, rate limits
per client and per address (429 + Retry-After), and the request log with its retention job."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import time

import pytest
import sqlalchemy as sa

from admin.dbs import db
from admin.rest import limits, oauth, requestlog
from admin.rest.auth import Problem
from admin.rest.gate import gate
from radbill.models import ApiRequest, ApiToken
from staff.jobs import api_request_purge
from tests.support.admin_fixtures import _factory
from tests.support.factories import caller_of, fn

TOKEN_URL = "/api/oauth/token"


@pytest.fixture
def make_app(conn):
    """The real admin app with a probe view that does what every /api/v1 view does first."""
    def make(**config):
        from admin import create_app
        app = create_app({"TESTING": True, "SESSION_FACTORY": _factory(conn),
                          "SECRET_KEY": "test", "API_RATE_PER_IP": 1000, **config})

        @app.route("/api/probe")
        def probe():
            try:
                caller = gate(db())
            except Problem as p:
                return oauth.problem(p)
            return {"login": caller.login, "scopes": sorted(caller.scopes)}
        return app
    return make


@pytest.fixture
def api(make_app):
    return make_app().test_client()


def new_client(world, **params):
    params.setdefault("name", "crm")
    params.setdefault("scopes", "customer:*, payment:write")
    params.setdefault("operator", "opA")
    ok = fn(world.dbs, "api_client.edit", world.system, sok="ok", **params)
    world.dbs.commit()
    return ok.elid, ok.extra["client_id"], ok.extra["client_secret"]


def basic(client_id, secret):
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_token_by_basic_auth(world, api, caplog):
    caplog.set_level(logging.DEBUG)
    elid, cid, secret = new_client(world)
    resp = api.post(TOKEN_URL, data={"grant_type": "client_credentials"},
                    headers=basic(cid, secret))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["scope"] == "customer:* payment:write"
    assert resp.headers["Cache-Control"] == "no-store"
    token = body["access_token"]
    row = world.dbs.get(ApiToken, hashlib.sha256(token.encode()).hexdigest())
    assert row is not None and row.client_id == elid
    assert 3590 < (row.expires_at - dt.datetime.now(dt.timezone.utc)).total_seconds() <= 3600
    assert world.dbs.scalar(sa.select(sa.func.count()).select_from(ApiToken).where(
        ApiToken.token_hash == token)) == 0
    probe = api.get("/api/probe", headers=bearer(token))
    assert probe.status_code == 200 and probe.get_json() == {
        "login": "api:crm", "scopes": ["customer:*", "payment:write"]}
    assert token not in caplog.text and secret not in caplog.text


def test_token_by_form_auth_and_scope_narrowing(world, api):
    _elid, cid, secret = new_client(world)
    resp = api.post(TOKEN_URL, data={"grant_type": "client_credentials", "client_id": cid,
                                     "client_secret": secret, "scope": "customer:read"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.get_json()["scope"] == "customer:read"
    token = resp.get_json()["access_token"]
    assert api.get("/api/probe", headers=bearer(token)).get_json()["scopes"] == ["customer:read"]
    # through the real REST API: reading is in scope, writing is not
    assert api.get("/api/v1/customers", headers=bearer(token)).status_code == 200
    refused = api.post("/api/v1/customers", json={"username": "zed", "password": "s3cret"},
                       headers=bearer(token))
    assert refused.status_code == 403
    wider = api.post(TOKEN_URL, data={"grant_type": "client_credentials", "scope": "bill:read"},
                     headers=basic(cid, secret))
    assert wider.status_code == 400 and wider.get_json()["error"] == "invalid_scope"


def test_bad_credentials_and_grants(world, api):
    _elid, cid, secret = new_client(world)
    for headers, data in ((basic(cid, "wrong"), {}),
                          ({}, {"client_id": cid, "client_secret": "wrong"}),
                          ({}, {"client_id": "rbk_nobody", "client_secret": secret}),
                          (basic("rbk_nobody", secret), {})):
        resp = api.post(TOKEN_URL, data={"grant_type": "client_credentials", **data},
                        headers=headers)
        assert resp.status_code == 401, (headers, data)
        assert resp.get_json()["error"] == "invalid_client"
    grant = api.post(TOKEN_URL, data={"grant_type": "password", "username": "x",
                                      "password": "y"}, headers=basic(cid, secret))
    assert grant.status_code == 400 and grant.get_json()["error"] == "unsupported_grant_type"
    assert api.get(TOKEN_URL).status_code == 405
    assert world.dbs.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_expired_token_is_refused(world, api):
    _elid, cid, secret = new_client(world)
    token = api.post(TOKEN_URL, data={"grant_type": "client_credentials"},
                     headers=basic(cid, secret)).get_json()["access_token"]
    assert api.get("/api/probe", headers=bearer(token)).status_code == 200
    world.dbs.execute(sa.update(ApiToken).values(
        expires_at=sa.func.now() - sa.text("interval '1 second'")))
    world.dbs.commit()
    resp = api.get("/api/probe", headers=bearer(token))
    assert resp.status_code == 401 and "expired" in resp.get_json()["detail"]
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoke_ends_tokens_issued_before(world, api):
    _elid, cid, secret = new_client(world)
    token = api.post(TOKEN_URL, data={"grant_type": "client_credentials"},
                     headers=basic(cid, secret)).get_json()["access_token"]
    static = f"{cid}.{secret}"
    assert api.get("/api/probe", headers=bearer(token)).status_code == 200
    assert api.get("/api/probe", headers=bearer(static)).status_code == 200
    fn(world.dbs, "api_client.revoke", caller_of(world.dbs, world.operator_a), elid="crm")
    world.dbs.commit()
    for t in (token, static):
        assert api.get("/api/probe", headers=bearer(t)).status_code == 401
    again = api.post(TOKEN_URL, data={"grant_type": "client_credentials"},
                     headers=basic(cid, secret))
    assert again.status_code == 401


def test_client_rate_limit(world, api):
    _elid, cid, secret = new_client(world, rate_limit="3")
    static = bearer(f"{cid}.{secret}")
    assert [api.get("/api/probe", headers=static).status_code for _ in range(3)] == [200] * 3
    over = api.get("/api/probe", headers=static)
    assert over.status_code == 429
    assert over.headers["Content-Type"] == "application/problem+json"
    assert 1 <= int(over.headers["Retry-After"]) <= 20  # a token every 20 s at 3 a minute
    assert "3 requests a minute" in over.get_json()["detail"]
    # another client from the same address is not held back
    _e2, cid2, secret2 = new_client(world, name="other")
    assert api.get("/api/probe", headers=bearer(f"{cid2}.{secret2}")).status_code == 200


def test_address_rate_limit_throttles_bad_tokens(world, make_app):
    app = make_app(API_RATE_PER_IP=5)
    api = app.test_client()
    _elid, cid, secret = new_client(world)
    codes = [api.get("/api/probe", headers=bearer(f"{cid}.guess{i}")).status_code
             for i in range(5)]
    assert codes == [401] * 5
    over = api.get("/api/probe", headers=bearer(f"{cid}.{secret}"))
    assert over.status_code == 429 and int(over.headers["Retry-After"]) >= 1
    token_over = api.post(TOKEN_URL, data={"grant_type": "client_credentials"},
                          headers=basic(cid, secret))
    assert token_over.status_code == 429
    elsewhere = api.get("/api/probe", headers=bearer(f"{cid}.{secret}"),
                        environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert elsewhere.status_code == 200


def test_buckets_refill_after_retry_after():
    now = [0.0]
    limiter = limits.Limiter(per_ip=2, clock=lambda: now[0])
    limiter.check_ip("a")
    limiter.check_ip("a")
    with pytest.raises(Problem) as over:
        limiter.check_ip("a")
    wait = int(over.value.headers["Retry-After"])
    assert wait == 30  # 2 a minute: one every 30 s
    now[0] += wait
    limiter.check_ip("a")
    with pytest.raises(Problem):
        limiter.check_ip("a")


def test_request_log_is_written_scoped_and_purged(world, api):
    elid, cid, secret = new_client(world)
    static = bearer(f"{cid}.{secret}")
    api.get("/api/probe", headers=static)
    api.get("/api/probe", headers=bearer("nobody.nothing"))
    api.post(TOKEN_URL, data={"grant_type": "client_credentials"}, headers=basic(cid, secret))
    rows = world.dbs.scalars(sa.select(ApiRequest).order_by(ApiRequest.id)).all()
    assert [(r.client_id, r.method, r.path, r.status) for r in rows] == [
        (elid, "GET", "/api/probe", 200), (None, "GET", "/api/probe", 401),
        (elid, "POST", TOKEN_URL, 200)]
    assert all(r.ip == "127.0.0.1" and r.duration_ms >= 0 for r in rows)
    world.dbs.expire_all()
    from radbill.models import ApiClient
    assert world.dbs.get(ApiClient, elid).last_used_at is not None
    # the list: a reseller sees its own clients' calls, not another's nor anonymous ones
    mine = fn(world.dbs, "api_request", caller_of(world.dbs, world.operator_a))
    assert [r["status"] for r in mine.rows] == [200, 200] and mine.rows[0]["client"] == "crm"
    assert fn(world.dbs, "api_request", caller_of(world.dbs, world.operator_b)).rows == []
    assert fn(world.dbs, "api_request", world.system, status="4xx").total == 1
    assert fn(world.dbs, "api_request", world.system, method="post", path="/api/oauth").total == 1
    assert fn(world.dbs, "api_request", world.system, client="crm").total == 2
    # retention: old rows and expired tokens go, the rest stays
    world.dbs.execute(sa.update(ApiRequest).where(ApiRequest.id == rows[0].id).values(
        at=sa.func.now() - sa.text("interval '31 days'")))
    world.dbs.execute(sa.update(ApiToken).values(
        expires_at=sa.func.now() - sa.text("interval '1 minute'")))
    result = api_request_purge(world.dbs, dt.date(2026, 12, 1))
    assert result.startswith("1 API requests older than 30 days and 1 expired tokens")
    assert world.dbs.scalar(sa.select(sa.func.count()).select_from(ApiRequest)) == 2
    assert world.dbs.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_request_log_thread_writes_within_a_second(committed):
    from radbill import db
    buf = requestlog.Buffer(db.session_factory(str(committed.url.render_as_string(False))),
                            interval=0.2)
    started = time.monotonic()
    buf.record(None, "198.51.100.4", "GET", "/api/v1/customers", 200, 12)
    while time.monotonic() - started < 3:
        with committed.connect() as conn:
            found = conn.execute(sa.text("SELECT method, path, status, duration_ms, ip "
                                         "FROM api_requests")).all()
        if found:
            break
        time.sleep(0.05)
    assert [tuple(r) for r in found] == [("GET", "/api/v1/customers", 200, 12, "198.51.100.4")]
    assert time.monotonic() - started < 1.5

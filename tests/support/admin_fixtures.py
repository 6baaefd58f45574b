"""Fixtures for the admin tests: `app`, `client`, `auth`, and `world` (an ISP with every role).

Every request's session joins one outer transaction that is rolled back after the test, so the
app commits as it would in production and the test still leaves nothing behind.
"""
from __future__ import annotations

import re
from types import SimpleNamespace

import pyotp
import pytest
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from tests.support.factories import caller_of, make_customer, make_operator, make_package, make_user
from radbill.functions.caller import SYSTEM

__all__ = ["conn", "dbs", "app", "client", "auth", "world"]
PASSWORD = "correct-horse"
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


@pytest.fixture
def conn(engine):
    c = engine.connect()
    outer = c.begin()
    yield c
    outer.rollback()
    c.close()


def _factory(conn):
    return lambda: Session(bind=conn, join_transaction_mode="create_savepoint",
                           expire_on_commit=False)


@pytest.fixture
def dbs(conn):
    s = _factory(conn)()
    yield s
    s.close()


@pytest.fixture
def app(conn):
    from admin import create_app
    return create_app({"TESTING": True, "SESSION_FACTORY": _factory(conn), "SECRET_KEY": "test",
                       "AUTHINFO_NETWORKS": "", "LOCKOUT_AFTER": 3, "IDLE_MINUTES": 30})


@pytest.fixture
def client(app):
    return app.test_client()


class Auth:
    """Log in through the real pages and post forms with the page's CSRF token."""

    def __init__(self, client):
        self.client = client
        self.token = None

    def csrf(self, path: str = "/login") -> str:
        page = self.client.get(path)
        self.token = CSRF.search(page.get_data(as_text=True)).group(1)
        return self.token

    def login(self, login: str, password: str = PASSWORD, secret: str | None = None):
        self.csrf()
        resp = self.client.post("/login", data={"login": login, "password": password,
                                                "csrf_token": self.token})
        if secret and resp.status_code == 302 and "/login/2fa" in resp.location:
            self.get("/login/2fa")
            resp = self.client.post("/login/2fa", data={"code": pyotp.TOTP(secret).now(),
                                                        "csrf_token": self.token})
        if resp.status_code == 302:
            self.get("/")
        return resp

    def get(self, path: str, **kw):
        """GET a page and keep its CSRF token for the next post."""
        resp = self.client.get(path, **kw)
        found = CSRF.search(resp.get_data(as_text=True))
        if found:
            self.token = found.group(1)
        return resp

    def post(self, path: str, data: dict, **kw):
        token = self.token or self.csrf("/")
        return self.client.post(path, data={**data, "csrf_token": token}, **kw)

    def logout(self):
        return self.post("/logout", {})


@pytest.fixture
def auth(client):
    return Auth(client)


def fast_hash(password: str) -> str:
    return generate_password_hash(password, method="pbkdf2:sha256:1000")


@pytest.fixture
def world(dbs, monkeypatch):
    """An ISP (group) with two operators, a sub-operator, staff of every role, and customers."""
    import staff.functions.users as users
    monkeypatch.setattr(users, "hash_password", fast_hash)
    isp = make_operator(dbs, name="isp")
    op_a = make_operator(dbs, name="opA", parent="isp")
    op_b = make_operator(dbs, name="opB", parent="isp")
    sub_a = make_operator(dbs, name="subA", parent="opA")
    w = SimpleNamespace(isp=isp, op_a=op_a, op_b=op_b, sub_a=sub_a, dbs=dbs)
    w.admin = make_user(dbs, login="root1", role="admin", operator="isp", password=PASSWORD)
    w.group_admin = make_user(dbs, login="gadmin", role="group_admin", operator="isp",
                              password=PASSWORD)
    w.operator_a = make_user(dbs, login="opera", role="operator", operator="opA", password=PASSWORD)
    w.operator_b = make_user(dbs, login="operb", role="operator", operator="opB", password=PASSWORD)
    w.sub = make_user(dbs, login="suba", role="sub_operator", operator="subA", password=PASSWORD)
    w.manager = make_user(dbs, login="mgr", role="manager", operator="opA", password=PASSWORD)
    w.noc = make_user(dbs, login="noc1", role="noc", operator="isp", password=PASSWORD)
    w.cards = make_user(dbs, login="cards1", role="card_distributor", operator="opA",
                        password=PASSWORD)
    w.package = make_package(dbs, name="home10")
    w.cust_a = make_customer(dbs, caller_of(dbs, w.operator_a), username="alice", package="home10",
                             mobile="01711000001", name="Alice A", manager="mgr")
    w.cust_a2 = make_customer(dbs, caller_of(dbs, w.operator_a), username="amos", package="home10",
                              mobile="01711000002")
    w.cust_b = make_customer(dbs, caller_of(dbs, w.operator_b), username="bob", package="home10",
                             mobile="01811000001", mac="AA:BB:CC:00:00:01")
    dbs.commit()
    w.system = SYSTEM
    return w

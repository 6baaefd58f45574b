"""Behind a reverse proxy: the client address comes from the trusted proxies' header only."""
from __future__ import annotations

from tests.support.admin_fixtures import PASSWORD


def call(client, forwarded: str | None, remote: str):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return client.get("/billmgr", query_string={"func": "customer", "out": "xml",
                                                 "authinfo": f"opera:{PASSWORD}"},
                      headers=headers, environ_base={"REMOTE_ADDR": remote})


def test_authinfo_whitelist_sees_the_forwarded_client_behind_one_trusted_proxy(world, conn):
    from admin import create_app
    from tests.support.admin_fixtures import _factory
    app = create_app({"TESTING": True, "SESSION_FACTORY": _factory(conn), "SECRET_KEY": "t",
                      "AUTHINFO_NETWORKS": "10.0.0.0/8", "PROXIES": 1})
    client = app.test_client()
    # the proxy (127.0.0.1) forwards a client from an allowed network
    assert call(client, "10.1.2.3", "127.0.0.1").status_code == 200
    # a client outside the whitelist cannot hide behind a forged left-most entry
    assert call(client, "10.1.2.3, 172.16.0.9", "127.0.0.1").status_code == 403


def test_without_proxies_configured_the_header_is_ignored(world, app, client):
    app.config["AUTHINFO_NETWORKS"] = "10.0.0.0/8"
    assert call(client, "10.1.2.3", "172.16.0.9").status_code == 403

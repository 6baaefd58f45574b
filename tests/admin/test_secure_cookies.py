"""Behind HTTPS the admin's cookies are Secure (issue 10): on by default when reverse proxies
are trusted (RADBILL_ADMIN_PROXIES > 0), or set with RADBILL_ADMIN_SECURE_COOKIES."""
from __future__ import annotations

import re

import pytest

from radbill import settings
from tests.support.admin_fixtures import PASSWORD, _factory

CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


def login_cookies(conn, **config) -> list[str]:
    """The Set-Cookie headers of a login (session with its CSRF token, and the logged-in one)."""
    from admin import create_app
    app = create_app({"TESTING": True, "SESSION_FACTORY": _factory(conn), "SECRET_KEY": "t",
                      **config})
    client = app.test_client()
    base = "https://localhost" if config.get("PROXIES") or config.get("SECURE_COOKIES") == 1 \
        else "http://localhost"
    page = client.get("/login", base_url=base)
    cookies = page.headers.getlist("Set-Cookie")
    token = CSRF.search(page.get_data(as_text=True)).group(1)
    resp = client.post("/login", base_url=base, headers={"Referer": f"{base}/login"},
                       data={"login": "opera", "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 302
    return cookies + resp.headers.getlist("Set-Cookie")


@pytest.mark.parametrize("config, secure", [
    ({"PROXIES": 1}, True),                          # behind a proxy: on by default
    ({"PROXIES": 0}, False),                         # plain http on a LAN: off
    ({"PROXIES": 1, "SECURE_COOKIES": 0}, False),    # a proxy that speaks http: switched off
    ({"PROXIES": 0, "SECURE_COOKIES": 1}, True),     # TLS without a proxy: switched on
])
def test_cookies_are_secure_behind_https(world, conn, config, secure):
    cookies = login_cookies(conn, **config)
    assert cookies and all(("; Secure" in c) is secure for c in cookies), cookies
    assert all("HttpOnly" in c for c in cookies)


def test_the_setting_is_read_from_the_environment():
    assert settings.from_env({}).admin_secure_cookies == -1
    assert settings.from_env({"RADBILL_ADMIN_SECURE_COOKIES": "1"}).admin_secure_cookies == 1

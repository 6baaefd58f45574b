"""A customer's portal session dies when the password changes or the customer is disabled or
deleted (issue 10), in every worker: the check reads the customer row on each request."""
from __future__ import annotations

import pytest

from tests.portal.test_portal import login, shop  # noqa: F401 (the fixture)
from tests.support.factories import fn

CHANGES = {
    "password": lambda dbs: fn(dbs, "customer.edit", sok="ok", elid="alice", password="n3w-pass"),
    "hash-only password": lambda dbs: fn(dbs, "customer.edit", sok="ok", elid="carol",
                                         password="other-nt", hash_only="on"),
    "disabled": lambda dbs: fn(dbs, "customer.disable", elid="alice"),
    "deleted": lambda dbs: fn(dbs, "customer.delete", elid="alice"),
}


@pytest.mark.parametrize("what", list(CHANGES))
def test_a_portal_session_and_its_copies_end_with_the_change(app, client, shop, dbs, what):
    from admin import create_app
    username, password = ("carol", "nt-only") if what.startswith("hash") else ("alice", "s3cret")
    assert login(client, username, password).status_code == 302
    assert client.get("/portal/").status_code == 200
    other = create_app(dict(app.config)).test_client()  # another worker, a copied cookie
    other.set_cookie("session", client.get_cookie("session").value)
    assert other.get("/portal/").status_code == 200
    CHANGES[what](dbs)
    dbs.commit()
    for browser in (client, other):
        resp = browser.get("/portal/")
        assert resp.status_code == 302 and resp.location.endswith("/portal/login")


def test_an_unrelated_change_keeps_the_portal_session(client, shop, dbs):
    assert login(client).status_code == 302
    fn(dbs, "customer.edit", sok="ok", elid="alice", name="Alice B")
    dbs.commit()
    assert client.get("/portal/").status_code == 200

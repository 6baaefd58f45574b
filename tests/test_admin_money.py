"""Money pages appear once the rating functions are registered: payments, bills, dashboard chart."""
from __future__ import annotations

import re

import pytest

from admin_fixtures import *  # noqa: F401,F403 (the fixtures)
from radbill.functions.registry import load_all

pytestmark = pytest.mark.skipif("payment.edit" not in load_all(), reason="rating not installed")


def test_record_a_cash_payment_from_the_customer_page(world, auth, dbs):
    auth.login("opera")
    page = auth.get(f"/customers/{world.cust_a.id}").get_data(as_text=True)
    link = re.search(r'id="record-payment" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    form = auth.get(link)
    assert form.status_code == 200 and 'name="amount"' in form.get_data(as_text=True)
    resp = auth.post("/billmgr", {"func": "payment.edit", "sok": "ok", "customer": str(world.cust_a.id),
                                  "method": "cash", "amount": "500"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    payments = auth.get(f"/customers/{world.cust_a.id}").get_data(as_text=True)
    assert 'id="payments"' in payments and "500" in payments.split('id="payments"')[1]
    dash = auth.get("/").get_data(as_text=True)
    assert re.search(r'id="today">500(\.00)?<', dash) and "<svg" in dash


def test_a_manager_collects_cash_for_an_assigned_customer_only(world, auth):
    auth.login("mgr")
    ok = auth.post("/billmgr", {"func": "payment.edit", "sok": "ok", "customer": "alice",
                                "method": "cash", "amount": "100"})
    assert ok.status_code == 302
    other = auth.post("/billmgr", {"func": "payment.edit", "sok": "ok", "customer": "amos",
                                   "method": "cash", "amount": "100"})
    assert other.status_code in (400, 404)


def test_bill_pages_generate_preview_and_list(world, auth):
    auth.login("opera")
    assert auth.get("/billmgr?func=bill").status_code == 200
    preview = auth.get("/billmgr?func=bill.preview&customer=alice")
    assert preview.status_code == 200
    asked = auth.get("/billmgr?func=bill.preview")  # no customer yet: the form asks for one
    assert asked.status_code == 200 and 'name="customer"' in asked.get_data(as_text=True)
    gen = auth.get("/billmgr?func=bill.generate")
    assert gen.status_code == 200 and 'id="confirm"' in gen.get_data(as_text=True)

"""Money pages appear once the rating functions are registered: payments, bills, dashboard chart."""
from __future__ import annotations

import re

import pytest

from radbill.functions.registry import load_all

pytestmark = pytest.mark.skipif("payment.edit" not in load_all(), reason="rating not installed")


def test_record_a_cash_payment_from_the_customer_page(world, auth, dbs):
    auth.login("opera")
    page = auth.get(f"/customers/{world.cust_a.id}").get_data(as_text=True)
    link = re.search(r'id="record-payment" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    form = auth.get(link)
    assert form.status_code == 200 and 'name="amount"' in form.get_data(as_text=True)
    resp = auth.post("/billmgr", {"func": "payment.edit", "sok": "ok",
                                  "customer": str(world.cust_a.id),
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
    gen = auth.get("/billmgr?func=bill.generate")  # a preview form: the count to confirm
    assert gen.status_code == 200 and 'id="f-confirm"' in gen.get_data(as_text=True)


def test_generate_bills_download_a_pdf_and_reverse_a_payment(world, auth):
    auth.login("opera")
    auth.get("/billmgr?func=bill.generate")
    done = auth.post("/billmgr", {"func": "bill.generate", "sok": "ok",
                                  "back": "/billmgr?func=bill"})
    assert done.status_code == 302  # nobody has a billing profile yet: nothing to bill, no error
    made = auth.post("/billmgr", {"func": "bill.edit", "sok": "ok", "customer": "alice"})
    assert made.status_code == 302, made.get_data(as_text=True)
    page = auth.get("/billmgr?func=bill").get_data(as_text=True)
    ids = re.findall(r'name="elid" value="(\d+)"', page)
    assert ids, "bill.generate made no bills"
    pdf = auth.post("/billmgr", {"func": "bill.pdf", "elid": ids[0]})
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    auth.post("/billmgr", {"func": "payment.edit", "sok": "ok", "customer": "alice",
                           "method": "cash",
                           "amount": "200"})
    payments = auth.get("/billmgr?func=payment").get_data(as_text=True)
    pid = re.findall(r'name="elid" value="(\d+)"', payments)[0]
    assert "reverse" in payments
    assert auth.post("/billmgr", {"func": "payment.reverse", "elid": pid}).status_code == 302
    assert "reversed" in auth.get("/billmgr?func=payment").get_data(as_text=True)


def test_fund_a_reseller_from_the_operator_list(world, auth):
    auth.login("gadmin")
    page = auth.get("/billmgr?func=operator").get_data(as_text=True)
    link = f"/billmgr?func=operator.fund&elid={world.op_a.id}"
    assert f'href="/billmgr?func=operator.fund&amp;elid={world.op_a.id}"' in page
    form = auth.get(link).get_data(as_text=True)
    assert 'name="amount"' in form and 'id="confirm"' in form
    elid = re.search(r"elid=(\d+)", link).group(1)
    resp = auth.post("/billmgr", {"func": "operator.fund", "elid": elid, "amount": "1000",
                                  "back": "/billmgr?func=operator"})
    assert resp.status_code == 302
    said = auth.get("/billmgr?func=operator").get_data(as_text=True)  # a sentence, no request line
    assert re.search(rf"Operator {world.op_a.name} funded: [\d,]+\.\d\d BDT available", said)


def test_a_managers_dashboard_counts_only_assigned_customers_money(world, auth):
    auth.login("opera")
    for who in ("alice", "amos"):
        auth.post("/billmgr", {"func": "payment.edit", "sok": "ok", "customer": who,
                               "method": "cash", "amount": "100"})
    auth.logout()
    auth.login("mgr")
    assert re.search(r'id="today">100(\.00)?<', auth.get("/").get_data(as_text=True))

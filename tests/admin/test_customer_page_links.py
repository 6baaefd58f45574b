"""Issue 12, the customer page and the operator form: each bill links to its page (/bills/<id>),
the usage chart says so when there is nothing to draw, and the operator's form links the invoice
logo upload (/operators/<id>/logo)."""
from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from radbill.models import Operator, RadAcct, StaffUser
from tests.support.factories import fn


def test_the_customer_page_links_each_bill_to_its_page(world, auth, dbs):
    made = fn(dbs, "bill.edit", sok="ok", customer="alice", description="Router", amount="120")
    dbs.commit()
    auth.login("opera")
    page = auth.get(f"/customers/{world.cust_a.id}").get_data(as_text=True)
    link = re.search(rf'<a href="([^"]+)" id="bill-{made.elid}"', page)
    assert link and link.group(1) == f"/bills/{made.elid}"
    bill = auth.get(link.group(1))
    assert bill.status_code == 200 and "Router" in bill.get_data(as_text=True)
    auth.logout()
    auth.login("mgr")  # a manager sees the bills but may not open a bill's page: no dead link
    page = auth.get(f"/customers/{world.cust_a.id}").get_data(as_text=True)
    assert 'id="bills"' in page and f'id="bill-{made.elid}"' not in page


def test_the_usage_chart_says_when_nothing_was_recorded(world, auth, dbs):
    auth.login("opera")
    page = auth.get(f"/customers/{world.cust_a.id}").get_data(as_text=True)
    assert 'id="usage-empty"' in page and "No usage recorded in the last 30 days." in page
    assert "<rect x=\"0.5\"" in page and "<title>" not in page.split('id="usage-empty"')[1][:600]
    dbs.add(RadAcct(acctsessionid="s1", acctuniqueid="u1", username="alice",
                    nasipaddress="10.0.0.1", acctinputoctets=1000, acctoutputoctets=5000,
                    acctstarttime=dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=2)))
    dbs.commit()
    page = auth.get(f"/customers/{world.cust_a.id}").get_data(as_text=True)
    assert 'id="usage-empty"' not in page and "download:" in page  # the bars' hover titles


def test_the_empty_usage_state_in_bangla(world, auth, dbs):
    dbs.execute(sa.update(StaffUser).where(StaffUser.login == "opera").values(lang="bn"))
    dbs.commit()
    auth.login("opera")
    page = auth.get(f"/customers/{world.cust_a.id}").get_data(as_text=True)
    assert "গত ৩০ দিনে কোনো ব্যবহার লেখা হয়নি।" in page


def test_the_operator_form_links_the_invoice_logo_upload(world, auth, dbs):
    op_a = dbs.scalar(sa.select(Operator.id).where(Operator.name == "opA"))
    auth.login("gadmin")
    form = auth.get(f"/billmgr?func=operator.edit&elid={op_a}").get_data(as_text=True)
    link = re.search(r'id="logo-upload" href="([^"]+)"', form)
    assert link and link.group(1) == f"/operators/{op_a}/logo"
    upload = auth.get(link.group(1))
    assert upload.status_code == 200 and 'name="logo"' in upload.get_data(as_text=True)
    # a new operator has no id yet: nothing to upload to
    assert 'id="logo-upload"' not in auth.get("/billmgr?func=operator.edit").get_data(as_text=True)

"""Issue 19's pages: the Reports menu's VAT, collector cash and BTRC pages with their downloads,
the approvals page (a collector's large cash payment waits, a second login approves it from the
page, another reseller neither sees nor reaches it), the dashboard's block, Bangla, and the
approvals page at 390 px in Chromium."""
from __future__ import annotations

import datetime as dt
import io
import re
import shutil

import openpyxl
import pytest
import sqlalchemy as sa

from radbill.models import Payment, PendingTransaction
from rating.terms import midnight
from tests.admin.test_bangla_pages import assert_bangla
from tests.support.factories import caller_of, fn
from tests.admin.test_browser import browser, live_admin  # noqa: F401  (fixtures)

NOV = "2026-11"


@pytest.fixture
def filed(world, dbs):
    """opA bills at 5 % VAT; alice's November bill; mgr took 525 from her on 30 November at
    23:30 (the ISP's zone); opA's credits above 1,000 need a second login."""
    a = caller_of(dbs, world.operator_a)
    fn(dbs, "operator.edit", sok="ok", elid="opA", vat_percent="5")
    fn(dbs, "billing_profile.edit", sok="ok", name="Monthly19", term="monthly", due_day="1")
    fn(dbs, "customer.edit", a, sok="ok", elid="alice", billing_profile="Monthly19")
    dbs.execute(sa.text("update customers set created_at = :t"),  # all with us since January
                {"t": midnight(dt.date(2026, 1, 1))})
    fn(dbs, "bill.generate", sok="ok", date="2026-11-01", customer=str(world.cust_a.id))
    paid = fn(dbs, "payment.edit", caller_of(dbs, world.manager), sok="ok", customer="alice",
              method="cash", amount="525")
    dbs.execute(sa.update(Payment).where(Payment.id == paid.elid).values(
        received_at=midnight(dt.date(2026, 11, 30)) + dt.timedelta(hours=23, minutes=30)))
    fn(dbs, "approval.threshold", a, sok="ok", threshold="1000")
    dbs.commit()
    return world


def test_the_reports_menu_and_pages(filed, auth):
    auth.login("gadmin")
    home = auth.get("/").get_data(as_text=True)
    for path in ("/reports/vat", "/reports/collector-cash", "/reports/btrc", "/approvals"):
        assert f'href="{path}"' in home
    page = auth.get(f"/reports/vat?month={NOV}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="vat-table"' in text
    assert re.search(r'id="vat-to-file">25\.00', text)  # 500 at 5 %
    assert "<svg" in text  # VAT by month
    cash = auth.get(f"/reports/collector-cash?month={NOV}").get_data(as_text=True)
    assert "mgr" in cash and "525.00" in cash and "<svg" in cash  # cash taken per day
    btrc = auth.get("/reports/btrc?date=2026-11-30").get_data(as_text=True)
    assert 'id="btrc-total"' in btrc and 'id="btrc-xlsx"' in btrc


def test_the_downloads(filed, auth):
    auth.login("gadmin")
    x = auth.client.get("/billmgr?func=report.btrc_file&date=2026-11-30&format=xlsx")
    assert x.status_code == 200 and "attachment" in x.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(x.data))
    assert book.sheetnames == ["Summary", "Subscribers"]
    assert {r[1].value for r in book["Subscribers"].iter_rows(min_row=2)} == {"alice", "amos",
                                                                              "bob"}
    vat = auth.client.get(f"/billmgr?func=report.vat_file&month={NOV}&format=xlsx")
    assert openpyxl.load_workbook(io.BytesIO(vat.data))["VAT"].max_row > 1
    pdf = auth.client.get(f"/billmgr?func=report.vat_file&month={NOV}&format=pdf&lang=bn")
    assert pdf.data.startswith(b"%PDF")
    csv = auth.get(f"/export.csv?func=report.collector_cash&month={NOV}").get_data(as_text=True)
    assert csv.splitlines()[0].startswith("period,collector_id") and "525.00" in csv


def test_who_sees_the_reports(filed, auth):
    auth.login("noc1")  # no money, no filings
    assert auth.get(f"/reports/vat?month={NOV}").status_code == 403
    assert auth.get("/reports/btrc").status_code == 403
    auth.logout()
    auth.login("mgr")  # a collector: their own cash only, no VAT, no BTRC
    assert auth.get(f"/reports/vat?month={NOV}").status_code == 403
    assert auth.get("/reports/btrc").status_code == 403
    mine = auth.get(f"/reports/collector-cash?month={NOV}").get_data(as_text=True)
    assert "525.00" in mine
    auth.logout()
    auth.login("operb")  # the other reseller: none of opA's
    other = auth.get(f"/reports/collector-cash?month={NOV}").get_data(as_text=True)
    assert "525.00" not in other
    vat = auth.get(f"/reports/vat?month={NOV}").get_data(as_text=True)
    assert 'id="vat-to-file"' not in vat
    assert auth.get("/reports/btrc?operator=opA").status_code == 403
    bad = auth.get("/reports/vat?month=2026-13")
    assert bad.status_code == 400 and "YYYY-MM" in bad.get_data(as_text=True)


def test_a_large_cash_payment_waits_and_a_second_login_approves_it(filed, auth, dbs):
    auth.login("mgr")
    auth.get("/collect/alice")
    resp = auth.post("/collect/alice", {"method": "cash", "amount": "2000"},
                     follow_redirects=True)
    assert "Not booked yet" in resp.get_data(as_text=True)
    pid = dbs.scalar(sa.select(PendingTransaction.id))
    assert dbs.scalar(sa.select(sa.func.count(Payment.id))) == 1  # only the 525
    page = auth.get("/approvals").get_data(as_text=True)
    assert f'id="request-{pid}"' in page and f'id="approve-{pid}"' not in page  # their own
    assert auth.post(f"/approvals/{pid}/approve", {}).status_code == 403  # a manager
    auth.logout()
    auth.login("operb")  # another reseller: not listed, not reachable
    assert f'id="request-{pid}"' not in auth.get("/approvals").get_data(as_text=True)
    assert auth.post(f"/approvals/{pid}/approve", {}).status_code == 404
    auth.logout()
    auth.login("opera")
    home = auth.get("/").get_data(as_text=True)
    assert 'id="pending-approvals"' in home and 'id="pending-count">1<' in home
    assert f'id="approve-{pid}"' in auth.get("/approvals").get_data(as_text=True)
    done = auth.post(f"/approvals/{pid}/approve", {}, follow_redirects=True)
    assert "approved and booked" in done.get_data(as_text=True)
    again = auth.post(f"/approvals/{pid}/approve", {}, follow_redirects=True)
    assert "already decided" in again.get_data(as_text=True)
    dbs.expire_all()
    booked = dbs.scalars(sa.select(Payment).where(Payment.amount == 2000)).all()
    assert len(booked) == 1 and booked[0].collected_by == filed.manager.id
    assert 'id="pending-approvals"' not in auth.get("/").get_data(as_text=True)


def test_a_rejection_needs_a_reason(filed, auth, dbs):
    auth.login("opera")  # through the payment form: told it waits, not "recorded"
    auth.get("/billmgr?func=payment.edit")
    resp = auth.post("/billmgr", {"func": "payment.edit", "sok": "ok", "customer": "alice",
                                  "method": "cash", "amount": "1500"}, follow_redirects=True)
    assert "Not booked yet" in resp.get_data(as_text=True), resp.get_data(as_text=True)[:3000]
    auth.logout()
    pid = dbs.scalar(sa.select(PendingTransaction.id))
    assert dbs.get(PendingTransaction, pid).requester == "opera"
    auth.login("gadmin")
    auth.get("/approvals")
    blank = auth.post(f"/approvals/{pid}/reject", {"reason": ""}, follow_redirects=True)
    assert "reason" in blank.get_data(as_text=True)
    auth.post(f"/approvals/{pid}/reject", {"reason": "no such cash"})
    rejected = auth.get("/approvals?status=rejected").get_data(as_text=True)
    assert "no such cash" in rejected


ALLOWED = {"opA", "opB", "isp", "mgr", "gadmin", "opera", "alice", "amos", "bob", "home10",
           "CSV", "PDF", "BTRC", "VAT", "NID", "Mbps", "PPPoE", "xlsx", "BDT", "Monthly19",
           "subA"}


def test_the_pages_in_bangla(filed, auth, dbs):
    fn(dbs, "payment.edit", caller_of(dbs, filed.manager), sok="ok", customer="alice",
       method="cash", amount="1500")
    dbs.commit()
    auth.login("gadmin")
    for path in (f"/reports/vat?month={NOV}", f"/reports/collector-cash?month={NOV}",
                 "/reports/btrc?date=2026-11-30", "/approvals", "/",
                 "/billmgr?func=btrc.settings", "/billmgr?func=approval.threshold"):
        page = auth.get(path + ("&" if "?" in path else "?") + "lang=bn").get_data(as_text=True)
        assert '<html lang="bn">' in page, path
        assert_bangla(page, path, ALLOWED)


@pytest.fixture
def phone_approvals(committed):
    from radbill import db
    from tests.support.factories import make_customer, make_isp, make_operator, make_user
    with db.session_scope() as s:
        isp = make_isp(s)
        res = make_operator(s, parent=isp.name)
        make_user(s, login="p19boss", role="operator", operator=res.name,
                  password="correct-horse", lang="bn")
        clerk = make_user(s, login="p19clerk", role="operator", operator=res.name)
        as_clerk = caller_of(s, clerk)
        fn(s, "approval.threshold", as_clerk, sok="ok", threshold="1000")
        for i in range(3):
            c = make_customer(s, as_clerk, username=f"p19cust{i}", name="রহিম উদ্দিন আহমেদ")
            fn(s, "payment.edit", as_clerk, sok="ok", customer=c.username, method="cash",
               amount=str(2500 + i * 1000))
        return res.id


@pytest.mark.browser
@pytest.mark.skipif(not shutil.which("chromedriver"), reason="no chromedriver")
def test_the_approvals_page_fits_a_390_px_phone_in_bangla(phone_approvals, live_admin,  # noqa: F811
                                                         browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    from tests.support.phone_pages import shoot_at_390
    live, b = live_admin, browser
    shoot_at_390(b, live, "p19boss", "correct-horse", (
        ("approvals", "/approvals"), ("vat", "/reports/vat"),
        ("collector-cash", "/reports/collector-cash"), ("btrc", "/reports/btrc")), "issue19")
    b.get(live + "/approvals")
    assert len(b.find_elements(By.CSS_SELECTOR, "button[id^=approve-]")) == 3

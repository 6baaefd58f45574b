"""The owner's dashboard (issue 12): its numbers for a seeded world (money owed by age,
collections by method, collector, reseller and zone, expiring customers, unknown devices), each
within the caller's subtree; the NOC sees the online trend and devices, never money. The bill
page's PDF link answers a PDF."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D

import pytest

from radbill.functions.registry import FuncError, load_all
from radbill.models import Customer
from rating.terms import today
from tests.support.factories import caller_of, fn, make_customer, make_operator, make_package, \
    make_user
from tests.support.rating_factories import pins

pytestmark = pytest.mark.skipif("report.aging" not in load_all(), reason="rating not installed")

ON = "2026-11-30"  # aging is computed for this day: bills' due dates are fixed around it


def rows_by(result, key="name", value="amount"):
    return {r[key]: r[value] for r in result.rows}


@pytest.fixture
def seeded(session):
    isp = make_operator(session, name="isp")
    make_operator(session, name="resA", parent="isp")
    make_operator(session, name="resB", parent="isp")
    ops = {n: caller_of(session, make_user(session, login=f"u{n}", role="operator", operator=n))
           for n in ("resA", "resB")}
    mgr = make_user(session, login="mgr", role="manager", operator="resA")
    noc = caller_of(session, make_user(session, login="noc", role="noc", operator="isp"))
    fn(session, "zone.edit", sok="ok", name="North", operator="resA")
    fn(session, "zone.edit", sok="ok", name="South", operator="resB")
    make_package(session, name="home", price="500")
    mk = lambda n, op, **kw: make_customer(session, ops[op], username=n, package="home", **kw)  # noqa: E731
    a1, a2 = mk("a1", "resA", zone="North"), mk("a2", "resA")
    b1 = mk("b1", "resB", zone="South")
    pa, pb = mk("pa", "resA", zone="North", manager="mgr"), mk("pb", "resB", zone="South")
    for cust, op, amount, due in ((a1, "resA", "100", "2026-11-25"),   # 5 days late: 0-30
                                  (a2, "resA", "200", "2026-10-15"),   # 46: 31-60
                                  (b1, "resB", "300", "2026-08-01"),   # 121: 90+
                                  (a1, "resA", "400", "2026-12-10")):  # not due yet
        fn(session, "bill.edit", ops[op], sok="ok", customer=cust.username, description="Router",
           amount=amount, due_date=due)
    fn(session, "payment.edit", ops["resA"], sok="ok", customer="pa", method="cash", amount="250")
    fn(session, "payment.edit", caller_of(session, mgr), sok="ok", customer="pa", method="cash",
       amount="150")
    fn(session, "payment.edit", sok="ok", customer="pb", method="cash", amount="300")
    fn(session, "card.generate", ops["resA"], count="1", package="home", batch="dash")
    fn(session, "payment.edit", ops["resA"], sok="ok", customer="pa", method="card",
       pin=pins(session, "dash")[0])
    now = dt.datetime.now(dt.timezone.utc)
    for name, days in (("pa", 3), ("a1", 2), ("pb", 10), ("b1", -1)):
        session.get(Customer, {"pa": pa, "a1": a1, "pb": pb, "b1": b1}[name].id).expires_at = \
            now + dt.timedelta(days=days)
    session.flush()
    return {"ops": ops, "mgr": caller_of(session, mgr), "noc": noc, "isp": isp}


def test_money_owed_by_days_past_due(session, seeded):
    got = {r["bucket"]: (r["bills"], D(r["due"])) for r in fn(session, "report.aging",
                                                              date=ON).rows}
    # pb's payment of 300 opened its period bill of 500 (due from its first day): 200 not due
    assert got == {"not due": (2, D(600)), "0-30": (1, D(100)), "31-60": (1, D(200)),
                   "61-90": (0, D(0)), "90+": (1, D(300)), "total": (5, D(1200))}
    mine = {r["bucket"]: D(r["due"]) for r in fn(session, "report.aging", seeded["ops"]["resA"],
                                                 date=ON).rows}
    assert mine["total"] == D(700) and mine["90+"] == 0  # resB's bill is not resA's business


def test_collections_by_method_collector_reseller_and_zone(session, seeded):
    day = today().isoformat()
    by = lambda key, caller=None, period="today": {  # noqa: E731
        k: D(v) for k, v in rows_by(fn(session, "report.collections", *([caller] if caller else []),
                                       by=key, period=period, date=day)).items()}
    card = by("method")["card"]
    assert card > 0
    assert by("method") == {"cash": D(700), "card": card}
    assert by("collector") == {"uresA": D(250) + card, "mgr": D(150), "(none)": D(300)} or \
        by("collector") == {"uresA": D(250), "mgr": D(150), "(none)": D(300) + card}
    assert by("reseller", period="month") == {"resA": D(400) + card, "resB": D(300)}
    assert by("zone", period="month") == {"North": D(400) + card, "South": D(300)}
    # a reseller sees its own subtree's; a manager only the customers assigned to them
    assert by("reseller", seeded["ops"]["resB"], "month") == {"resB": D(300)}
    assert sum(by("method", seeded["mgr"]).values()) == D(400) + card
    yesterday = (today() - dt.timedelta(days=1)).isoformat()
    assert fn(session, "report.collections", by="method", date=yesterday).rows == []


def test_customer_figures_and_expiring_soon(session, seeded):
    counts = rows_by(fn(session, "report.customers"), "metric", "customers")
    assert counts["expiring_7d"] == 2  # pa in 3 days, a1 in 2; pb in 10, b1 already past
    assert counts["new_month"] == 5 and counts["deleted_month"] == 0
    assert counts["active"] == 5 and counts["expired"] == 1
    listed = [r["username"] for r in fn(session, "report.expiring").rows]
    assert listed == ["a1", "pa"]
    mine = rows_by(fn(session, "report.customers", seeded["ops"]["resB"]), "metric", "customers")
    assert mine["expiring_7d"] == 0 and mine["active"] == 2
    fn(session, "customer.delete", elid="b1")
    assert rows_by(fn(session, "report.customers"), "metric", "customers")["deleted_month"] == 1


def test_the_noc_sees_customers_and_the_online_trend_but_no_money(session, seeded):
    noc = seeded["noc"]
    for func in ("report.aging", "report.collections"):
        with pytest.raises(FuncError):
            fn(session, func, noc)
    assert rows_by(fn(session, "report.customers", noc), "metric", "customers")["active"] == 5
    trend = fn(session, "report.online", noc).rows
    assert len(trend) == 24 and all(r["sessions"] == 0 for r in trend)


def test_online_sessions_per_hour_from_radacct(session, seeded):
    from radbill.models import RadAcct
    now = dt.datetime.now(dt.timezone.utc)
    hour = now.replace(minute=0, second=0, microsecond=0)
    for i, (start, stop) in enumerate(((hour - dt.timedelta(hours=30), None),       # all day
                                       (hour - dt.timedelta(hours=5, minutes=-10),  # 5 hours
                                        hour - dt.timedelta(hours=1, minutes=-5)),
                                       (hour - dt.timedelta(hours=40),              # before
                                        hour - dt.timedelta(hours=30)))):
        session.add(RadAcct(acctsessionid=f"s{i}", acctuniqueid=f"u{i}", username="pa",
                            nasipaddress="10.0.0.1", acctstarttime=start, acctstoptime=stop))
    session.flush()
    trend = [r["sessions"] for r in fn(session, "report.online").rows]
    assert trend[:18] == [1] * 18 and trend[18:23] == [2] * 5 and trend[23] == 1
    assert [r["sessions"] for r in fn(session, "report.online", seeded["ops"]["resB"]).rows] \
        == [0] * 24


# -- the pages -----------------------------------------------------------------------------

def test_the_dashboard_page_for_an_operator_the_noc_and_unknown_devices(world, auth, dbs):
    from tests.support.factories import make
    make(dbs, "nas", name="core1", ip="10.0.0.1", secret="testing123")
    fn(dbs, "bill.edit", sok="ok", customer="alice", description="Router", amount="120",
       due_date="2026-01-01")
    dbs.commit()
    auth.login("gadmin")
    page = auth.get("/").get_data(as_text=True)
    assert re.search(r'id="receivable"><a[^>]*>120\.00<', page)
    assert 'id="aging"' in page and 'aria-label="Money owed by days past due' in page
    assert 'id="online-trend"' in page and "<polyline" in page
    assert 'id="expiring"' in page and "func=report.expiring" in page
    auth.logout()
    auth.login("noc1")
    page = auth.get("/").get_data(as_text=True)
    assert re.search(r'id="devices-unknown"[^>]*>1 unknown', page) and 'id="devices-up">0<' in page
    assert 'id="online-trend"' in page
    assert "Money owed" not in page and "Collected" not in page and 'id="receivable"' not in page
    auth.logout()
    auth.login("operb")  # opB's operator: alice's bill is opA's
    assert re.search(r'id="receivable"><a[^>]*>0(\.00)?<', auth.get("/").get_data(as_text=True))


def test_the_bill_page_links_a_real_pdf_print_and_take_payment(world, auth, dbs):
    made = fn(dbs, "bill.edit", sok="ok", customer="alice", description="Router", amount="120")
    dbs.commit()
    auth.login("opera")
    page = auth.get(f"/bills/{made.elid}").get_data(as_text=True)
    assert "Router" in page and 'id="bill-due">120.00<' in page and "@media print" in page
    pdf_link = re.search(r'id="bill-pdf" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    pdf = auth.client.get(pdf_link)  # a plain GET, as a browser follows the link
    assert pdf.status_code == 200 and pdf.content_type == "application/pdf"
    assert pdf.headers["Content-Disposition"].startswith("attachment")
    assert pdf.data.startswith(b"%PDF")
    take = re.search(r'id="take-payment" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert "func=payment.edit" in take and "customer=alice" in take and "amount=120.00" in take
    form = auth.get(take).get_data(as_text=True)
    assert 'name="amount"' in form and "120.00" in form
    auth.post("/billmgr", {"func": "payment.edit", "sok": "ok", "customer": "alice",
                           "method": "cash", "amount": "120"})
    page = auth.get(f"/bills/{made.elid}").get_data(as_text=True)
    assert 'id="bill-payments"' in page and "PAID" in page and 'id="take-payment"' not in page
    auth.logout()
    auth.login("operb")
    assert auth.get(f"/bills/{made.elid}").status_code == 404


def test_an_operator_uploads_its_invoice_logo(world, auth, dbs):
    import base64
    import io
    png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
    auth.login("gadmin")
    page = auth.get(f"/operators/{world.op_a.id}/logo").get_data(as_text=True)
    assert 'type="file"' in page and 'enctype="multipart/form-data"' in page
    bad = auth.post(f"/operators/{world.op_a.id}/logo",
                    {"logo": (io.BytesIO(b"GIF89a" + b"0" * 50), "x.gif")},
                    content_type="multipart/form-data")
    assert bad.status_code == 400 and "PNG or JPEG" in bad.get_data(as_text=True)
    big = auth.post(f"/operators/{world.op_a.id}/logo",
                    {"logo": (io.BytesIO(png + b"0" * (200 * 1024)), "big.png")},
                    content_type="multipart/form-data")
    assert big.status_code == 400 and "200 KB" in big.get_data(as_text=True)
    ok = auth.post(f"/operators/{world.op_a.id}/logo", {"logo": (io.BytesIO(png), "logo.png")},
                   content_type="multipart/form-data")
    assert ok.status_code == 302
    dbs.expire_all()
    from radbill.models import Operator
    op = dbs.get(Operator, world.op_a.id)
    assert op.logo == png and op.logo_type == "image/png"

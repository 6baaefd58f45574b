"""Filings (issue 19): the VAT report, collector cash, the BTRC subscriber report and credits
that wait for a second staff login's approval. A November of bills at two VAT rates, payments
taken by two collectors (one reversed) and a downgrade's credit note; every total is worked
out by hand below. Dates are passed (month ends, the ISP's midnight), never today's."""
from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from decimal import Decimal as D
from types import SimpleNamespace

import openpyxl
import pytest
import sqlalchemy as sa

from radbill.functions.registry import AccessDenied, FuncError, NotFound
from radbill.models import (AuditLog, Bill, Event, LedgerTransaction, Operator, Payment,
                            PendingTransaction, StaffUser)
from rating import bills as billing
from rating.terms import midnight
from tests.support.factories import (caller_of, fn, make, make_isp, make_operator, make_package,
                                     make_user)
from tests.support.rating_factories import assert_books_balance, postpaid_customer

NOV1, NOV30, DEC1 = dt.date(2026, 11, 1), dt.date(2026, 11, 30), dt.date(2026, 12, 1)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A moment on `day` in the ISP's zone."""
    return midnight(day) + dt.timedelta(hours=hour, minutes=minute)


def when(session, result, received: dt.datetime) -> Payment:
    """Date a payment taken through payment.edit (the function stamps now())."""
    p = session.get(Payment, result.elid)
    p.received_at = received
    session.execute(sa.update(LedgerTransaction).where(LedgerTransaction.payment_id == p.id)
                    .values(at=received))
    session.flush()
    return p


@pytest.fixture
def month(session):
    """opA bills at 5 % VAT, opB at 15 %. November's bills (issued 1 Nov): alice and amos 500
    + 25 VAT each (opA), bob 1000 + 150 (opB); carol (opA) was billed in October. Collectors:
    mgr (opA) took alice's 525 on 5 Nov and 300 from amos on 29 Nov, reversed at 23:45 on
    30 Nov; kim (opB) took bob's 1150 at 23:30 on 30 Nov; amos paid 200 at 00:30 on 1 Dec
    (December's). On 16 Nov amos moved to a 300 package: a credit note of 100 + 5 VAT."""
    w = SimpleNamespace()
    w.isp = make_isp(session)
    w.op_a = make_operator(session, parent=w.isp.name, vat_percent="5")
    w.op_b = make_operator(session, parent=w.isp.name, vat_percent="15")
    w.anna = make_user(session, role="operator", operator=w.op_a.name)
    w.anna2 = make_user(session, role="operator", operator=w.op_a.name)
    w.ben = make_user(session, role="operator", operator=w.op_b.name)
    w.gadmin = make_user(session, role="group_admin", operator=w.isp.name)
    w.mgr = make_user(session, role="manager", operator=w.op_a.name)
    w.kim = make_user(session, role="manager", operator=w.op_b.name)
    small, w.pkg = make_package(session, price="300"), make_package(session, price="500")
    big = make_package(session, price="1000", rate_down="20M")
    mine = {"operator": w.op_a.name, "manager": w.mgr.login}
    w.alice = postpaid_customer(session, package=w.pkg.name, **mine)
    w.amos = postpaid_customer(session, package=w.pkg.name, **mine)
    w.bob = postpaid_customer(session, package=big.name, operator=w.op_b.name,
                              manager=w.kim.login)
    w.carol = postpaid_customer(session, package=w.pkg.name, **mine)
    fn(session, "bill.generate", sok="ok", date="2026-10-01", customer=str(w.carol.id))
    fn(session, "bill.generate", sok="ok", date=NOV1.isoformat(),
       customer=",".join(str(c.id) for c in (w.alice, w.amos, w.bob)))
    for who in ("anna", "anna2", "ben", "gadmin", "mgr", "kim"):
        setattr(w, f"as_{who}", caller_of(session, getattr(w, who)))
    pay = lambda c, who, amount: fn(session, "payment.edit", who, sok="ok",  # noqa: E731
                                    customer=c.username, method="cash", amount=amount)
    when(session, pay(w.alice, w.as_mgr, "525"), at(dt.date(2026, 11, 5), 10))
    rev = when(session, pay(w.amos, w.as_mgr, "300"), at(dt.date(2026, 11, 29), 12))
    fn(session, "payment.reverse", w.as_anna, elid=str(rev.id), reason="counterfeit note")
    rev.reversed_at = at(NOV30, 23, 45)
    when(session, pay(w.bob, w.as_kim, "1150"), at(NOV30, 23, 30))
    when(session, pay(w.amos, w.as_mgr, "200"), at(DEC1, 0, 30))
    # the downgrade's credit note, as the customer_changed hook books it, on 16 November
    w.amos.package_id = small.id
    session.flush()
    billing.change_package(session, w.amos, w.pkg, on=dt.date(2026, 11, 16))
    session.execute(sa.update(LedgerTransaction).where(LedgerTransaction.kind == "change_credit")
                    .values(at=at(dt.date(2026, 11, 16), 9)))
    session.flush()
    return w


def vat_rows(session, caller=None, **kw):
    from radbill.functions.caller import SYSTEM
    return fn(session, "report.vat", caller or SYSTEM, **kw).rows


def test_the_vat_report_equals_the_hand_computation(session, month):
    rows = vat_rows(session, month="2026-11")
    body = {(r["operator"], r["kind"], r["vat_rate"]): r for r in rows if r["period"] == "2026-11"}
    a, b = month.op_a.name, month.op_b.name
    assert set(body) == {(a, "bills", "5.00"), (a, "credit_notes", None), (b, "bills", "15.00")}
    # opA at 5 %: two bills of 500; only alice's 525 was kept (amos's 300 reversed, his 200
    # came on 1 December): its VAT share 525 x 25 / 525 = 25.00
    assert {k: body[a, "bills", "5.00"][k] for k in ("bills", "taxable", "vat", "total",
                                                     "collected", "vat_collected")} == \
        {"bills": 2, "taxable": "1000.00", "vat": "50.00", "total": "1050.00",
         "collected": "525.00", "vat_collected": "25.00"}
    # the downgrade on 16 Nov: 15 of 30 days of (300 - 500) = -100, its 5 % VAT -5
    credit = body[a, "credit_notes", None]
    assert (credit["taxable"], credit["vat"], credit["total"]) == ("-100.00", "-5.00", "-105.00")
    assert {k: body[b, "bills", "15.00"][k] for k in ("bills", "taxable", "vat", "collected",
                                                      "vat_collected")} == \
        {"bills": 1, "taxable": "1000.00", "vat": "150.00", "collected": "1150.00",
         "vat_collected": "150.00"}
    totals = {(r["kind"], r["vat_rate"]): r for r in rows if r["period"] == "total"}
    assert totals["bills", "5.00"]["vat"] == "50.00" and totals["bills", "15.00"]["vat"] == "150.00"
    assert totals["credit_notes", None]["vat"] == "-5.00"
    # the figure to file: 50 + 150 - 5
    assert (totals["all", None]["vat"], totals["all", None]["taxable"],
            totals["all", None]["vat_collected"]) == ("195.00", "1900.00", "175.00")
    assert rows[-1]["kind"] == "all"  # the grand total closes the list


def test_vat_at_a_month_end_and_across_months(session, month):
    dec = vat_rows(session, month="2026-12")
    body = [r for r in dec if r["period"] == "2026-12"]
    # no bill issued in December; amos's 200 (00:30 on 1 Dec) against his 525 bill
    assert [(r["bills"], r["vat"], r["collected"], r["vat_collected"]) for r in body] == \
        [(0, "0.00", "200.00", "9.52")]  # 200 x 25 / 525 = 9.5238
    octo = vat_rows(session, **{"from": "2026-10-01", "to": "2026-10-31"})
    assert [(r["bills"], r["vat"]) for r in octo if r["period"] == "2026-10"] == [(1, "25.00")]
    both = vat_rows(session, **{"from": "2026-10-01", "to": "2026-12-31"})
    assert next(r for r in both if r["kind"] == "all")["vat"] == "220.00"  # 25 + 195


def test_a_reseller_sees_its_own_vat_only(session, month):
    mine = vat_rows(session, month.as_ben, month="2026-11")
    assert {r["operator"] for r in mine if r["period"] != "total"} == {month.op_b.name}
    assert next(r for r in mine if r["kind"] == "all")["vat"] == "150.00"
    with pytest.raises(AccessDenied):
        vat_rows(session, month.as_ben, month="2026-11", operator=month.op_a.name)
    with pytest.raises(AccessDenied):
        vat_rows(session, month.as_mgr, month="2026-11")  # a collector files nothing


@pytest.mark.parametrize("params, field", [
    ({"month": "2026-13"}, "month"), ({"month": "Nov 2026"}, "month"),
    ({"month": "2026-11", "from": "2026-11-01"}, "month"),
    ({"from": "2026-12-01", "to": "2026-11-30"}, "from"), ({"to": "2026-02-30"}, "to"),
    ({"from": "2000-01-01", "to": "2026-11-30"}, "to")])
def test_bad_periods_name_their_field(session, month, params, field):
    with pytest.raises(FuncError) as err:
        vat_rows(session, **params)
    assert err.value.field == field


@pytest.mark.parametrize("value,cell", [
    ("1200.00", D("1200.00")), ("-5.00", D("-5.00")), (7, 7), (None, None),
    ("01711000000", "01711000000"),  # a phone number keeps its 0
    ("1990123456789", "1990123456789"),  # a national id is no 1.99E+12
    ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"), ("-1e5", "'-1e5"), ("+8801711", "'+8801711"),
    ("১২", "১২"), ({"a": 1}, '{"a": 1}')])
def test_a_spreadsheet_cell_is_a_number_only_when_it_is_an_amount(value, cell):
    from radbill.functions.output import sheet_cell
    assert sheet_cell(value) == cell and type(sheet_cell(value)) is type(cell)


def test_the_vat_files_open(session, month):
    x = fn(session, "report.vat_file", month="2026-11")
    book = openpyxl.load_workbook(io.BytesIO(x.data))
    sheet = book["VAT"]
    assert [c.value for c in sheet[1]][:8] == ["Month", "Operator ID", "Operator", "Kind",
                                               "VAT rate (%)", "Bills", "Taxable amount", "VAT"]
    last = [c.value for c in sheet[sheet.max_row]]
    assert last[0] == "total" and last[3] == "all" and D(str(last[7])) == D("195.00")
    csv = fn(session, "report.vat_file", month="2026-11", format="csv")
    assert csv.data.decode("utf-8-sig").splitlines()[0].startswith("Month,Operator ID")
    pdf = fn(session, "report.vat_file", month="2026-11", format="pdf", lang="bn")
    assert pdf.content_type == "application/pdf" and pdf.data.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=fn(
            session, "report.vat_file", month="2026-11", format="pdf", lang="en").data,
            capture_output=True, check=True).stdout.decode()
        assert "VAT statement" in text and month.isp.name in text, text
        assert re.search(r"^Total\s+4\s+1900\.00\s+195\.00\s+2095\.00\s+175\.00$", text,
                         re.M), text
    with pytest.raises(FuncError) as err:
        fn(session, "report.vat_file", month="2026-11", format="docx")
    assert err.value.field == "format"


def cash(session, caller=None, **kw):
    from radbill.functions.caller import SYSTEM
    return fn(session, "report.collector_cash", caller or SYSTEM, **kw).rows


def test_collector_cash_by_day_nets_the_reversal_on_its_day(session, month):
    rows = cash(session, month="2026-11")
    got = {(r["period"], r["collector"], r["method"]): (r["payments"], r["amount"],
                                                         r["reversals"], r["reversed"], r["net"])
           for r in rows}
    mgr, kim = month.mgr.login, month.kim.login
    assert got == {
        ("2026-11-05", mgr, "cash"): (1, "525.00", 0, "0.00", "525.00"),
        ("2026-11-05", mgr, "total"): (1, "525.00", 0, "0.00", "525.00"),
        ("2026-11-29", mgr, "cash"): (1, "300.00", 0, "0.00", "300.00"),
        ("2026-11-29", mgr, "total"): (1, "300.00", 0, "0.00", "300.00"),
        ("2026-11-30", mgr, "cash"): (0, "0.00", 1, "300.00", "-300.00"),
        ("2026-11-30", mgr, "total"): (0, "0.00", 1, "300.00", "-300.00"),
        ("2026-11-30", kim, "cash"): (1, "1150.00", 0, "0.00", "1150.00"),
        ("2026-11-30", kim, "total"): (1, "1150.00", 0, "0.00", "1150.00")}
    # 1 December's 200 is December's
    assert [(r["period"], r["net"]) for r in cash(session, month="2026-12")
            if r["method"] == "total"] == [("2026-12-01", "200.00")]


def test_collector_cash_by_month(session, month):
    rows = cash(session, period="monthly", **{"from": "2026-11-01", "to": "2026-12-31"})
    totals = {(r["period"], r["collector"]): (r["payments"], r["amount"], r["reversed"],
                                              r["net"]) for r in rows if r["method"] == "total"}
    assert totals == {("2026-11", month.mgr.login): (2, "825.00", "300.00", "525.00"),
                      ("2026-11", month.kim.login): (1, "1150.00", "0.00", "1150.00"),
                      ("2026-12", month.mgr.login): (1, "200.00", "0.00", "200.00")}


def test_a_collector_sees_only_their_own_cash(session, month):
    mine = cash(session, month.as_mgr, month="2026-11")
    assert {r["collector"] for r in mine} == {month.mgr.login}
    with pytest.raises(FuncError) as err:  # another's: not found, or not theirs to see
        cash(session, month.as_mgr, month="2026-11", collector=month.kim.login)
    assert err.value.field == "collector"
    other = make_user(session, role="manager", operator=month.op_a.name)
    with pytest.raises(AccessDenied) as err:
        cash(session, month.as_mgr, month="2026-11", collector=other.login)
    assert err.value.field == "collector"
    # a reseller sees its subtree's collectors, not the other reseller's
    assert {r["collector"] for r in cash(session, month.as_ben, month="2026-11")} == \
        {month.kim.login}
    with pytest.raises(NotFound):
        cash(session, month.as_ben, month="2026-11", collector=month.mgr.login)
    with pytest.raises(FuncError) as err:
        cash(session, period="weekly")
    assert err.value.field == "period"
    x = fn(session, "report.collector_cash_file", month.as_mgr, month="2026-11")
    sheet = openpyxl.load_workbook(io.BytesIO(x.data)).active
    assert [c.value for c in sheet[1]][:3] == ["Period", "Collector ID", "Collector"]
    assert {row[2].value for row in sheet.iter_rows(min_row=2)} == {month.mgr.login}


# -- BTRC ----------------------------------------------------------------------------------
@pytest.fixture
def subscribers(session):
    """An ISP with a reseller; zones, a district and a connection-type custom field; customers
    created before 30 November (one created after, one deleted on 10 Nov, one before)."""
    w = SimpleNamespace()
    w.isp = make_isp(session)
    w.res = make_operator(session, parent=w.isp.name)
    w.other = make_operator(session, parent=w.isp.name)
    w.gadmin = make_user(session, role="group_admin", operator=w.isp.name)
    w.resop = make_user(session, role="operator", operator=w.res.name)
    w.mgr = make_user(session, role="manager", operator=w.res.name)
    for op in (w.isp, w.res):
        make(session, "zone", name="Mirpur", operator=op.name)
    make(session, "zone", name="Uttara", operator=w.isp.name)
    fn(session, "custom_field.edit", sok="ok", name="district", label="District",
       operator=w.isp.name)
    fn(session, "custom_field.edit", sok="ok", name="link", label="Link", kind="choice",
       choices="FTTH-GPON,EPON,Wireless", operator=w.isp.name)
    fn(session, "custom_field.edit", sok="ok", name="nid2", label="NID", operator=w.isp.name)
    p10 = make_package(session, rate_down="10M")
    p20 = make_package(session, rate_down="20M", price="1000")
    p5 = make_package(session, rate_down="5.5M", price="300")

    def cust(user, op, pkg, created, **kw):
        from tests.support.factories import make_customer
        c = make_customer(session, username=user, operator=op.name, package=pkg.name, **kw)
        c.created_at = at(created, 10)
        session.flush()
        return c
    w.a = cust("a1", w.isp, p10, dt.date(2026, 1, 5), zone="Mirpur", national_id="1234567890",
               mobile="01711000001", name="Abul", address="Road 1", cf_district="Dhaka",
               cf_link="FTTH-GPON")
    w.b = cust("b1", w.isp, p10, dt.date(2026, 11, 3), zone="Uttara", cf_district="Dhaka",
               service="static", static_ip="10.9.0.5")
    w.c = cust("c1", w.res, p20, dt.date(2026, 11, 30), zone="Mirpur", cf_district="Gazipur",
               cf_nid2="19900000000000001", mac="AA:BB:CC:00:00:07")
    w.d = cust("d1", w.res, p5, dt.date(2026, 6, 1), cf_district="Gazipur", cf_link="Wireless")
    w.late = cust("e1", w.res, p5, DEC1)  # after the report's day
    w.gone = cust("f1", w.other, p10, dt.date(2026, 2, 1))
    w.early = cust("g1", w.other, p10, dt.date(2026, 2, 1))
    fn(session, "customer.delete", elid="f1")
    fn(session, "customer.delete", elid="g1")
    session.execute(sa.text("update customers set deleted_at = :t where username = 'f1'"),
                    {"t": at(dt.date(2026, 11, 10), 9)})
    session.execute(sa.text("update customers set deleted_at = :t where username = 'g1'"),
                    {"t": at(dt.date(2026, 10, 10), 9)})
    fn(session, "btrc.settings", sok="ok", elid=w.isp.name, district_field="district",
       connection_field="link", nid_field="nid2")
    w.as_gadmin, w.as_resop = caller_of(session, w.gadmin), caller_of(session, w.resop)
    w.as_mgr = caller_of(session, w.mgr)
    return w


def btrc(session, caller, **kw):
    return fn(session, "report.btrc", caller, **kw).rows


def test_btrc_counts_equal_a_hand_count(session, subscribers):
    w = subscribers
    rows = btrc(session, w.as_gadmin, date="2026-11-30")
    got = {}
    for r in rows:
        got.setdefault(r["section"], {})[r["item"]] = r["subscribers"]
    # live on 30 Nov: a1, b1 (ISP), c1, d1 (res); f1 was deleted on 10 Nov, g1 in October,
    # e1 came on 1 Dec
    assert got["total"] == {"2026-11-30": 4}
    assert got["new"] == {"2026-11-01..2026-11-30": 2}  # b1, c1
    assert got["disconnected"] == {"2026-11-01..2026-11-30": 1}  # f1
    assert got["connection_type"] == {"FTTH-GPON": 1, "Static IP": 1, "PPPoE": 1, "Wireless": 1}
    assert got["service"] == {"PPPoE": 3, "Static IP": 1}
    assert got["bandwidth_mbps"] == {"5.5": 1, "10": 2, "20": 1}
    assert list(got["bandwidth_mbps"]) == ["5.5", "10", "20"]  # in bandwidth order
    assert got["area"] == {"Mirpur": 2, "Uttara": 1, "": 1}
    assert got["district"] == {"Dhaka": 2, "Gazipur": 2}
    assert got["operator"] == {w.isp.name: 2, w.res.name: 2}


def test_the_btrc_list_carries_identity_fields(session, subscribers):
    w = subscribers
    rows = btrc(session, w.as_gadmin, part="list", date="2026-11-30")
    assert [r["username"] for r in rows] == ["a1", "b1", "c1", "d1"]
    a, b, c = rows[0], rows[1], rows[2]
    assert (a["sl"], a["name"], a["nid"], a["mobile"], a["address"], a["area"], a["district"],
            a["connection_type"], a["bandwidth_mbps"]) == \
        (1, "Abul", "1234567890", "01711000001", "Road 1", "Mirpur", "Dhaka", "FTTH-GPON", "10")
    assert (b["ip"], b["service"], b["connection_date"]) == ("10.9.0.5", "Static IP",
                                                              "2026-11-03")
    assert (c["nid"], c["mac"]) == ("19900000000000001", "AA:BB:CC:00:00:07")  # the NID field


def test_the_btrc_workbook_has_a_sheet_per_part(session, subscribers):
    w = subscribers
    x = fn(session, "report.btrc_file", w.as_gadmin, date="2026-11-30")
    book = openpyxl.load_workbook(io.BytesIO(x.data))
    assert book.sheetnames == ["Summary", "Subscribers"]
    summary = book["Summary"]
    assert [c.value for c in summary[1]] == ["Category", "Item", "Number of Subscribers"]
    assert [c.value for c in summary[2]] == ["Total Subscribers", "2026-11-30", 4]
    listed = book["Subscribers"]
    assert [c.value for c in listed[1]] == [
        "SL", "Client ID", "Client Name", "NID / Passport No.", "Mobile No.", "Address",
        "Area / Zone", "District", "Connection Type", "Service Type", "Package",
        "Bandwidth (Mbps)", "IP Address", "MAC Address", "Connection Date", "Status",
        "Operator / Reseller"]
    assert [r[1].value for r in listed.iter_rows(min_row=2)] == ["a1", "b1", "c1", "d1"]
    assert listed.max_row == 5
    csv = fn(session, "report.btrc_file", w.as_gadmin, date="2026-11-30", format="csv",
             part="list").data.decode("utf-8-sig").splitlines()
    assert csv[0].startswith("SL,Client ID,Client Name") and len(csv) == 5


def test_a_reseller_files_its_subtree_only(session, subscribers):
    w = subscribers
    rows = btrc(session, w.as_resop, part="list", date="2026-11-30")
    assert [r["username"] for r in rows] == ["c1", "d1"]
    # the ISP's settings apply down its chain: the district and link fields
    assert [r["district"] for r in rows] == ["Gazipur", "Gazipur"]
    with pytest.raises(AccessDenied):
        btrc(session, w.as_resop, operator=w.other.name)
    with pytest.raises(AccessDenied):
        btrc(session, w.as_mgr)  # a collector files nothing
    with pytest.raises(AccessDenied):  # nor changes the ISP's settings
        fn(session, "btrc.settings", w.as_resop, sok="ok", elid=w.isp.name, area_field="")


def test_btrc_bad_input_names_the_field(session, subscribers):
    w = subscribers
    for params, field in (({"part": "all"}, "part"), ({"date": "2026-11-31"}, "date"),
                          ({"date": "2026-11-01", "from": "2026-11-30"}, "from")):
        with pytest.raises(FuncError) as err:
            btrc(session, w.as_gadmin, **params)
        assert err.value.field == field
    with pytest.raises(FuncError) as err:
        fn(session, "btrc.settings", sok="ok", elid=w.isp.name, area_field="nosuch",
           nid_field="Bad Name!")
    assert set(err.value.errors) == {"area_field", "nid_field"}


# -- approvals ------------------------------------------------------------------------------
@pytest.fixture
def gate(month, session):
    """opA asks a second login for credits above 1,000 (its ISP above 5,000)."""
    fn(session, "approval.threshold", sok="ok", elid=month.isp.name, threshold="5000")
    fn(session, "approval.threshold", month.as_anna, sok="ok", threshold="1000")
    return month


def ledger_rows(session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(LedgerTransaction))


def test_a_credit_above_the_threshold_waits_for_a_second_login(session, gate):
    w = gate
    before, payments = ledger_rows(session), session.scalar(sa.select(sa.func.count(Payment.id)))
    asked = fn(session, "payment.edit", w.as_mgr, sok="ok", customer=w.carol.username,
               method="cash", amount="1500", note="paid at the shop")
    assert asked.elid is None and asked.extra["status"] == "pending"
    assert asked.extra["threshold"] == "1000.00"
    assert ledger_rows(session) == before  # nothing booked
    assert session.scalar(sa.select(sa.func.count(Payment.id))) == payments
    p = session.get(PendingTransaction, asked.extra["pending"])
    assert (p.func, p.amount, p.requester, p.status) == ("payment.edit", D("1500.00"),
                                                         w.mgr.login, "pending")
    assert p.params == {"customer": str(w.carol.id), "method": "cash", "amount": "1500.00",
                        "note": "paid at the shop"}
    listed = fn(session, "approval", w.as_anna).rows
    assert [(r["id"], r["may_decide"]) for r in listed] == [(p.id, True)]
    # the collector sees their own request; the same login may not approve its own
    assert [(r["id"], r["may_decide"]) for r in fn(session, "approval", w.as_mgr).rows] == \
        [(p.id, False)]
    with pytest.raises(AccessDenied):
        fn(session, "approval.approve", w.as_mgr, elid=str(p.id))  # a manager approves nothing
    done = fn(session, "approval.approve", w.as_anna, elid=str(p.id))
    assert done.extra["status"] == "approved"
    paid = session.get(Payment, done.extra["booked"])
    # booked as the collector's own payment, exactly as asked
    assert (paid.amount, paid.method, paid.collected_by, paid.note, paid.customer_id) == \
        (D("1500.00"), "cash", w.mgr.id, "paid at the shop", w.carol.id)
    session.refresh(p)
    assert (p.status, p.decider) == ("approved", w.anna.login)
    names = [e.name for e in session.scalars(sa.select(Event).order_by(Event.id))
             if e.name.startswith("approval.")]
    assert names == ["approval.requested", "approval.approved"]
    audited = session.scalars(sa.select(AuditLog.func).where(
        AuditLog.object_type == "pending_transaction").order_by(AuditLog.id)).all()
    assert audited == ["payment.edit", "approval.approve"]
    assert fn(session, "approval", w.as_anna).rows == []  # no longer pending
    assert_books_balance(session)


def test_the_requester_cannot_approve_and_a_double_approve_books_once(session, gate):
    w = gate
    asked = fn(session, "operator.fund", w.as_gadmin, elid=w.op_a.name, amount="8000")
    pid = str(asked.extra["pending"])
    before = ledger_rows(session)
    with pytest.raises(AccessDenied) as err:
        fn(session, "approval.approve", w.as_gadmin, elid=pid)
    assert err.value.field == "elid"
    with pytest.raises(AccessDenied):  # the funded reseller does not approve its own funds
        fn(session, "approval.approve", w.as_anna, elid=pid)
    second = make_user(session, role="group_admin", operator=w.isp.name)
    # the list says who may decide it: not the requester, not the funded reseller's staff
    for who, may in ((w.as_gadmin, False), (w.as_anna, False),
                     (caller_of(session, second), True)):
        assert [r["may_decide"] for r in fn(session, "approval", who).rows] == [may]
    first = fn(session, "approval.approve", caller_of(session, second), elid=pid)
    again = fn(session, "approval.approve", caller_of(session, second), elid=pid)
    assert again.extra["already"] is True and again.extra["booked"] == first.extra["booked"]
    assert ledger_rows(session) == before + 1  # one fund transaction
    assert session.scalar(sa.select(sa.func.count()).select_from(LedgerTransaction).where(
        LedgerTransaction.kind == "fund")) == 1
    with pytest.raises(FuncError) as err:
        fn(session, "approval.reject", caller_of(session, second), elid=pid, reason="late")
    assert err.value.status == 409


def test_below_the_threshold_books_at_once(session, gate):
    w = gate
    done = fn(session, "payment.edit", w.as_mgr, sok="ok", customer=w.carol.username,
              method="cash", amount="1000")  # not above 1,000
    assert done.elid is not None and "pending" not in done.extra
    funded = fn(session, "operator.fund", w.as_gadmin, elid=w.op_b.name, amount="4000")
    assert funded.elid is not None  # opB's chain: the ISP's 5,000
    assert session.scalar(sa.select(sa.func.count(PendingTransaction.id))) == 0


def test_a_rejected_credit_books_nothing(session, gate):
    w = gate
    asked = fn(session, "payment.edit", w.as_anna2, sok="ok", customer=w.carol.username,
               method="cash", amount="2500")
    before = ledger_rows(session)
    with pytest.raises(FuncError) as err:
        fn(session, "approval.reject", w.as_anna, elid=str(asked.extra["pending"]), reason=" ")
    assert err.value.field == "reason"
    fn(session, "approval.reject", w.as_anna, elid=str(asked.extra["pending"]),
       reason="no cash in the till")
    p = session.get(PendingTransaction, asked.extra["pending"])
    assert (p.status, p.reason) == ("rejected", "no cash in the till")
    with pytest.raises(FuncError) as err:
        fn(session, "approval.approve", w.as_anna, elid=str(p.id))
    assert err.value.status == 409 and ledger_rows(session) == before


def test_another_reseller_cannot_see_or_decide(session, gate):
    w = gate
    asked = fn(session, "payment.edit", w.as_mgr, sok="ok", customer=w.carol.username,
               method="cash", amount="3000")
    pid = str(asked.extra["pending"])
    assert fn(session, "approval", w.as_ben).rows == []
    for func, extra in (("approval.approve", {}), ("approval.reject", {"reason": "no"})):
        with pytest.raises(NotFound):
            fn(session, func, w.as_ben, elid=pid, **extra)
    assert session.get(PendingTransaction, int(pid)).status == "pending"


def test_approval_bad_input_names_the_field(session, gate):
    w = gate
    for params, field in (({"threshold": "-5"}, "threshold"), ({"threshold": "lots"}, "threshold"),
                          ({"elid": "nosuch", "threshold": "5"}, "elid")):
        with pytest.raises(FuncError) as err:
            fn(session, "approval.threshold", w.as_anna, sok="ok", **params)
        assert err.value.field == field
    for ref in ("", "abc", "99999999999999999999"):
        with pytest.raises(FuncError) as err:
            fn(session, "approval.approve", w.as_anna, elid=ref)
        assert err.value.field == "elid"
    with pytest.raises(FuncError) as err:
        fn(session, "approval", w.as_anna, status="maybe")
    assert err.value.field == "status"
    # a request's payload is checked when asked: a bad amount is refused, nothing is held
    with pytest.raises(FuncError) as err:
        fn(session, "payment.edit", w.as_mgr, sok="ok", customer=w.carol.username,
           method="cash", amount="12x")
    assert err.value.field == "amount"
    assert session.scalar(sa.select(sa.func.count(PendingTransaction.id))) == 0


def test_the_lowest_threshold_along_the_chain_applies(session, gate):
    w = gate
    # opA cannot loosen the ISP's 5,000 by clearing or raising its own
    fn(session, "approval.threshold", w.as_anna, sok="ok", threshold="")
    form = fn(session, "approval.threshold", w.as_anna)
    assert (form.values["threshold"], form.values["applies"]) == (None, "5000.00")
    held = fn(session, "payment.edit", w.as_mgr, sok="ok", customer=w.carol.username,
              method="cash", amount="5000.01")
    assert held.extra["status"] == "pending"
    assert session.get(Operator, w.op_a.id).approval_threshold is None
    assert session.get(StaffUser, w.mgr.id) is not None
    assert session.scalar(sa.select(sa.func.count(Bill.id))) >= 4

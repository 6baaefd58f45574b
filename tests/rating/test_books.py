"""The books (issue 19): expenses booked in the ledger, income vs expense, the yearly summary
kept by its job, payable and receivable with resellers, statements -- against figures worked
out by hand in this file, never by the SQL under test."""
from __future__ import annotations

import base64
import datetime as dt
import shutil
import subprocess
from decimal import Decimal as D
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from radbill.functions.registry import AccessDenied, FuncError, NotFound
from radbill.models import Bill, Event, JobState, LedgerTransaction, Payment
from radbill.models.books import BooksMonthly, Expense
from rating import books, ledger
from rating.functions import books as book_functions
from rating.terms import midnight, today
from tests.support.factories import caller_of, fn, make_customer, make_isp, make_operator, \
    make_package, make_user
from tests.support.rating_factories import assert_books_balance, make_profile, pay, pins, \
    postpaid_customer

FEB = dt.date(2024, 2, 1)  # a leap year's February: the 29th is its last day
MAR = dt.date(2024, 3, 1)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def books_balance(session):
    yield
    assert_books_balance(session)


def at_local(day: dt.date, hour: int = 12, minute: int = 0, second: int = 0) -> dt.datetime:
    return midnight(day) + dt.timedelta(hours=hour, minutes=minute, seconds=second)


def redate(session, tx_ids, moment: dt.datetime) -> None:
    """Put transactions made now at a fixed moment of the scenario month (as the factories
    put a customer's creation at a fixed day): bills and payments are booked at now()."""
    session.execute(sa.update(LedgerTransaction).where(LedgerTransaction.id.in_(list(tx_ids)))
                    .values(at=moment))


def new_txs(session, since: int) -> list[int]:
    return list(session.scalars(sa.select(LedgerTransaction.id).where(
        LedgerTransaction.id > since, LedgerTransaction.kind.not_in(
            ("expense", "expense_reversal")))))


def last_tx(session) -> int:
    return session.scalar(sa.select(sa.func.coalesce(sa.func.max(LedgerTransaction.id), 0)))


@pytest.fixture
def month(session):
    """February 2024 at the ISP (VAT 5 %), worked out by hand:

    bills   Anna's February (500, profile discount 10 % = 50, VAT 22.50): 472.50, on the 1st
            Bilal's router (manual 1000, VAT 50): 1050.00, on the 3rd
            Chitra's prepaid period bought by a card (300, VAT 15): 315.00, on the 29th
    paid    Anna 472.50 cash (the 10th), Bilal 500 cash (the 15th), Chitra's card 315.00 sold
            by distributor Dina (10.00 a card), redeemed at 23:59:59 on the 29th
    spent   rent 5000 cash (the 5th); fuel 300 cash (the 10th) corrected to 350; a typo 999
            (the 12th) taken back; electricity 1200 from the bank on the 29th; and 100 on
            1 March (not February)
    """
    w = SimpleNamespace()
    w.isp = make_isp(session)
    fn(session, "operator.edit", sok="ok", elid=w.isp.name, vat_percent="5")
    profile = make_profile(session, discount_kind="percent", discount_value="10")
    w.anna = postpaid_customer(session, profile, package=make_package(session, price="500").name,
                               since=dt.date(2024, 1, 1))
    w.bilal = postpaid_customer(session, profile, package=make_package(session, price="500").name,
                                since=dt.date(2024, 1, 1))
    pkg_c = make_package(session, price="300")
    w.chitra = make_customer(session, package=pkg_c.name)
    w.dina = make_user(session, role="card_distributor", operator=w.isp.name,
                       commission_fixed="10")
    fn(session, "card.generate", sok="ok", count="1", package=pkg_c.name,
       distributor=w.dina.login, batch="feb")
    start = last_tx(session)
    fn(session, "bill.generate", sok="ok", date=FEB.isoformat(), customer=w.anna.username)
    redate(session, new_txs(session, start), at_local(FEB, 9))
    start = last_tx(session)
    router = fn(session, "bill.edit", sok="ok", customer=w.bilal.username, description="Router",
                amount="1000").elid
    session.get(Bill, router).issued_on = dt.date(2024, 2, 3)
    redate(session, new_txs(session, start), at_local(dt.date(2024, 2, 3)))
    for who, amount, day in ((w.anna, "472.50", 10), (w.bilal, "500", 15)):
        start = last_tx(session)
        paid = pay(session, who, amount).elid
        session.get(Payment, paid).received_at = at_local(dt.date(2024, 2, day))
        redate(session, new_txs(session, start), at_local(dt.date(2024, 2, day)))
    start = last_tx(session)
    pay(session, w.chitra, method="card", pin=pins(session, "feb")[0])
    last_second = midnight(MAR) - dt.timedelta(seconds=1)  # 23:59:59 on the 29th
    redate(session, new_txs(session, start), last_second)
    fn(session, "expense_category.edit", sok="ok", name="Rent")
    fn(session, "expense_category.edit", sok="ok", name="Utilities")
    fn(session, "expense_category.edit", sok="ok", name="Electricity", parent="Utilities")
    fn(session, "expense_category.edit", sok="ok", name="Fuel", parent="Utilities")

    def spend(category, amount, day, **kw):
        return fn(session, "expense.edit", sok="ok", category=category, amount=amount,
                  date=day.isoformat(), **kw).elid
    w.rent = spend("Rent", "5000", dt.date(2024, 2, 5))
    w.fuel = spend("Fuel", "300", dt.date(2024, 2, 10))
    fn(session, "expense.edit", sok="ok", elid=str(w.fuel), amount="350")
    w.typo = spend("Rent", "999", dt.date(2024, 2, 12))
    fn(session, "expense.delete", elid=str(w.typo), reason="typed twice")
    w.power = spend("Utilities / Electricity", "1200", dt.date(2024, 2, 29), paid_from="bank",
                    receipt=base64.b64encode(PNG).decode(), receipt_name="bill.png")
    w.march = spend("Rent", "100", MAR)
    return w


FEBRUARY = {"income": D("1750.00"),  # 450 + 1000 + 300
            "vat": D("87.50"),  # 22.50 + 50 + 15
            "expenses": D("6550.00"),  # 5000 + 350 + 1200
            "costs": D("10.00"),  # Dina's commission on the card
            "received": D("1287.50"),  # 472.50 + 500 + 315
            "cash_in": D("1287.50"),
            "cash_out": D("6550.00"),  # the booked-and-reversed 300 and 999 count for nothing
            "card_sales": D("315.00"), "card_commission": D("10.00")}
MARCH = {**{k: D("0.00") for k in FEBRUARY}, "expenses": D("100.00"), "cash_out": D("100.00")}


def ie_rows(session, **params) -> dict[str, dict]:
    return {r["month"]: r for r in fn(session, "report.income_expense", **params).rows}


# -- expenses in the ledger -------------------------------------------------------------------
def test_an_expense_is_a_balanced_transaction_dated_at_its_day(session, month):
    rent = session.get(Expense, month.rent)
    tx = session.get(LedgerTransaction, rent.transaction_id)
    assert (tx.kind, tx.reference, tx.at) == ("expense", f"expense:{rent.id}",
                                              midnight(dt.date(2024, 2, 5)))
    legs = session.execute(sa.text(
        "select a.kind, e.amount from ledger_entries e join ledger_accounts a "
        "on a.id = e.account_id where e.transaction_id = :t order by a.kind"),
        {"t": tx.id}).all()
    assert legs == [("cash", D("-5000.00")), ("expense", D("5000.00"))]
    assert ledger.balance(session, month.isp.id, "bank") == D("-1200.00")
    assert ledger.balance(session, month.isp.id, "expense") == D("6650.00")  # Feb + March


def test_a_changed_amount_reverses_and_books_again_and_a_removal_is_kept(session, month):
    fuel = session.get(Expense, month.fuel)
    txs = session.execute(sa.select(LedgerTransaction.kind, LedgerTransaction.at)
                          .where(LedgerTransaction.reference == f"expense:{fuel.id}")
                          .order_by(LedgerTransaction.id)).all()
    ten = midnight(dt.date(2024, 2, 10))
    assert txs == [("expense", ten), ("expense_reversal", ten), ("expense", ten)]
    assert (fuel.amount, fuel.status) == (D("350.00"), "booked")
    typo = session.get(Expense, month.typo)
    assert (typo.status, typo.reverse_reason, typo.amount) == ("reversed", "typed twice",
                                                               D("999.00"))
    assert typo.reversal_id is not None and typo.reversed_at is not None
    # a reversed expense stays and changes no more
    with pytest.raises(FuncError) as err:
        fn(session, "expense.edit", sok="ok", elid=str(typo.id), amount="5")
    assert "elid" in err.value.errors
    fn(session, "expense.delete", elid=str(typo.id))  # again: nothing more happens
    assert session.scalar(sa.select(sa.func.count()).select_from(LedgerTransaction).where(
        LedgerTransaction.reference == f"expense:{typo.id}")) == 2
    names = [e.name for e in session.scalars(sa.select(Event).where(
        Event.name.like("expense.%")).order_by(Event.id))]
    assert names == ["expense.recorded", "expense.recorded", "expense.changed",
                     "expense.recorded", "expense.reversed", "expense.recorded",
                     "expense.recorded"]
    audited = session.scalar(sa.text("select count(*) from audit_log where object_type = "
                                     "'expense' and object_id = :i"), {"i": fuel.id})
    assert audited == 2


def test_a_note_or_category_change_books_nothing_new(session, month):
    before = last_tx(session)
    fn(session, "expense.edit", sok="ok", elid=str(month.rent), note="February rent",
       category="Utilities")
    assert last_tx(session) == before
    rent = session.get(Expense, month.rent)
    assert rent.note == "February rent"
    ev = session.scalars(sa.select(Event).where(Event.name == "expense.changed")
                         .order_by(Event.id.desc())).first()
    assert ev.data["rebooked"] is False and ev.data["category"] == "Utilities"


def test_the_receipt_is_kept_under_a_name_we_made_and_served_back(session, month):
    power = session.get(Expense, month.power)
    assert power.receipt_name == "bill.png" and power.receipt_type == "image/png"
    assert power.receipt_file != "bill.png" and power.receipt_file.endswith(".png")
    got = fn(session, "expense.receipt", elid=str(power.id))
    assert (got.content_type, got.data) == ("image/png", PNG)
    rows = fn(session, "expense", category="Utilities").rows
    assert {r["category"] for r in rows} == {"Utilities / Electricity", "Utilities / Fuel"}
    assert [r["receipt"] for r in rows if r["id"] == power.id] == ["bill.png"]


# -- income vs expense ------------------------------------------------------------------------
def test_income_vs_expense_equals_the_hand_computation(session, month):
    rows = ie_rows(session, **{"from": "2024-01", "to": "2024-03"})
    assert list(rows) == ["2024-01", "2024-02", "2024-03"]
    feb = rows["2024-02"]
    for key, value in FEBRUARY.items():
        if key in feb:
            assert D(feb[key]) == value, key
    assert D(feb["profit"]) == D("-4810.00")  # 1750 - 6550 - 10
    assert D(rows["2024-03"]["expenses"]) == D("100.00")
    assert all(D(v) == 0 for k, v in rows["2024-01"].items() if k != "month")
    by_cat = {r["category"]: r for r in fn(session, "report.income_expense", by="category",
                                           **{"from": "2024-02", "to": "2024-02"}).rows}
    assert {k: D(r["amount"]) for k, r in by_cat.items()} == {
        "Rent": D("5000.00"), "Utilities / Electricity": D("1200.00"),
        "Utilities / Fuel": D("350.00")}
    assert D(by_cat["Rent"]["share"]) == D("76.3")  # 5000 / 6550
    # the categories add up to the ledger's expense account for the month
    assert sum(D(r["amount"]) for r in by_cat.values()) == D(feb["expenses"])


def test_a_month_ends_at_midnight_in_the_isp_zone(session, month):
    """The card redeemed at 23:59:59 on 29 February is February's; 1 March's rent is March's."""
    feb = books.figures(session, [FEB], [month.isp.id])[(month.isp.id, FEB)]
    assert feb["card_sales"] == D("315.00")
    mar = books.figures(session, [MAR], [month.isp.id])[(month.isp.id, MAR)]
    assert (mar["expenses"], mar["card_sales"]) == (D("100.00"), D("0.00"))


# -- the yearly summary -----------------------------------------------------------------------
def test_the_job_keeps_the_months_the_yearly_report_shows(session, month):
    result = books.yearly_summary(session, dt.date(2024, 3, 31))
    assert result.startswith("2 months (2024-02..2024-03)")  # the first run: from the first
    rows = {r["month"]: r for r in fn(session, "report.yearly", year="2024").rows}
    assert len(rows) == 13 and list(rows)[-1] == "2024"
    for key, value in FEBRUARY.items():
        assert D(rows["2024-02"][key]) == value, key
    for key, value in MARCH.items():
        assert D(rows["2024-03"][key]) == value, key
    # the year is the sum of its months, column by column
    for key in books.FIGURES + ("profit",):
        assert D(rows["2024"][key]) == sum(D(r[key]) for m, r in rows.items() if m != "2024")
    assert D(rows["2024"]["expenses"]) == D("6650.00")
    assert D(rows["2024"]["profit"]) == D("-4810.00") - D("100.00")


def test_the_month_figures_equal_the_ledger(session, month):
    books.summarise(session, dt.date(2024, 3, 31))
    stored = {r.month: r for r in session.scalars(sa.select(BooksMonthly).where(
        BooksMonthly.operator_id == month.isp.id))}
    assert set(stored) == {FEB, MAR}
    total = lambda k: sum(getattr(r, k) for r in stored.values())  # noqa: E731
    isp = month.isp.id
    assert total("expenses") == ledger.balance(session, isp, "expense")
    assert total("income") == -ledger.balance(session, isp, "revenue")
    assert total("cash_in") - total("cash_out") == (ledger.balance(session, isp, "cash")
                                                   + ledger.balance(session, isp, "bank"))
    assert total("costs") == ledger.balance(session, isp, "commission")
    assert total("vat") == -ledger.balance(session, isp, "vat_payable")


def test_the_job_run_twice_gives_the_same_rows_and_a_late_expense_is_caught(session, month):
    def snapshot():
        return sorted((r.operator_id, r.month, *(getattr(r, k) for k in books.FIGURES))
                      for r in session.scalars(sa.select(BooksMonthly)))
    on = dt.date(2024, 3, 31)
    books.yearly_summary(session, on)
    first = snapshot()
    books.yearly_summary(session, on)
    assert snapshot() == first
    # as the job runner records it: the run finished (in the ISP's zone, 31 March)
    session.add(JobState(name=books.JOB, last_finished_at=at_local(on, 2, 15)))
    session.flush()
    assert books.touched_months(session, dt.date(2024, 4, 1)) == [FEB, MAR, dt.date(2024, 4, 1)]
    # a January expense recorded later: the next run recomputes January too
    fn(session, "expense.edit", sok="ok", category="Rent", amount="40", date="2024-01-31")
    assert dt.date(2024, 1, 1) in books.touched_months(session, dt.date(2024, 4, 1))
    books.yearly_summary(session, dt.date(2024, 4, 1))
    jan = session.get(BooksMonthly, (month.isp.id, dt.date(2024, 1, 1)))
    assert jan.expenses == D("40.00")
    # moving February's rent to January corrects both months
    fn(session, "expense.edit", sok="ok", elid=str(month.rent), date="2024-01-20")
    books.yearly_summary(session, dt.date(2024, 4, 1))
    assert session.get(BooksMonthly, (month.isp.id, dt.date(2024, 1, 1))).expenses == D("5040.00")
    assert session.get(BooksMonthly, (month.isp.id, FEB)).expenses == D("1550.00")


def test_the_yearly_report_by_reseller_sums_each_branch(session, month):
    north = make_operator(session, parent=month.isp.name, kind="credit", credit_limit="5000")
    sub = make_operator(session, parent=north.name, kind="credit", credit_limit="1000")
    start = last_tx(session)
    make_customer(session, operator=sub.name, package=make_package(
        session, price="400", wholesale_price="100").name)
    redate(session, new_txs(session, start), at_local(dt.date(2024, 2, 20)))
    books.summarise(session, dt.date(2024, 3, 31))
    rows = {r["operator"]: r for r in fn(session, "report.yearly", year="2024",
                                         by="operator").rows}
    # the ISP's own income in February is its customers' 1750; north's branch earned the 100
    # wholesale its sub-reseller paid it for the activation (the ISP's own row is not a branch)
    assert list(rows) == [month.isp.name, north.name]
    assert D(rows[month.isp.name]["m02"]) == D("1750.00")
    assert (D(rows[north.name]["m02"]), D(rows[north.name]["total"])) == (D("100.00"),
                                                                          D("100.00"))
    assert D(rows[month.isp.name]["total"]) == D("1750.00")


# -- payable and receivable with resellers ----------------------------------------------------
def test_payable_and_receivable_are_the_resellers_balances(session):
    isp = make_isp(session)
    prepaid = make_operator(session, parent=isp.name, kind="debit")
    owing = make_operator(session, parent=isp.name, kind="credit", credit_limit="5000")
    fn(session, "operator.fund", elid=prepaid.name, amount="1000")
    pkg = make_package(session, price="400", wholesale_price="200")
    make_customer(session, operator=owing.name, package=pkg.name)
    make_customer(session, operator=prepaid.name, package=pkg.name)
    payable = fn(session, "report.payable").rows
    assert [(r["operator"], r["kind"], D(r["balance"])) for r in payable] == [
        (prepaid.name, "debit", D("800.00"))]  # 1000 funded, 200 spent
    owed = fn(session, "report.reseller_receivable").rows
    assert [(r["operator"], D(r["owed"]), D(r["credit_limit"]), D(r["available"]))
            for r in owed] == [(owing.name, D("200.00"), D("5000.00"), D("4800.00"))]
    # the parent's mirror account says the same: receivable less payable
    assert ledger.balance(session, isp.id, "downstream") == D("200.00") - D("800.00")


# -- statements -------------------------------------------------------------------------------
def test_a_customers_statement_runs_from_the_opening_to_the_closing_balance(session, month):
    rows = fn(session, "statement", customer=month.bilal.username, **{"from": "2024-02-01",
                                                                      "to": "2024-02-29"}).rows
    assert [(r["day"], r["debit"], r["credit"], r["balance"]) for r in rows] == [
        ("2024-02-01", None, None, "0.00"),
        ("2024-02-03", "1050.00", "0.00", "1050.00"),
        ("2024-02-15", "0.00", "500.00", "550.00"),
        ("2024-02-29", "1050.00", "500.00", "550.00")]
    later = fn(session, "statement", customer=month.bilal.username,
               **{"from": "2024-02-10", "to": "2024-02-29"}).rows
    assert (later[0]["balance"], later[-1]["balance"]) == ("1050.00", "550.00")


def test_a_statement_speaks_the_callers_language(session, month):
    from dataclasses import replace
    from radbill.functions.caller import SYSTEM
    rows = fn(session, "statement", replace(SYSTEM, lang="bn"), customer=month.bilal.username,
              **{"from": "2024-02-01", "to": "2024-02-29"}).rows
    assert rows[0]["description"] == "প্রারম্ভিক ব্যালেন্স"
    assert rows[1]["description"].startswith("বিল #")
    assert rows[2]["description"].startswith("পরিশোধ #") and "নগদ" in rows[2]["description"]
    english = fn(session, "statement", customer=month.bilal.username,
                 **{"from": "2024-02-01", "to": "2024-02-29"}).rows
    assert [r["description"].split(" #")[0] for r in english] == [
        "Opening balance", "Bill", "Payment", "Closing balance"]


def test_an_operators_statement_is_its_account_with_a_running_balance(session, month):
    rows = fn(session, "statement", operator=month.isp.name, account="bank",
              **{"from": "2024-02-01", "to": "2024-03-31"}).rows
    assert [(r["day"], r["credit"], r["balance"]) for r in rows] == [
        ("2024-02-01", None, "0.00"), ("2024-02-29", "1200.00", "-1200.00"),
        ("2024-03-31", "1200.00", "-1200.00")]


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) missing")
@pytest.mark.parametrize("lang,words", [("en", ["STATEMENT OF ACCOUNT", "Opening balance",
                                                "Closing balance", "550.00", "1050.00"]),
                                        ("bn", ["৫৫০.০০"])])
def test_the_statement_pdf_reads_back(session, month, tmp_path, lang, words):
    got = fn(session, "statement.pdf", customer=month.bilal.username, language=lang,
             **{"from": "2024-02-01", "to": "2024-02-29"})
    assert got.content_type == "application/pdf" and got.data.startswith(b"%PDF")
    path = tmp_path / "s.pdf"
    path.write_bytes(got.data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    for w in words:
        assert w in text, (w, text)


# -- refusals ---------------------------------------------------------------------------------
@pytest.mark.parametrize("params,field", [
    ({"amount": "-5"}, "amount"), ({"amount": "0"}, "amount"), ({"amount": "abc"}, "amount"),
    ({"category": "Nope"}, "category"), ({"date": "2999-01-01"}, "date"),
    ({"date": "tomorrow"}, "date"), ({"paid_from": "wallet"}, "paid_from"),
    ({"receipt": base64.b64encode(PNG + b"\x00" * book_functions.MAX_RECEIPT).decode()},
     "receipt"),
    ({"receipt": base64.b64encode(b"MZ not an image").decode()}, "receipt"),
    ({"receipt": "***"}, "receipt"), ({"operator": "nobody"}, "operator")])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(session, params, field):
    isp = make_isp(session)
    fn(session, "expense_category.edit", sok="ok", name="Rent")
    before = (session.scalar(sa.select(sa.func.count()).select_from(Expense)), last_tx(session))
    good = {"category": "Rent", "amount": "100", "date": today().isoformat(), "paid_from": "cash"}
    with pytest.raises(FuncError) as err:
        fn(session, "expense.edit", sok="ok", **{**good, **params})
    assert field in err.value.errors, err.value.errors
    assert (session.scalar(sa.select(sa.func.count()).select_from(Expense)),
            last_tx(session)) == before
    assert isp is not None


def test_tomorrow_is_refused_and_today_is_fine(session):
    make_isp(session)
    fn(session, "expense_category.edit", sok="ok", name="Rent")
    with pytest.raises(FuncError) as err:
        fn(session, "expense.edit", sok="ok", category="Rent", amount="1",
           date=(today() + dt.timedelta(days=1)).isoformat())
    assert "after today" in err.value.errors["date"]
    fn(session, "expense.edit", sok="ok", category="Rent", amount="1", date=today().isoformat())


def test_every_bad_field_is_reported_at_once(session):
    make_isp(session)
    with pytest.raises(FuncError) as err:
        fn(session, "expense.edit", sok="ok", category="Nope", amount="-1", paid_from="x")
    assert {"category", "amount", "paid_from"} <= set(err.value.errors)


def test_categories_one_level_deep_and_unique_among_siblings(session):
    make_isp(session)
    fn(session, "expense_category.edit", sok="ok", name="Utilities")
    fn(session, "expense_category.edit", sok="ok", name="Water", parent="Utilities")
    with pytest.raises(FuncError) as err:
        fn(session, "expense_category.edit", sok="ok", name="Hot", parent="Utilities / Water")
    assert "parent" in err.value.errors
    with pytest.raises(FuncError) as err:
        fn(session, "expense_category.edit", sok="ok", name="utilities")
    assert "name" in err.value.errors
    fn(session, "expense_category.edit", sok="ok", name="Water")  # a top-level namesake is fine
    fn(session, "expense.edit", sok="ok", category="Utilities / Water", amount="5")
    with pytest.raises(FuncError) as err:
        fn(session, "expense_category.delete", elid="Utilities")
    assert "subcategories" in err.value.message


@pytest.fixture
def two(session):
    """Two resellers under one ISP, each with an operator login; the ISP's Rent category."""
    w = SimpleNamespace()
    w.isp = make_isp(session)
    fn(session, "expense_category.edit", sok="ok", name="Rent")
    for n in ("a", "b"):
        op = make_operator(session, parent=w.isp.name)
        setattr(w, n, op)
        setattr(w, f"as_{n}", caller_of(session, make_user(session, role="operator",
                                                           operator=op.name)))
    fn(session, "expense_category.edit", w.as_a, sok="ok", name="Tower lease")
    w.spent = fn(session, "expense.edit", w.as_a, sok="ok", category="Tower lease", amount="700",
                 receipt=base64.b64encode(PNG).decode()).elid
    return w


def test_a_reseller_uses_the_isps_categories_and_keeps_its_own_apart(session, two):
    fn(session, "expense.edit", two.as_a, sok="ok", category="Rent", amount="10")
    assert {r["name"] for r in fn(session, "expense_category", two.as_a).rows} == {
        "Rent", "Tower lease"}
    assert {r["name"] for r in fn(session, "expense_category", two.as_b).rows} == {"Rent"}
    assert fn(session, "expense", two.as_b).rows == []
    for call in (lambda: fn(session, "expense.edit", two.as_b, sok="ok", category="Tower lease",
                            amount="5"),
                 lambda: fn(session, "expense.edit", two.as_b, sok="ok", elid=str(two.spent),
                            amount="5"),
                 lambda: fn(session, "expense.edit", two.as_b, elid=str(two.spent)),
                 lambda: fn(session, "expense.delete", two.as_b, elid=str(two.spent)),
                 lambda: fn(session, "expense.receipt", two.as_b, elid=str(two.spent)),
                 lambda: fn(session, "expense_category.edit", two.as_b, sok="ok", name="Mine",
                            parent="Tower lease"),
                 lambda: fn(session, "expense", two.as_b, category="Tower lease")):
        with pytest.raises(NotFound):
            call()
    with pytest.raises(AccessDenied):
        fn(session, "expense.edit", two.as_b, sok="ok", category="Rent", amount="5",
           operator=two.a.name)
    with pytest.raises((AccessDenied, NotFound)):
        fn(session, "expense_category.edit", two.as_b, sok="ok", elid="Tower lease", name="x")
    with pytest.raises(AccessDenied):  # the ISP's category is offered, not theirs to change
        fn(session, "expense_category.edit", two.as_b, sok="ok", elid="Rent", name="Mine")
    with pytest.raises(AccessDenied):
        fn(session, "report.income_expense", two.as_b, operator=two.a.name)
    with pytest.raises(AccessDenied):
        fn(session, "statement", two.as_b, operator=two.a.name, account="cash")
    assert session.get(Expense, two.spent).status == "booked"


def test_the_parent_sees_its_resellers_expenses(session, two):
    rows = fn(session, "expense", operator=two.a.name).rows
    assert [(r["operator"], r["amount"]) for r in rows] == [(two.a.name, "700.00")]
    assert D(ie_rows(session, operator=two.a.name)[f"{today():%Y-%m}"]["expenses"]) == D("700.00")


@pytest.mark.parametrize("role", ["card_distributor", "noc", "manager"])
def test_logins_that_keep_no_books_are_refused(session, two, role):
    who = caller_of(session, make_user(session, role=role, operator=two.a.name))
    for name, params in (("expense", {}), ("expense.edit", {"sok": "ok", "category": "Rent",
                                                            "amount": "5"}),
                         ("expense.delete", {"elid": str(two.spent)}),
                         ("expense.receipt", {"elid": str(two.spent)}),
                         ("expense_category", {}), ("report.income_expense", {}),
                         ("report.yearly", {}), ("report.payable", {}),
                         ("report.reseller_receivable", {})):
        with pytest.raises(AccessDenied):
            fn(session, name, who, **params)
    if role != "manager":  # a manager may print their customers' statements, nobody's books
        with pytest.raises(AccessDenied):
            fn(session, "statement", who, operator=two.a.name)


def test_radbill_job_run_yearly_summary_twice_writes_the_same_rows(cli, engine):
    """The real command, as the scheduler's job runs it (its own transaction and lock)."""
    from radbill import db
    with db.session_scope() as s:
        make_isp(s)
        fn(s, "expense_category.edit", sok="ok", name="Rent")
        fn(s, "expense.edit", sok="ok", category="Rent", amount="250", date="2024-02-29")
        fn(s, "expense.edit", sok="ok", category="Rent", amount="75.25", date="2024-03-01")

    def rows():
        with engine.connect() as conn:
            return conn.execute(sa.text(
                "select month, expenses, cash_out from books_monthly order by month")).all()
    first = cli("job", "run", "yearly_summary", "--date", "2024-03-31", check=True).stdout
    assert "yearly_summary: 2 months (2024-02..2024-03), 2 operator-months" in first
    assert rows() == [(FEB, D("250.00"), D("250.00")), (MAR, D("75.25"), D("75.25"))]
    again = cli("job", "run", "yearly_summary", "--date", "2024-03-31", check=True).stdout
    assert "yearly_summary:" in again
    assert rows() == [(FEB, D("250.00"), D("250.00")), (MAR, D("75.25"), D("75.25"))]

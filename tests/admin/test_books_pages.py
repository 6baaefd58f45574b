"""The books' pages (issue 19): an expense recorded through the form with a receipt, listed,
exported (CSV, .xlsx), reversed; income vs expense with its chart and PDF; the yearly summary;
payable and receivable; a statement's PDF; another reseller's expense out of reach; Bangla;
a 390 px phone in Chromium."""
from __future__ import annotations

import datetime as dt
import io
import re
import shutil

import pytest
import sqlalchemy as sa

from radbill.models.books import Expense
from rating import books
from rating.terms import today
from tests.admin.test_bangla_pages import assert_bangla
from tests.admin.test_browser import browser, live_admin  # noqa: F401  (fixtures)
from tests.support.factories import caller_of, fn

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def books_world(world):
    fn(world.dbs, "expense_category.edit", sok="ok", name="Rent")
    fn(world.dbs, "expense_category.edit", sok="ok", name="Utilities")
    fn(world.dbs, "expense_category.edit", sok="ok", name="Fuel", parent="Utilities")
    world.dbs.commit()
    return world


def record(auth, **fields):
    data = {"category": "Rent", "amount": "1500", "date": today().isoformat(),
            "paid_from": "cash", "note": "", **fields}
    return auth.post("/books/expenses/new", data, content_type="multipart/form-data")


def test_an_expense_through_the_form_with_a_receipt(books_world, auth):
    auth.login("gadmin")
    page = auth.get("/books/expenses/new").get_data(as_text=True)
    assert 'type="file"' in page and "Utilities / Fuel" in page
    resp = record(auth, category="Utilities / Fuel", amount="320.50", note="generator",
                  receipt=(io.BytesIO(PNG), "fuel.png"))
    assert resp.status_code == 303, resp.get_data(as_text=True)
    e = books_world.dbs.scalars(sa.select(Expense)).one()
    assert (str(e.amount), e.receipt_name, e.note) == ("320.50", "fuel.png", "generator")
    listing = auth.get("/books/expenses").get_data(as_text=True)
    assert "Utilities / Fuel" in listing and "320.50" in listing and "fuel.png" in listing
    shown = auth.client.get(f"/books/expenses/{e.id}/receipt")
    assert shown.status_code == 200 and shown.data == PNG
    assert shown.headers["Content-Security-Policy"] == "default-src 'none'"
    csv = auth.get("/export.csv?func=expense").get_data(as_text=True)
    assert "320.50" in csv.splitlines()[1]
    xlsx = auth.client.get("/books/export.xlsx?func=expense")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    import openpyxl
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.data)).active
    rows = list(sheet.values)
    assert rows[0][:4] == ("ID", "Date", "Category", "Amount")
    assert float(rows[1][3]) == 320.50  # a number in the spreadsheet, not text
    back = auth.post(f"/books/expenses/{e.id}/reverse", {"reason": "wrong"})
    assert back.status_code == 303
    books_world.dbs.expire_all()
    assert books_world.dbs.get(Expense, e.id).status == "reversed"


def test_bad_input_comes_back_beside_the_field_and_nothing_is_written(books_world, auth):
    auth.login("gadmin")
    resp = record(auth, amount="-5", date=(today() + dt.timedelta(days=2)).isoformat())
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "must be at least 0.01" in page and "after today" in page
    resp = record(auth, receipt=(io.BytesIO(b"MZ" + b"\x00" * 100), "virus.exe"))
    assert resp.status_code == 400 and "not a PNG, JPEG or PDF" in resp.get_data(as_text=True)
    assert books_world.dbs.scalar(sa.select(sa.func.count()).select_from(Expense)) == 0


def test_another_resellers_expense_is_out_of_reach(books_world, auth):
    a = caller_of(books_world.dbs, books_world.operator_a)
    fn(books_world.dbs, "expense_category.edit", a, sok="ok", name="Tower lease")
    spent = fn(books_world.dbs, "expense.edit", a, sok="ok", category="Tower lease",
               amount="900", receipt=__import__("base64").b64encode(PNG).decode()).elid
    books_world.dbs.commit()
    auth.login("operb")
    assert "Tower lease" not in auth.get("/books/expenses").get_data(as_text=True)
    assert auth.get(f"/books/expenses/{spent}").status_code == 404
    assert auth.client.get(f"/books/expenses/{spent}/receipt").status_code == 404
    assert auth.post(f"/books/expenses/{spent}/reverse", {"reason": "x"}).status_code == 404
    import openpyxl
    sheet = openpyxl.load_workbook(io.BytesIO(auth.client.get(
        "/books/export.xlsx?func=expense").data)).active
    assert len(list(sheet.values)) == 1  # the header only
    books_world.dbs.expire_all()
    assert books_world.dbs.get(Expense, spent).status == "booked"
    auth.login("cards1")
    assert auth.get("/books/expenses").status_code == 403
    auth.login("noc1")
    assert auth.get("/books/income-expense").status_code == 403


def test_the_reports_pages_show_their_figures(books_world, auth):
    fn(books_world.dbs, "expense.edit", sok="ok", category="Rent", amount="1500")
    fn(books_world.dbs, "operator.fund", elid="opA", amount="700")
    books.summarise(books_world.dbs, today())
    books_world.dbs.commit()
    auth.login("gadmin")
    page = auth.get("/books/income-expense").get_data(as_text=True)
    assert "<svg" in page and "1500.00" in page and "Rent" in page
    pdf = auth.client.get("/billmgr?func=report.income_expense.pdf&language=en")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    page = auth.get("/books/yearly").get_data(as_text=True)
    assert "<svg" in page and "1500.00" in page and str(today().year) in page
    page = auth.get("/books/resellers").get_data(as_text=True)
    assert re.search(r"opA</td>\s*<td[^>]*>700.00", page), page
    page = auth.get("/books/statement?operator=opA&account=upstream").get_data(as_text=True)
    assert "Opening balance" in page and "700.00" in page
    got = auth.client.get("/books/statement?operator=opA&pdf=1")
    assert got.status_code == 200 and got.data.startswith(b"%PDF")
    assert got.headers["Content-Type"] == "application/pdf"


@pytest.mark.parametrize("path", ["/books/expenses", "/books/expenses/new",
                                  "/books/income-expense", "/books/yearly", "/books/resellers",
                                  "/books/statement"])
def test_the_books_pages_in_bangla(books_world, auth, path):
    fn(books_world.dbs, "expense.edit", sok="ok", category="Utilities / Fuel", amount="300")
    books.summarise(books_world.dbs, today())
    books_world.dbs.commit()
    auth.login("gadmin")
    page = auth.get(path + "?lang=bn").get_data(as_text=True)
    assert '<html lang="bn">' in page
    # the page's own part (the menu is every page's; tests/admin/test_bangla_pages.py has it)
    main = page[page.index("<main>"):page.index("</main>")]
    assert_bangla(main, path, {"Rent", "Utilities", "Fuel", "isp", "opA", "opB", "subA",
                               "CSV", "PDF", "Excel"})


@pytest.fixture
def phone_books(committed):
    from radbill import db
    from tests.support.factories import make_isp, make_user
    with db.session_scope() as s:
        isp = make_isp(s)
        make_user(s, login="pbooks", role="group_admin", operator=isp.name,
                  password="correct-horse", lang="bn")
        fn(s, "expense_category.edit", sok="ok", name="Utilities")
        fn(s, "expense_category.edit", sok="ok", name="Generator fuel and maintenance",
           parent="Utilities")
        for amount, note in (("12500", "office rent for the Mirpur point of presence"),
                             ("3200.50", "diesel for the generator during the load shedding")):
            fn(s, "expense.edit", sok="ok", category="Utilities / Generator fuel and maintenance",
               amount=amount, note=note)
        books.summarise(s, today())


@pytest.mark.browser
@pytest.mark.skipif(not shutil.which("chromedriver"), reason="no chromedriver")
def test_the_expenses_page_fits_a_390_px_phone_in_bangla(phone_books, live_admin,  # noqa: F811
                                                         browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    from tests.support.phone_pages import shoot_at_390
    live, b = live_admin, browser
    shoot_at_390(b, live, "pbooks", "correct-horse", (
        ("expenses", "/books/expenses"), ("expense-form", "/books/expenses/new"),
        ("income-expense", "/books/income-expense"), ("yearly", "/books/yearly")), "issue19")
    b.get(live + "/books/expenses")
    assert "১২,৫০০.০০" in b.find_element(By.ID, "expense-list").text

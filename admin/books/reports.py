"""/books/income-expense, /books/yearly, /books/resellers, /books/statement: each a form, a
chart where it helps, the table, and its CSV / Excel / PDF."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import urlencode

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_login import login_required

from admin import svg
from admin.api import respond
from admin.books import bp
from admin.books.charts import month_bars
from admin.calls import may, run
from admin.l10n import lang
from radbill import l10n
from radbill.functions.registry import FileResult, FuncError


@bp.context_processor
def helpers() -> dict:
    return {"may": may}


def _rows(func: str, params: dict) -> tuple[list[dict] | None, str | None]:
    try:
        return run(func, {**params, "per_page": "1000"}).rows, None
    except FuncError as exc:
        if exc.status in (403, 404) and exc.field is None:
            abort(exc.status, exc.message)
        return None, exc.message


def _month_name(key: str) -> str:
    """2026-02 as the page's language writes a month (Feb 2026, ফেব ২০২৬)."""
    return l10n.date(dt.date.fromisoformat(key + "-01"), lang(), "MMM y")


def _chart_labels(keys: list[str]) -> list[tuple[str, str]]:
    """(Feb, Feb 2026): the month alone under a bar, the year too in its title."""
    return [(l10n.date(dt.date.fromisoformat(k + "-01"), lang(), "MMM"), _month_name(k))
            for k in keys]


def _f(value) -> float:
    return float(Decimal(str(value or 0)))


def _money(v: float) -> str:
    return l10n.number(f"{v:.2f}", lang(), 2)


def _query(func: str, params: dict, **extra) -> str:
    return urlencode({"func": func, **params, **extra})


@bp.route("/income-expense")
@login_required
def income_expense():
    params = {k: request.args[k] for k in ("operator", "from", "to") if request.args.get(k)}
    rows, error = _rows("report.income_expense", params)
    cats, _error = _rows("report.income_expense", {**params, "by": "category"}) \
        if rows is not None else (None, None)
    chart = donut = None
    total = {}
    if rows:
        chart = month_bars(_chart_labels([r["month"] for r in rows]), [
            (_("Income"), [_f(r["income"]) for r in rows]),
            (_("Expenses and other costs"), [_f(r["expenses"]) + _f(r["costs"]) for r in rows])],
            _("Income and expenses per month"), fmt=_money)
        total = {k: sum(Decimal(r[k]) for r in rows) for k in rows[0] if k != "month"}
    if cats:
        donut = svg.donut([(c["category"], _f(c["amount"])) for c in cats],
                          _("Expenses by category"), fmt=_money)
    return render_template("books/income_expense.html", rows=rows or [], cats=cats or [],
                           chart=chart, donut=donut, total=total, params=params, error=error,
                           month_name=_month_name,
                           export=_query("report.income_expense", params),
                           export_cats=_query("report.income_expense", params, by="category"),
                           pdf=_query("report.income_expense.pdf", params, language=lang())), \
        400 if error else 200


@bp.route("/yearly")
@login_required
def yearly():
    params = {k: request.args[k] for k in ("operator", "year") if request.args.get(k)}
    rows, error = _rows("report.yearly", params)
    branches, _error = _rows("report.yearly", {**params, "by": "operator"}) \
        if rows is not None else (None, None)
    chart = None
    months = [r for r in rows or [] if "-" in r["month"]]
    if any(_f(r[k]) for r in months for k in ("cash_in", "cash_out", "income", "expenses")):
        chart = month_bars(_chart_labels([r["month"] for r in months]), [
            (_("Cash in"), [_f(r["cash_in"]) for r in months]),
            (_("Cash out"), [_f(r["cash_out"]) for r in months]),
            (_("Income"), [_f(r["income"]) for r in months]),
            (_("Expenses"), [_f(r["expenses"]) for r in months])],
            _("The year per month"), fmt=_money)
    return render_template("books/yearly.html", months=months,
                           year_row=(rows or [None])[-1] if rows else None,
                           branches=branches or [], chart=chart, params=params, error=error,
                           month_name=_month_name,
                           month_keys=[f"m{i:02d}" for i in range(1, 13)],
                           export=_query("report.yearly", params),
                           export_branches=_query("report.yearly", params, by="operator")), \
        400 if error else 200


@bp.route("/resellers")
@login_required
def resellers():
    params = {k: request.args[k] for k in ("operator",) if request.args.get(k)}
    payable, error = _rows("report.payable", params)
    owed, error2 = _rows("report.reseller_receivable", params)
    return render_template(
        "books/resellers.html", payable=payable or [], owed=owed or [], params=params,
        error=error or error2,
        payable_total=sum((Decimal(r["balance"]) for r in payable or []), Decimal("0.00")),
        owed_total=sum((Decimal(r["owed"]) for r in owed or []), Decimal("0.00")),
        export_payable=_query("report.payable", params),
        export_owed=_query("report.reseller_receivable", params)), \
        400 if (error or error2) else 200


STATEMENT = ("customer", "operator", "account", "from", "to", "language")


@bp.route("/statement")
@login_required
def statement():
    params = {k: request.args[k].strip() for k in STATEMENT if request.args.get(k, "").strip()}
    rows = error = None
    if params.get("customer") or params.get("operator"):
        if request.args.get("pdf"):
            return statement_pdf(params)
        shown = {k: v for k, v in params.items() if k != "language"}
        rows, error = _rows("statement", shown)
    return render_template("books/statement.html", params=params, rows=rows, error=error,
                           may_operator=may("report.payable")), 400 if error else 200


def statement_pdf(params: dict):
    try:
        result = run("statement.pdf", {**params, "language": params.get("language") or lang()})
    except FuncError as exc:
        if exc.status in (403, 404) and exc.field is None:
            abort(exc.status, exc.message)
        return render_template("books/statement.html", params=params, rows=None,
                               error=exc.message, may_operator=may("report.payable")), 400
    if not isinstance(result, FileResult):
        abort(404)
    return respond.file(result)

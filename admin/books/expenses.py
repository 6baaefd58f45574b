"""/books/expenses: the list (filters, CSV and .xlsx), the form with a receipt upload, a
receipt, and taking an expense back (a reversal: the row stays)."""
from __future__ import annotations

import base64
import secrets
from decimal import Decimal
from urllib.parse import urlencode

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from admin.api import respond
from admin.books import bp
from admin.calls import may, run, run_or_abort
from radbill.functions.registry import IDEMPOTENCY_KEY, FileResult, FormResult, FuncError
from rating.functions.books import MAX_RECEIPT

FILTERS = ("from", "to", "category", "operator", "status", "q", "page")


def categories() -> list[str]:
    """The categories the caller may book against, by full name ("Utilities / Fuel")."""
    try:
        rows = run("expense_category", {"per_page": "1000", "sort": "name"}).rows
    except FuncError:
        return []
    return sorted(f"{r['parent']} / {r['name']}" if r["parent"] else r["name"] for r in rows)


@bp.route("/expenses")
@login_required
def expenses():
    params = {k: request.args[k] for k in FILTERS if request.args.get(k)}
    error = None
    try:
        result = run("expense", {**params, "per_page": "50"})
    except FuncError as exc:
        if exc.status in (403, 404) and exc.field not in ("category", "operator"):
            abort(exc.status, exc.message)
        result, error = None, exc.message
    query = urlencode({"func": "expense", **{k: v for k, v in params.items() if k != "page"}})
    total = sum((Decimal(r["amount"]) for r in result.rows if r["status"] == "booked"),
                Decimal("0.00")) if result else None
    return render_template("books/expenses.html", result=result, params=params, error=error,
                           categories=categories(), export=query, page_total=total,
                           may_edit=may("expense.edit")), 400 if error else 200


def _form(eid: int | None, values: dict, error: str | None = None,
          errors: dict | None = None, status: int = 200):
    return render_template("books/expense_form.html", eid=eid, v=values, error=error,
                           errors=errors or {}, categories=categories(),
                           once_key=secrets.token_urlsafe(16),
                           max_mb=MAX_RECEIPT // (1024 * 1024)), status


@bp.route("/expenses/new", methods=["GET", "POST"])
@bp.route("/expenses/<int:eid>", methods=["GET", "POST"])
@login_required
def expense_form(eid: int | None = None):
    current = run_or_abort("expense.edit", {"elid": str(eid)} if eid else {})
    if not isinstance(current, FormResult):
        abort(404)
    values = dict(current.values)
    if request.method == "GET":
        return _form(eid, values)
    form = request.form
    params = {k: form.get(k, "") for k in ("category", "amount", "date", "paid_from", "note")}
    values.update(params)
    if eid:
        params["elid"] = str(eid)
    params["sok"] = "ok"
    upload = request.files.get("receipt")
    if upload and upload.filename:
        data = upload.read(MAX_RECEIPT + 1)
        params["receipt"] = base64.b64encode(data).decode()
        params["receipt_name"] = upload.filename
    if form.get(IDEMPOTENCY_KEY):
        params[IDEMPOTENCY_KEY] = form[IDEMPOTENCY_KEY]
    try:
        done = run("expense.edit", params)
    except FuncError as exc:
        if exc.status == 403 and exc.field is None:
            abort(403, exc.message)
        return _form(eid, values, exc.message, exc.errors, 400)
    flash(_("Expense #%(number)s saved.", number=done.elid) if done.elid
          else _("Expense saved."), "ok")
    return redirect(url_for("books.expenses"), code=303)


@bp.route("/expenses/<int:eid>/receipt")
@login_required
def expense_receipt(eid: int):
    result = run_or_abort("expense.receipt", {"elid": str(eid)})
    if not isinstance(result, FileResult):
        abort(404)
    # an image is shown; a PDF is downloaded (a PDF may carry script: never shown inline)
    return respond.file(result, inline=result.content_type.startswith("image/"))


@bp.route("/expenses/<int:eid>/reverse", methods=["POST"])
@login_required
def expense_reverse(eid: int):
    try:
        run("expense.delete", {"elid": str(eid), "reason": request.form.get("reason", "")})
    except FuncError as exc:
        if exc.status in (403, 404):
            abort(exc.status, exc.message)
        flash(exc.message, "error")
    else:
        flash(_("Expense #%(number)s reversed; it stays in the list, marked reversed.",
                number=eid), "ok")
    return redirect(url_for("books.expenses"), code=303)

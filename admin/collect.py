"""Collect on a customer's behalf, phone first: find them (collect.find), see what they owe, take
cash or a card PIN (payment.edit), show the receipt line and the money receipt (payment.receipt,
receipt.pdf), and the collector's day (collect.day). No rule lives here: the functions decide who
may find, pay and see whom."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import (Blueprint, abort, current_app, flash, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _
from flask_login import login_required

from radbill import l10n

from radbill.functions.registry import IDEMPOTENCY_KEY, FileResult, FuncError, OkResult

from admin.api import respond
from admin.calls import may, run

bp = Blueprint("collect", __name__)
METHODS = ("cash", "card")
FIELDS = ("amount", "pin")  # the errors said beside their field; any other is said on top
RENEW_WITHIN = dt.timedelta(days=3)  # a prepaid validity ending this soon is offered for renewal


def allowed() -> None:
    if not may("collect.find"):
        abort(403, "your role does not collect payments")


@bp.route("/collect")
@login_required
def search():
    """The search box, and what it found."""
    allowed()
    q = request.args.get("q", "").strip()
    rows, error = None, None
    if q:
        try:
            rows = run("collect.find", {"q": q}).rows
        except FuncError as exc:
            error = exc.errors.get("q") or exc.message
    return render_template("collect/search.html", q=q, rows=rows, error=error,
                           limit=20, title=_("Collect a payment"), day=my_day() if not q else None)


def my_day(on: str | None = None) -> dict | None:
    """collect.day's rows for the page: each collector's methods and total (None when the
    caller may not call it)."""
    if not may("collect.day"):
        return None
    try:
        rows = run("collect.day", {"day": on} if on else {}).rows
    except FuncError as exc:
        return {"error": exc.errors.get("day") or exc.message, "collectors": []}
    collectors: dict = {}
    for r in rows:
        who = collectors.setdefault(r["collector_id"], {"login": r["collector"], "name": r["name"],
                                                        "methods": [], "total": None})
        if r["method"] == "total":
            who["total"] = r
        else:
            who["methods"].append(r)
    return {"error": None, "collectors": list(collectors.values())}


@bp.route("/collect/day")
@login_required
def day():
    """The collector's day, for another day than today (?day=YYYY-MM-DD)."""
    allowed()
    on = request.args.get("day", "").strip() or None
    return render_template("collect/day.html", day=my_day(on), on=on or "",
                           title=_("My day"))


@bp.route("/collect/receipt/<int:payment_id>")
@login_required
def receipt_page(payment_id: int):
    """The money receipt, to show or print (payment.receipt: only who may see the payment)."""
    r = receipt_row(payment_id)
    return render_template("collect/receipt.html", r=r, title=_("Receipt %(number)s", number=r["number"]))


@bp.route("/collect/receipt/<int:payment_id>.pdf")
@login_required
def receipt_pdf(payment_id: int):
    try:
        result = run("receipt.pdf", {"elid": str(payment_id)})
    except FuncError as exc:
        abort(exc.status if exc.status in (403, 404) else 404, exc.message)
    assert isinstance(result, FileResult)
    return respond.file(result, inline=True)


def receipt_row(payment_id: int) -> dict:
    try:
        return run("payment.receipt", {"elid": str(payment_id)}).rows[0]
    except FuncError as exc:
        abort(exc.status if exc.status in (403, 404) else 404, exc.message)


@bp.route("/collect/<username>", methods=["GET", "POST"])
@login_required
def customer(username: str):
    """One customer: what is due, and the cash and card forms (POSTed back here)."""
    allowed()
    row = find(username)
    if request.method == "GET":
        return page(row)
    method = request.form.get("method", "")
    if method not in METHODS:
        return page(row, method, errors={"method": _("choose cash or a card")}, status=400)
    params = {"customer": str(row["id"]), "method": method, "sok": "ok"}
    params.update({"amount": request.form.get("amount", "")} if method == "cash"
                  else {"pin": request.form.get("pin", "")})
    if request.form.get(IDEMPOTENCY_KEY):
        params[IDEMPOTENCY_KEY] = request.form[IDEMPOTENCY_KEY]
    try:
        result = run("payment.edit", params)
    except FuncError as exc:
        if exc.status in (403, 404) and exc.field not in ("method", "pin"):
            abort(exc.status, exc.message)
        return page(row, method, errors=exc.errors or {"": exc.message},
                    once_key=request.form.get(IDEMPOTENCY_KEY), status=exc.status)
    flash(receipt(row, method, result), "ok")
    if result.elid:
        flash(str(result.elid), "receipt")  # the layout links the money receipt
    return redirect(url_for("collect.customer", username=row["username"]))


def find(username: str) -> dict:
    """The customer whose username this is, as collect.find shows them to the caller."""
    try:
        rows = run("collect.find", {"q": username}).rows
    except FuncError as exc:
        abort(404 if exc.status == 400 else exc.status, exc.message)
    for row in rows:
        if row["username"].lower() == username.lower():
            return row
    abort(404, f"no customer {username!r}")


def page(row: dict, method: str = "cash", errors: dict | None = None, once_key=None,
         status: int = 200):
    to_pay = prefill(row)
    amount = request.form.get("amount", to_pay) if request.method == "POST" else to_pay
    errors = errors or {}
    general = "; ".join(v for k, v in errors.items() if k not in FIELDS)  # not beside a field
    return render_template("collect/customer.html", c=row, to_pay=to_pay, amount=amount,
                           method=method, errors=errors, general=general, once_key=once_key,
                           q=request.args.get("q", ""),
                           title=row["name"] or row["username"]), status


def prefill(row: dict) -> str:
    """What the cash form offers: what is due; for a prepaid customer whose validity has ended or
    ends within RENEW_WITHIN, the next period; else nothing (so the page after a receipt never
    invites the same customer's money a second time)."""
    if Decimal(row["due"]) > 0:
        return row["due"]
    if row["renewal"] and row["expires_at"]:
        ends = dt.datetime.fromisoformat(row["expires_at"])
        if ends < dt.datetime.now(dt.timezone.utc) + RENEW_WITHIN:
            return row["renewal"]
    return ""


def receipt_number(elid) -> str:
    from rating.functions.receipts import number
    return number(int(elid)) if str(elid).isdecimal() else f"#{elid}"


def receipt(row: dict, method: str, result: OkResult) -> str:
    """The receipt line: what was taken from whom, where it went, and its number (in the page's
    language: Bangla digits in Bangla)."""
    from admin.l10n import lang
    here = lang()
    currency = current_app.config["CURRENCY"]
    extra = result.extra or {}
    applied, advance = Decimal(extra.get("applied") or 0), Decimal(extra.get("to_advance") or 0)
    plain = lambda v: f"{v:.2f}" if here == l10n.DEFAULT else l10n.number(v, here, 2)  # noqa: E731
    who = f"{row['name']} ({row['username']})" if row["name"] else row["username"]
    number = receipt_number(result.elid)
    if extra.get("pending"):  # issue 19: above the approval threshold, nothing is booked yet
        return _("Not booked yet: %(amount)s %(currency)s from %(who)s waits for a second staff "
                 "login's approval (request %(number)s).", amount=plain(Decimal(extra["amount"])),
                 currency=currency, who=who, number=extra["pending"])
    if extra.get("replayed"):
        return _("Already recorded: receipt %(number)s for %(who)s. Nothing was taken twice.",
                 number=number, who=who)
    values = {"amount": plain(applied + advance), "currency": currency, "who": who,
              "number": number, "applied": plain(applied), "advance": plain(advance)}
    if method == "cash":
        line = _("Received %(amount)s %(currency)s in cash from %(who)s. "
                 "Receipt %(number)s: %(applied)s to bills", **values)
    else:
        line = _("Received %(amount)s %(currency)s by recharge card from %(who)s. "
                 "Receipt %(number)s: %(applied)s to bills", **values)
    if advance > 0:
        line += _(", %(advance)s went to the advance balance", **values)
    return line + "."

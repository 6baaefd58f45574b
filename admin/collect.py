"""Collect on a customer's behalf, phone first: find them (collect.find), see what they owe, take
cash or a card PIN (payment.edit), show the receipt line. No rule lives here: the functions
decide who may find and pay whom."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required

from radbill.functions.registry import IDEMPOTENCY_KEY, FuncError, OkResult

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
                           limit=20, title="Collect a payment")


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
        return page(row, method, errors={"method": "choose cash or a card"}, status=400)
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


def receipt(row: dict, method: str, result: OkResult) -> str:
    """The receipt line: what was taken from whom, where it went, and its number."""
    currency = current_app.config["CURRENCY"]
    extra = result.extra or {}
    applied, advance = Decimal(extra.get("applied") or 0), Decimal(extra.get("to_advance") or 0)
    who = f"{row['name']} ({row['username']})" if row["name"] else row["username"]
    if extra.get("replayed"):
        return f"Already recorded: receipt #{result.elid} for {who}. Nothing was taken twice."
    taken = "in cash" if method == "cash" else "by recharge card"
    line = f"Received {applied + advance:.2f} {currency} {taken} from {who}. " \
           f"Receipt #{result.elid}: {applied:.2f} to bills"
    if advance > 0:
        line += f", {advance:.2f} went to the advance balance"
    return line + "."

"""The customer page (status, sessions, usage, bills, payments, audit) and the CSV import."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_login import login_required

from customers.functions.customers import ENTITY as CUSTOMERS
from radbill.functions.registry import Call, FuncError, ListResult, load_all

from admin import menus, queries, svg
from admin.calls import may, page_caller, run, run_or_abort
from admin.customers import imports
from admin.dbs import db
from admin.fmt import size
from admin.pages.forms import suggestions

bp = Blueprint("customers", __name__)
STATUS_ACTIONS = ("suspend", "resume", "disable", "enable", "delete", "restore")
# the parameter a money list function filters one customer by, whichever its author chose
CUSTOMER_PARAMS = ("customer", "customer_id", "plid")


def decorate(rows: list[dict]) -> dict:
    """Extra context for the customer list: who of this page is online now."""
    online = queries.online_usernames(db(), [r["username"] for r in rows if r.get("username")])
    return {"online": online}


def related(func: str, cid: int) -> ListResult | None:
    """A customer's rows from another domain's list function, when it exists and the caller may."""
    fn = load_all().get(func)
    if fn is None or not may(func) or not menus.visible(fn, page_caller()):
        return None
    param = next((p.name for p in fn.params if p.name in CUSTOMER_PARAMS), None)
    if param is None:
        return None
    try:
        result = run(func, {param: str(cid), "per_page": "20"})
    except FuncError:
        return None
    return result if isinstance(result, ListResult) else None


def load(cid: int) -> dict:
    """The customer's values as customer.edit shows them, for every role that may list customers
    (a manager or the NOC may look, not edit); invisible ones are 404 by the kernel's own scope."""
    if may("customer.edit"):
        return run_or_abort("customer.edit", {"elid": str(cid)}).values
    if not may("customer"):
        abort(403)
    call = Call(db(), page_caller(), "customer", {})
    try:
        return CUSTOMERS.form(call, CUSTOMERS.find(call, str(cid)))
    except FuncError as exc:
        abort(exc.status, exc.message)


@bp.route("/customers/<int:cid>")
@login_required
def show(cid: int):
    c = load(cid)
    tz = current_app.config["TZ"]
    usage = queries.daily_usage(db(), c["username"], tz)
    days = svg.last_days(dt.datetime.now(tz).date())
    series = {"download": {d: o for d, i, o in usage}, "upload": {d: i for d, i, o in usage}}
    chart = svg.bars(days, series, fmt=size)
    audit = None
    if may("audit"):
        audit = run("audit", {"object_type": "customer", "object_id": str(cid), "per_page": "20"})
    caller = page_caller()
    authlog = None
    if may("authlog"):  # why a customer cannot connect: the last accepts and rejects
        authlog = run("authlog", {"username": c["username"], "per_page": "10"})
    return render_template(
        "customers/show.html", c=c, cid=cid,
        online=queries.sessions(db(), c["username"], open_only=True),
        history=queries.sessions(db(), c["username"]), chart=chart,
        bills=related("bill", cid), payments=related("payment", cid), audit=audit,
        messages=related("message", cid),
        authlog=authlog,
        actions=[a for a in STATUS_ACTIONS if may(f"customer.{a}")
                 and a != ("delete" if c.get("deleted_at") else "restore")],
        can_edit=may("customer.edit") and caller.role != "manager",
        can_pay=may("payment.edit"), can_kick=may("router.kick"),
        packages=suggestions(caller, "package") if may("customer.edit") else [],
        sees_money=caller.sees_money,
        api=f"/billmgr?func=customer.edit&elid={cid}&out=xml" if may("customer.edit") else None)


def refused():
    return render_template("error.html", message="you may not create customers", status=403), 403


@bp.route("/customers/import", methods=["GET"])
@login_required
def import_form():
    if not may("customer.edit"):
        return refused()
    return render_template("customers/import.html", stage="upload")


@bp.route("/customers/import/template.csv")
@login_required
def import_template():
    """A CSV with one column per customer.edit parameter, to fill in and upload."""
    if not may("customer.edit"):
        return refused()
    return Response(",".join(imports.targets()) + "\n", content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="customers.csv"'})


@bp.route("/customers/import", methods=["POST"])
@login_required
def import_run():
    if not may("customer.edit"):
        return refused()
    upload = request.files.get("file")
    text = upload.read().decode("utf-8-sig", "replace") if upload else request.form.get("csv", "")
    try:
        header, rows = imports.read(text)
    except FuncError as exc:
        return render_template("customers/import.html", stage="upload", error=exc.message), 400
    if upload or "mode" not in request.form:
        return render_template("customers/import.html", stage="map", header=header, csv=text,
                               mapping=imports.guess(header), targets=imports.targets(),
                               sample=rows[:5], count=len(rows))
    mapping = {i: request.form.get(f"col{i}") for i in range(len(header))}
    mapping = {i: name for i, name in mapping.items() if name in imports.targets()}
    commit = request.form["mode"] == "commit"
    outcome = imports.apply(text, len(rows), mapping, commit)
    status = 400 if commit and outcome.errors else 200
    return render_template("customers/import.html", stage="done", outcome=outcome, header=header,
                           csv=text, mapping=mapping, targets=imports.targets(), commit=commit,
                           sample=rows[:5], count=len(rows)), status

"""The customer page (status, sessions, usage, bills, payments, audit) and the CSV import."""
from __future__ import annotations

import datetime as dt

from flask import (Blueprint, Response, abort, current_app, redirect, render_template,
                   request, url_for)
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


def custom_labels() -> dict[str, str]:
    """The customer list's cf_<name> columns as their definitions name them."""
    call = Call(db(), page_caller(), "customer", {})
    return CUSTOMERS.custom_labels(call)


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
    from customers import custom_fields as CF
    custom = CF.shown(CF.definitions(db(), c.get("operator_id")), c.get("custom_fields"))
    children = run("customer.children", {"elid": str(cid), "per_page": "100"}) \
        if may("customer.children") else None
    trial = may("customer.convert_trial") and bool(c.get("trial"))
    return render_template(
        "customers/show.html", c=c, cid=cid, custom=custom, children=children, trial=trial,
        online=queries.sessions(db(), c["username"], open_only=True),
        history=queries.sessions(db(), c["username"]), chart=chart,
        bills=related("bill", cid), payments=related("payment", cid), audit=audit,
        imported=related("imported_record", cid),
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
    return render_template("customers/import.html", stage="upload",
                           saved=imports.saved_mappings())


@bp.route("/customers/import/template.csv")
@login_required
def import_template():
    """A CSV with one column per field an import fills, to fill in and upload."""
    if not may("customer.edit"):
        return refused()
    return Response(",".join(imports.targets()) + "\n", content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="customers.csv"'})


@bp.route("/customers/import", methods=["POST"])
@login_required
def import_run():
    """Upload, then map; then a dry run (its report a page at a time) or the import."""
    if not may("customer.edit"):
        return refused()
    upload, form = request.files.get("file"), request.form
    token, text = imports.token_of(form.get("token")), form.get("csv", "")
    try:
        if upload and upload.filename:
            token = imports.save_upload(upload)
        header, rows = imports.load(token) if token else imports.read(text)
    except FuncError as exc:
        return render_template("customers/import.html", stage="upload", error=exc.message,
                               saved=imports.saved_mappings()), 400
    page = dict(header=header, token=token, csv=text if not token else "",
                targets=imports.targets(), sample=rows[:5], count=len(rows),
                saved=imports.saved_mappings(), file_name=form.get("file_name") or
                (upload.filename if upload and upload.filename else ""))
    if "mode" not in form:
        return render_template("customers/import.html", stage="map",
                               mapping=preset(header, form.get("saved_mapping")), **page)
    mapping = imports.mapping_from_form(header)
    commit = form["mode"] == "commit"
    outcome = imports.apply(token or text, mapping, commit, form.get("skip_bad") == "yes",
                            (form.get("save_as") or "").strip(), page["file_name"])
    if outcome.import_id is not None:
        return redirect(url_for("customers.import_progress", import_id=outcome.import_id))
    if token:
        imports.keep_report(token, outcome.errors)
    shown, pages = (outcome.errors[:imports.PER_PAGE],
                    max(1, -(-len(outcome.errors) // imports.PER_PAGE)))
    status = 400 if commit and outcome.errors and not outcome.committed else 200
    return render_template("customers/import.html", stage="done", outcome=outcome,
                           mapping=mapping, commit=commit, shown=shown, page_no=1, pages=pages,
                           **page), status


def preset(header: list[str], saved_name: str | None) -> dict[int, str]:
    """The saved mapping chosen (by column header), else a guess by the columns' names."""
    for m in imports.saved_mappings():
        if saved_name and m["name"] == saved_name:
            pairs = dict(p.split(":", 1) for p in m["mapping"].split(", ") if ":" in p)
            lowered = [h.lower() for h in header]
            return {lowered.index(k.lower()): v for k, v in pairs.items()
                    if k.lower() in lowered}
    return imports.guess(header)


@bp.route("/customers/import/report/<token>")
@login_required
def import_report(token: str):
    """A later page of a dry run's bad rows."""
    if not may("customer.edit") or imports.token_of(token) is None:
        return refused()
    shown, pages = imports.report_page(token, request.args.get("page", 1, type=int))
    return render_template("customers/import.html", stage="report", shown=shown, pages=pages,
                           page_no=request.args.get("page", 1, type=int), token=token)


@bp.route("/customers/import/runs/<int:import_id>")
@login_required
def import_progress(import_id: int):
    """A background import's progress (the page refreshes itself until it ends)."""
    if not may("customer.edit"):
        return refused()
    info = imports.progress(import_id, request.args.get("page", 1, type=int))
    if info is None:
        abort(404)
    return render_template("customers/import.html", stage="progress", **info)

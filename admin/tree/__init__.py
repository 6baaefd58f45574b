"""The reseller tree's pages (issue 19): a customer's transfer to another operator with a
preview (/customers/<id>/transfer), the Acknowledge button of the dashboard's notices
(/notices/<id>/ack; the dashboard lists them, tree/_notices.html shows them), and the public registration of a new operator with a provisioning key
(/register, no login). The notice and provisioning key lists and forms are the generic pages
(/billmgr?func=notice, func=provisioning_key); a new key is shown once on a page of its own
(dispatch.SECRET_TEMPLATES: tree/key_once.html). Every read and change is a function called
as the viewer (or, on /register, as the anonymous visitor)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from admin.calls import client_ip, log_request, may, run
from admin.dbs import db, keep_writes
from admin.l10n import lang
from radbill.functions import registry
from radbill.functions.caller import Caller
from radbill.functions.registry import FormResult, FuncError

bp = Blueprint("tree", __name__)
TRANSFER_FIELDS = ("to", "bills", "package", "billing_profile", "zone")
SIGNUP_FIELDS = ("key", "name", "phone", "email", "address", "contact", "login", "password")


@bp.route("/notices/<int:nid>/ack", methods=["POST"])
@login_required
def ack(nid: int):
    try:
        run("notice.ack", {"elid": str(nid)})
    except FuncError as exc:
        if exc.status in (403, 404):
            abort(exc.status, exc.message)
        flash(exc.message, "error")
        return redirect("/")
    flash(_("Notice acknowledged: it is gone from your dashboard."), "ok")
    return redirect("/")


# -- a customer's transfer ------------------------------------------------------------------
def _names(func: str, params: dict | None = None) -> list[dict]:
    if not may(func):
        return []
    try:
        return run(func, {"per_page": "1000", **(params or {})}).rows
    except FuncError:
        return []


@bp.route("/customers/<int:cid>/transfer", methods=["GET", "POST"])
@login_required
def transfer(cid: int):
    from admin.customers.views import load
    if not may("customer.transfer"):
        abort(403, "your role may not move customers")
    c = load(cid)
    form = request.form if request.method == "POST" else request.args
    asked = {k: form.get(k, "").strip() for k in TRANSFER_FIELDS if form.get(k, "").strip()}
    ctx = {"c": c, "cid": cid, "form": asked, "errors": {}, "preview": None, "error": None}
    status = 200
    if request.method == "POST":
        try:
            done = run("customer.transfer", {"elid": str(cid), "sok": "ok", **asked})
        except FuncError as exc:
            if exc.status in (403, 404) and exc.field != "to":
                abort(exc.status, exc.message)
            ctx.update(errors=exc.errors, error=exc.message)
            status = 400
        else:
            flash(_("%(who)s moved to %(to)s.", who=c["username"], to=done.extra["to"]), "ok")
            return redirect(url_for("customers.show", cid=cid))
    if status == 400 or asked.get("to"):
        ctx["preview"] = _preview(cid, asked, ctx)
    # the form's choices, only for a page that shows them (not after a move)
    ctx.update(operators=[o for o in _names("operator") if o["id"] != c.get("operator_id")],
               packages=[p["name"] for p in _names("package")],
               profiles=[p["name"] for p in _names("billing_profile")])
    return render_template("tree/transfer.html", **ctx), status


def _preview(cid: int, asked: dict, ctx: dict) -> dict | None:
    """customer.transfer without sok: what would move, or the refusal beside its field."""
    try:
        result = run("customer.transfer", {"elid": str(cid), **asked})
    except FuncError as exc:
        ctx["errors"] = {**exc.errors, **ctx["errors"]}
        ctx["error"] = ctx["error"] or exc.message
        return None
    return result.values if isinstance(result, FormResult) else None


# -- the public registration --------------------------------------------------------------
def visitor() -> Caller:
    """The anonymous caller of /register: no operator, its address for the lockout."""
    return Caller(login="register:visitor", role="visitor", operator_path="/-/",
                  ip=client_ip(), lang=lang(), channel="web",
                  may_change=request.method == "POST")


@bp.route("/register", methods=["GET", "POST"])
def register():
    if request.method == "GET":
        return render_template("tree/register.html", form={}, errors={})
    form = {k: request.form.get(k, "") for k in SIGNUP_FIELDS}
    params = {k: v.strip() if k != "password" else v for k, v in form.items()
              if v.strip() or k in ("key", "name", "login", "password")}
    params["lang"] = lang()
    shown = {k: v for k, v in form.items() if k not in ("password", "key")}
    if request.form.get("password2", "") != form["password"]:
        errors = {"password2": _("does not match the password")}
        return render_template("tree/register.html", form=shown, errors=errors,
                               error=_("please correct the fields marked below")), 400
    caller = visitor()
    log_request(caller, "operator_signup", params)
    try:
        result = registry.call(db(), caller, "operator_signup", params)
    except FuncError as exc:
        if exc.keep:
            keep_writes()  # a wrong key is counted
        error = next(iter(exc.errors.values())) if len(exc.errors) == 1 else \
            _("please correct the fields marked below")
        return render_template("tree/register.html", form=shown, errors=exc.errors,
                               error=error), exc.status if exc.status in (403, 409, 429) else 400
    return render_template("tree/register_done.html", done=result.extra)

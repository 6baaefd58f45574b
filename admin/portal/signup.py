"""The portal's self-service pages of issue 14: sign-up (/portal/register, its code, the page
saying what happens next), logging in with a code sent to the mobile (/portal/login/code) and
the customer's profile (/portal/profile). Thin callers of customers/functions/signups.py: the
anonymous visitor acts as `signups.visitor`, a signed-in customer as in views.py."""
from __future__ import annotations

import sqlalchemy as sa
from flask import g, redirect, render_template, request, session, url_for

from admin.calls import log_request
from admin.dbs import db, keep_writes
from admin.portal import access, bp
from admin.portal.views import run
from customers.functions import signups
from radbill import units
from radbill.functions import registry
from radbill.functions.registry import FuncError
from radbill.models import Customer, Package, Zone

KEY = "portal_signup"  # the sign-up this browser is confirming


def as_visitor(func: str, params: dict[str, str]):
    caller = signups.visitor(access.source_ip(), g.get("lang", "en")).via(
        "portal", request.method == "POST")
    log_request(caller, func, params)
    return registry.call(db(), caller, func, params)


def problem(exc: FuncError) -> tuple[str, dict[str, str]]:
    if exc.keep:
        keep_writes()  # a wrong code's try is counted
    if len(exc.errors) == 1:
        return next(iter(exc.errors.values())), exc.errors
    return (exc.message if not exc.errors else "please correct the fields marked below"), exc.errors


def zones() -> list[dict]:
    """Zones whose operator (or an ancestor) sells a package online."""
    out = []
    for z in db().scalars(sa.select(Zone).order_by(Zone.name)):
        if db().scalar(signups.offered(db(), z.operator_id).limit(1)) is not None:
            out.append({"id": z.id, "name": z.name})
    return out


def packages(zone_id: int | None) -> list[Package]:
    zone = db().get(Zone, zone_id) if zone_id else None
    if zone is None:
        return []
    return list(db().scalars(signups.offered(db(), zone.operator_id).order_by(Package.price,
                                                                               Package.name)))


def limits(p: Package) -> dict[str, str]:
    """A limited (hotspot) package's online time and data per cycle, as shown: 5 h, 2 GB."""
    return {k: v for k, v in (("time", units.format_duration(p.time_limit)),
                              ("data", units.format_bytes(p.data_limit))) if v}


@bp.route("/register", methods=["GET", "POST"])
def register():
    form = request.form if request.method == "POST" else request.args
    zone_id = form.get("zone", type=int)
    offered = packages(zone_id)
    context = {"zones": zones(), "zone_id": zone_id, "packages": offered, "form": form,
               "errors": {}, "limits": {p.id: limits(p) for p in offered},
               "speeds": {p.id: units.format_speed(p.rate_down, p.rate_up) for p in offered}}
    if request.method == "GET" or not form.get("package"):
        return render_template("portal/register.html", **context)
    params = {k: form.get(k, "") for k in ("zone", "package", "name", "mobile", "email",
                                           "address", "national_id")}
    params["lang"] = g.get("lang", "en")
    if not params["email"]:
        params.pop("email")
    try:
        result = as_visitor("portal.signup", params)
    except FuncError as exc:
        error, errors = problem(exc)
        return render_template("portal/register.html", error=error, **{**context,
                                                                        "errors": errors}), 400
    session[KEY] = result.elid
    return redirect(url_for("portal.register_verify"))


@bp.route("/register/verify", methods=["GET", "POST"])
def register_verify():
    sid = session.get(KEY)
    if not isinstance(sid, int):
        return redirect(url_for("portal.register"))
    if request.method == "GET":
        return render_template("portal/register_verify.html")
    try:
        result = as_visitor("portal.signup_verify", {"elid": str(sid),
                                                     "code": request.form.get("code", "")})
    except FuncError as exc:
        error, _ = problem(exc)
        return render_template("portal/register_verify.html", error=error), 400
    session.pop(KEY, None)
    session[KEY + "_done"] = bool(result.extra.get("approved"))
    return redirect(url_for("portal.register_done"))


@bp.route("/register/done")
def register_done():
    return render_template("portal/register_done.html", approved=session.get(KEY + "_done"))


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    """Log in with a code sent to my mobile: the number first, then the code."""
    if request.method == "GET":
        return render_template("portal/login_code.html", stage="mobile")
    mobile = request.form.get("mobile", "").strip()
    code = request.form.get("code", "").strip()
    params = {"mobile": mobile}
    if request.form.get("stage") == "code":
        params["code"] = code
    try:
        result = as_visitor("portal.otp_login", params)
    except FuncError as exc:
        error, _ = problem(exc)
        stage = "code" if "code" in params and exc.field == "code" else "mobile"
        access.record(db(), mobile[:64], False, "otp: " + error[:80])
        keep_writes()
        return render_template("portal/login_code.html", stage=stage, mobile=mobile,
                               error=error), 400
    if "code" not in params:
        return render_template("portal/login_code.html", stage="code", mobile=mobile,
                               sent_to=result.extra.get("sent_to"))
    customer = db().get(Customer, result.elid)
    access.record(db(), customer.username, True, "otp")
    access.sign_in(customer)  # the same session the password login makes
    return redirect(url_for("portal.home"))


@bp.route("/profile", methods=["GET", "POST"])
def profile():
    customer = access.signed_in(db())
    if customer is None:
        return redirect(url_for("portal.login"))
    if request.method == "GET":
        values = run(customer, "portal.profile").values
        return render_template("portal/profile.html", me=values, form={}, errors={})
    params = {"sok": "ok"}
    for key in ("email", "address", "mobile", "code"):
        if request.form.get(key, "").strip():
            params[key] = request.form[key].strip()
    try:
        result = run(customer, "portal.profile", params)
    except FuncError as exc:
        error, errors = problem(exc)
        values = run(customer, "portal.profile").values
        return render_template("portal/profile.html", me=values, form=request.form,
                               errors=errors, error=error,
                               pending_mobile=request.form.get("mobile") if exc.field == "code"
                               else None), 400
    if result.extra.get("code_sent_to"):
        return render_template("portal/profile.html", me=result.extra, form=request.form,
                               errors={}, pending_mobile=request.form.get("mobile"),
                               sent_to=result.extra["code_sent_to"])
    from flask import flash
    flash("Saved.", "ok")
    return redirect(url_for("portal.profile"))

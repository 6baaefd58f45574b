"""Login, second factor, enrolment, account and logout pages."""
from __future__ import annotations

import pyotp
from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   session, url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from radbill.functions.auth import caller_for
from radbill.functions.registry import FuncError, OkResult, call
from radbill.models import StaffUser

from admin import labels, security
from admin.auth.user import end_session, finish_login, qr_svg
from admin.calls import client_ip, log_request, run
from admin.dbs import db, keep_writes
from staff.functions.logins import ISSUER

bp = Blueprint("auth", __name__)


def policy() -> security.Policy:
    return security.Policy(current_app.config["LOCKOUT_AFTER"], "web")


def safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_template("auth/login.html", next=request.args.get("next", ""))
    login_name = request.form.get("login", "").strip()
    try:
        user = security.check_login(db(), login_name, request.form.get("password", ""),
                                    client_ip(), policy())
    except security.LoginRefused as exc:
        keep_writes()
        return render_template("auth/login.html", error=str(exc), login=login_name,
                               next=request.form.get("next", "")), 401
    return after_password(user, safe_next(request.form.get("next")))


def after_password(user: StaffUser, next_url: str):
    """The second step: a TOTP code if enrolled, enrolment if the operator demands it, else in."""
    if user.totp_enabled or security.needs_2fa(db(), user):
        session.clear()
        session["pending"] = {"uid": user.id, "next": next_url}
        return redirect(url_for("auth.second_factor" if user.totp_enabled else "auth.enrol"))
    finish_login(user)
    return redirect(next_url)


def pending_user() -> StaffUser | None:
    pending = session.get("pending")
    return db().get(StaffUser, pending["uid"]) if pending else None


@bp.route("/login/2fa", methods=["GET", "POST"])
def second_factor():
    user = pending_user()
    if user is None:
        return redirect(url_for("auth.login"))
    if request.method == "GET":
        return render_template("auth/second_factor.html")
    if not security.locked(user) and \
            security.check_second_factor(db(), user, request.form.get("code", "")):
        next_url = session["pending"]["next"]
        finish_login(user)
        return redirect(next_url)
    # a wrong code counts like a wrong password, so codes cannot be guessed either
    security.failed(db(), user.login, user, client_ip(), policy(), "bad second factor")
    keep_writes()
    return render_template("auth/second_factor.html", error="wrong code"), 401


@bp.route("/login/enrol", methods=["GET", "POST"])
def enrol():
    """Show a QR code and the secret; a correct code from the phone switches two-factor on."""
    user = pending_user()
    if user is not None and user.totp_enabled:
        # enrolling anew would skip the second factor this login still owes
        return redirect(url_for("auth.second_factor"))
    if user is None and current_user.is_authenticated:
        user = db().get(StaffUser, int(current_user.get_id()))
    if user is None:
        return redirect(url_for("auth.login"))
    caller = caller_for(db(), user, client_ip())
    if request.method == "GET" or "enrol_secret" not in session:
        form = call(db(), caller, "me.totp", {})
        session["enrol_secret"] = form.values["secret"]
        return render_template("auth/enrol.html", secret=form.values["secret"],
                               qr=qr_svg(form.values["uri"]), forced=user.id != _current_id())
    params = {"sok": "ok", "secret": session["enrol_secret"], "totp": request.form.get("code", "")}
    log_request(caller, "me.totp", params)
    try:
        result = call(db(), caller, "me.totp", params)
    except FuncError as exc:
        secret = session["enrol_secret"]
        uri = pyotp.TOTP(secret).provisioning_uri(user.login, issuer_name=ISSUER)
        return render_template("auth/enrol.html", secret=secret, qr=qr_svg(uri),
                               error=exc.errors.get("totp", exc.message),
                               forced=user.id != _current_id()), 400
    session.pop("enrol_secret", None)
    next_url = (session.get("pending") or {}).get("next", url_for("auth.account"))
    if session.get("pending"):
        finish_login(user)
    return render_template("auth/recovery.html", codes=result.extra["recovery_codes"],
                           next=next_url)


def _current_id() -> int | None:
    return int(current_user.get_id()) if current_user.is_authenticated else None


@bp.route("/account")
@login_required
def account():
    user = db().get(StaffUser, int(current_user.get_id()))
    alerts = run("me.alerts", {}).values  # the form's values, as shown
    return render_template("auth/account.html", user=user, alerts=alerts,
                           enforced=security.needs_2fa(db(), user))


@bp.route("/account/recovery", methods=["POST"])
@login_required
def recovery():
    try:
        result = run("me.recovery", {})
    except FuncError as exc:
        flash(exc.message, "error")
        return redirect(url_for("auth.account"))
    assert isinstance(result, OkResult)
    return render_template("auth/recovery.html", codes=result.extra["recovery_codes"],
                           next=url_for("auth.account"))


@bp.route("/account/2fa-off", methods=["POST"])
@login_required
def totp_off():
    try:  # the function refuses where the operator requires two-factor
        run("user.totp_reset", {})
    except FuncError as exc:
        abort(exc.status if exc.status in (403, 404) else 400, exc.message)
    flash("Two-factor login is off.", "ok")
    return redirect(url_for("auth.account"))


@bp.route("/account/lang", methods=["POST"])
@login_required
def set_lang():
    """The Language control on /account: my staff_users.lang, through me.lang (any role may
    set its own; user.edit is for resellers' staff)."""
    try:
        run("me.lang", {"sok": "ok", "lang": request.form.get("lang", "")})
    except FuncError as exc:
        flash(exc.errors.get("lang", exc.message), "error")
    return redirect(url_for("auth.account"), code=303)


ALERT_FIELDS = ("mobile", "email", "on_call", "on_call_start", "on_call_end", "on_call_days")


@bp.route("/account/alerts", methods=["POST"])
@login_required
def set_alerts():
    """The Staff alerts form on /account: my contact details and on-call hours, through
    me.alerts (issue 18)."""
    params = {k: request.form.get(k, "") for k in ALERT_FIELDS}
    try:
        run("me.alerts", {"sok": "ok", **params})
        flash(_("Saved."), "ok")
    except FuncError as exc:
        for field, message in (exc.errors or {"": exc.message}).items():
            flash(f"{_(labels.column(field, 'user'))}: {message}" if field else message, "error")
    return redirect(url_for("auth.account") + "#alerts", code=303)


@bp.route("/logout", methods=["POST"])
def logout():
    end_session()  # the session row goes: a copy of the cookie is logged out too
    return redirect(url_for("auth.login"))

"""Logs beyond the generic audit and authlog pages: suspensions and staff login attempts."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request
from flask_login import login_required

from radbill.functions.crud import in_subtree
from radbill.functions.registry import Call, FuncError

from admin.calls import may, page_caller, run
from admin.dbs import db
from radbill.models import StaffUser
from radbill.models.web import LoginAttempt

bp = Blueprint("logs", __name__)
STATUS_FUNCS = ("customer.suspend", "customer.resume", "customer.disable", "customer.enable")


@bp.route("/logs/suspensions")
@login_required
def suspensions():
    """Suspension and reactivation history: the audit log of the status functions, merged."""
    if not may("audit"):
        abort(403)
    rows = []
    for func in STATUS_FUNCS:
        try:
            rows += run("audit", {"q": func, "per_page": "100"}).rows
        except FuncError:
            continue
    rows = [r for r in rows if r["func"] in STATUS_FUNCS or r["func"].startswith("suspension")]
    rows.sort(key=lambda r: r["at"], reverse=True)
    return render_template("logs/suspensions.html", rows=rows[:200])


@bp.route("/logs/logins")
@login_required
def logins():
    """Staff login attempts (web and API) in the caller's subtree, failures first to the eye."""
    if not may("user"):
        abort(403)
    caller = page_caller()
    stmt = sa.select(LoginAttempt).order_by(LoginAttempt.id.desc()).limit(200)
    if caller.operator_path is not None:
        stmt = stmt.where(LoginAttempt.user_id.in_(sa.select(StaffUser.id).where(
            in_subtree(Call(db(), caller, "logins", {}), StaffUser.operator_id))))
    if request.args.get("failed"):
        stmt = stmt.where(LoginAttempt.ok.is_(False))
    return render_template("logs/logins.html", rows=db().scalars(stmt).all())

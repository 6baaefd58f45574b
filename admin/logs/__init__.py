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
FILTERS = ("customer", "to", "reason", "since", "until", "page")


@bp.route("/logs/suspensions")
@login_required
def suspensions():
    """The suspension log (the `suspension` function): every status change, staff's, the
    jobs', a payment's and accounting's, newest first."""
    if not may("suspension"):
        abort(403)
    params = {k: request.args[k] for k in FILTERS if request.args.get(k)}
    try:
        result = run("suspension", {**params, "per_page": "100"})
    except FuncError as exc:
        return render_template("logs/suspensions.html", rows=[], error=exc, params=params,
                               total=0, page=1, pages=1), exc.status
    pages = max(1, -(-(result.total or 0) // result.per_page))
    return render_template("logs/suspensions.html", rows=result.rows, error=None, params=params,
                           total=result.total, page=result.page, pages=pages)


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

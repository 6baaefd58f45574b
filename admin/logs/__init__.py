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
# what changes a customer's status: staff actions, and the rating jobs (suspension, expiry)
STATUS_FUNCS = ("customer.suspend", "customer.resume", "customer.disable", "customer.enable",
                "job.suspension", "job.expiry")


@bp.route("/logs/suspensions")
@login_required
def suspensions():
    """Suspension and reactivation history: every audit record that changed a customer's status
    (staff actions, the scheduler's jobs, a payment that resumed service), newest first."""
    if not may("audit"):
        abort(403)
    rows: dict[int, dict] = {}
    queries = [{"q": func, "per_page": "100"} for func in STATUS_FUNCS]
    queries.append({"object_type": "customer", "per_page": "300"})
    for params in queries:
        try:
            rows.update((r["id"], r) for r in run("audit", params).rows if changes_status(r))
        except FuncError:
            continue
    ordered = sorted(rows.values(), key=lambda r: (r["at"], r["id"]), reverse=True)
    return render_template("logs/suspensions.html", rows=ordered[:200])


def changes_status(row: dict) -> bool:
    return row.get("object_type") == "customer" and "status" in (row.get("after") or {})


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

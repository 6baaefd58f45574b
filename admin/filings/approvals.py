"""/approvals: credits waiting for a second staff login (approval, approval.approve,
approval.reject as the viewer), and the dashboard's block of them."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from admin.calls import may, run
from admin.filings import N_, bp
from radbill.functions.registry import FuncError

TABS = (("pending", N_("Waiting")), ("approved", N_("Approved")), ("rejected", N_("Rejected")))
KINDS = {"payment.edit": N_("Cash payment"), "operator.fund": N_("Reseller funds")}


def pending_block() -> dict | None:
    """The dashboard's block: what waits for the viewer's approval (None: not an approver)."""
    if not may("approval.approve"):
        return None
    try:
        found = run("approval", {"per_page": "5"})
    except FuncError:
        return None
    return {"count": found.total or 0, "rows": found.rows}


@bp.route("/approvals")
@login_required
def approvals():
    """The list of requests by status; approve and reject buttons on waiting ones."""
    if not may("approval"):
        abort(403, "your role may not see approvals")
    status = request.args.get("status", "pending")
    error = None
    try:
        found = run("approval", {"status": status, "per_page": "100"})
        rows, total = found.rows, found.total
    except FuncError as exc:
        if exc.status in (403, 404):
            abort(exc.status, exc.message)
        rows, total, error = [], 0, exc.message
    return render_template("filings/approvals.html", rows=rows, total=total, status=status,
                           tabs=TABS, kinds=KINDS, error=error,
                           may_threshold=may("approval.threshold"),
                           title=N_("Approvals")), 400 if error else 200


def _decide(elid: int, func: str, params: dict, done: str):
    try:
        result = run(func, {"elid": str(elid), **params})
    except FuncError as exc:
        if exc.status in (403, 404):
            abort(exc.status, exc.message)
        flash(exc.message, "error")
        return redirect(url_for("filings.approvals"), code=303)
    flash(_("Request %(id)s was already decided.", id=elid)
          if result.extra.get("already") else done, "ok")
    return redirect(url_for("filings.approvals"), code=303)


@bp.route("/approvals/<int:elid>/approve", methods=["POST"])
@login_required
def approve(elid: int):
    """Book the request (as its requester); a second click books nothing more."""
    return _decide(elid, "approval.approve", {},
                   _("Request %(id)s approved and booked.", id=elid))


@bp.route("/approvals/<int:elid>/reject", methods=["POST"])
@login_required
def reject(elid: int):
    return _decide(elid, "approval.reject", {"reason": request.form.get("reason", "")},
                   _("Request %(id)s rejected.", id=elid))

"""The complaint desk's own staff pages (issue 14): a complaint's page (/complaints/<id>: the
thread with internal comments marked, forms to comment, attach an image, change status,
assignee and priority, book a cost), its images, the report with its chart
(/complaints/report), and the dashboard's overdue block. Every read and change goes through
the complaint* functions as the logged-in staff member."""
from __future__ import annotations

import base64

from flask import (abort, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_login import login_required

from admin import svg
from admin.api import respond
from admin.calls import may, run, run_or_abort
from admin.dashboard import bp
from radbill.functions.registry import FileResult, FormResult, FuncError
from radbill.models.selfcare import COMPLAINT_STATUSES, PRIORITIES


def overdue_block() -> dict | None:
    """The dashboard's block: complaints past due and not resolved (None: the caller has no desk)."""
    if not may("report.overdue_complaints"):
        return None
    try:
        result = run("report.overdue_complaints")
    except FuncError:
        return None
    return {"count": result.total or 0, "rows": result.rows}


def _show(cid: int, error: str | None = None, status: int = 200):
    result = run_or_abort("complaint.edit", {"elid": str(cid)})
    if not isinstance(result, FormResult):
        abort(404)
    return render_template("complaints/show.html", c=result.values, error=error,
                           statuses=COMPLAINT_STATUSES, priorities=PRIORITIES,
                           may_cost=may("complaint.cost"), may_edit=may("complaint.comment")), status


@bp.route("/complaints/<int:cid>")
@login_required
def complaint(cid: int):
    return _show(cid)


def _act(cid: int, func: str, params: dict, done: str):
    try:
        run(func, params)
    except FuncError as exc:
        if exc.status in (403, 404):
            abort(exc.status, exc.message)
        return _show(cid, exc.message, 400)
    flash(done, "ok")
    return redirect(url_for("dashboard.complaint", cid=cid), code=303)


@bp.route("/complaints/<int:cid>/update", methods=["POST"])
@login_required
def complaint_update(cid: int):
    params = {"elid": str(cid), "sok": "ok"}
    for name in ("status", "assignee", "priority"):
        if name in request.form:
            params[name] = request.form[name]
    return _act(cid, "complaint.edit", params, _("Complaint updated."))


@bp.route("/complaints/<int:cid>/comment", methods=["POST"])
@login_required
def complaint_comment(cid: int):
    params = {"complaint": str(cid), "body": request.form.get("body", ""),
              "public": "yes" if request.form.get("public") else "no"}
    return _act(cid, "complaint.comment", params, _("Comment added."))


@bp.route("/complaints/<int:cid>/attach", methods=["POST"])
@login_required
def complaint_attach(cid: int):
    upload = request.files.get("file")
    data = upload.read(2 * 1024 * 1024 + 1) if upload else b""
    params = {"complaint": str(cid), "data": base64.b64encode(data).decode() if data else "",
              "filename": (upload.filename or "") if upload else "",
              "public": "yes" if request.form.get("public") else "no"}
    return _act(cid, "complaint.attach", params, _("Image attached."))


@bp.route("/complaints/<int:cid>/cost", methods=["POST"])
@login_required
def complaint_cost(cid: int):
    params = {"complaint": str(cid), "description": request.form.get("description", ""),
              "amount": request.form.get("amount", "")}
    return _act(cid, "complaint.cost", params, _("Cost booked."))


@bp.route("/complaints/files/<int:aid>")
@login_required
def complaint_file(aid: int):
    result = run_or_abort("complaint.attachment", {"elid": str(aid)})
    if not isinstance(result, FileResult):
        abort(404)
    return respond.file(result, inline=True)


@bp.route("/complaints/report")
@login_required
def complaint_report():
    params = {k: request.args[k] for k in ("from", "to", "by", "group") if request.args.get(k)}
    error = None
    try:
        rows = run("report.complaints", params).rows
    except FuncError as exc:
        if exc.status in (403, 404):
            abort(exc.status, exc.message)
        rows, error = [], exc.message
    chart = None
    if rows:
        label = _("Complaints opened: %(values)s",
                  values=", ".join(f"{r['key']} {r['volume']}" for r in rows))
        chart = svg.hbars([(str(r["key"]), float(r["volume"])) for r in rows], label,
                          width=520, fmt=lambda v: f"{v:,.0f}")
        hours = _("Median hours to resolve: %(values)s", values=", ".join(
            f"{r['key']} {r['resolve_median_hours'] if r['resolve_median_hours'] is not None else '-'}"
            for r in rows))
        chart_hours = svg.hbars([(str(r["key"]), float(r["resolve_median_hours"] or 0))
                                 for r in rows], hours, width=520, colour=svg.PALETTE[3])
    else:
        chart_hours = None
    return render_template("complaints/report.html", rows=rows, chart=chart,
                           chart_hours=chart_hours, params=params, error=error), \
        400 if error else 200

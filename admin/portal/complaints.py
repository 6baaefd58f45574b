"""The customer's complaints in the portal: list, open one, read the public thread, reply, close.
Thin callers of the portal.complaint* functions (care/functions/portal.py) as the customer."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from radbill.functions.registry import FileResult, FuncError

from admin.api import respond
from admin.portal import access, bp
from admin.portal.views import run
from admin.dbs import db


def _customer():
    customer = access.signed_in(db())
    if customer is None:
        abort(redirect(url_for("portal.login")))
    return customer


def _message(exc: FuncError) -> str:
    return exc.errors.get(exc.field or "", exc.message) if exc.errors else exc.message


@bp.route("/complaints")
def complaints():
    customer = _customer()
    return render_template("portal/complaints.html",
                           rows=run(customer, "portal.complaints").values["rows"])


@bp.route("/complaints/new", methods=["GET", "POST"])
def complaint_new():
    customer = _customer()
    categories = run(customer, "portal.complaint_categories").values["rows"]
    form = {k: request.form.get(k, "") for k in ("category", "subject", "message")}
    if request.method == "POST":
        try:
            result = run(customer, "portal.complaint_new", form)
        except FuncError as exc:
            return render_template("portal/complaints_new.html", categories=categories,
                                   form=form, error=_message(exc), field=exc.field), 400
        flash("Your complaint is recorded. We will get back to you.", "ok")
        return redirect(url_for("portal.complaint", complaint_id=result.elid), code=303)
    return render_template("portal/complaints_new.html", categories=categories, form=form)


def _show(customer, complaint_id: int, error: str | None = None, status: int = 200):
    try:
        c = run(customer, "portal.complaint", {"elid": str(complaint_id)}).values
    except FuncError as exc:
        abort(404 if exc.status in (403, 404) else 400)
    return render_template("portal/complaints_show.html", c=c, error=error), status


@bp.route("/complaints/<int:complaint_id>")
def complaint(complaint_id: int):
    return _show(_customer(), complaint_id)


@bp.route("/complaints/<int:complaint_id>/reply", methods=["POST"])
def complaint_reply(complaint_id: int):
    customer = _customer()
    try:
        run(customer, "portal.complaint_reply", {"complaint": str(complaint_id),
                                                 "body": request.form.get("body", "")})
    except FuncError as exc:
        if exc.status == 404:
            abort(404)
        return _show(customer, complaint_id, _message(exc), 400)
    flash("Your reply is sent.", "ok")
    return redirect(url_for("portal.complaint", complaint_id=complaint_id), code=303)


@bp.route("/complaints/<int:complaint_id>/close", methods=["POST"])
def complaint_close(complaint_id: int):
    customer = _customer()
    try:
        run(customer, "portal.complaint_close", {"complaint": str(complaint_id)})
    except FuncError as exc:
        if exc.status == 404:
            abort(404)
        return _show(customer, complaint_id, _message(exc), 400)
    flash("The complaint is closed. Thank you.", "ok")
    return redirect(url_for("portal.complaint", complaint_id=complaint_id), code=303)


@bp.route("/complaints/files/<int:attachment_id>")
def complaint_file(attachment_id: int):
    customer = _customer()
    try:
        result = run(customer, "portal.complaint_attachment", {"elid": str(attachment_id)})
    except FuncError:
        abort(404)
    assert isinstance(result, FileResult)
    return respond.file(result, inline=True)

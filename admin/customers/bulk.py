"""Multi-edit: one change for many customers (customer.bulk, customer.bulk_mac), previewed with
its count and a few customers' change, confirmed, then run as a background task."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import login_required

from customers.functions.bulk import CHANGEABLE, FILTERS

from admin import labels
from admin.calls import may, run
from radbill.functions.registry import FuncError, FormResult, OkResult

bp = Blueprint("bulk", __name__)
MAX_UPLOAD = 5_000_000  # bytes of a pasted or uploaded list


def selection_params(source) -> dict[str, str]:
    """The list's filters, the ticked rows (elid, repeated) and a pasted or uploaded list."""
    out = {k: source.get(k) for k in FILTERS if source.get(k)}
    ticked = [v for v in source.getlist("elid") for v in v.split(",") if v.strip()]
    if ticked:
        out["elid"] = ",".join(ticked)
    upload = request.files.get("file")
    text = upload.read(MAX_UPLOAD).decode("utf-8-sig", "replace") if upload else ""
    text = text or source.get("users") or source.get("lines") or ""
    if text.strip():
        out["users"] = text
    return out


def task_page(result: OkResult) -> str:
    return "/billmgr?" + urlencode({"func": "task", "elid": result.extra["task"]})


def refused():
    return render_template("error.html", message=_("You may not change customers."),
                           status=403), 403


@bp.route("/customers/bulk", methods=["GET", "POST"])
@login_required
def bulk():
    """GET: the choice (what, to which value, for whom); POST: the preview, or with apply the
    task."""
    mac = request.values.get("mode") == "mac"
    func = "customer.bulk_mac" if mac else "customer.bulk"
    if not may(func):
        return refused()
    params = selection_params(request.values)
    if mac and "users" in params:
        params = {"lines": params.pop("users")}
    for k in ("field", "value", "note"):
        if not mac and request.values.get(k):
            params[k] = request.values[k]
    shown = {"mode": "mac" if mac else "", "params": params,
             "fields": [(f, _(labels.column(f, "customer.bulk"))) for f in CHANGEABLE],
             "filters": {k: params[k] for k in FILTERS if k in params},
             "ticked": len(params["elid"].split(",")) if params.get("elid") else 0}
    if request.method == "GET":
        return render_template("customers/bulk.html", stage="choose", **shown)
    if request.form.get("apply"):
        try:
            result = run(func, {**params, "sok": "ok",
                                "confirm": request.form.get("confirm", "")})
        except FuncError as exc:
            if exc.status in (403, 404):
                raise
            return render_template("customers/bulk.html", stage="choose", error=exc.message,
                                   errors=exc.errors, **shown), 400
        flash(_("Started: %(n)s customers are changed in the background (task %(task)s).",
                n=result.extra["customers"], task=result.extra["task"]), "ok")
        return redirect(task_page(result))
    try:
        preview = run(func, params)
    except FuncError as exc:
        if exc.status in (403, 404):
            raise
        return render_template("customers/bulk.html", stage="choose", error=exc.message,
                               errors=exc.errors, **shown), 400
    assert isinstance(preview, FormResult)
    return render_template("customers/bulk.html", stage="preview", pv=preview.values, **shown)

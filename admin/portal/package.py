"""/portal/package: the customer moves to another package offered online (issue 14). The page
lists the offers with prices; picking one shows a preview (upgrade or downgrade, what is billed
now for the rest of the period, when it takes effect) with a confirm button; all through
portal.package, as the customer."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from admin.dbs import db
from admin.portal import access, bp
from admin.portal.views import refused, run
from radbill.functions.registry import FuncError


@bp.route("/package", methods=["GET", "POST"])
def package():
    customer = access.signed_in(db())
    if customer is None:
        return redirect(url_for("portal.login"))
    if request.method == "POST":
        params = {"sok": "ok"}
        if request.form.get("cancel"):
            params["cancel"] = "on"
        else:
            params["package"] = request.form.get("package", "")
        try:
            result = run(customer, "portal.package", params)
        except FuncError as exc:
            return refused("portal/package.html", exc.errors.get(exc.field or "", exc.message),
                           me=run(customer, "portal.package").values)
        flash(MESSAGES.get(result.extra.get("status"), "Done."), "ok")
        return redirect(url_for("portal.package"))
    wanted = request.args.get("package", "")
    try:
        me = run(customer, "portal.package", {"package": wanted} if wanted else {}).values
    except FuncError as exc:
        return refused("portal/package.html", exc.errors.get(exc.field or "", exc.message),
                       me=run(customer, "portal.package").values)
    return render_template("portal/package.html", me=me)


MESSAGES = {"applied": "Your new package is active now.",
            "scheduled": "Your package change is scheduled for the start of your next cycle.",
            "pending": "Your package change is waiting for our approval.",
            "cancelled": "Your package change is cancelled."}

"""A parent account's page (issue 17): the children's dues and bills, paid online or by card
(portal.children and portal.child_*, customers/functions/family.py)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from admin.dbs import db
from admin.portal import access, bp
from admin.portal.views import bill_pdf, paid_message, recharge, run
from radbill.functions.registry import FuncError


def page(customer, error: str | None = None, status: int = 200):
    me = run(customer, "portal.children").values
    html = render_template("portal/family.html", me=me, error=error)
    return (html, status) if status != 200 else html


@bp.route("/family")
def family():
    customer = access.signed_in(db())
    if customer is None:
        return redirect(url_for("portal.login"))
    return page(customer)


@bp.route("/family/pay", methods=["POST"])
def family_pay():
    customer = access.signed_in(db())
    if customer is None:
        return redirect(url_for("portal.login"))
    try:
        result = run(customer, "portal.child_checkout", {
            "child": request.form.get("child", ""), "gateway": request.form.get("gateway", "")})
    except FuncError as exc:
        return page(customer, exc.errors.get(exc.field or "", exc.message), 400)
    return redirect(result.extra["url"], code=303)


@bp.route("/family/recharge", methods=["POST"])
def family_recharge():
    customer = access.signed_in(db())
    if customer is None:
        return redirect(url_for("portal.login"))
    try:
        result = recharge(customer, request.form.get("pin", ""), request.form.get("child", ""))
    except access.Refused as exc:
        return page(customer, str(exc), 400)
    flash(paid_message(result), "ok")
    return redirect(url_for("portal.family"))


@bp.route("/family/bills/<int:bill_id>.pdf")
def family_invoice(bill_id: int):
    return bill_pdf("portal.child_invoice", bill_id)

"""A bill's own page (/bills/<id>): its details, lines, the payments that settled it and its
status, with the PDF (bill.pdf as a download), a printable view and "Take payment" (the payment
form prefilled with the customer and what is due). Data through bill.edit and bill.allocations."""
from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from flask import Blueprint, abort, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from radbill.functions.registry import FormResult, FuncError

from admin.calls import may, run, run_or_abort

bp = Blueprint("bills", __name__)


@bp.app_context_processor
def bill_links() -> dict:
    """`bill_page(id)` for templates listing bills (the customer page): the bill's page when the
    caller may open it (bill.edit's readers; a manager sees the list only), else None."""
    def bill_page(bid) -> str | None:
        try:
            return url_for("bills.show", bid=int(bid)) if may("bill.edit") else None
        except (TypeError, ValueError):
            return None
    return {"bill_page": bill_page}


@bp.route("/bills/<int:bid>")
@login_required
def show(bid: int):
    result = run_or_abort("bill.edit", {"elid": str(bid)})
    if not isinstance(result, FormResult):
        abort(404)
    bill = result.values
    due = Decimal(str(bill.get("total") or 0)) - Decimal(str(bill.get("paid") or 0))
    try:
        payments = run("bill.allocations", {"elid": str(bid)}).rows if may("bill.allocations") \
            else []
    except FuncError:
        payments = []
    take = None
    if due > 0 and may("payment.edit"):
        take = "/billmgr?" + urlencode({"func": "payment.edit", "customer": bill.get("customer"),
                                        "amount": str(due), "method": "cash"})
    return render_template("bills/show.html", bill=bill, bid=bid, due=due, payments=payments,
                           take=take, pdf="/billmgr?" + urlencode({"func": "bill.pdf",
                                                                   "elid": bid}),
                           title=_("Bill #%(number)s", number=bid))


@bp.route("/operators/<int:oid>/logo", methods=["GET", "POST"])
@login_required
def logo(oid: int):
    """The invoice logo of an operator: a file field (PNG or JPEG, at most 200 KB), sent to
    operator.edit as a data: URL, which validates it (the generic form has no file fields)."""
    import base64

    from flask import flash, redirect, request, url_for

    from radbill.functions.registry import IDEMPOTENCY_KEY
    current = run_or_abort("operator.edit", {"elid": str(oid)})
    error = None
    if request.method == "POST":
        upload = request.files.get("logo")
        data = upload.read(200 * 1024 + 1) if upload else b""
        if not data:
            error = _("choose a PNG or JPEG file")
        else:
            kind = (upload.mimetype or "image/png").split(";")[0]
            params = {"elid": str(oid), "sok": "ok",
                      "logo": f"data:{kind};base64," + base64.b64encode(data).decode()}
            if request.form.get(IDEMPOTENCY_KEY):
                params[IDEMPOTENCY_KEY] = request.form[IDEMPOTENCY_KEY]
            try:
                run("operator.edit", params)
            except FuncError as exc:
                error = exc.errors.get("logo") or exc.message
            else:
                flash(_("The invoice logo is saved."), "ok")
                return redirect(url_for("bills.logo", oid=oid))
    import secrets
    return render_template("bills/logo.html", operator=current.values, oid=oid, error=error,
                           once_key=secrets.token_urlsafe(16)), 400 if error else 200

"""A bill's own page (/bills/<id>): its details, lines, the payments that settled it and its
status, with the PDF (bill.pdf as a download), a printable view and "Take payment" (the payment
form prefilled with the customer and what is due). Data through bill.edit and bill.allocations."""
from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from flask import Blueprint, abort, render_template
from flask_login import login_required

from radbill.functions.registry import FormResult, FuncError

from admin.calls import may, run, run_or_abort

bp = Blueprint("bills", __name__)


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
                           title=f"Bill #{bid}")

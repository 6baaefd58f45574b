"""Online payments on the portal: the customer picks a gateway (home page, suspension page or a
payment link), goes to the gateway's page, and comes back to /pay/return/<invoice>; the gateway
may also post its server-to-server notice to /pay/ipn/<invoice>. Both only ask payment.confirm
to check with the gateway: what the callback's query string says is never believed."""
from __future__ import annotations

import json
from urllib.parse import urlsplit

import sqlalchemy as sa

from flask import abort, g, redirect, render_template, request, url_for

from admin.calls import log_request
from admin.dbs import db
from admin.extensions import csrf
from admin.portal import access, bp
from admin.portal.views import refused, run
from customers.functions.portal import customer_at
from radbill.functions import registry
from radbill.functions.caller import Caller
from radbill.functions.registry import FuncError
from radbill.models import Customer, GatewayCheckout, PaymentGateway

OUTCOME = {"completed": ("ok", "Paid. Thank you: your connection comes back within a few seconds."),
           "pending": ("wait", "We are waiting for the gateway to confirm your payment. This page "
                               "will know in a moment; you do not need to pay again."),
           "cancelled": ("error", "The payment was cancelled. Nothing was taken."),
           "failed": ("error", "The payment did not go through. Nothing was taken; you may try "
                               "again."),
           "expired": ("error", "The gateway never confirmed this payment."),
           "review": ("wait", "The gateway's answer did not match this payment; our staff will "
                              "check it. You do not need to pay again."),
           "refunded": ("ok", "This payment was refunded.")}


# and the POSTs that answer such a page again with an error (pay, recharge)
FORM_PAGES = {"portal.home", "portal.suspended", "portal.pay_link", "portal.recharge_page",
              "portal.pay", "portal.family", "portal.family_pay",
              "portal.family_recharge"}  # family: issue 17


@bp.after_request
def gateways_may_receive_forms(response):
    """A page with "Pay with ..." posts to us and is redirected to the gateway's page: the
    browser holds that redirect to the page's form-action, so it names the gateways (any https
    site, and a gateway configured at a plain-http address, such as a sandbox)."""
    if request.endpoint in FORM_PAGES:
        from admin.headers import CSP
        plain = sorted({origin(u) for u in db().scalars(sa.select(PaymentGateway.base_url).where(
            PaymentGateway.enabled, PaymentGateway.base_url.like("http://%")))})
        response.headers["Content-Security-Policy"] = CSP.replace(
            "form-action 'self'", " ".join(["form-action 'self' https:", *plain]))
    return response


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def gateway_caller(kind: str) -> Caller:
    """The system, acting on a gateway's callback (payment.confirm asks the gateway itself)."""
    return Caller(login=f"gateway:{kind}", role="admin", ip=access.source_ip(),
                  channel="gateway")


def start(customer: Customer, source: str, amount: str | None = None):
    params = {"gateway": request.form.get("gateway", ""), "source": source}
    if amount:
        params["amount"] = amount
    result = run(customer, "portal.checkout", params)
    return redirect(result.extra["url"], code=303)


@bp.route("/pay", methods=["POST"])
def pay():
    """Pay online from the home page (signed in) or the suspension page (known by address)."""
    customer = access.signed_in(db())
    page = "portal/home.html"
    if customer is None:
        customer, page = customer_at(db(), access.source_ip()), "portal/suspended.html"
    if customer is None:
        return redirect(url_for("portal.login"))
    try:
        return start(customer, "portal")
    except FuncError as exc:
        return refused(page, exc.errors.get(exc.field or "", str(exc)),
                       me=run(customer, "portal.status").values)


def confirm(invoice: str):
    co = db().query(GatewayCheckout).filter_by(invoice=invoice).first() \
        if invoice.isascii() and invoice.isalnum() and len(invoice) <= 40 else None
    if co is None:
        abort(404)
    kind = db().get(PaymentGateway, co.gateway_id).kind
    params = {"invoice": invoice,
              "data": json.dumps({**request.args.to_dict(), **request.form.to_dict()})}
    caller = gateway_caller(kind)
    log_request(caller, "payment.confirm", {"invoice": invoice})
    return registry.call(db(), caller, "payment.confirm", params)


@bp.route("/pay/return/<invoice>", methods=["GET", "POST"])
@csrf.exempt  # the gateway posts the browser back here; nothing is believed from it
def pay_return(invoice: str):
    result = confirm(invoice)
    status = result.extra["status"]
    kind, message = OUTCOME.get(status, ("error", status))
    return render_template("portal/paid.html", status=status, kind=kind, message=message,
                           invoice=invoice)


@bp.route("/pay/ipn/<invoice>", methods=["POST"])
@csrf.exempt  # server to server
def pay_ipn(invoice: str):
    result = confirm(invoice)
    return {"invoice": invoice, "status": result.extra["status"]}


@bp.route("/pay/l/<token>", methods=["GET", "POST"])
def pay_link(token: str):
    """A payment link: the checkout for one customer, no login needed."""
    from rating.functions.checkout import link_customer
    try:
        customer, lk = link_customer(db(), token)
    except FuncError as exc:
        return render_template("portal/error.html", message=str(exc.errors.get("token"))), 400
    g.link_customer = g.portal_customer = customer
    if request.method == "POST":
        try:
            return start(customer, "link", str(lk.amount) if lk.amount else None)
        except FuncError as exc:
            error = exc.errors.get(exc.field or "", str(exc))
            return render_template("portal/link.html", me=link_view(customer, lk),
                                   error=error), 400
    return render_template("portal/link.html", me=link_view(customer, lk))


def link_view(customer: Customer, lk) -> dict:
    me = run(customer, "portal.status").values
    return {"name": me["name"] or me["username"], "username": me["username"],
            "amount": str(lk.amount) if lk.amount else me["due"], "owes": me["owes"],
            "gateways": me["gateways"], "state": me["state"], "expires_at": lk.expires_at}

"""The portal's routes: thin callers of the portal.* functions as the customer."""
from __future__ import annotations

from flask import (abort, flash, g, make_response, redirect, render_template, request, url_for)

from radbill.functions import registry
from customers.functions.portal import customer_at, customer_caller
from radbill.functions.registry import FileResult, FuncError, OkResult
from radbill.models import Customer

from admin.calls import log_request
from admin.dbs import db, keep_writes
from admin.portal import access, hotspot
from admin.portal import bp

PAID = "Paid. Your connection will come back within a few seconds."


def run(customer: Customer, func: str, params: dict[str, str] | None = None):
    """Call a portal function as the customer, logged as its func request line like staff's."""
    caller = customer_caller(db(), customer, access.source_ip(), g.get("lang", "en")).via(
        "portal", request.method == "POST")  # the portal's POSTs are CSRF-checked
    params = params or {}
    log_request(caller, func, params)
    return registry.call(db(), caller, func, params)


def recharge(customer: Customer, pin: str, child: str | None = None) -> OkResult:
    """Pay with a card for my own account (portal.recharge) or a child's (portal.child_recharge);
    both count wrong PINs themselves. Raises access.Refused."""
    func, params = ("portal.recharge", {"pin": pin}) if child is None else \
        ("portal.child_recharge", {"child": child, "pin": pin})
    try:
        return run(customer, func, params)
    except FuncError as exc:
        if exc.keep:
            keep_writes()  # the wrong PIN's record
        raise access.Refused(exc.errors.get(exc.field or "", exc.message)) from None


def refused(template: str, error: str, **context):
    keep_writes()  # the attempt's record stays, though the answer is an error
    return render_template(template, error=error, **context), 400


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if access.signed_in(db()):
            return redirect(url_for("portal.home"))
        return render_template("portal/login.html")
    username = request.form.get("username", "").strip()
    try:
        customer = access.check_login(db(), username, request.form.get("password", ""))
    except access.Refused as exc:
        return refused("portal/login.html", str(exc), username=username)
    access.sign_in(customer)
    return redirect(url_for("portal.home"))


@bp.route("/lang", methods=["POST"])
def set_lang():
    """The language switch in the portal's header: the signed-in customer's customers.lang
    (portal.lang), else the `lang` cookie; back to the page it was pressed on."""
    from admin.l10n import COOKIE
    from radbill import l10n
    wanted = request.form.get("lang", "")
    back = request.form.get("next", "")
    if not (back.startswith("/portal/") or back == "/portal") or "//" in back or "\\" in back:
        back = url_for("portal.home")
    resp = redirect(back, code=303)
    if wanted not in l10n.LANGS:
        return resp
    customer = access.signed_in(db())
    if customer is not None:
        run(customer, "portal.lang", {"lang": wanted})
    resp.set_cookie(COOKIE, wanted, max_age=365 * 86400, samesite="Lax", httponly=True,
                    secure=request.is_secure)
    return resp


@bp.route("/logout", methods=["POST"])
def logout():
    access.sign_out()
    return redirect(url_for("portal.login"))


@bp.route("/")
def home():
    customer = access.signed_in(db())
    if customer is None:
        return redirect(url_for("portal.login"))
    return render_template("portal/home.html", me=run(customer, "portal.status").values)


@bp.route("/recharge", methods=["POST"])
def recharge_page():
    customer = access.signed_in(db())
    if customer is None:
        return redirect(url_for("portal.login"))
    try:
        result = recharge(customer, request.form.get("pin", ""))
    except access.Refused as exc:
        return refused("portal/home.html", str(exc), me=run(customer, "portal.status").values)
    flash(paid_message(result), "ok")
    return redirect(url_for("portal.home"))


def paid_message(result: OkResult) -> str:
    if result.extra.get("replayed"):
        return "This card was already applied to your account; it counts once."
    return PAID if result.extra.get("resumed") else "Paid. Thank you."


@bp.route("/bills/<int:bill_id>.pdf")
def invoice(bill_id: int):
    return bill_pdf("portal.invoice", bill_id)


def bill_pdf(func: str, bill_id: int):
    """A bill's PDF as the signed-in customer's download (`func`: portal.invoice, or
    portal.child_invoice for a parent's child)."""
    customer = access.signed_in(db())
    if customer is None:
        return redirect(url_for("portal.login"))
    try:
        result = run(customer, func, {"elid": str(bill_id)})
    except FuncError as exc:
        abort(exc.status if exc.status in (403, 404) else 400)
    assert isinstance(result, FileResult)
    resp = make_response(result.data)
    resp.headers["Content-Type"] = result.content_type
    resp.headers["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    return resp


@bp.route("/suspended", methods=["GET", "POST"])
def suspended():
    """The walled garden's redirect target: who is at this address, why, what is due."""
    customer = customer_at(db(), access.source_ip())
    g.portal_customer = customer  # the page speaks their language (admin/l10n.py)
    if customer is None:
        if request.method == "POST":
            return refused("portal/suspended.html", "we could not tell which account this "
                           "connection belongs to; please log in", me=None)
        return render_template("portal/suspended.html", me=None)
    if request.method == "POST":
        try:
            result = recharge(customer, request.form.get("pin", ""))
        except access.Refused as exc:
            return refused("portal/suspended.html", str(exc),
                           me=run(customer, "portal.status").values)
        flash(paid_message(result), "ok")
        return redirect(url_for("portal.suspended"))
    return render_template("portal/suspended.html", me=run(customer, "portal.status").values)


@bp.route("/hotspot/login", methods=["GET", "POST"])
def hotspot_login():
    """MikroTik's external login page; the router's variables arrive as query parameters (and
    come back as hidden fields with a voucher PIN, answered with the voucher's login)."""
    if request.method == "POST":
        return hotspot_voucher(request.form)
    return hotspot_page(request.args)


def hotspot_page(args, status: int = 200, **extra):
    link = args.get("link-login-only", "")
    origin = hotspot.router_origin(link)
    chap_id, challenge = (hotspot.chap_bytes(args.get("chap-id")),
                          hotspot.chap_bytes(args.get("chap-challenge")))
    nonce = hotspot.new_nonce()
    html = render_template(
        "portal/hotspot_login.html", link=link if origin else None, nonce=nonce,
        chap_id=chap_id.hex() if chap_id is not None else "",
        chap_challenge=challenge.hex() if challenge is not None else "",
        dst=args.get("dst", args.get("link-orig", ""))[:2000],
        router_error=args.get("error", "")[:300],
        **{"username": args.get("username", "")[:64], **extra})
    resp = make_response(html, status if origin else 400)
    resp.headers["Content-Security-Policy"] = hotspot.csp(nonce, origin)
    if "password" in extra:  # a voucher's login: never kept by a cache
        resp.headers["Cache-Control"] = "no-store"
    return resp


def hotspot_voucher(form):
    """A voucher PIN (portal.voucher as the visitor): its login, which the page submits to the
    router at once; a refused PIN is counted against the address."""
    from customers.functions.signups import visitor
    if hotspot.router_origin(form.get("link-login-only", "")) is None:
        return hotspot_page(form)  # the page answers 400 without a router; no PIN is tried
    caller = visitor(access.source_ip(), g.get("lang", "en")).via("portal", True)
    params = {"pin": form.get("pin", "")}
    log_request(caller, "portal.voucher", params)
    try:
        result = registry.call(db(), caller, "portal.voucher", params)
    except FuncError as exc:
        if exc.keep:
            keep_writes()  # the wrong PIN's record
        return hotspot_page(form, 429 if exc.status == 429 else 400,
                            voucher_error=exc.errors.get(exc.field or "", exc.message))
    return hotspot_page(form, username=result.extra["username"],
                        password=result.extra["password"], voucher=True)


@bp.errorhandler(404)
def not_found(exc):
    """A customer's 404 in the portal's own layout, not the staff one with its dashboard link."""
    return render_template("portal/error.html", message="There is nothing here."), 404

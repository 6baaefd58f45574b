"""Customer sign-in on the portal: the subscriber's own RADIUS password, attempts recorded and
counted for a lockout, a flask session key of its own, and the client's real address.

Customers never touch the staff machinery (flask-login, StaffUser, page_caller): they live
under session["portal"], and act only as a `customer` Caller (customers.functions.portal).
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import time

import sqlalchemy as sa
from flask import current_app, request, session
from sqlalchemy.orm import Session

from radbill import lockout, settings
from radbill.models import Customer
from radbill.nthash import nt_hash

KEY = "portal"  # the flask session key; staff sessions use flask-login's keys
CHANNEL = "portal"


class Refused(Exception):
    """Why a login or recharge was refused, in words fit to show a customer."""


# -- addresses ---------------------------------------------------------------------------------
def _networks(spec: str) -> list:
    return [ipaddress.ip_network(n.strip(), strict=False) for n in spec.split(",") if n.strip()]


def _in(addr: str, networks: list) -> bool:
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    return any(ip in n for n in networks)


def source_ip() -> str | None:
    """The subscriber's address: X-Forwarded-For is believed only from a trusted proxy, read
    from the right so a client cannot put words in the proxy's mouth."""
    remote = request.remote_addr
    spec = current_app.config.get("PORTAL_TRUSTED_PROXIES", settings.get().portal_trusted_proxies)
    proxies = _networks(spec or "")
    if not remote or not _in(remote, proxies):
        return remote
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _in(hop, proxies):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return remote  # a garbled hop: trust nothing past it
    return remote


# -- attempts and lockout ----------------------------------------------------------------------
def record(db: Session, login: str, ok: bool, reason: str | None = None) -> None:
    lockout.record(db, CHANNEL, login, ok, reason, source_ip())


def locked(db: Session, login: str) -> bool:
    """Whether the login's portal counter is full (radbill.lockout; wrong PINs are counted
    apart, in portal.recharge)."""
    return lockout.blocked(db, "portal", login, current_app.config["LOCKOUT_AFTER"])


def _same(a: str, b: str) -> bool:
    # digests first, so the comparison takes as long whatever the lengths
    return hmac.compare_digest(hashlib.sha256(a.encode()).digest(),
                               hashlib.sha256(b.encode()).digest())


def password_ok(customer: Customer, password: str) -> bool:
    """The RADIUS password in clear text, or for hash-only accounts its NT hash."""
    if customer.password is not None:
        return _same(customer.password, password)
    return customer.nt_hash is not None and _same(customer.nt_hash, nt_hash(password))


def check_login(db: Session, username: str, password: str) -> Customer:
    """The customer whose password this is, else Refused (never saying which half was wrong)."""
    if not username or len(username) > 64:
        raise Refused("wrong username or password")
    if locked(db, username):
        record(db, username, False, "locked")
        raise Refused("too many failed logins; try again later")
    customer = db.scalars(sa.select(Customer).where(
        sa.func.lower(Customer.username) == username.lower(),
        Customer.deleted_at.is_(None))).first()
    if customer is None:
        _same(username, password)  # the same work as a real check
        record(db, username, False, "unknown login")
        raise Refused("wrong username or password")
    if not password_ok(customer, password):
        record(db, username, False, "bad password")
        raise Refused("wrong username or password")
    if customer.status == "disabled":
        record(db, username, False, "disabled")
        raise Refused("this account is disabled; please contact us")
    record(db, customer.username, True)
    return customer


# -- the customer's browser session ------------------------------------------------------------
def credential_mark(customer: Customer) -> str:
    """A keyed digest of the customer's password as it is now: a session signed in with an
    older password stops working the moment it changes (in every worker: the row is the state)."""
    material = f"{customer.id}:{customer.password or ''}:{customer.nt_hash or ''}"
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, material.encode(), hashlib.sha256).hexdigest()[:32]


def sign_in(customer: Customer) -> None:
    # only our key is replaced: a staff login in the same browser is none of our business
    session[KEY] = {"cid": customer.id, "u": customer.username, "seen": time.time(),
                    "pw": credential_mark(customer)}
    session.permanent = True


def sign_out() -> None:
    session.pop(KEY, None)


def signed_in(db: Session) -> Customer | None:
    """The signed-in customer, or None once idle too long, deleted, disabled, renamed or given
    a new password."""
    data = session.get(KEY)
    if not isinstance(data, dict) or not isinstance(data.get("cid"), int):
        return None
    if time.time() - data.get("seen", 0) > current_app.config["IDLE_MINUTES"] * 60:
        sign_out()
        return None
    customer = db.get(Customer, data["cid"])
    if customer is None or customer.deleted_at is not None or customer.status == "disabled" \
            or customer.username != data.get("u") \
            or not hmac.compare_digest(str(data.get("pw", "")), credential_mark(customer)):
        sign_out()
        return None
    data["seen"] = time.time()
    session.modified = True
    return customer

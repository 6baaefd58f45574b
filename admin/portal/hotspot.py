"""The MikroTik hotspot's external login page: the router's variables, checked and decoded.

RouterOS hands its login page `$(chap-id)` and `$(chap-challenge)` as octal escapes meant for a
JavaScript string ("\\347\\022..."); the page turns them into bytes so the browser can answer
the CHAP challenge (MD5 of id + password + challenge) and only the hash leaves it.

A voucher (a recharge card for a hotspot package) is typed on the same page: its form posts the
PIN and the router's variables back to the portal (`portal.voucher`), which answers the page
again with the voucher's login filled in, and the same script logs in to the router at once.
"""
from __future__ import annotations

import ipaddress
import re
import secrets
from urllib.parse import urlsplit

from flask import current_app

from radbill import settings

_OCTAL = re.compile(r"^(?:\\[0-7]{3})+$")
_HEX = re.compile(r"^(?:[0-9a-fA-F]{2})+$")
# RFC 6598 shared space is where many ISPs put hotspot gateways; ipaddress calls it not private
_SHARED = ipaddress.ip_network("100.64.0.0/10")


def chap_bytes(raw: str | None) -> bytes | None:
    """RouterOS' octal escapes, or hex, or the raw characters (as the router's bytes)."""
    raw = (raw or "").strip()
    if not raw or len(raw) > 256:
        return None
    if _OCTAL.match(raw):
        return bytes(int(raw[i + 1:i + 4], 8) for i in range(0, len(raw), 4))
    if _HEX.match(raw):
        return bytes.fromhex(raw)
    try:
        return raw.encode("latin-1")
    except UnicodeEncodeError:
        return None


def router_origin(link: str | None) -> str | None:
    """scheme://host[:port] of link-login-only when it is a hotspot router, else None.

    The page posts the customer's credentials there, so a link to anywhere else (crafted into
    a phishing URL on our own domain) gets no form: only private or shared addresses, or names
    listed in RADBILL_PORTAL_HOTSPOT_HOSTS.
    """
    try:
        parts = urlsplit((link or "").strip())
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        return None
    try:
        ip = ipaddress.ip_address(host)
        ok = ip.version == 4 and (ip.is_private or ip in _SHARED) and not ip.is_loopback
    except ValueError:
        names = current_app.config.get("PORTAL_HOTSPOT_HOSTS",
                                       settings.get().portal_hotspot_hosts) or ""
        ok = host in {n.strip().lower() for n in names.split(",") if n.strip()}
    if not ok:
        return None
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def csp(nonce: str, origin: str | None) -> str:
    """The admin's policy, but this page runs its one inline script and posts to the router
    (and its voucher form back to the portal itself)."""
    return ("default-src 'self'; script-src 'nonce-%s'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; frame-ancestors 'none'; form-action %s"
            % (nonce, f"{origin} 'self'" if origin else "'none'"))


def new_nonce() -> str:
    return secrets.token_urlsafe(16)

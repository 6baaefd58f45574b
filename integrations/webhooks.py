"""Webhooks: what a receiver subscribes to, where we may send, and how a delivery is signed.

Subscriptions are event type names from the catalogue (radbill/events.py), `prefix.*`
patterns (`payment.*`) or `*`; the events trigger (radbill/sql/events.sql) matches them the
same way as `matches` here.

Targets: http or https only, no credentials in the URL, and (unless
RADBILL_WEBHOOK_ALLOW_PRIVATE) never a loopback, private, link-local, shared or reserved
address: a webhook is a request our server makes on a staff member's say-so, so it must not
become a way into the ISP's own network (SSRF). A literal address is refused when the webhook
is saved; a name is checked when it is sent, against every address it resolves to. Redirects
are not followed.

Signature (the scheme Stripe's receivers know): `Radbill-Signature: t=<ts>,v1=<hex>` where
`<hex>` is HMAC-SHA256 keyed by the webhook's secret over `"<ts>.<body>"` (the body's exact
bytes, UTF-8) and `<ts>` the unix time of the attempt, also in `Radbill-Webhook-Timestamp`. A
receiver recomputes it, compares in constant time, refuses a timestamp over 5 minutes from its
clock (a replay), and remembers `Radbill-Webhook-Id` (the envelope's `id`): a delivery is at
least once, so the same id may arrive twice and must be handled once.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets as _secrets
import socket
from urllib.parse import urlsplit

from radbill import events, settings

MAX_URL = 2000
MAX_PATTERNS = 100
SECRET_PREFIX = "whsec_"
REPLAY_WINDOW = 300  # seconds; the receiver's side of the scheme, documented here


class TargetRefused(ValueError):
    """The URL may not be sent to (scheme, credentials, a non-public address)."""


# -- what a webhook subscribes to -------------------------------------------------------------
def parse_events(raw: str) -> list[str]:
    """`payment.received, customer.*, *` -> the list, each a catalogued name or a pattern
    that matches at least one catalogued name."""
    names = list(dict.fromkeys(p.strip() for p in raw.split(",") if p.strip()))
    if not names:
        raise ValueError("name one or more events (payment.received), patterns (payment.*) "
                         "or * for all")
    if len(names) > MAX_PATTERNS:
        raise ValueError(f"at most {MAX_PATTERNS} names")
    for name in names:
        if name == "*" or name in events.CATALOGUE:
            continue
        if name.endswith(".*") and any(matches(name, e) for e in events.CATALOGUE):
            continue
        shown = name if len(name) <= 40 else name[:40] + "..."
        raise ValueError(f"{shown!r} is no event in the catalogue (e.g. payment.received) nor "
                         "a pattern of some (payment.*, *)")
    return names


def matches(pattern: str, event: str) -> bool:
    if pattern == "*" or pattern == event:
        return True
    return pattern.endswith(".*") and event.startswith(pattern[:-1])


def subscribed(patterns: list[str], event: str) -> bool:
    return any(matches(p, event) for p in patterns)


# -- where we may send ------------------------------------------------------------------------
def allow_private() -> bool:
    return bool(settings.get().webhook_allow_private)


def check_url(raw: str) -> str:
    """The URL as given, when it is one we may send to; else ValueError saying why."""
    url = raw.strip()
    if len(url) > MAX_URL:
        raise ValueError(f"must be at most {MAX_URL} characters")
    if any(ord(ch) < 33 or ord(ch) == 127 for ch in url):
        raise ValueError("must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValueError("is not a URL like https://example.com/radbill-hook") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL with a host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not carry a user name or password (the signature "
                         "authenticates us)")
    if port == 0:
        raise ValueError("names no usable port")
    if not allow_private():
        host = parts.hostname.rstrip(".")
        if host == "localhost" or host.endswith(".localhost"):
            raise TargetRefused("must not point at this server (localhost)")
        literal = address_of(host)
        if literal is not None and not public(literal):
            raise TargetRefused(f"must not point at a private, loopback or link-local "
                                f"address ({literal})")
    return url


def address_of(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host written as one stands for, in any spelling the resolver takes
    (`127.1`, `2130706433`, `0x7f.0.0.1` all reach 127.0.0.1); None for a name."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def public(address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def check_resolved(host: str, port: int) -> None:
    """Refuse a host any of whose addresses is not public (when sending)."""
    if allow_private():
        return
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise OSError(f"cannot resolve {host}: {exc.strerror}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not public(address):
            raise TargetRefused(f"{host} resolves to {address}, which is not a public address")


# -- signing ----------------------------------------------------------------------------------
def new_secret() -> str:
    return SECRET_PREFIX + _secrets.token_urlsafe(32)


def seal(secret: str) -> str:
    """The secret as the database keeps it: Fernet-encrypted like gateway credentials."""
    from rating.gateways import secrets
    return secrets.encrypt({"secret": secret}).decode()


def unseal(stored: str) -> str:
    from rating.gateways import secrets
    try:
        return secrets.decrypt(stored.encode())["secret"]
    except (ValueError, KeyError):
        raise ValueError("the webhook's secret cannot be read with this installation's key "
                         "(RADBILL_CREDENTIALS_KEY changed?): set another secret") from None


def signature(secret: str, timestamp: int, body: str) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body.encode(), hashlib.sha256)
    return mac.hexdigest()


def headers(secret: str, envelope_id: str, timestamp: int, body: str) -> dict[str, str]:
    return {"Content-Type": "application/json",
            "User-Agent": "radbill-webhooks/1",
            "Radbill-Webhook-Id": envelope_id,
            "Radbill-Webhook-Timestamp": str(timestamp),
            "Radbill-Signature": f"t={timestamp},v1={signature(secret, timestamp, body)}"}

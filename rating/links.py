"""Payment links: a short signed token that opens the checkout for one customer without a login.

    token = make(customer_id, amount_or_None, expires_at)     # 30 URL-safe characters
    link = read(token)                                       # or LinkError: tampered / expired

The token is 12 bytes of facts (customer id, amount in poisha with 0 for "what is due then",
expiry in minutes since the epoch) and 10 bytes of HMAC-SHA256 under a key derived for this
purpose alone (radbill.keys), base64url without padding. Nothing is stored: a link is as good as
its signature and its expiry; changing any character makes it another, unsigned, token.
"""
from __future__ import annotations

import base64
import datetime as dt
import hmac
import hashlib
import struct
from dataclasses import dataclass
from decimal import Decimal

from radbill import keys

FACTS = struct.Struct(">III")
MAC_LEN = 10


class LinkError(Exception):
    """Why a link cannot be used, in words for the customer."""


@dataclass(frozen=True)
class Link:
    customer_id: int
    amount: Decimal | None  # None: what is due when it is opened
    expires_at: dt.datetime


def _mac(facts: bytes) -> bytes:
    return hmac.new(keys.derived("payment-link"), facts, hashlib.sha256).digest()[:MAC_LEN]


def make(customer_id: int, amount: Decimal | None, expires_at: dt.datetime) -> str:
    cents = int((amount or Decimal(0)) * 100)
    if not 0 <= cents < 2 ** 32:
        raise ValueError("amount out of range")
    facts = FACTS.pack(customer_id, cents, int(expires_at.timestamp() // 60))
    return base64.urlsafe_b64encode(facts + _mac(facts)).rstrip(b"=").decode()


def read(token: str, now: dt.datetime | None = None) -> Link:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, TypeError):
        raw = b""
    # one spelling per token: base64's spare low bits must be zero (else two tokens would read
    # as one, and a "changed" link would still open)
    if len(raw) != FACTS.size + MAC_LEN or not token.isascii() \
            or base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != token:
        raise LinkError("This payment link is not valid. Please ask for a new one.")
    facts, mac = raw[:FACTS.size], raw[FACTS.size:]
    if not hmac.compare_digest(mac, _mac(facts)):
        raise LinkError("This payment link is not valid. Please ask for a new one.")
    customer_id, cents, minutes = FACTS.unpack(facts)
    expires = dt.datetime.fromtimestamp(minutes * 60, dt.timezone.utc)
    if expires <= (now or dt.datetime.now(dt.timezone.utc)):
        raise LinkError("This payment link has expired. Please ask for a new one.")
    return Link(customer_id, (Decimal(cents) / 100).quantize(Decimal("0.01")) if cents else None,
                expires)

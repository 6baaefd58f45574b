"""The NOC wall's links: a signed token naming a staff login and an expiry (HMAC-SHA256 with a
key derived for this purpose alone). The wall page acts as that login, read-only, and checks
the login is still enabled on every refresh, so disabling it ends the link."""
from __future__ import annotations

import datetime as dt
import hashlib
import time

from itsdangerous import BadSignature, URLSafeSerializer

from radbill import keys


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(keys.derived("noc-wall").hex(), salt="radbill.noc.wall")


def make(user_id: int, days: int) -> tuple[str, dt.datetime]:
    expires = int(time.time()) + days * 86400
    token = _signer().dumps({"u": user_id, "e": expires})
    return token, dt.datetime.fromtimestamp(expires, dt.timezone.utc)


def read(token: str) -> int | None:
    """The login's id the token names, or None (forged, malformed or expired)."""
    if len(token) > 500:
        return None
    try:
        data = _signer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) \
            or not isinstance(data.get("e"), int) or data["e"] < time.time():
        return None
    return data["u"]


def fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:16]

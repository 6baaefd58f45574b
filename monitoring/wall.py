"""The NOC wall's links: a signed token naming a staff login, an expiry and the login's wall
generation (HMAC-SHA256 with a key derived for this purpose alone). The wall page acts as that
login, read-only, and checks on every refresh that the login is still enabled and that the
token's generation is the login's `wall_generation`: noc.wall_revoke moves it on, which ends
every link the login made before (a token from before generations counts as generation 0)."""
from __future__ import annotations

import datetime as dt
import hashlib
import time

from itsdangerous import BadSignature, URLSafeSerializer

from radbill import keys


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(keys.derived("noc-wall").hex(), salt="radbill.noc.wall")


def make(user_id: int, days: int, generation: int = 0) -> tuple[str, dt.datetime]:
    expires = int(time.time()) + days * 86400
    token = _signer().dumps({"u": user_id, "e": expires, "g": generation})
    return token, dt.datetime.fromtimestamp(expires, dt.timezone.utc)


def read(token: str) -> tuple[int, int] | None:
    """The login's id and the generation the token names, or None (forged, malformed or
    expired)."""
    if len(token) > 500:
        return None
    try:
        data = _signer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) \
            or not isinstance(data.get("e"), int) or data["e"] < time.time() \
            or not isinstance(data.get("g", 0), int):
        return None
    return data["u"], data.get("g", 0)


def holder(session, token: str):
    """The staff login a wall token acts as, or None: a bad or expired token, a disabled
    login, or a link revoked since (its generation is not the login's)."""
    from radbill.models import StaffUser
    found = read(token)
    user = session.get(StaffUser, found[0], populate_existing=True) if found is not None else None
    if user is None or user.disabled or found[1] != user.wall_generation:
        return None
    return user


def fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:16]

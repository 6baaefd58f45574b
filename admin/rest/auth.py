"""Who is calling the REST API: an API client by its static bearer token (`<key>.<secret>`) or
by a short-lived OAuth2 access token; every request reads the client's row, so a revoked client
gets 401 at once on every worker.

Secrets are 256-bit random values: like API session ids they are kept as SHA-256 digests
(radbill.functions.auth.digest), which a dump cannot replay and a request checks in
microseconds (a password hash would cost every call tens of milliseconds).
"""
from __future__ import annotations

import datetime as dt
import hmac
import secrets

import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill import lifecycle
from radbill.functions.auth import digest
from radbill.functions.caller import Caller
from radbill.models import ApiClient, ApiToken, Operator

from admin.security import address_in


class Problem(Exception):
    """An RFC 9457 problem: `status`, a short `title`, the `detail`, and for bad input one
    entry per field in `errors` ({"field": ..., "message": ...}); `headers` (Retry-After,
    WWW-Authenticate) go on the response."""

    def __init__(self, status: int, title: str, detail: str = "",
                 errors: list[dict] | None = None, headers: dict[str, str] | None = None):
        super().__init__(detail or title)
        self.status, self.title, self.detail = status, title, detail or title
        self.errors = errors or []
        self.headers = headers or {}


def unauthorized(detail: str) -> Problem:
    return Problem(401, "Unauthorized", detail,
                   headers={"WWW-Authenticate": 'Bearer realm="radbill"'})


def new_secret() -> tuple[str, str]:
    """A client's public key and its secret (shown once)."""
    return "rbk_" + secrets.token_hex(8), secrets.token_urlsafe(32)


def static_token(key: str, secret: str) -> str:
    return f"{key}.{secret}"


def in_networks(client: ApiClient, ip: str | None) -> bool:
    return address_in(ip, client.networks or "")


def verify_secret(client: ApiClient, secret: str) -> bool:
    return hmac.compare_digest(client.secret_hash, digest(secret))


def client_by_key(session: Session, key: str) -> ApiClient | None:
    return session.scalars(sa.select(ApiClient).where(ApiClient.key == key)).first()


def authenticate(session: Session, header: str | None, ip: str | None,
                 lang: str = "en") -> tuple[Caller, ApiClient]:
    """The caller a request acts as, from its Authorization header; Problem 401/403 if none."""
    scheme, _, token = (header or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise unauthorized("send Authorization: Bearer <token>")
    scopes = None
    if "." in token:  # a static token: key.secret
        key, _, secret = token.partition(".")
        client = client_by_key(session, key)
        if client is None or not verify_secret(client, secret):
            raise unauthorized("the token is not valid")
    else:  # an OAuth2 access token
        row = session.get(ApiToken, digest(token))
        now = dt.datetime.now(dt.timezone.utc)
        if row is None or row.expires_at <= now:
            raise unauthorized("the access token is not valid or has expired")
        client = session.get(ApiClient, row.client_id)
        scopes = frozenset(row.scopes)
    if client is None or client.revoked_at is not None:
        raise unauthorized("the client has been revoked")
    if not in_networks(client, ip):
        raise Problem(403, "Forbidden", "this client may not call from this address")
    if (held := lifecycle.operator_blocked(session, client.operator_id)) is not None:
        raise Problem(403, "Forbidden", f"operator {held!r} is suspended; its API clients are "
                      "shut out until it is resumed")
    return caller_of(session, client, ip, lang, scopes), client


def covers(own, scope: str) -> bool:
    """Whether scopes `own` include `scope` (noun:* covers noun:read and noun:write; * all)."""
    noun = scope.partition(":")[0]
    return bool({scope, f"{noun}:*", "*"} & set(own))


def caller_of(session: Session, client: ApiClient, ip: str | None, lang: str = "en",
              scopes: frozenset[str] | None = None) -> Caller:
    """The client as a Caller: its role inside its operator's subtree, limited to its scopes
    (an access token's, which are a subset of the client's)."""
    path = session.scalar(sa.select(Operator.path).where(Operator.id == client.operator_id))
    own = frozenset(client.scopes)
    return Caller(login=f"api:{client.name}", role=client.role, operator_id=client.operator_id,
                  operator_path=path, user_id=None, ip=ip, lang=lang, may_change=True,
                  channel="api", scopes=own if scopes is None
                  else frozenset(s for s in scopes if covers(own, s)),
                  api_client_id=client.id)

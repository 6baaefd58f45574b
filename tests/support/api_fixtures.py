"""REST API clients for tests: an ApiClient row with a fresh secret, its bearer token, and a
revocation. (Until api_client.edit and api_client.revoke exist, the rows are written here;
afterwards these helpers should call them.)"""
from __future__ import annotations

import datetime as dt
import itertools

import sqlalchemy as sa

from admin.rest.auth import new_secret, static_token
from radbill.functions.auth import digest
from radbill.models import ApiClient

_seq = itertools.count(1)


def make_client(session, operator, *, scopes=("*",), role="operator", name=None,
                networks="") -> tuple[ApiClient, str]:
    """A client of `operator` (an Operator row) and its static token `key.secret`."""
    key, secret = new_secret()
    client = ApiClient(name=name or f"client{next(_seq)}", operator_id=operator.id, role=role,
                       scopes=list(scopes), networks=networks, key=key,
                       secret_hash=digest(secret), created_by="test")
    session.add(client)
    session.flush()
    return client, static_token(key, secret)


def revoke(session, client: ApiClient) -> None:
    session.execute(sa.update(ApiClient).where(ApiClient.id == client.id)
                    .values(revoked_at=dt.datetime.now(dt.timezone.utc)))
    session.flush()


def bearer(token: str, **headers) -> dict:
    return {"Authorization": f"Bearer {token}", **headers}

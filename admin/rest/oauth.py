"""POST /api/oauth/token: OAuth2 client credentials (RFC 6749 section 4.4) with Authlib.

A client authenticates with its `client_id` (its key) and `client_secret`, by HTTP Basic or in
the form, and gets a Bearer access token for an hour, with the scopes it asked for (`scope`,
space-separated, each covered by the client's own) or else all of its own. Authlib makes the
token (its random generator) and the answers, errors included (invalid_client 401,
unsupported_grant_type 400, invalid_scope 400); we keep only the token's SHA-256 with its
expiry in `api_tokens`, which admin/rest/auth.py reads on every request, so revoking the client
ends its tokens at once.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import time

from authlib.common.security import generate_token
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from flask import Blueprint, Flask, Response, current_app, g, request

from admin.dbs import db
from admin.extensions import csrf
from admin.rest import auth, limits
from radbill.functions.auth import digest
from radbill.models import ApiToken

EXPIRES_IN = 3600
METHODS = ("client_secret_basic", "client_secret_post")

bp = Blueprint("oauth", __name__, url_prefix="/api/oauth")

class Client(ClientMixin):
    """An ApiClient as Authlib sees it; `row` None stands for an unknown or revoked client,
    whose every secret is wrong (so every failure is the same 401)."""

    def __init__(self, row, ip: str | None):
        self.row, self.ip = row, ip

    def get_client_id(self):
        return self.row.key if self.row is not None else ""

    def check_client_secret(self, client_secret):
        return self.row is not None and auth.verify_secret(self.row, client_secret) \
            and auth.in_networks(self.row, self.ip)

    def check_endpoint_auth_method(self, method, endpoint):
        return endpoint == "token" and method in METHODS

    def check_grant_type(self, grant_type):
        return grant_type == "client_credentials"

    def get_allowed_scope(self, scope):
        own = list(self.row.scopes or [])
        if not scope:
            return " ".join(own)
        asked = scope.split()
        if not all(auth.covers(own, s) for s in asked):
            return None  # Authlib answers invalid_scope
        return " ".join(dict.fromkeys(asked))

    def get_scope(self):
        return " ".join(self.row.scopes or [])


class Grant(ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = list(METHODS)


def query_client(client_id: str) -> Client:
    row = auth.client_by_key(db(), client_id)
    if row is not None and row.revoked_at is not None:
        row = None
    return Client(row, request.remote_addr)


def save_token(token: dict, req) -> None:
    client = req.client.row
    g.api_client = client
    db().add(ApiToken(token_hash=digest(token["access_token"]), client_id=client.id,
                      scopes=(token.get("scope") or "").split(),
                      expires_at=dt.datetime.now(dt.timezone.utc)
                      + dt.timedelta(seconds=token["expires_in"])))


@bp.route("/token", methods=["POST"])
@csrf.exempt
def token():
    g.api_started = time.perf_counter()  # the request log's hook (gate.init_app) writes it
    g.api_client = None
    try:
        limits.limiter(current_app).check_ip(request.remote_addr)
    except auth.Problem as exc:
        return problem(exc)
    return current_app.extensions["radbill_oauth"].create_token_response()


def problem(exc: auth.Problem) -> Response:
    body = {"type": "about:blank", "title": exc.title, "status": exc.status, "detail": exc.detail}
    return Response(json.dumps(body), exc.status, headers=exc.headers,
                    mimetype="application/problem+json")


def init_app(app: Flask) -> None:
    """Register the token endpoint (no login, no CSRF: the client's secret is its credential)."""
    server = AuthorizationServer(app, query_client=query_client, save_token=save_token)
    server.register_token_generator("default", BearerTokenGenerator(
        lambda **kw: generate_token(42), expires_generator=EXPIRES_IN))
    server.register_grant(Grant)
    app.extensions["radbill_oauth"] = server
    # Authlib logs issued tokens at DEBUG: never let them reach a log, whatever the level
    logging.getLogger("authlib").setLevel(logging.INFO)
    app.register_blueprint(bp)

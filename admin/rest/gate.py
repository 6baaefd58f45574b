"""The door of every REST request: `gate(session)` at the start of each /api/v1 view.

Contract (for admin/rest/__init__.py):
- call `gate(session)` first, with the request's session (admin.dbs.db()); it returns the
  Caller to pass to registry.call, or raises auth.Problem (401 bad or revoked token, 403 an
  address outside the client's networks, 429 over a rate limit, with Retry-After) which the
  blueprint's error handler answers as application/problem+json;
- it counts the request against the caller's address before looking at the token (so bad
  tokens are throttled), then against the client;
- it arranges the request-log row itself: `init_app` (called by create_app) registers an
  after_request hook that writes one row (client, address, method, path, status, duration
  since gate began) for every request that passed through `gate` (also the refused ones), by
  requestlog.record; nothing to do in the view. `g.api_client` is the ApiClient (None until
  authenticated).
"""
from __future__ import annotations

import time

from flask import Flask, current_app, g, request
from sqlalchemy.orm import Session

from admin.rest import auth, limits, requestlog
from radbill import l10n
from radbill.functions.caller import Caller


def gate(session: Session) -> Caller:
    """Authenticate the request, apply the rate limits, and log it when it ends."""
    g.api_started = time.perf_counter()
    g.api_client = None
    ip = request.remote_addr
    limiter = limits.limiter(current_app)
    limiter.check_ip(ip)
    caller, client = auth.authenticate(session, request.headers.get("Authorization"), ip,
                                       language())
    g.api_client = client
    limiter.check_client(client)
    return caller


def language() -> str:
    """en or bn: the first of Accept-Language's languages we have (the messages' language)."""
    best = request.accept_languages.best_match(l10n.LANGS)
    return l10n.pick(best)


def init_app(app: Flask) -> None:
    """One limiter and one request-log buffer per app (per worker), and the log's hook."""
    from radbill import settings
    app.config.setdefault("API_RATE_PER_IP", settings.get().api_rate_per_ip)
    app.extensions["radbill_api_limits"] = limits.Limiter(int(app.config["API_RATE_PER_IP"]))
    interval = None if app.config.get("TESTING") else requestlog.FLUSH_SECONDS
    log = requestlog.Buffer(lambda: app.config["SESSION_FACTORY"](), interval)
    app.extensions["radbill_api_log"] = log

    @app.after_request
    def log_request(response):
        started = g.pop("api_started", None)
        if started is not None:
            client = g.get("api_client")
            log.record(client.id if client is not None else None, request.remote_addr,
                       request.method, request.path, response.status_code,
                       round((time.perf_counter() - started) * 1000))
        return response

    if log.interval is None:
        @app.teardown_request
        def write_log(exc):
            # testing: written when the request is over (after its own session committed or
            # rolled back), on the test's connection
            log.flush()

"""Rate limits of the REST API: per client (its `rate_limit` a minute) and per address
(RADBILL_API_RATE_PER_IP a minute, default 1200), answered with 429 and Retry-After.

Token buckets kept in process, per gunicorn worker: a bucket holds a minute's allowance and
refills continuously, so a client may burst up to its limit and then gets one request every
60/limit seconds. Nothing is shared between workers or nodes, so the documented bound is: with N
workers (RADBILL_ADMIN_WORKERS, times the admin nodes) a client gets at most N x its limit a
minute, and an address N x RADBILL_API_RATE_PER_IP. That is the price of not writing a row per
request; a limit is a guard against runaway scripts, not a billing meter.

Every request counts against its address first, before its token is looked at, so requests with
bad tokens are throttled too and guessing is bounded by the per-address limit.
"""
from __future__ import annotations

import math
import threading
import time

from admin.rest.auth import Problem

WINDOW = 60.0  # seconds: limits are per minute
PRUNE_EVERY = 1000  # checks between sweeps of buckets that have refilled


class Buckets:
    """Token buckets by key, thread-safe: `take(key, limit)` is 0 when allowed, else the seconds
    until a request would be."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.lock = threading.Lock()
        self.state: dict[object, tuple[float, float]] = {}  # key: (tokens, at)
        self.checks = 0

    def take(self, key: object, limit: int) -> float:
        rate = limit / WINDOW  # tokens a second
        with self.lock:
            now = self.clock()
            tokens, at = self.state.get(key, (float(limit), now))
            tokens = min(float(limit), tokens + (now - at) * rate)
            self.checks += 1
            if self.checks % PRUNE_EVERY == 0:
                self._prune(now)
            if tokens >= 1.0:
                self.state[key] = (tokens - 1.0, now)
                return 0.0
            self.state[key] = (tokens, now)
            return (1.0 - tokens) / rate

    def _prune(self, now: float) -> None:
        """Forget buckets untouched for a window: they are full again, as a new one would be."""
        for key in [k for k, (_t, at) in self.state.items() if now - at > WINDOW]:
            del self.state[key]


class Limiter:
    """The per-client and per-address limits of one worker."""

    def __init__(self, per_ip: int, clock=time.monotonic):
        self.per_ip = per_ip
        self.buckets = Buckets(clock)

    def check_ip(self, ip: str | None) -> None:
        wait = self.buckets.take(("ip", ip or "-"), self.per_ip)
        if wait:
            raise too_many(wait, f"too many requests from this address (at most {self.per_ip} "
                                 "a minute)")

    def check_client(self, client) -> None:
        wait = self.buckets.take(("client", client.id), client.rate_limit)
        if wait:
            raise too_many(wait, f"this client may make {client.rate_limit} requests a minute")

    def check(self, client, ip: str | None) -> None:
        """Count one request against `ip` and (when known) `client`; Problem 429 if over."""
        self.check_ip(ip)
        if client is not None:
            self.check_client(client)


def too_many(wait: float, detail: str) -> Problem:
    return Problem(429, "Too Many Requests", detail,
                   headers={"Retry-After": str(max(1, math.ceil(wait)))})


def limiter(app) -> Limiter:
    """The app's limiter (one per app and worker process), made by gate.init_app."""
    return app.extensions["radbill_api_limits"]


def check(client, ip: str | None) -> None:
    """The current app's limits for one request (see Limiter.check)."""
    from flask import current_app
    limiter(current_app).check(client, ip)

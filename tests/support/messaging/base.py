"""What every message-gateway emulator shares: a threaded HTTP server on a free port, a log of
the requests we sent, `violations` (requests that break the provider's published API), knobs to
make the next request(s) fail with a given error, and a way to post delivery reports back to our
/hooks/messages/<gateway id>/<token> address.

A module per provider subclasses `Emulator`, sets `routes` ((method, path regex, handler method
name)) and answers the way the provider documents:

    class BulkSmsBdEmulator(Emulator):
        routes = [("GET", r"/api/smsapi", "send"), ("POST", r"/api/smsapi", "send")]
        def send(self, req, seen):
            if self.take_failure(seen): ...

    emu = BulkSmsBdEmulator().start()     # emu.url is the API root to configure
    emu.fail_next("1002", times=1)          # the next request is answered with error 1002
    emu.status_next(503)                    # the next request gets HTTP 503
    ...our code sends...
    emu.sent                                # the messages the emulator accepted (dicts)
    emu.violations == []                    # everything we sent was well-formed
    emu.post_dlr(hook_url, params)          # the provider's delivery report to our webhook
    emu.stop()

Every request is recorded in `seen` (Seen: method, path, headers, args, form, json, body, at);
paths under /_emu/ are the tests' own and not recorded.
"""
from __future__ import annotations

import itertools
from typing import Any

from werkzeug.wrappers import Response

from tests.support.http_emulator import HttpEmulator


class Emulator(HttpEmulator):
    name = "gateway"
    serialize = True

    def __init__(self):
        super().__init__()
        self.sent: list[dict] = []               # messages accepted: provider-specific dicts
        self.failures: list[Any] = []            # what the next requests answer instead (FIFO)
        self._ids = itertools.count(1)

    @property
    def dlr_log(self) -> list[tuple[str, dict, int]]:  # reports we posted: (url, data, status)
        return self.posted

    # -- knobs ------------------------------------------------------------------------------
    def fail_next(self, error: Any, times: int = 1) -> None:
        """Answer the next `times` requests with the provider's error `error` (a code the
        subclass knows how to render)."""
        self.failures.extend([error] * times)

    def status_next(self, status: int, times: int = 1) -> None:
        """Answer the next `times` requests with a bare HTTP `status` (503: the gateway is
        down)."""
        self.failures.extend([("http", status)] * times)

    def take_failure(self) -> Any:
        """The failure the current request must answer with, or None (subclasses call this
        inside their handler, after recording violations)."""
        return self.failures.pop(0) if self.failures else None

    @staticmethod
    def http_failure(failure: Any) -> Response | None:
        if isinstance(failure, tuple) and failure and failure[0] == "http":
            return Response(f"HTTP {failure[1]}", status=failure[1])
        return None

    # -- helpers for subclasses -------------------------------------------------------------
    def next_id(self, prefix: str = "") -> str:
        return f"{prefix}{next(self._ids)}"

    # -- delivery reports -------------------------------------------------------------------
    def post_dlr(self, url: str, data: dict, as_json: bool = False, method: str = "POST") -> int:
        """Deliver a report the way the provider does (form or JSON POST, or GET query)."""
        return self.post_back(url, data, as_json, method)


def is_gsm(text: str) -> bool:
    """True when `text` fits the GSM 03.38 alphabet (with its extension table)."""
    from messaging.segments import count
    return count(text).encoding == "gsm7"

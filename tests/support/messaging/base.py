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
import json
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    args: dict[str, str]
    form: dict[str, str]
    json: Any
    body: bytes
    at: float

    @property
    def params(self) -> dict[str, str]:
        """Query string, form and JSON object fields together (later ones win)."""
        out = dict(self.args)
        out.update(self.form)
        if isinstance(self.json, dict):
            out.update({k: v for k, v in self.json.items()})
        return out


class Emulator:
    name = "gateway"
    routes: list[tuple[str, str, str]] = []   # (method, path regex, handler method name)

    def __init__(self):
        self.seen: list[Seen] = []
        self.violations: list[str] = []
        self.sent: list[dict] = []               # messages accepted: provider-specific dicts
        self.dlr_log: list[tuple[str, dict, int]] = []  # reports we posted: (url, data, status)
        self.failures: list[Any] = []            # what the next requests answer instead (FIFO)
        self.hang_next = 0                        # the next N requests sleep `hang_for` seconds
        self.hang_for = 3.0
        self._ids = itertools.count(1)
        self._server = None
        self._lock = threading.Lock()
        self.url = ""

    # -- the server ------------------------------------------------------------------------
    def start(self) -> "Emulator":
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _wsgi(self, environ, start_response):
        req = Request(environ)
        body = req.get_data(cache=True)
        try:
            payload = json.loads(body) if body and "json" in (req.content_type or "") else None
        except ValueError:
            payload = None
        seen = Seen(req.method, req.path, dict(req.headers), req.args.to_dict(),
                    req.form.to_dict(), payload, body, time.time())
        if not req.path.startswith("/_emu/"):
            with self._lock:
                self.seen.append(seen)
                hang = self.hang_next > 0
                self.hang_next -= 1 if hang else 0
            if hang:
                time.sleep(self.hang_for)
        for method, pattern, handler in self.routes:
            m = re.fullmatch(pattern, req.path)
            if m and req.method in method.split("|"):
                with self._lock:
                    resp = getattr(self, handler)(req, seen, **m.groupdict())
                break
        else:
            resp = Response("not found", status=404)
        return resp(environ, start_response)

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

    @staticmethod
    def json(value, status: int = 200) -> Response:
        return Response(json.dumps(value), status=status, mimetype="application/json")

    @staticmethod
    def text(value: str, status: int = 200) -> Response:
        return Response(value, status=status, mimetype="text/plain")

    def violation(self, text: str) -> None:
        self.violations.append(text)

    def require(self, where: str, values: dict, names: tuple[str, ...]) -> list[str]:
        """Record a violation for each of `names` missing or empty in `values`."""
        missing = [n for n in names if values.get(n) in (None, "")]
        for n in missing:
            self.violation(f"{where}: {n} missing")
        return missing

    def requests_to(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    # -- delivery reports -------------------------------------------------------------------
    def post_dlr(self, url: str, data: dict, as_json: bool = False, method: str = "POST") -> int:
        """Deliver a report the way the provider does (form or JSON POST, or GET query)."""
        import requests
        try:
            if method == "GET":
                r = requests.get(url, params=data, timeout=10)
            elif as_json:
                r = requests.post(url, json=data, timeout=10)
            else:
                r = requests.post(url, data=data, timeout=10)
            status = r.status_code
        except requests.RequestException:
            status = 0
        self.dlr_log.append((url, dict(data), status))
        return status


def is_gsm(text: str) -> bool:
    """True when `text` fits the GSM 03.38 alphabet (with its extension table)."""
    from messaging.segments import count
    return count(text).encoding == "gsm7"

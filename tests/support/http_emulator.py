"""What every emulator of a provider's HTTP API shares (payment gateways in
tests/support/gateways/, message gateways in tests/support/messaging/): a threaded HTTP server
on a free port dispatching `routes` to handler methods, a log of every request we sent (`seen`),
`violations` (requests that break the provider's published API), a knob to hang the next
requests, and a way to post the provider's notices back to our webhooks.

    class SomeEmulator(HttpEmulator):
        routes = [("POST", r"/api/send", "send"), ("GET|POST", r"/api/(?P<x>\\w+)", "other")]
        def send(self, req, seen): ...          # -> a werkzeug Response

Paths under /_emu/ are the tests' own (a hosted payment page) and are not recorded.
"""
from __future__ import annotations

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


class HttpEmulator:
    name = "provider"
    routes: list[tuple[str, str, str]] = []   # (methods "GET|POST", path regex, handler name)
    serialize = False                         # handlers run one at a time (under the lock)

    def __init__(self):
        self.seen: list[Seen] = []
        self.violations: list[str] = []
        self.posted: list[tuple[str, dict, int]] = []  # notices we posted: (url, data, status)
        self.hang_next = 0                     # the next N requests sleep `hang_for` seconds
        self.hang_for = 3.0
        self._server = None
        self._lock = threading.Lock()
        self.url = ""

    # -- the server ------------------------------------------------------------------------
    def start(self):
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

    def all_routes(self) -> list[tuple[str, str, str]]:
        return self.routes

    def not_found(self) -> Response:
        return Response("not found", status=404)

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
        for method, pattern, handler in self.all_routes():
            m = re.fullmatch(pattern, req.path)
            if m and req.method in method.split("|"):
                if self.serialize:
                    with self._lock:
                        resp = getattr(self, handler)(req, seen, **m.groupdict())
                else:
                    resp = getattr(self, handler)(req, seen, **m.groupdict())
                break
        else:
            resp = self.not_found()
        return resp(environ, start_response)

    # -- helpers for subclasses -------------------------------------------------------------
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

    def post_back(self, url: str, data: dict, as_json: bool = False,
                  method: str = "POST") -> int:
        """Post a notice to our webhook the way the provider does (form or JSON POST, or a GET
        query); the status we answered (0: no answer), also kept in `posted`."""
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
        self.posted.append((url, dict(data), status))
        return status

"""A generic HTTP SMS gateway of the kind local providers run (what messaging/drivers/http.py
is configured for): GET or POST /send with api_key, to, msg; answers `reply` ("1701|SMS
SUBMITTED") with HTTP `status`, which a test may change. Violations: a field missing, a wrong
key, a body that is not UTF-8 form encoding."""
from __future__ import annotations

from tests.support.messaging.base import Emulator


class HttpSmsEmulator(Emulator):
    name = "http"
    routes = [("GET|POST", r"/send", "send")]

    def __init__(self, key: str = "s3cr&t+key"):
        super().__init__()
        self.key, self.status, self.reply = key, 200, "1701|SMS SUBMITTED"

    def send(self, req, seen):
        p = seen.params
        if req.method == "POST" and "application/x-www-form-urlencoded" not in \
                seen.headers.get("Content-Type", ""):
            self.violation("send: POST body is not form-encoded")
        self.require("send", p, ("api_key", "to", "msg"))
        if p.get("api_key") != self.key:
            self.violation("send: wrong api_key")
        failure = self.take_failure()
        if failure is not None:
            return self.http_failure(failure) or self.text(str(failure))
        if self.status < 300:
            self.sent.append({"to": p.get("to"), "message": p.get("msg"), "method": req.method})
        return self.text(self.reply, self.status)

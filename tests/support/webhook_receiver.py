"""A webhook receiver as an integrator writes one from HACKING.md's "Webhooks": a real HTTP
server in a thread that checks EVERY request's signature with the documented scheme
(`Radbill-Signature: t=<ts>,v1=<hex HMAC-SHA256(secret, "<ts>.<body>")>`, a 5-minute replay
window) on its own -- nothing of ours is imported -- and records each envelope id, so a
duplicate is seen. Knobs: `fail_next` answers 500 that many times."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WINDOW = 300


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    why: str = ""
    at: float = field(default_factory=time.monotonic)

    @property
    def envelope(self) -> dict:
        return json.loads(self.body)


def verify(secret: str, headers: dict[str, str], body: bytes, now: float | None = None) -> str:
    """'' when the request is authentic and fresh, else why not."""
    parts = dict(p.split("=", 1) for p in headers.get("Radbill-Signature", "").split(",")
                 if "=" in p)
    if "t" not in parts or "v1" not in parts:
        return "no signature"
    try:
        stamp = int(parts["t"])
    except ValueError:
        return "bad timestamp"
    if abs((now or time.time()) - stamp) > WINDOW:
        return "outside the replay window"
    if headers.get("Radbill-Webhook-Timestamp") != parts["t"]:
        return "timestamp headers differ"
    want = hmac.new(secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256)
    if not hmac.compare_digest(want.hexdigest(), parts["v1"]):
        return "bad signature"
    if json.loads(body).get("id") != headers.get("Radbill-Webhook-Id"):
        return "id header differs from the envelope"
    return ""


class Receiver:
    def __init__(self):
        self.secret = ""
        self.fail_next = 0
        self.received: list[Received] = []
        self.seen: dict[str, int] = {}  # envelope id -> how many times (verified ones)
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items()}
                why = verify(receiver.secret, headers, body)
                rec = Received(self.path, headers, body, not why, why)
                with receiver.arrived:
                    receiver.received.append(rec)
                    if not why:
                        eid = headers["Radbill-Webhook-Id"]
                        receiver.seen[eid] = receiver.seen.get(eid, 0) + 1
                    status = 400 if why else 200
                    if not why and receiver.fail_next > 0:
                        receiver.fail_next -= 1
                        status = 500
                    receiver.arrived.notify_all()
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"bad signature" if why else b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def duplicates(self) -> list[str]:
        return [eid for eid, n in self.seen.items() if n > 1]

    def close(self):
        self.server.shutdown()
        self.server.server_close()

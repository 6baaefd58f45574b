"""What every gateway emulator shares: a threaded HTTP server on a free port, a log of what we
sent, a list of protocol violations found in it, a hosted payment page a browser can use, and
knobs for the cases a test needs (hang, tampered amount, duplicate callback).

A module per gateway subclasses `Emulator`, sets `routes` (method, path regex -> handler) for
its published API, and implements `finish(session, outcome)`: what the gateway does when the
customer pays, cancels or fails on its page (mark its record, build the browser's way back to
the merchant's callback, and post any server-to-server notice). Tests then assert
`emu.violations == []` after driving our code: a request missing a field, a bad signature or a
wrong token is recorded there (and answered the way the gateway answers it).

    emu = BkashEmulator().start()        # emu.url is the API root to configure
    ...our code calls emu...
    back = emu.pay(session_ref, "success")   # the customer pays on the hosted page
    back.method, back.url, back.params      # where the browser goes next (GET or POST)
    emu.stop()
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from tests.support.http_emulator import HttpEmulator, Seen

OUTCOMES = ("success", "failure", "cancel")


@dataclass
class Back:
    """Where the gateway sends the browser after its page: GET url?params or a POSTed form."""

    method: str
    url: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def full_url(self) -> str:
        if self.method == "GET" and self.params:
            return self.url + ("&" if "?" in self.url else "?") + urlencode(self.params)
        return self.url


class Emulator(HttpEmulator):
    name = "gateway"

    def __init__(self):
        super().__init__()
        self.sessions: dict[str, dict] = {}    # the gateway's payment records by its id
        self.tamper_amount: Decimal | None = None   # report this amount instead of the real one

    @property
    def ipn_log(self) -> list[tuple[str, dict, int]]:  # notices we posted: (url, params, status)
        return self.posted

    def all_routes(self) -> list[tuple[str, str, str]]:
        return self.routes + [("GET", r"/_emu/page/(?P<ref>[^/]+)", "page"),
                              ("POST", r"/_emu/page/(?P<ref>[^/]+)", "page_submit")]

    def not_found(self) -> Response:
        return self.json({"error": "not found"}, 404)

    # -- helpers for subclasses -------------------------------------------------------------
    def page_url(self, ref: str) -> str:
        return f"{self.url}/_emu/page/{ref}"

    def reported_amount(self, real: Decimal) -> Decimal:
        return self.tamper_amount if self.tamper_amount is not None else real

    # -- the hosted page (what a browser sees) ------------------------------------------------
    def page(self, req: Request, seen: Seen, ref: str) -> Response:
        s = self.sessions.get(ref)
        if s is None:
            return Response("unknown payment", status=404)
        buttons = "".join(
            f'<button type="submit" name="outcome" value="{o}" id="emu-{o}">{o.title()}</button>'
            for o in OUTCOMES)
        return Response(
            f"<!doctype html><meta name=viewport content='width=device-width'>"
            f"<title>{self.name} checkout</title><h1>{self.name}</h1>"
            f"<p>Pay <b id=emu-amount>{html.escape(str(s.get('amount')))}</b></p>"
            f"<form method=post>{buttons}</form>", mimetype="text/html")

    def page_submit(self, req: Request, seen: Seen, ref: str) -> Response:
        back = self.pay(ref, req.form.get("outcome", "success"))
        if back.method == "GET":
            return Response("", status=302, headers={"Location": back.full_url})
        inputs = "".join(f'<input type=hidden name="{html.escape(k)}" value="{html.escape(v)}">'
                         for k, v in back.params.items())
        return Response(f"<!doctype html><form id=back method=post action="
                        f"'{html.escape(back.url)}'>{inputs}</form>"
                        f"<script>document.getElementById('back').submit()</script>",
                        mimetype="text/html")

    def pay(self, ref: str, outcome: str = "success") -> Back:
        """The customer finishes on the gateway's page: returns the browser's way back."""
        if outcome not in OUTCOMES:
            raise ValueError(outcome)
        return self.finish(self.sessions[ref], outcome)

    def finish(self, session: dict, outcome: str) -> Back:
        raise NotImplementedError

    def post_ipn(self, url: str, params: dict, as_json: bool = False) -> int:
        """Deliver a server-to-server notice the way the gateway does (form or JSON POST)."""
        return self.post_back(url, params, as_json)


Handler = Callable[..., Response]

"""Meta's WhatsApp Cloud API, as published
(https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages, webhooks
https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components, error codes
https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes):
POST /<version>/<phone number id>/messages with a Bearer token and a JSON message; answers
{"messaging_product", "contacts": [{"input", "wa_id"}], "messages": [{"id": "wamid..."}]} or
{"error": {"message", "type", "code", "error_data", "fbtrace_id"}}.

Violations: no Bearer token, not JSON, messaging_product not "whatsapp", `to` not digits, a type
other than text/template, an empty or over-4096 text body, a template without name or
language.code, components that are not [{"type": header|body|button|footer, ...}].

Back to us (`post_status`, `post_incoming`, `verify`): notifications signed in
X-Hub-Signature-256 with the app secret (or a wrong one: `bad_signature=True`), and the GET
verification handshake.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import time

from tests.support.messaging.base import Emulator

ERRORS = {190: ("Error validating access token: Session has expired", "OAuthException"),
          131026: ("Message undeliverable", "OAuthException"),
          131047: ("Re-engagement message", "OAuthException"),
          130429: ("Rate limit hit", "OAuthException"),
          131056: ("(Business Account, Consumer Account) pair rate limit hit", "OAuthException"),
          132001: ("Template name does not exist in the translation", "OAuthException"),
          131009: ("Parameter value is not valid", "OAuthException"),
          100: ("Invalid parameter", "OAuthException")}
COMPONENT_TYPES = {"header", "body", "button", "footer"}


class MetaEmulator(Emulator):
    name = "meta"
    routes = [("POST", r"/(?P<version>v\d{1,2}\.\d)/(?P<pid>\d+)/messages", "messages")]

    def __init__(self, token: str = "EAAGm0PX4ZCpsBA-meta-token",
                 phone_number_id: str = "106540352242922",
                 app_secret: str = "meta-app-secret-0042", verify_token: str = "radbill-verify-77",
                 display_number: str = "8809610001111"):
        super().__init__()
        self.token, self.phone_number_id, self.app_secret = token, phone_number_id, app_secret
        self.verify_token, self.display_number = verify_token, display_number
        self.unreachable: set[str] = set()   # numbers that answer 131026

    def error(self, code: int, status: int = 400, details: str = ""):
        message, kind = ERRORS.get(code, ("An error occurred", "OAuthException"))
        err = {"message": f"({'#' + str(code)}) {message}", "type": kind, "code": code,
               "fbtrace_id": "AbCdEf" + self.next_id()}
        if details:
            err["error_data"] = {"messaging_product": "whatsapp", "details": details}
        return self.json({"error": err}, status)

    def messages(self, req, seen, version, pid):
        auth = seen.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            self.violation("messages: no Bearer token")
        p = seen.json if isinstance(seen.json, dict) else None
        if p is None:
            self.violation("messages: the body is not JSON")
            return self.error(100, details="body must be JSON")
        self.check(p)
        failure = self.take_failure()
        if failure is not None:
            return self.http_failure(failure) or self.error(
                int(failure), 401 if int(failure) == 190 else 400)
        if auth != f"Bearer {self.token}":
            return self.error(190, 401)
        if pid != self.phone_number_id:
            return self.json({"error": {"message": f"Unsupported post request. Object with ID "
                                        f"'{pid}' does not exist", "type": "GraphMethodException",
                                        "code": 100, "error_subcode": 33,
                                        "fbtrace_id": "x"}}, 400)
        to = str(p.get("to", ""))
        if to in self.unreachable:
            return self.error(131026, details="Message undeliverable")
        digest = hashlib.sha1(f"{to}{self.next_id()}".encode()).hexdigest()
        wamid = "wamid.HBgN" + digest[:24].upper()
        rec = {"id": wamid, "to": to, "type": p.get("type"), "version": version}
        if p.get("type") == "text":
            rec["body"] = p["text"]["body"]
        else:
            rec["template"] = p.get("template")
        self.sent.append(rec)
        return self.json({"messaging_product": "whatsapp",
                          "contacts": [{"input": to, "wa_id": to}],
                          "messages": [{"id": wamid}]})

    def check(self, p: dict) -> None:
        if p.get("messaging_product") != "whatsapp":
            self.violation("messages: messaging_product is not 'whatsapp'")
        if not re.fullmatch(r"\+?\d{8,15}", str(p.get("to", ""))):
            self.violation(f"messages: to {p.get('to')!r} is not a phone number")
        kind = p.get("type", "text")
        if kind == "text":
            body = (p.get("text") or {}).get("body")
            if not isinstance(body, str) or not body.strip():
                self.violation("messages: text.body missing")
            elif len(body) > 4096:
                self.violation("messages: text.body over 4096 characters")
        elif kind == "template":
            t = p.get("template") or {}
            if not t.get("name"):
                self.violation("messages: template.name missing")
            if not (t.get("language") or {}).get("code"):
                self.violation("messages: template.language.code missing")
            comps = t.get("components", [])
            if not isinstance(comps, list) or any(
                    not isinstance(c, dict) or c.get("type") not in COMPONENT_TYPES
                    for c in comps):
                self.violation(f"messages: bad template.components {comps!r}")
        else:
            self.violation(f"messages: type {kind!r} is not text or template")

    # -- notifications to our webhook ------------------------------------------------------
    def notify(self, hook_url: str, value: dict, bad_signature: bool = False) -> int:
        import requests
        body = json.dumps({"object": "whatsapp_business_account", "entry": [{
            "id": "102290129340398", "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": self.display_number,
                             "phone_number_id": self.phone_number_id}, **value}}]}]}).encode()
        secret = ("wrong-" + self.app_secret) if bad_signature else self.app_secret
        sig = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        try:
            status = requests.post(hook_url, data=body, timeout=10, headers={
                "Content-Type": "application/json", "X-Hub-Signature-256": sig}).status_code
        except requests.RequestException:
            status = 0
        self.dlr_log.append((hook_url, value, status))
        return status

    def post_status(self, hook_url: str, wamid: str, status: str = "delivered",
                    errors: list[dict] | None = None, **kw) -> int:
        rec = next((r for r in self.sent if r["id"] == wamid), {"to": ""})
        st = {"id": wamid, "status": status, "timestamp": str(int(time.time())),
              "recipient_id": rec["to"]}
        if errors:
            st["errors"] = errors
        return self.notify(hook_url, {"statuses": [st]}, **kw)

    def post_incoming(self, hook_url: str, sender: str, text: str, wamid: str | None = None,
                      name: str = "Customer", **kw) -> int:
        wa_id = sender.lstrip("+")
        msg = {"from": wa_id, "id": wamid or "wamid.IN" + self.next_id(),
               "timestamp": str(int(time.time())), "type": "text", "text": {"body": text}}
        return self.notify(hook_url, {"contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
                                      "messages": [msg]}, **kw)

    def verify(self, hook_url: str, token: str | None = None, challenge: str = "1158201444"):
        """Meta's subscription handshake: (status, body)."""
        import requests
        r = requests.get(hook_url, timeout=10, params={
            "hub.mode": "subscribe", "hub.verify_token": token or self.verify_token,
            "hub.challenge": challenge})
        return r.status_code, r.text

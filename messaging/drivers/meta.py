"""WhatsApp through Meta's WhatsApp Cloud API (the Graph API), following its published reference:
messages https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages, webhooks
https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components (payload examples
https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/payload-examples), error codes
https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes, signatures
https://developers.facebook.com/docs/graph-api/webhooks/getting-started:

    POST {url}/{api_version}/{phone_number_id}/messages
         Authorization: Bearer <access token>, JSON
         {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "8801...",
          "type": "text", "text": {"preview_url": false, "body": "..."}}
      or {..., "type": "template", "template": {"name": "...", "language": {"code": "bn"},
                                                "components": [...]}}
    -> {"messaging_product": "whatsapp", "contacts": [{"input": "...", "wa_id": "..."}],
        "messages": [{"id": "wamid...."}]}
    error: HTTP 4xx {"error": {"message", "type", "code", "error_subcode", "error_data":
                                {"messaging_product", "details"}, "fbtrace_id"}}

An Outgoing whose `extra` names a "template" (an approved message template, with "language"
and optional "components") goes as a template message, anything else as text (which WhatsApp
only delivers inside the 24 hours after the customer last wrote: error 131047 otherwise).

Errors: 190 (token expired or invalid), 0/3/10/200-299 (permissions), 368 (temporarily blocked),
131031 (account locked), 131042 (payment), 133010 (number not registered) and a Graph "object
does not exist" (code 100, subcode 33: a wrong phone_number_id) stop the whole gateway
(Permanent, gateway_wide); rate limits (4, 80007, 130429, 131048, 131056) and Meta's own trouble
(1, 2, 131000, 131016) are Transient; the rest (131026 undeliverable, 131047, 131051, 132xxx
template errors, 100 bad parameter, ...) fail the message (Permanent).

Webhook (`webhook()`): Meta verifies the callback URL with a GET (hub.mode=subscribe,
hub.verify_token = our `verify_token`, hub.challenge echoed back); then POSTs JSON signed in
X-Hub-Signature-256 ("sha256=" + hex HMAC-SHA256 of the raw body with the app secret):
{"object": "whatsapp_business_account", "entry": [{"id", "changes": [{"field": "messages",
"value": {"metadata": {...}, "statuses": [{"id": "wamid...", "status": "sent" | "delivered" |
"read" | "failed", "recipient_id", "errors": [{"code", "title", ...}]}], "contacts": [...],
"messages": [{"from": "8801...", "id": "wamid...", "type": "text", "text": {"body"}}]}}]}]}.
delivered/read -> a delivered Report, failed -> a failed Report with the error's title; each
message -> Incoming (text, a button's or an interactive reply's title; media as "[image]").

config: phone_number_id, api_version (default v21.0), verify_token, url (default
https://graph.facebook.com). credentials: token (a system user's access token), app_secret.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re

from messaging.drivers import (Driver, Hook, Incoming, Outgoing, Permanent, Report, Request,
                               Sent, Transient)
from messaging.drivers.http import url

DEFAULT_URL = "https://graph.facebook.com"
DEFAULT_VERSION = "v21.0"
GATEWAY_WIDE = {0, 3, 10, 190, 368, 131031, 131042, 133010} | set(range(200, 300))
TRANSIENT = {1, 2, 4, 80007, 130429, 131000, 131016, 131048, 131056}


def phone_number_id(raw: str) -> str:
    if not re.fullmatch(r"\d{5,20}", raw or ""):
        raise ValueError("must be the phone number's id from WhatsApp Manager (digits)")
    return raw


def api_version(raw: str) -> str:
    if not re.fullmatch(r"v\d{1,2}\.\d", raw or ""):
        raise ValueError("must look like v21.0")
    return raw


def verify_token(raw: str) -> str:
    if not re.fullmatch(r"[\x21-\x7e]{8,200}", raw or ""):
        raise ValueError("must be 8-200 printable characters without spaces")
    return raw


def wa_number(e164: str) -> str:
    """+8801712345678 as the Cloud API's `to` (the number with its country code, no +)."""
    return e164.lstrip("+")


def signature_ok(secret: str, body: bytes, header: str) -> bool:
    if not secret or not header.startswith("sha256="):
        return False
    want = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(want, header[len("sha256="):].strip().lower())


class MetaWhatsApp(Driver):
    kind, channel, title = "meta", "whatsapp", "Meta WhatsApp Cloud API"
    CONFIG = {"phone_number_id": phone_number_id, "api_version": api_version,
              "verify_token": verify_token, "url": url}
    REQUIRED_CONFIG = ("phone_number_id",)
    CREDENTIALS = ("token", "app_secret")

    def root(self) -> str:
        return (self.config.get("url") or DEFAULT_URL).rstrip("/")

    def payload(self, msg: Outgoing) -> dict:
        out = {"messaging_product": "whatsapp", "recipient_type": "individual",
               "to": wa_number(msg.recipient)}
        tpl = (msg.extra or {}).get("template")
        if tpl:
            template = {"name": str(tpl),
                        "language": {"code": str(msg.extra.get("language") or msg.lang)}}
            if msg.extra.get("components"):
                template["components"] = msg.extra["components"]
            out.update(type="template", template=template)
        else:
            out.update(type="text", text={"preview_url": False, "body": msg.body})
        return out

    def send(self, msg: Outgoing) -> Sent:
        version = self.config.get("api_version") or DEFAULT_VERSION
        where = f"{self.root()}/{version}/{self.config.get('phone_number_id', '')}/messages"
        status, body = self.http("POST", where, json_body=self.payload(msg), headers={
            "Authorization": f"Bearer {self.credentials.get('token', '')}",
            "Accept": "application/json"})
        try:
            reply = json.loads(body)
        except ValueError:
            reply = None
        if not isinstance(reply, dict):
            if 200 <= status < 300:
                raise Transient(self.mask(f"WhatsApp answered HTTP {status} without JSON: "
                                          f"{body[:200]}"))
            raise Permanent(self.mask(f"WhatsApp: HTTP {status}: {body[:200]}"),
                            gateway_wide=status in (401, 403))
        if "error" in reply or not 200 <= status < 300:
            self.refuse(status, reply.get("error") or {})
        try:
            ref = str(reply["messages"][0]["id"])
        except (KeyError, IndexError, TypeError):
            raise Transient(self.mask(f"WhatsApp answered without a message id: "
                                      f"{body[:200]}")) from None
        return Sent(ref, detail="accepted by WhatsApp")

    def refuse(self, status: int, error: dict):
        try:
            code = int(error.get("code"))
        except (TypeError, ValueError):
            code = -1
        sub = error.get("error_subcode")
        details = (error.get("error_data") or {}).get("details") if isinstance(
            error.get("error_data"), dict) else None
        text = f"WhatsApp error {code}: {error.get('message') or 'HTTP ' + str(status)}"
        if details and details not in text:
            text += f" ({details})"
        text = self.mask(text[:500])
        if code in TRANSIENT:
            raise Transient(text)
        wide = code in GATEWAY_WIDE or (code == 100 and sub == 33) or status == 401 \
            or (code == -1 and status == 403)
        raise Permanent(text, gateway_wide=wide)

    # -- webhook ---------------------------------------------------------------------------------
    def webhook(self, request: Request) -> Hook:
        if request.method == "GET":
            return self.verify(request)
        if not signature_ok(self.credentials.get("app_secret", ""), request.body,
                            request.headers.get("x-hub-signature-256", "")):
            raise Permanent("the X-Hub-Signature-256 signature does not match")
        data = request.json()
        if not isinstance(data, dict) or data.get("object") != "whatsapp_business_account":
            raise Permanent("not a WhatsApp Business Account notification")
        hook = Hook()
        for entry in data.get("entry") or []:
            for change in (entry or {}).get("changes") or []:
                value = (change or {}).get("value") or {}
                mine = str((value.get("metadata") or {}).get("phone_number_id") or "")
                if mine and mine != str(self.config.get("phone_number_id", "")):
                    continue  # another number of the same app
                for st in value.get("statuses") or []:
                    report = status_report(st)
                    if report is not None:
                        hook.reports.append(report)
                for m in value.get("messages") or []:
                    if isinstance(m, dict) and m.get("from"):
                        hook.incoming.append(Incoming("+" + str(m["from"]).lstrip("+"),
                                                      message_text(m), m.get("id")))
        return hook

    def verify(self, request: Request) -> Hook:
        mode, token = request.args.get("hub.mode"), request.args.get("hub.verify_token", "")
        want = self.config.get("verify_token") or ""
        if mode != "subscribe" or not want or not hmac.compare_digest(want, token):
            raise Permanent("the verify token does not match")
        return Hook(reply=(200, "text/plain", request.args.get("hub.challenge", "")))


def status_report(st) -> Report | None:
    if not isinstance(st, dict) or not st.get("id"):
        return None
    status = st.get("status")
    if status in ("delivered", "read"):
        return Report("delivered", gateway_ref=str(st["id"]))
    if status == "failed":
        errs = [e for e in st.get("errors") or [] if isinstance(e, dict)]
        reason = "; ".join(f"{e.get('code')}: {e.get('title') or e.get('message')}" for e in errs)
        return Report("failed", gateway_ref=str(st["id"]),
                      reason=f"WhatsApp: {reason or 'failed'}"[:500])
    return None


def message_text(m: dict) -> str:
    kind = m.get("type")
    if kind == "text":
        return str((m.get("text") or {}).get("body") or "")
    if kind == "button":
        return str((m.get("button") or {}).get("text") or "")
    if kind == "interactive":
        inter = m.get("interactive") or {}
        reply = inter.get("button_reply") or inter.get("list_reply") or {}
        return str(reply.get("title") or "")
    body = m.get(kind) if isinstance(m.get(kind), dict) else {}
    caption = body.get("caption") if body else None
    return f"[{kind}]" + (f" {caption}" if caption else "")


DRIVER = MetaWhatsApp

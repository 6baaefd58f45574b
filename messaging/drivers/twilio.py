"""WhatsApp through Twilio's Programmable Messaging, following its published API:
the Message resource https://www.twilio.com/docs/messaging/api/message-resource, WhatsApp
https://www.twilio.com/docs/whatsapp/api, templates (Content API)
https://www.twilio.com/docs/content/send-templates-created-with-the-content-editor, status
callbacks https://www.twilio.com/docs/messaging/guides/track-outbound-message-status, incoming
messages https://www.twilio.com/docs/messaging/guides/webhook-request, request signatures
https://www.twilio.com/docs/usage/security#validating-requests, errors
https://www.twilio.com/docs/api/errors:

    POST {url}/2010-04-01/Accounts/{AccountSid}/Messages.json   (HTTP basic AccountSid:AuthToken)
         form From=whatsapp:+1415..., To=whatsapp:+8801..., Body=... (or ContentSid=HX...,
         ContentVariables={"1": "..."} for an approved template), StatusCallback=<url>
    -> 201 {"sid": "SM...", "status": "queued", ...}
    error: 4xx {"code": 21211, "message": "...", "more_info": "...", "status": 400}

An Outgoing whose `extra` names a "template" goes as ContentSid (the template's HX... sid) with
`extra["variables"]` (or the body parameters of `extra["components"]`, numbered from 1) as
ContentVariables; anything else as Body.

Errors: 20003 (authentication), 20404 (no such account), 20005/30002 (account suspended),
21212/21606/63007 (our From is not a usable WhatsApp sender), 21408 (region not enabled) stop the
whole gateway (Permanent, gateway_wide); 20429/30001/63018/63038 (rate and queue limits) are
Transient; the rest (21211 invalid To, 21610 unsubscribed, 21614, 63016 outside the 24-hour
window, 21656 bad ContentVariables, ...) fail the message (Permanent).

Webhook (`webhook()`): Twilio signs each request in X-Twilio-Signature: base64 of HMAC-SHA1,
keyed with the auth token, over the full URL it called followed by every POST parameter's name
and value sorted by name (checked by hand, as documented; the URL as we saw it or as our public
address spells it). A status callback (MessageSid, MessageStatus = queued | sent |
delivered | read | undelivered | failed, ErrorCode) -> a Report (delivered/read: delivered;
undelivered/failed: failed with the error code); an incoming message (MessageSid,
From=whatsapp:+8801..., Body, no MessageStatus or "received") -> Incoming, answered with empty
TwiML.

config: account_sid, from (our WhatsApp sender, E.164), status_callback (optional: where Twilio
posts the status, normally our /hooks/messages/... URL), url (default https://api.twilio.com).
credentials: auth_token.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re

from messaging.drivers import (Driver, Hook, Incoming, Outgoing, Permanent, Report, Request,
                               Sent, Transient)
from messaging.drivers.http import url

DEFAULT_URL = "https://api.twilio.com"
GATEWAY_WIDE = {20003, 20005, 20404, 21212, 21408, 21606, 30002, 63007}
TRANSIENT = {20429, 30001, 63018, 63038}
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def account_sid(raw: str) -> str:
    if not re.fullmatch(r"AC[0-9a-fA-F]{32}", raw or ""):
        raise ValueError("must be the account's SID: AC and 32 hex digits")
    return raw


def sender(raw: str) -> str:
    raw = (raw or "").removeprefix("whatsapp:")
    if not re.fullmatch(r"\+[1-9]\d{6,14}", raw):
        raise ValueError("must be the WhatsApp sender's number in E.164, e.g. +14155238886")
    return raw


def signature(auth_token: str, full_url: str, params: dict[str, str]) -> str:
    """X-Twilio-Signature of a request to `full_url` with POST `params`."""
    data = full_url + "".join(k + params[k] for k in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1)
                            .digest()).decode()


def signed_urls(called: str) -> list[str]:
    """The URLs Twilio may have signed for a request we saw at `called`: that one, and the
    same path under our public address (RADBILL_PUBLIC_URL: behind a proxy that ends TLS we see
    http://, Twilio signed https://)."""
    import urllib.parse

    from radbill import settings
    out = [called]
    public = settings.get().public_url.rstrip("/")
    if public:
        parts = urllib.parse.urlsplit(called)
        out.append(public + parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


def template_variables(extra: dict) -> dict[str, str]:
    if isinstance(extra.get("variables"), dict):
        return {str(k): str(v) for k, v in extra["variables"].items()}
    out, n = {}, 0
    for comp in extra.get("components") or []:
        if isinstance(comp, dict) and comp.get("type") == "body":
            for p in comp.get("parameters") or []:
                n += 1
                out[str(n)] = str(p.get("text", "")) if isinstance(p, dict) else str(p)
    return out


class TwilioWhatsApp(Driver):
    kind, channel, title = "twilio", "whatsapp", "Twilio WhatsApp"
    CONFIG = {"account_sid": account_sid, "from": sender, "status_callback": url, "url": url}
    REQUIRED_CONFIG = ("account_sid", "from")
    CREDENTIALS = ("auth_token",)

    def root(self) -> str:
        return (self.config.get("url") or DEFAULT_URL).rstrip("/")

    def form(self, msg: Outgoing) -> dict[str, str]:
        out = {"From": "whatsapp:" + sender(self.config.get("from", "")),
               "To": "whatsapp:" + msg.recipient}
        extra = msg.extra or {}
        if extra.get("template"):
            out["ContentSid"] = str(extra["template"])
            variables = template_variables(extra)
            if variables:
                out["ContentVariables"] = json.dumps(variables, ensure_ascii=False)
        else:
            out["Body"] = msg.body
        if self.config.get("status_callback"):
            out["StatusCallback"] = self.config["status_callback"]
        return out

    def send(self, msg: Outgoing) -> Sent:
        sid = self.config.get("account_sid", "")
        try:
            form = self.form(msg)
        except ValueError as exc:
            raise Permanent(f"from: {exc}", gateway_wide=True) from None
        auth = base64.b64encode(f"{sid}:{self.credentials.get('auth_token', '')}".encode())
        status, body = self.http(
            "POST", f"{self.root()}/2010-04-01/Accounts/{sid}/Messages.json", form=form,
            headers={"Authorization": "Basic " + auth.decode(), "Accept": "application/json"})
        try:
            reply = json.loads(body)
        except ValueError:
            reply = None
        if not isinstance(reply, dict):
            if 200 <= status < 300:
                raise Transient(self.mask(f"Twilio answered HTTP {status} without JSON: "
                                          f"{body[:200]}"))
            raise Permanent(self.mask(f"Twilio: HTTP {status}: {body[:200]}"),
                            gateway_wide=status in (401, 403, 404))
        if not 200 <= status < 300:
            try:
                code = int(reply.get("code"))
            except (TypeError, ValueError):
                code = -1
            text = self.mask(f"Twilio error {code}: {reply.get('message') or status}"[:500])
            if code in TRANSIENT:
                raise Transient(text)
            raise Permanent(text, gateway_wide=code in GATEWAY_WIDE or status == 401)
        if not reply.get("sid"):
            raise Transient(self.mask(f"Twilio answered without a sid: {body[:200]}"))
        if reply.get("status") in ("failed", "undelivered"):
            raise Permanent(self.mask(f"Twilio error {reply.get('error_code')}: "
                                      f"{reply.get('error_message') or reply['status']}"))
        return Sent(str(reply["sid"]), detail=f"Twilio {reply.get('status') or 'queued'}")

    # -- webhook ---------------------------------------------------------------------------------
    def webhook(self, request: Request) -> Hook:
        if request.method != "POST":
            raise Permanent("Twilio posts its callbacks")
        given = request.headers.get("x-twilio-signature", "")
        token = self.credentials.get("auth_token", "")
        if not given or not any(hmac.compare_digest(signature(token, u, request.form), given)
                                for u in signed_urls(request.url)):
            raise Permanent("the X-Twilio-Signature signature does not match")
        f = request.form
        if f.get("AccountSid") and f["AccountSid"] != self.config.get("account_sid"):
            raise Permanent("a callback of another Twilio account")
        sid = f.get("MessageSid") or f.get("SmsSid") or f.get("SmsMessageSid")
        status = f.get("MessageStatus") or f.get("SmsStatus") or ""
        hook = Hook()
        if status in ("delivered", "read"):
            hook.reports.append(Report("delivered", gateway_ref=sid))
        elif status in ("undelivered", "failed"):
            code = f.get("ErrorCode") or "?"
            hook.reports.append(Report("failed", gateway_ref=sid,
                                       reason=f"Twilio: {status} (error {code})"
                                       + (f": {f['ErrorMessage']}" if f.get("ErrorMessage")
                                          else "")))
        elif status in ("", "received") and "Body" in f and f.get("From"):
            body = f["Body"] or (f"[{f.get('NumMedia')} media]"
                                 if f.get("NumMedia", "0") not in ("", "0") else "")
            hook.incoming.append(Incoming(f["From"].removeprefix("whatsapp:"), body, sid))
            hook.reply = (200, "text/xml", EMPTY_TWIML)
        return hook


DRIVER = TwilioWhatsApp

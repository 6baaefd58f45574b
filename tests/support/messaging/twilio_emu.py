"""Twilio's Programmable Messaging for WhatsApp, as published (Message resource
https://www.twilio.com/docs/messaging/api/message-resource, WhatsApp
https://www.twilio.com/docs/whatsapp/api, status callbacks
https://www.twilio.com/docs/messaging/guides/track-outbound-message-status, signatures
https://www.twilio.com/docs/usage/security#validating-requests, errors
https://www.twilio.com/docs/api/errors):
POST /2010-04-01/Accounts/<AccountSid>/Messages.json, HTTP basic AccountSid:AuthToken, form
From/To (whatsapp:+E.164), Body or ContentSid (+ ContentVariables JSON), StatusCallback;
answers 201 with the Message resource ({"sid": "SM...", "status": "queued", ...}) or
4xx {"code", "message", "more_info", "status"}.

Violations: not form-encoded, From/To without the whatsapp: prefix or not E.164, neither Body
nor ContentSid (or both), ContentVariables that is not a JSON object, a path account that is
not the basic-auth user.

Back to us: `post_status` (the status callback) and `post_incoming` (a customer's message),
signed in X-Twilio-Signature (HMAC-SHA1 over the URL and the sorted parameters, base64) with
the auth token, or a wrong one (`bad_signature=True`).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re

from tests.support.messaging.base import Emulator

E164 = re.compile(r"\+[1-9]\d{6,14}")
ERRORS = {20003: (401, "Authenticate"),
          21211: (400, "The 'To' number is not a valid phone number."),
          21610: (400, "Attempt to send to unsubscribed recipient"),
          63016: (400, "Failed to send freeform message because you are outside the allowed "
                       "window. Please use a Template."),
          21656: (400, "The ContentVariables Parameter is invalid."),
          20429: (429, "Too Many Requests"),
          63018: (400, "Rate limit exceeded for Channel")}


def sign(auth_token: str, url: str, params: dict[str, str]) -> str:
    data = url + "".join(k + params[k] for k in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1)
                            .digest()).decode()


class TwilioEmulator(Emulator):
    name = "twilio"
    routes = [("POST", r"/2010-04-01/Accounts/(?P<sid>[^/]+)/Messages\.json", "create")]

    def __init__(self, account_sid: str = "AC" + "5e1f" * 8,
                 auth_token: str = "twilio-auth-token-99", sender: str = "+14155238886"):
        super().__init__()
        self.account_sid, self.auth_token, self.sender = account_sid, auth_token, sender
        self.unsubscribed: set[str] = set()   # numbers that answer 21610
        self.by_sid: dict[str, dict] = {}

    def error(self, code: int):
        status, message = ERRORS.get(code, (400, "Error"))
        return self.json({"code": code, "message": message, "status": status,
                          "more_info": f"https://www.twilio.com/docs/errors/{code}"}, status)

    def create(self, req, seen, sid):
        if "application/x-www-form-urlencoded" not in seen.headers.get("Content-Type", ""):
            self.violation("Messages.json: not form-encoded")
        f = seen.form
        user, password = "", ""
        auth = seen.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
        else:
            self.violation("Messages.json: no HTTP basic authentication")
        if user and user != sid:
            self.violation("Messages.json: the path's account is not the basic-auth user")
        for name in ("From", "To"):
            v = f.get(name, "")
            if not v.startswith("whatsapp:") or not E164.fullmatch(v[len("whatsapp:"):]):
                self.violation(f"Messages.json: {name} {v!r} is not whatsapp:+E.164")
        if bool(f.get("Body")) == bool(f.get("ContentSid")):
            self.violation("Messages.json: exactly one of Body and ContentSid is needed")
        if "ContentVariables" in f:
            try:
                ok = isinstance(json.loads(f["ContentVariables"]), dict)
            except ValueError:
                ok = False
            if not ok:
                self.violation("Messages.json: ContentVariables is not a JSON object")
        if f.get("ContentSid") and not re.fullmatch(r"HX[0-9a-fA-F]{32}", f["ContentSid"]):
            self.violation(f"Messages.json: ContentSid {f['ContentSid']!r} is not HX + 32 hex")
        failure = self.take_failure()
        if failure is not None:
            return self.http_failure(failure) or self.error(int(failure))
        if sid != self.account_sid or password != self.auth_token:
            return self.error(20003)
        to = f.get("To", "").removeprefix("whatsapp:")
        if not E164.fullmatch(to):
            return self.error(21211)
        if to in self.unsubscribed:
            return self.error(21610)
        msid = "SM" + hashlib.md5(self.next_id().encode()).hexdigest()
        rec = {"sid": msid, "to": to, "from": f.get("From"), "body": f.get("Body"),
               "content_sid": f.get("ContentSid"),
               "content_variables": json.loads(f["ContentVariables"])
               if f.get("ContentVariables") else None,
               "status_callback": f.get("StatusCallback")}
        self.sent.append(rec)
        self.by_sid[msid] = rec
        return self.json({"sid": msid, "account_sid": sid, "status": "queued",
                          "from": f.get("From"), "to": f.get("To"), "body": f.get("Body") or "",
                          "direction": "outbound-api", "api_version": "2010-04-01",
                          "num_segments": "1", "error_code": None, "error_message": None,
                          "uri": f"/2010-04-01/Accounts/{sid}/Messages/{msid}.json"}, 201)

    # -- callbacks to our webhook ----------------------------------------------------------
    def post(self, hook_url: str, params: dict[str, str], bad_signature: bool = False) -> int:
        import requests
        token = ("wrong-" + self.auth_token) if bad_signature else self.auth_token
        try:
            r = requests.post(hook_url, data=params, timeout=10,
                              headers={"X-Twilio-Signature": sign(token, hook_url, params)})
            status = r.status_code
        except requests.RequestException:
            status = 0
        self.dlr_log.append((hook_url, dict(params), status))
        return status

    def post_status(self, hook_url: str, sid: str, status: str = "delivered",
                    error_code: str | None = None, **kw) -> int:
        rec = self.by_sid[sid]
        params = {"MessageSid": sid, "SmsSid": sid, "AccountSid": self.account_sid,
                  "MessageStatus": status, "SmsStatus": status, "From": rec["from"],
                  "To": "whatsapp:" + rec["to"], "ApiVersion": "2010-04-01",
                  "ChannelPrefix": "whatsapp"}
        if error_code:
            params["ErrorCode"] = str(error_code)
        return self.post(hook_url, params, **kw)

    def deliver(self, sid: str, status: str = "delivered", **kw) -> int:
        """The status callback to the StatusCallback the message was sent with (what Twilio
        does by itself)."""
        rec = self.by_sid[sid]
        if not rec["status_callback"]:
            raise AssertionError(f"{sid} was sent without a StatusCallback")
        return self.post_status(rec["status_callback"], sid, status, **kw)

    def post_incoming(self, hook_url: str, sender: str, body: str, sid: str | None = None,
                      **kw) -> int:
        sid = sid or "SM" + hashlib.md5(f"in{self.next_id()}".encode()).hexdigest()
        params = {"MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid,
                  "AccountSid": self.account_sid, "From": "whatsapp:" + sender,
                  "To": "whatsapp:" + self.sender, "Body": body, "NumMedia": "0",
                  "NumSegments": "1", "ProfileName": "Customer", "WaId": sender.lstrip("+"),
                  "SmsStatus": "received", "ApiVersion": "2010-04-01"}
        return self.post(hook_url, params, **kw)

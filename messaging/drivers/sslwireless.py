"""SSL Wireless ISMS (ismsplus / smsplus.sslwireless.com), API v3, following its published
documentation (https://docs.sslwireless.com/sms/sms-api/, summarised in SSL Wireless's own
client https://github.com/sslw/ismsplus_api):

    POST {url}/api/v3/send-sms   JSON {"api_token", "sid", "msisdn": "8801XXXXXXXXX",
                                       "sms", "csms_id"}
    -> {"status": "SUCCESS", "status_code": 200, "error_message": "",
        "smsinfo": [{"sms_status": "SUCCESS", "status_message": "Success",
                     "msisdn": "8801...", "sms_type": "EN" | "BN", "sms_body": "...",
                     "csms_id": "...", "reference_id": "..."}]}
    failed: {"status": "FAILED", "status_code": <code>, "error_message": "..."}

The text goes as UTF-8 in the JSON: v3 detects Bangla itself (sms_type BN, counted as UCS-2);
there is no type parameter to set.
`csms_id` is the client's unique id of the message: our Outgoing.ref. The gateway refuses a
csms_id it has seen, so resending an interrupted message can never deliver it twice: the driver
is idempotent, and the "duplicate csms_id" answer means the first attempt got through (Sent).

Error answers are judged by code and, since the codes differ between account types, by their
words: an unauthorized or inactive account, an invalid or unapproved SID, a blacklisted IP or
an insufficient balance stops the whole gateway (Permanent, gateway_wide); an invalid MSISDN or
a bad message body fails the message (Permanent); anything else is Transient.

Delivery reports: ISMS posts each message's final status to the DLR URL set on the account
(our /hooks/messages/<gateway id>/<token>), as form fields or JSON with the message's
`csms_id`, `reference_id`, `msisdn` and `status` (DELIVERED | FAILED | UNDELIVERED | EXPIRED |
REJECTED); `webhook()` turns each into a Report.

config: url (default https://smsplus.sslwireless.com), sid. credentials: api_token.
"""
from __future__ import annotations

import json

from messaging.drivers import (Driver, Hook, Outgoing, Permanent, Report, Request, Sent,
                               Transient)
from messaging.drivers.bulksmsbd import msisdn, sender_id
from messaging.drivers.http import url

DEFAULT_URL = "https://smsplus.sslwireless.com"
# documented v3 codes (4001 unauthorized, 4003 IP blacklisted, 4004 account inactive,
# 4005 account expired, 4011 invalid SID, 4012 SID inactive, 4017 insufficient balance,
# 4015 invalid MSISDN, 4016 invalid sms body, 4025 duplicate csms_id)
GATEWAY_WIDE = {4001, 4003, 4004, 4005, 4011, 4012, 4017}
MESSAGE = {4015, 4016}
DUPLICATE = {4025}
WIDE_WORDS = ("unauthori", "token", "inactive", "expired", "blacklist", "sid", "balance",
              "credit")
MESSAGE_WORDS = ("msisdn", "mobile", "number", "sms body", "message body")
DELIVERED = {"DELIVERED", "DELIVRD", "SUCCESS"}
FAILED = {"FAILED", "UNDELIVERED", "UNDELIV", "EXPIRED", "REJECTED", "REJECTD"}


def duplicate(code: int, words: str) -> bool:
    return code in DUPLICATE or ("duplicate" in words and "csms" in words)


class SslWireless(Driver):
    kind, channel, title = "sslwireless", "sms", "SSL Wireless ISMS"
    CONFIG = {"url": url, "sid": sender_id}
    REQUIRED_CONFIG = ("sid",)
    CREDENTIALS = ("api_token",)
    idempotent = True

    def send(self, msg: Outgoing) -> Sent:
        payload = {"api_token": self.credentials.get("api_token", ""),
                   "sid": self.config.get("sid", ""), "msisdn": msisdn(msg.recipient),
                   "sms": msg.body, "csms_id": msg.ref}
        root = (self.config.get("url") or DEFAULT_URL).rstrip("/")
        status, body = self.http("POST", f"{root}/api/v3/send-sms", json_body=payload,
                                 headers={"Accept": "application/json"})
        try:
            reply = json.loads(body)
            code = int(reply.get("status_code"))
        except (ValueError, TypeError, AttributeError):
            if 200 <= status < 300:
                raise Transient(self.mask(f"SSL Wireless answered HTTP {status} without a "
                                          f"status_code: {body[:200]}")) from None
            raise Permanent(self.mask(f"SSL Wireless: HTTP {status}: {body[:200]}"),
                            gateway_wide=status in (401, 403)) from None
        info = reply.get("smsinfo") or [{}]
        info = info[0] if isinstance(info, list) and info and isinstance(info[0], dict) else {}
        said = str(reply.get("error_message") or info.get("status_message") or "")
        words = said.lower()
        if code == 200 and str(reply.get("status", "SUCCESS")).upper() == "SUCCESS" and \
                str(info.get("sms_status", "SUCCESS")).upper() == "SUCCESS":
            ref = info.get("reference_id")
            return Sent(str(ref) if ref else None,
                        detail=" ".join(filter(None, ("SSL Wireless", info.get("sms_type"),
                                                      "submitted"))))
        if duplicate(code, words):
            return Sent(None, detail=f"SSL Wireless already had csms_id {msg.ref}: sent before")
        text = self.mask(f"SSL Wireless {code}: {said or reply.get('status') or 'FAILED'}")
        if code in GATEWAY_WIDE:
            raise Permanent(text, gateway_wide=True)
        if code in MESSAGE:
            raise Permanent(text)
        if code == 200:  # the request was fine, this message was not accepted
            raise Permanent(text, gateway_wide=False)
        if any(w in words for w in MESSAGE_WORDS):
            raise Permanent(text)
        if any(w in words for w in WIDE_WORDS):
            raise Permanent(text, gateway_wide=True)
        raise Transient(text)

    def webhook(self, request: Request) -> Hook:
        body = request.json() if "json" in request.headers.get("content-type", "") else None
        items = body if isinstance(body, list) else [body] if isinstance(body, dict) else \
            [{**request.args, **request.form}]
        reports = []
        for item in items:
            if not isinstance(item, dict):
                raise Permanent("not an SSL Wireless delivery report")
            raw = str(item.get("status") or item.get("sms_status") or "").upper()
            ref, gref = item.get("csms_id"), item.get("reference_id")
            if not (ref or gref) or not raw:
                raise Permanent("not an SSL Wireless delivery report: csms_id and status needed")
            status = "delivered" if raw in DELIVERED else "failed" if raw in FAILED else raw.lower()
            # our csms_id finds the message even when the send was answered "duplicate"
            # (no reference_id then); the gateway's reference_id otherwise
            ours = str(ref) if ref else None
            reports.append(Report(status, gateway_ref=None if ours else str(gref), ref=ours,
                                  reason=f"SSL Wireless: {raw}" if status == "failed" else ""))
        return Hook(reports=reports)


DRIVER = SslWireless

"""BulkSMSBD (bulksmsbd.net), following its published HTTP API:
https://bulksmsbd.com/bulksms-api-bangladesh.php

    GET|POST {url}/api/smsapi  api_key, senderid, number (8801XXXXXXXXX), message,
                               type (text | unicode)
    -> {"response_code": 202, "message_id": 80373413, "success_message": "...",
        "error_message": ""}

202 is "SMS Submitted Successfully"; any other response_code is one of the documented errors
(1001 invalid number, 1002 sender id not correct or disabled, 1003 required fields missing,
1005 internal error, 1006 balance validity not available, 1007 balance insufficient, 1011 user
id not found, 1012 masking SMS must be sent in Bengali, 1013-1021 the account's sender, price
or parent is not set up or disabled, 1031 account not verified, 1032 IP not whitelisted).
Non-GSM text (Bangla) goes as type=unicode, UTF-8 in the form (the gateway counts it as UCS-2).
BulkSMSBD publishes no delivery-report push, so this driver has no webhook.

config: url (the API root, default http://bulksmsbd.net), sender_id (the approved sender id).
credentials: api_key.
"""
from __future__ import annotations

import json

from messaging import segments
from messaging.drivers import Driver, Outgoing, Permanent, Sent, Transient
from messaging.drivers.http import url

DEFAULT_URL = "http://bulksmsbd.net"
OK = 202
NUMBER = {1001}                                          # this recipient only
MESSAGE = {1003, 1012}                                   # this message only
TRANSIENT = {1005}                                       # "internal error": try later
KNOWN = {
    1001: "invalid number", 1002: "sender id not correct or disabled",
    1003: "required fields missing", 1005: "internal error",
    1006: "balance validity not available", 1007: "balance insufficient",
    1011: "user id not found (wrong api_key)", 1012: "masking SMS must be sent in Bengali",
    1013: "sender id has no gateway for this api_key", 1014: "sender type not found",
    1015: "sender id has no valid gateway", 1016: "sender type has no active price",
    1017: "sender type has no price", 1018: "the account is disabled",
    1019: "the account's price is disabled", 1020: "the account's parent is not found",
    1021: "the parent's price is not found", 1031: "the account is not verified",
    1032: "the IP address is not whitelisted",
}


def msisdn(e164: str) -> str:
    """+8801712345678 -> 8801712345678 (the form Bangladeshi gateways document)."""
    return e164[1:] if e164.startswith("+") else e164


def sender_id(raw: str) -> str:
    raw = raw.strip()
    if not raw or len(raw) > 20:
        raise ValueError("must be the approved sender id (1 to 20 characters)")
    return raw


class BulkSmsBd(Driver):
    kind, channel, title = "bulksmsbd", "sms", "BulkSMSBD"
    CONFIG = {"url": url, "sender_id": sender_id}
    REQUIRED_CONFIG = ("sender_id",)
    CREDENTIALS = ("api_key",)

    def send(self, msg: Outgoing) -> Sent:
        unicode = segments.count(msg.body).encoding == "ucs2"
        form = {"api_key": self.credentials.get("api_key", ""),
                "senderid": self.config.get("sender_id", ""), "number": msisdn(msg.recipient),
                "message": msg.body, "type": "unicode" if unicode else "text"}
        root = (self.config.get("url") or DEFAULT_URL).rstrip("/")
        status, body = self.http("POST", f"{root}/api/smsapi", form=form)
        try:
            reply = json.loads(body)
            code = int(reply.get("response_code"))
        except (ValueError, TypeError, AttributeError):
            if 200 <= status < 300:
                raise Transient(self.mask(f"BulkSMSBD answered HTTP {status} without a "
                                          f"response_code: {body[:200]}")) from None
            raise Permanent(self.mask(f"BulkSMSBD: HTTP {status}: {body[:200]}"),
                            gateway_wide=status in (401, 403)) from None
        if code == OK:
            ref = reply.get("message_id")
            return Sent(str(ref) if ref not in (None, "") else None,
                        detail=f"BulkSMSBD {code}: {reply.get('success_message') or 'submitted'}")
        said = reply.get("error_message") or KNOWN.get(code, "unknown error")
        text = self.mask(f"BulkSMSBD {code}: {said}")
        if code in TRANSIENT:
            raise Transient(text)
        raise Permanent(text, gateway_wide=code not in NUMBER | MESSAGE)


DRIVER = BulkSmsBd

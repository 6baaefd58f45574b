"""ADN SMS (ADN Diginet, portal.adnsms.com), following its published PUSH API v1.0:
https://portal.adnsms.com/client/api/documentation

    POST {url}/api/v1/secure/send-sms   (Accept: application/json; form fields)
        api_key, api_secret, request_type=SINGLE_SMS, message_type (TEXT | UNICODE),
        mobile, message_body
    -> {"request_type": "SINGLE_SMS", "campaign_uid": "C...", "sms_uid": "S...",
        "invalid_numbers": [], "api_response_code": 200, "api_response_message": "SUCCESS"}
    failed: {"api_response_code": 400, "api_response_message": "FAILED",
             "error": {"error_code": 3001, "error_message": "INVALID_CREDENTIAL"}}

Error codes: 2001 INVALID_NUMBER, 2002 INVALID_MESSAGE_LENGTH, 2003 INVALID_PARAMETER,
2004 EXCEED_REQUEST_LIMIT, 2005 INVALID_MESSAGE_TYPE (the message: permanent);
3001 INVALID_CREDENTIAL, 4001 CLIENT_DISABLED, 4002 MASK_DISABLED, 4003 API_DISABLED,
4004 IP_BLACKLISTED, 4005 INSUFFICIENT_BALANCE, 4006 NOT_CONFIGURED (the account: permanent,
gateway-wide); 5001 UNKNOWN_ERROR ("any Telco-end issue": transient).
A number in `invalid_numbers` is refused as invalid. Bangla goes as message_type=UNICODE.
ADN publishes no delivery-report push (only an SMS status query), so this driver has no webhook;
`sms_uid` is kept as the gateway's reference.

config: url (default https://portal.adnsms.com). credentials: api_key, api_secret.
"""
from __future__ import annotations

import json

from messaging import segments
from messaging.drivers import Driver, Outgoing, Permanent, Sent, Transient
from messaging.drivers.bulksmsbd import msisdn
from messaging.drivers.http import url

DEFAULT_URL = "https://portal.adnsms.com"
MESSAGE = {2001, 2002, 2003, 2004, 2005}
TRANSIENT = {5001}


class Adn(Driver):
    kind, channel, title = "adn", "sms", "ADN SMS"
    CONFIG = {"url": url}
    REQUIRED_CONFIG = ()
    CREDENTIALS = ("api_key", "api_secret")

    def send(self, msg: Outgoing) -> Sent:
        unicode = segments.count(msg.body).encoding == "ucs2"
        form = {"api_key": self.credentials.get("api_key", ""),
                "api_secret": self.credentials.get("api_secret", ""),
                "request_type": "SINGLE_SMS", "message_type": "UNICODE" if unicode else "TEXT",
                "mobile": msisdn(msg.recipient), "message_body": msg.body}
        root = (self.config.get("url") or DEFAULT_URL).rstrip("/")
        status, body = self.http("POST", f"{root}/api/v1/secure/send-sms", form=form,
                                 headers={"Accept": "application/json"})
        try:
            reply = json.loads(body)
            code = int(reply.get("api_response_code"))
        except (ValueError, TypeError, AttributeError):
            if 200 <= status < 300:
                raise Transient(self.mask(f"ADN answered HTTP {status} without an "
                                          f"api_response_code: {body[:200]}")) from None
            raise Permanent(self.mask(f"ADN: HTTP {status}: {body[:200]}"),
                            gateway_wide=status in (401, 403)) from None
        if code == 200:
            if reply.get("invalid_numbers"):
                raise Permanent(self.mask(f"ADN: invalid number {msisdn(msg.recipient)}"))
            ref = reply.get("sms_uid") or reply.get("campaign_uid")
            return Sent(str(ref) if ref else None,
                        detail=f"ADN {reply.get('api_response_message') or 'SUCCESS'}")
        error = reply.get("error") if isinstance(reply.get("error"), dict) else {}
        try:
            err = int(error.get("error_code"))
        except (TypeError, ValueError):
            err = 0
        said = error.get("error_message") or reply.get("api_response_message") or "FAILED"
        text = self.mask(f"ADN {err or code}: {said}")
        if err in TRANSIENT or not err:
            raise Transient(text)
        raise Permanent(text, gateway_wide=err not in MESSAGE)


DRIVER = Adn

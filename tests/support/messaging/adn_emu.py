"""ADN SMS's published PUSH API v1.0 (https://portal.adnsms.com/client/api/documentation):
POST /api/v1/secure/send-sms (api_key, api_secret, request_type=SINGLE_SMS, message_type TEXT |
UNICODE, mobile, message_body) -> {"sms_uid": ..., "api_response_code": 200, ...} or
{"api_response_code": 400, "error": {"error_code", "error_message"}}. Violations: a missing
field, a request type other than SINGLE_SMS, non-GSM text as TEXT, no Accept: application/json."""
from __future__ import annotations

import re

from tests.support.messaging.base import Emulator, is_gsm

ERRORS = {2001: "INVALID_NUMBER", 2002: "INVALID_MESSAGE_LENGTH", 2003: "INVALID_PARAMETER",
          2005: "INVALID_MESSAGE_TYPE", 3001: "INVALID_CREDENTIAL", 4001: "CLIENT_DISABLED",
          4005: "INSUFFICIENT_BALANCE", 5001: "UNKNOWN_ERROR"}
BD_MOBILE = re.compile(r"(?:88)?01[3-9]\d{8}")


class AdnEmulator(Emulator):
    name = "adn"
    routes = [("POST", r"/api/v1/secure/send-sms", "send_sms")]

    def __init__(self, api_key: str = "KEY-adn0000key", api_secret: str = "adn-secret-99"):
        super().__init__()
        self.api_key, self.api_secret = api_key, api_secret

    def failed(self, code: int):
        return self.json({"request_type": "SINGLE_SMS", "api_response_code": 400,
                          "api_response_message": "FAILED",
                          "error": {"error_code": code,
                                    "error_message": ERRORS.get(code, "ERROR")}})

    def send_sms(self, req, seen):
        p = seen.params
        if "application/json" not in seen.headers.get("Accept", ""):
            self.violation("send-sms: Accept: application/json missing")
        if self.require("send-sms", p, ("api_key", "api_secret", "request_type", "message_type",
                                        "mobile", "message_body")):
            return self.failed(2003)
        if p["request_type"] != "SINGLE_SMS":
            self.violation(f"send-sms: request_type {p['request_type']!r} for one recipient")
        if p["message_type"] not in ("TEXT", "UNICODE"):
            self.violation(f"send-sms: message_type {p['message_type']!r}")
            return self.failed(2005)
        if p["message_type"] == "TEXT" and not is_gsm(p["message_body"]):
            self.violation("send-sms: non-GSM text sent as TEXT (must be UNICODE)")
        failure = self.take_failure()
        if failure is not None:
            return self.http_failure(failure) or self.failed(int(failure))
        if (p["api_key"], p["api_secret"]) != (self.api_key, self.api_secret):
            return self.failed(3001)
        uid, cid = self.next_id("S"), self.next_id("C")
        invalid = [] if BD_MOBILE.fullmatch(p["mobile"]) else [p["mobile"]]
        if not invalid:
            self.sent.append({"sms_uid": uid, "mobile": p["mobile"], "message": p["message_body"],
                              "message_type": p["message_type"]})
        return self.json({"request_type": "SINGLE_SMS", "campaign_uid": cid,
                          "sms_uid": None if invalid else uid, "invalid_numbers": invalid,
                          "api_response_code": 200, "api_response_message": "SUCCESS"})

"""BulkSMSBD's published API (https://bulksmsbd.com/bulksms-api-bangladesh.php):
GET or POST /api/smsapi with api_key, senderid, number, message, type (text | unicode); answers
{"response_code": 202, "message_id": n, ...} or a documented error code. Violations: a missing
field, a number not 8801XXXXXXXXX, non-GSM text sent as type=text, a `type` that is neither."""
from __future__ import annotations

import re

from tests.support.messaging.base import Emulator, is_gsm

ERRORS = {1001: "Invalid Number", 1002: "sender id not correct/sender id is disabled",
          1003: "Please Required all fields/Contact Your System Administrator",
          1005: "Internal Error", 1006: "Balance Validity Not Available",
          1007: "Balance Insufficient", 1011: "User Id not found"}
BD_MOBILE = re.compile(r"8801[3-9]\d{8}")


class BulkSmsBdEmulator(Emulator):
    name = "bulksmsbd"
    routes = [("GET|POST", r"/api/smsapi", "smsapi")]

    def __init__(self, api_key: str = "bsbd-key-1234", sender_id: str = "8809617000000"):
        super().__init__()
        self.api_key, self.sender_id = api_key, sender_id

    def answer(self, code: int, **extra):
        if code == 202:
            return self.json({"response_code": 202, "success_message": "SMS Submitted Successfully",
                              "error_message": "", **extra})
        return self.json({"response_code": code, "success_message": "",
                          "error_message": ERRORS.get(code, "Error")})

    def smsapi(self, req, seen):
        p = seen.params
        if self.require("smsapi", p, ("api_key", "senderid", "number", "message")):
            return self.answer(1003)
        kind = p.get("type") or "text"
        if kind not in ("text", "unicode"):
            self.violation(f"smsapi: type {kind!r} is not text or unicode")
        if kind == "text" and not is_gsm(p["message"]):
            self.violation("smsapi: non-GSM text sent as type=text (must be type=unicode)")
        failure = self.take_failure()
        if failure is not None:
            return self.http_failure(failure) or self.answer(int(failure))
        if p["api_key"] != self.api_key:
            return self.answer(1011)
        if p["senderid"] != self.sender_id:
            return self.answer(1002)
        if not BD_MOBILE.fullmatch(p["number"]):
            return self.answer(1001)
        mid = int(self.next_id())
        self.sent.append({"message_id": str(mid), "number": p["number"], "message": p["message"],
                          "type": kind})
        return self.answer(202, message_id=mid)

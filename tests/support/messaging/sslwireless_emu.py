"""SSL Wireless ISMS API v3 (https://docs.sslwireless.com/sms/sms-api/): POST /api/v3/send-sms
with JSON api_token, sid, msisdn, sms, csms_id. A csms_id seen before is refused as a duplicate
(status_code 4025), so nothing is delivered twice; `deliver()` posts the delivery report to the
account's DLR URL. Violations: not JSON, a missing field, an msisdn not 8801XXXXXXXXX, a csms_id
not [A-Za-z0-9] of at most 20, the text hex-encoded (v3 takes UTF-8)."""
from __future__ import annotations

import re

from tests.support.messaging.base import Emulator

ERRORS = {4001: "Unauthorized", 4003: "IP Blacklisted", 4011: "Invalid SID",
          4015: "Invalid MSISDN", 4016: "Invalid SMS Body", 4017: "Insufficient Balance",
          4025: "Duplicate csms_id", 5000: "Internal Server Error"}
BD_MOBILE = re.compile(r"8801[3-9]\d{8}")


class SslWirelessEmulator(Emulator):
    name = "sslwireless"
    routes = [("POST", r"/api/v3/send-sms", "send_sms")]

    def __init__(self, api_token: str = "ssl-token-5678", sid: str = "NETISP"):
        super().__init__()
        self.api_token, self.sid = api_token, sid
        self.by_csms: dict[str, dict] = {}
        self.accept_then_fail_next = 0   # accept (deliver) the next N, but answer HTTP 504

    def failed(self, code: int):
        return self.json({"status": "FAILED", "status_code": code,
                          "error_message": ERRORS.get(code, "Failed")})

    def send_sms(self, req, seen):
        p = seen.json if isinstance(seen.json, dict) else None
        if p is None:
            self.violation("send-sms: the body is not JSON")
            return self.failed(4016)
        if self.require("send-sms", p, ("api_token", "sid", "msisdn", "sms", "csms_id")):
            return self.failed(4016)
        if not re.fullmatch(r"[A-Za-z0-9]{1,20}", str(p["csms_id"])):
            self.violation(f"send-sms: csms_id {p['csms_id']!r} is not 1-20 letters/digits")
        if re.fullmatch(r"(?:[0-9A-F]{4})+", p["sms"]) and len(p["sms"]) >= 8:
            self.violation("send-sms: sms looks hex-encoded; v3 takes UTF-8 text")
        failure = self.take_failure()
        if failure is not None:
            return self.http_failure(failure) or self.failed(int(failure))
        if p["api_token"] != self.api_token:
            return self.failed(4001)
        if p["sid"] != self.sid:
            return self.failed(4011)
        if not BD_MOBILE.fullmatch(str(p["msisdn"])):
            return self.failed(4015)
        if p["csms_id"] in self.by_csms:
            return self.failed(4025)
        ref = self.next_id("SSL")
        bangla = any(ord(ch) > 0x7F for ch in p["sms"])
        rec = {"reference_id": ref, "csms_id": p["csms_id"], "msisdn": p["msisdn"],
               "sms": p["sms"], "sms_type": "BN" if bangla else "EN"}
        self.by_csms[p["csms_id"]] = rec
        self.sent.append(rec)
        if self.accept_then_fail_next > 0:
            self.accept_then_fail_next -= 1
            return self.text("Gateway Timeout", 504)
        return self.json({"status": "SUCCESS", "status_code": 200, "error_message": "",
                          "smsinfo": [{"sms_status": "SUCCESS", "status_message": "Success",
                                       "msisdn": p["msisdn"], "sms_type": rec["sms_type"],
                                       "sms_body": p["sms"], "csms_id": p["csms_id"],
                                       "reference_id": ref}]})

    def deliver(self, hook_url: str, csms_id: str, status: str = "DELIVERED") -> int:
        """The delivery report of the message `csms_id`, posted to our DLR URL."""
        rec = self.by_csms[csms_id]
        return self.post_dlr(hook_url, {"csms_id": csms_id, "reference_id": rec["reference_id"],
                                        "msisdn": rec["msisdn"], "status": status})

"""bKash Tokenized Checkout (v1.2.0-beta, mode 0011) as its published API behaves: configure
`emu.url` as the API root (the paths are /tokenized/checkout/...) and `emu.credentials`.

Tokens: grant needs the username/password headers and app_key/app_secret; a business call needs
X-App-Key and an id_token that was granted, is not past expires_in and was not replaced by a
refresh (each a violation; a bad token is answered HTTP 401, as bKash's API gateway does).
`expire_tokens()` is bKash ending every id_token and refresh_token early: refused, but not our
fault. A payment is Initiated until the customer authorises it on the page (`pay(id,
"success")`, verificationStatus Complete) and Completed only by execute, once: a second execute
answers 2117. Errors are bKash's statusCode/statusMessage envelope with its published codes.
"""
from __future__ import annotations

import re
import secrets
import time
from decimal import Decimal

from tests.support.gateways.base import Back, Emulator

AMOUNT = re.compile(r"\d{1,10}(\.\d{1,2})?")
P = "/tokenized/checkout"


def _stamp(t: float | None = None) -> str:
    """bKash's time format: 2026-06-11T23:31:24:581 GMT+0600."""
    t = time.time() if t is None else t
    day_time = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t + 6 * 3600))
    return f"{day_time}:{int(t * 1000) % 1000:03d} GMT+0600"


def _id(prefix: str, n: int = 10) -> str:
    return prefix + "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(n))


class BkashEmulator(Emulator):
    name = "bKash"
    routes = [("POST", P + "/token/grant", "grant"), ("POST", P + "/token/refresh", "refresh"),
              ("POST", P + "/create", "create"), ("POST", P + "/execute", "execute"),
              ("POST", P + "/payment/status", "query"),
              ("POST", P + "/general/searchTransaction", "search"),
              ("POST", P + "/payment/refund", "refund")]

    def __init__(self):
        super().__init__()
        # fresh per emulator, so a driver's token cache never mixes two emulators
        self.credentials = {"app_key": _id("emuKey"), "app_secret": _id("emuSecret", 24),
                            "username": "sandboxTokenizedUser02", "password": _id("pw")}
        self.token_ttl = 3600
        self.tokens: dict[str, dict] = {}          # id_token -> {until, refresh, state}
        self.refresh_tokens: dict[str, bool] = {}  # refresh_token -> still valid
        self.by_trx: dict[str, dict] = {}

    # -- helpers ------------------------------------------------------------------------------
    @staticmethod
    def error(code: str, message: str, status: int = 200):
        return Emulator.json({"statusCode": code, "statusMessage": message}, status)

    def body(self, where: str, seen) -> dict:
        if not isinstance(seen.json, dict):
            self.violation(f"{where}: the body is not a JSON object")
            return {}
        return seen.json

    def issue(self, refresh: str | None = None) -> dict:
        token, refresh = _id("id", 40), refresh or _id("rf", 40)
        with self._lock:
            for t in self.tokens.values():
                if t["refresh"] == refresh and t["state"] == "live":
                    t["state"] = "replaced"
            self.tokens[token] = {"until": time.time() + self.token_ttl, "refresh": refresh,
                                  "state": "live"}
            self.refresh_tokens.setdefault(refresh, True)
        return {"statusCode": "0000", "statusMessage": "Successful", "id_token": token,
                "token_type": "Bearer", "expires_in": self.token_ttl, "refresh_token": refresh}

    def expire_tokens(self) -> None:
        with self._lock:
            for t in self.tokens.values():
                t["state"] = "revoked" if t["state"] == "live" else t["state"]
            self.refresh_tokens = dict.fromkeys(self.refresh_tokens, False)

    def authorized(self, req, where: str):
        """None when the headers may call the API, else the answer bKash gives."""
        if req.headers.get("X-App-Key") != self.credentials["app_key"]:
            self.violation(f"{where}: X-App-Key is not the app key")
            return self.error("2001", "Invalid App Key")
        tok = self.tokens.get(req.headers.get("Authorization", ""))
        if tok and tok["state"] == "revoked":
            return self.json({"message": "Unauthorized"}, 401)
        if tok is None or tok["state"] != "live" or tok["until"] < time.time():
            state = "unknown" if tok is None else ("expired" if tok["state"] == "live"
                                                   else tok["state"])
            self.violation(f"{where}: Authorization is not a live id_token ({state})")
            return self.json({"message": "Unauthorized"}, 401)
        return None

    def payment(self, req, seen, where: str):
        """(session, None) for a valid call about a known paymentID, else (None, answer)."""
        refused = self.authorized(req, where)
        if refused:
            return None, refused
        body = self.body(where, seen)
        if self.require(where, body, ("paymentID",)):
            return None, self.error("2065", "Mandatory field missing")
        s = self.sessions.get(body["paymentID"])
        return (s, None) if s else (None, self.error("2002", "Invalid Payment ID"))

    def report(self, s: dict) -> dict:
        """What execute and payment/status say about a payment (tamper_amount applies)."""
        out = {"statusCode": "0000", "statusMessage": "Successful", "paymentID": s["paymentID"],
               "mode": "0011", "payerReference": s["payerReference"],
               "paymentCreateTime": _stamp(s["created"]),
               "amount": str(self.reported_amount(s["amount"])), "currency": s["currency"],
               "intent": "sale", "merchantInvoiceNumber": s["invoice"],
               "merchantInvoice": s["invoice"], "transactionStatus": s["status"],
               "verificationStatus": "Complete" if s["verified"] else "Incomplete"}
        if s["trxID"]:
            out.update(trxID=s["trxID"], customerMsisdn="01770618575",
                       paymentExecuteTime=_stamp(s["executed"]))
        return out

    # -- tokens -------------------------------------------------------------------------------
    def check_login(self, req, seen, where: str, extra: tuple[str, ...] = ()) -> dict | None:
        body, c = self.body(where, seen), self.credentials
        if (req.headers.get("username"), req.headers.get("password")) != (c["username"],
                                                                          c["password"]):
            self.violation(f"{where}: username/password headers are not the merchant's")
            return None
        if self.require(where, body, ("app_key", "app_secret") + extra) or \
                (body["app_key"], body["app_secret"]) != (c["app_key"], c["app_secret"]):
            self.violation(f"{where}: app_key/app_secret are not the merchant's")
            return None
        return body

    def grant(self, req, seen):
        if self.check_login(req, seen, "grant") is None:
            return self.error("2001", "Invalid App Key")
        return self.json(self.issue())

    def refresh(self, req, seen):
        body = self.check_login(req, seen, "refresh", ("refresh_token",))
        if body is None:
            return self.error("2001", "Invalid App Key")
        valid = self.refresh_tokens.get(body["refresh_token"])
        if valid is None:
            self.violation("refresh: unknown refresh_token")
        if not valid:
            return self.error("2001", "Invalid refresh token")
        return self.json(self.issue(body["refresh_token"]))

    # -- payments -----------------------------------------------------------------------------
    def create(self, req, seen):
        refused = self.authorized(req, "create")
        if refused:
            return refused
        body = self.body("create", seen)
        if self.require("create", body, ("mode", "payerReference", "callbackURL", "amount",
                                          "currency", "intent", "merchantInvoiceNumber")):
            return self.error("2065", "Mandatory field missing")
        amount = body["amount"]
        checks = [
            (body["mode"] == "0011", "mode is not 0011", "2063", "Mode is not valid as per "
             "request data"),
            (isinstance(amount, str) and AMOUNT.fullmatch(amount) and Decimal(amount) > 0,
             f"amount {amount!r} is not a string with at most 2 decimals", "2006",
             "Invalid amount"),
            (body["currency"] == "BDT", "currency is not BDT", "2007", "Invalid currency"),
            (body["intent"] == "sale", "intent is not sale", "2008", "Invalid intent"),
            (re.match(r"https?://\S+$", str(body["callbackURL"])), "callbackURL is not a URL",
             "2049", "Invalid Merchant Callback URL"),
            (len(str(body["merchantInvoiceNumber"])) <= 255, "merchantInvoiceNumber too long",
             "2031", "Invalid merchant invoice number")]
        for ok, problem, code, message in checks:
            if not ok:
                self.violation(f"create: {problem}")
                return self.error(code, message)
        pid = _id("TR0011", 14)
        s = {"paymentID": pid, "amount": Decimal(amount), "currency": "BDT",
             "invoice": body["merchantInvoiceNumber"], "payerReference": body["payerReference"],
             "callbackURL": body["callbackURL"], "status": "Initiated", "verified": False,
             "trxID": None, "created": time.time(), "executed": None, "executions": 0,
             "refunds": []}
        with self._lock:
            self.sessions[pid] = s
        cb = body["callbackURL"] + ("&" if "?" in body["callbackURL"] else "?")
        return self.json({
            "statusCode": "0000", "statusMessage": "Successful", "paymentID": pid,
            "bkashURL": self.page_url(pid), "callbackURL": body["callbackURL"],
            "successCallbackURL": f"{cb}paymentID={pid}&status=success",
            "failureCallbackURL": f"{cb}paymentID={pid}&status=failure",
            "cancelledCallbackURL": f"{cb}paymentID={pid}&status=cancel",
            "amount": amount, "intent": "sale", "currency": "BDT",
            "paymentCreateTime": _stamp(s["created"]), "transactionStatus": "Initiated",
            "merchantInvoiceNumber": s["invoice"]})

    def finish(self, session: dict, outcome: str) -> Back:
        """The customer authorises (PIN and OTP), fails or cancels on bKash's page; bKash
        redirects the browser with a GET. A finished payment stays as it is (a replayed page)."""
        with self._lock:
            if session["status"] == "Initiated" and not session["verified"]:
                if outcome == "success":
                    session["verified"] = True
                else:
                    session["status"] = "Cancelled" if outcome == "cancel" else "Failed"
        return Back("GET", session["callbackURL"],
                    {"paymentID": session["paymentID"], "status": outcome})

    def execute(self, req, seen):
        s, refused = self.payment(req, seen, "execute")
        if refused:
            return refused
        with self._lock:
            if s["status"] == "Completed":
                return self.error("2117", "Payment execution already been called before")
            if s["status"] != "Initiated" or not s["verified"]:
                return self.error("2056", "Invalid Payment State")
            s.update(status="Completed", trxID=_id("", 10), executed=time.time(),
                     executions=s["executions"] + 1)
            self.by_trx[s["trxID"]] = s
        return self.json(self.report(s))

    def query(self, req, seen):
        s, refused = self.payment(req, seen, "payment/status")
        return refused or self.json(self.report(s))

    def search(self, req, seen):
        refused = self.authorized(req, "searchTransaction")
        if refused:
            return refused
        body = self.body("searchTransaction", seen)
        if self.require("searchTransaction", body, ("trxID",)):
            return self.error("2065", "Mandatory field missing")
        s = self.by_trx.get(body["trxID"])
        if s is None:
            return self.error("2033", "Transaction not found")
        return self.json({
            "statusCode": "0000", "statusMessage": "Successful", "trxID": s["trxID"],
            "initiationTime": _stamp(s["created"]), "completedTime": _stamp(s["executed"]),
            "transactionType": "bKash Tokenized Checkout via API", "customerMsisdn": "01770618575",
            "transactionStatus": "Completed", "amount": str(self.reported_amount(s["amount"])),
            "currency": "BDT", "organizationShortCode": "50022"})

    def refund(self, req, seen):
        s, refused = self.payment(req, seen, "refund")
        if refused:
            return refused
        body = self.body("refund", seen)
        if self.require("refund", body, ("amount", "trxID", "sku", "reason")):
            return self.error("2065", "Mandatory field missing")
        amount = body["amount"]
        if not (isinstance(amount, str) and AMOUNT.fullmatch(amount) and Decimal(amount) > 0):
            self.violation(f"refund: amount {amount!r} is not a string with at most 2 decimals")
            return self.error("2006", "Invalid amount")
        with self._lock:
            if s["status"] != "Completed" or body["trxID"] != s["trxID"]:
                return self.error("2077", "Invalid TrxID")
            if Decimal(amount) > s["amount"] - sum(r["amount"] for r in s["refunds"]):
                return self.error("2072", "Refund amount not valid")
            r = {"refundTrxID": _id("", 10), "amount": Decimal(amount), "sku": body["sku"],
                 "reason": body["reason"]}
            s["refunds"].append(r)
        return self.json({"completedTime": _stamp(), "transactionStatus": "Completed",
                          "originalTrxID": s["trxID"], "refundTrxID": r["refundTrxID"],
                          "amount": amount, "currency": "BDT", "charge": "0.00"})

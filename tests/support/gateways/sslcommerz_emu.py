"""SSLCommerz's published API (developer.sslcommerz.com/doc/v4), statefully: the session API, the
hosted page, the order validation API, the transaction query and the refund API, plus the
browser's form POST back and the IPN, signed as SSLCommerz signs them (verify_sign/verify_key).

What we send is checked against the documented parameter tables: the store credentials, the
mandatory fields, total_amount as decimal(10,2) within 10.00-500000.00, a 3-letter currency,
http(s) success/fail/cancel/ipn URLs, tran_id of at most 30 characters and unique per session
init, refund_trans_id unique per refund. A problem is recorded with `violation` and answered with
the documented failure envelope ({"status": "FAILED", "failedreason"} for a session,
APIConnect FAILED/INVALID_REQUEST for the validator APIs, status "failed" + errorReason for a
refund).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from decimal import Decimal

from tests.support.gateways.base import Back, Emulator

SESSION_REQUIRED = ("total_amount", "currency", "tran_id", "product_category", "success_url",
                    "fail_url", "cancel_url", "cus_name", "cus_email", "cus_add1", "cus_city",
                    "cus_country", "cus_phone", "shipping_method", "num_of_item", "product_name",
                    "product_profile")
PROFILES = {"general", "physical-goods", "non-physical-goods", "airline-tickets",
            "travel-vertical", "telecom-vertical"}
SHIPPING = {"YES", "NO", "Courier", "SSLCOMMERZ_LOGISTIC"}
AMOUNT = re.compile(r"\d{1,8}\.\d{2}")
NOTICE = ("tran_id", "val_id", "amount", "card_type", "store_amount", "card_no", "bank_tran_id",
          "status", "tran_date", "error", "currency", "card_issuer", "card_brand",
          "card_issuer_country", "card_issuer_country_code", "store_id", "currency_type",
          "currency_amount", "currency_rate", "base_fair", "value_a", "value_b", "value_c",
          "value_d", "risk_level", "risk_title")
BACK_URL = {"success": "success_url", "failure": "fail_url", "cancel": "cancel_url"}
STATUS = {"success": "VALID", "failure": "FAILED", "cancel": "CANCELLED"}


def signed(fields: dict, store_passwd: str) -> dict:
    """`fields` with verify_sign/verify_key as SSLCommerz adds them to a notice."""
    keys = list(fields)
    data = {**fields, "store_passwd": hashlib.md5(store_passwd.encode()).hexdigest()}
    text = "&".join(f"{k}={data[k]}" for k in sorted(data))
    return {**fields, "verify_sign": hashlib.md5(text.encode()).hexdigest(),
            "verify_key": ",".join(keys)}


class SSLCommerzEmulator(Emulator):
    name = "SSLCommerz"
    routes = [("POST", r"/gwprocess/v4/api\.php", "init"),
              ("GET", r"/validator/api/validationserverAPI\.php", "validate"),
              ("GET", r"/validator/api/merchantTransIDvalidationAPI\.php", "query")]

    def __init__(self):
        super().__init__()
        sid = "radbi" + secrets.token_hex(6)
        self.credentials = {"store_id": sid, "store_passwd": f"{sid}@ssl"}
        self.tran_ids: set[str] = set()
        self.refund_ids: set[str] = set()
        self.refunds: list[dict] = []

    # -- session API ---------------------------------------------------------------------------
    def init(self, req, seen):
        f = seen.form
        if not f:
            self.violation("session: not a form POST (application/x-www-form-urlencoded)")
        if not self._authorised("session", f):
            return self.json({"status": "FAILED",
                              "failedreason": "Store Credential Error Or Store is De-active"})
        problems = [f"{n} missing" for n in self.require("session", f, SESSION_REQUIRED)]
        problems += self._check_session(f)
        if problems:
            return self.json({"status": "FAILED", "failedreason": "; ".join(problems)})
        key = secrets.token_hex(16).upper()
        self.tran_ids.add(f["tran_id"])
        self.sessions[key] = {
            "sessionkey": key, "tran_id": f["tran_id"], "amount": Decimal(f["total_amount"]),
            "currency": f["currency"], "ipn_url": f.get("ipn_url"), "attempts": [],
            "urls": {k: f[k] for k in BACK_URL.values()},
            "values": {k: f.get(k, "") for k in ("value_a", "value_b", "value_c", "value_d")}}
        return self.json({"status": "SUCCESS", "failedreason": "", "sessionkey": key,
                          "gw": {"visa": "city_visa,ebl_visa", "mobilebanking": "bkash,upay"},
                          "redirectGatewayURL": self.page_url(key) + "?gw=",
                          "GatewayPageURL": self.page_url(key), "storeBanner": "",
                          "storeLogo": "", "desc": []})

    def _check_session(self, f: dict) -> list[str]:
        problems = []
        amount = f.get("total_amount") or ""
        if amount and not (AMOUNT.fullmatch(amount)
                           and Decimal("10.00") <= Decimal(amount) <= Decimal("500000.00")):
            problems.append(f"total_amount {amount!r} is not decimal(10,2) in 10.00-500000.00")
        if f.get("currency") and not re.fullmatch(r"[A-Z]{3}", f["currency"]):
            problems.append(f"currency {f['currency']!r} is not 3 capital letters")
        tran_id = f.get("tran_id") or ""
        if len(tran_id) > 30:
            problems.append("tran_id longer than 30 characters")
        if tran_id in self.tran_ids:
            problems.append(f"tran_id {tran_id} was used before: it must be unique per session")
        for k in (*BACK_URL.values(), "ipn_url"):
            if not re.match(r"https?://", f.get(k) or ""):
                problems.append(f"{k} is not an http(s) URL")
        if f.get("product_profile") and f["product_profile"] not in PROFILES:
            problems.append(f"product_profile {f['product_profile']!r} is not documented")
        if f.get("shipping_method") and f["shipping_method"] not in SHIPPING:
            problems.append(f"shipping_method {f['shipping_method']!r} is not documented")
        if f.get("shipping_method") == "YES":
            problems += [f"{k} missing (shipping_method YES)" for k in
                         ("ship_name", "ship_add1", "ship_city", "ship_postcode", "ship_country")
                         if not f.get(k)]
        if f.get("num_of_item") and not f["num_of_item"].isdigit():
            problems.append("num_of_item is not a number")
        if f.get("cus_email") and "@" not in f["cus_email"]:
            problems.append("cus_email is not an email address")
        for p in problems:
            self.violation(f"session: {p}")
        return problems

    # -- the customer on the hosted page --------------------------------------------------------
    def finish(self, session: dict, outcome: str) -> Back:
        status = STATUS[outcome]
        paid = self.reported_amount(session["amount"])
        attempt = {"status": status, "validated": False, "amount": paid,
                   "tran_date": dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
                   "val_id": "", "bank_tran_id": "", "error": ""}
        if outcome != "cancel":
            attempt["bank_tran_id"] = secrets.token_hex(13).upper()
        if outcome == "success":
            attempt["val_id"] = dt.datetime.now().strftime("%y%m%d%H%M%S") + secrets.token_hex(7)
        if outcome == "failure":
            attempt["error"] = "Declined by the issuer bank"
        session["attempts"].append(attempt)
        fields = signed({k: v for k, v in self._row(session, attempt).items() if k in NOTICE},
                        self.credentials["store_passwd"])
        if session.get("ipn_url"):
            self.post_ipn(session["ipn_url"], fields)
        return Back("POST", session["urls"][BACK_URL[outcome]], fields)

    def _row(self, s: dict, a: dict) -> dict:
        amount = f"{a['amount']:.2f}"
        return {"status": "VALIDATED" if a["validated"] else a["status"],
                "tran_date": a["tran_date"],
                "tran_id": s["tran_id"], "val_id": a["val_id"], "amount": amount,
                "store_amount": f"{a['amount'] * Decimal('0.975'):.2f}", "currency": "BDT",
                "bank_tran_id": a["bank_tran_id"], "card_type": "BKASH-BKash",
                "card_no": "01711XXXXXX", "card_issuer": "BKash Mobile Banking",
                "card_brand": "MOBILEBANKING", "card_issuer_country": "Bangladesh",
                "card_issuer_country_code": "BD", "currency_type": s["currency"],
                "currency_amount": amount, "currency_rate": "1.0000", "base_fair": "0.00",
                "store_id": self.credentials["store_id"], "risk_level": "0", "risk_title": "Safe",
                "error": a["error"], **s["values"]}

    def _attempts(self):
        for s in self.sessions.values():
            for a in s["attempts"]:
                yield s, a

    # -- validator APIs -------------------------------------------------------------------------
    def validate(self, req, seen):
        a = seen.args
        if not self._authorised("validation", a):
            return self.json({"APIConnect": "FAILED"})
        if self.require("validation", a, ("val_id",)):
            return self.json({"APIConnect": "INVALID_REQUEST"})
        found = [(s, t) for s, t in self._attempts() if t["val_id"] == a["val_id"]]
        if not found:
            return self.json({"status": "INVALID_TRANSACTION", "APIConnect": "DONE"})
        s, t = found[0]
        row = self._row(s, t)
        t["validated"] = t["status"] == "VALID"   # "Once the Validation API is called... VALIDATED"
        return self.json({**row, "APIConnect": "DONE", "gw_version": "4.0",
                          "validated_on": dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")})

    def query(self, req, seen):
        a = seen.args
        if not self._authorised("validator", a):
            return self.json({"APIConnect": "FAILED"})
        if a.get("bank_tran_id") or a.get("refund_amount"):
            return self._refund(a)
        if a.get("tran_id"):
            rows = [self._row(s, t) for s, t in self._attempts() if s["tran_id"] == a["tran_id"]]
            return self.json({"APIConnect": "DONE", "no_of_trans_found": len(rows),
                              "element": rows})
        self.violation("transaction query: neither tran_id nor sessionkey nor bank_tran_id")
        return self.json({"APIConnect": "INVALID_REQUEST"})

    def _refund(self, a: dict):
        if self.require("refund", a, ("bank_tran_id", "refund_trans_id", "refund_amount",
                                      "refund_remarks")):
            return self.json({"APIConnect": "INVALID_REQUEST"})
        head = {"APIConnect": "DONE", "bank_tran_id": a["bank_tran_id"]}
        paid = [(s, t) for s, t in self._attempts()
                if t["bank_tran_id"] == a["bank_tran_id"] and t["status"] == "VALID"]
        if not paid:
            return self.json({**head, "status": "failed", "errorReason": "Invalid bank_tran_id"})
        s, t = paid[0]
        refunded = sum((r["amount"] for r in self.refunds
                        if r["bank_tran_id"] == a["bank_tran_id"]), Decimal(0))
        why = None
        if a["refund_trans_id"] in self.refund_ids or len(a["refund_trans_id"]) > 30:
            self.violation(f"refund: refund_trans_id {a['refund_trans_id']} reused or too long")
            why = "refund_trans_id must be unique"
        elif not AMOUNT.fullmatch(a["refund_amount"]):
            self.violation(f"refund: refund_amount {a['refund_amount']!r} is not decimal(10,2)")
            why = "Invalid refund_amount"
        elif Decimal(a["refund_amount"]) > t["amount"] - refunded:
            why = "Refund amount exceeds the transaction amount"
        if why:
            return self.json({**head, "trans_id": s["tran_id"], "status": "failed",
                              "errorReason": why})
        self.refund_ids.add(a["refund_trans_id"])
        ref_id = secrets.token_hex(10)
        self.refunds.append({"bank_tran_id": a["bank_tran_id"], "refund_ref_id": ref_id,
                             "amount": Decimal(a["refund_amount"]),
                             "remarks": a["refund_remarks"]})
        return self.json({**head, "trans_id": s["tran_id"], "refund_ref_id": ref_id,
                          "status": "success", "errorReason": ""})

    def _authorised(self, where: str, values: dict) -> bool:
        c = self.credentials
        if (values.get("store_id") == c["store_id"]
                and values.get("store_passwd") == c["store_passwd"]):
            return True
        self.violation(f"{where}: wrong or missing store_id/store_passwd")
        return False

"""aamarPay's published API (aamarpay.readme.io), statefully: the JSON payment API, the hosted
page, the search transaction API, and the browser's way back (a form POST of the payment's
fields to success_url/fail_url; nothing but a redirect to cancel_url).

What we send is checked against the documented parameter table: a JSON body with type "json",
store_id and signature_key, the required customer fields, amount as digits with a '.' decimal
separator (no symbols or commas), an upper-case BDT/USD currency, http(s) success/fail/cancel
URLs, tran_id of at most 32 characters and unique per payment. aamarPay documents only its
success answers, so a refusal here is {"result": <reason>} (no payment_url), and a search for a
transaction it never saw is {"result": "No transaction found"} (no pay_status).
"""
from __future__ import annotations

import datetime as dt
import re
import secrets
import time
from decimal import Decimal

from werkzeug.wrappers import Response

from tests.support.gateways.base import Back, Emulator

REQUIRED = ("store_id", "signature_key", "tran_id", "amount", "currency", "desc", "cus_name",
            "cus_email", "cus_phone", "cus_add1", "cus_add2", "cus_city", "cus_country",
            "success_url", "fail_url", "cancel_url", "type")
PAY_STATUS = {"success": "Successful", "failure": "Failed", "cancel": "Cancelled"}


class AamarPayEmulator(Emulator):
    name = "aamarPay"
    routes = [("POST", r"/jsonpost\.php", "init"),
              ("GET", r"/api/v1/trxcheck/request\.php", "search"),
              ("GET", r"/paynow\.php", "paynow")]

    def __init__(self):
        super().__init__()
        self.credentials = {"store_id": "radbill" + secrets.token_hex(3),
                            "signature_key": secrets.token_hex(16)}
        self.relative_payment_url = False   # answer payment_url as a path (some stores see it)

    # -- the JSON payment API -------------------------------------------------------------------
    def init(self, req, seen):
        body = seen.json if isinstance(seen.json, dict) else None
        if body is None:
            self.violation("payment: the body is not JSON (Content-Type application/json)")
            body = dict(seen.form)
        if not self._authorised("payment", body):
            return self.json({"result": "Invalid Store ID or Signature Key"})
        problems = [f"{n} missing" for n in self.require("payment", body, REQUIRED)]
        problems += self._check(body)
        if problems:
            return self.json({"result": "; ".join(problems)})
        track = f"AAM{int(time.time() * 1000)}{secrets.randbelow(10 ** 6):06d}"
        self.sessions[track] = {
            "track": track, "tran_id": body["tran_id"], "amount": Decimal(str(body["amount"])),
            "currency": body["currency"], "pay_status": "Pending", "pg_txnid": "",
            "urls": {k: body[k] for k in ("success_url", "fail_url", "cancel_url")},
            "customer": {k: body[k] for k in ("cus_name", "cus_email", "cus_phone", "desc")},
            "opts": {k: body.get(k) or "" for k in ("opt_a", "opt_b", "opt_c", "opt_d")}}
        path = f"paynow.php?track={track}"   # the documented shape of payment_url
        return self.json({"result": "true", "payment_url": path if self.relative_payment_url
                          else f"{self.url}/{path}"})

    def paynow(self, req, seen):
        """The payment_url a browser opens: on to the hosted page."""
        track = seen.args.get("track", "")
        if track not in self.sessions:
            return Response("unknown payment", status=404)
        return Response("", status=302, headers={"Location": self.page_url(track)})

    def _check(self, b: dict) -> list[str]:
        problems = []
        if b.get("type") not in (None, "", "json"):
            problems.append(f"type is {b['type']!r}, not \"json\"")
        amount = str(b.get("amount") or "")
        if amount and not re.fullmatch(r"\d+(\.\d{1,2})?", amount):
            problems.append(f"amount {amount!r}: digits and a '.' only (no symbols or commas)")
        elif amount and Decimal(amount) <= 0:
            problems.append("amount is not positive")
        if b.get("currency") and b["currency"] not in ("BDT", "USD"):
            problems.append(f"currency {b['currency']!r} is not BDT or USD (upper case)")
        tran_id = str(b.get("tran_id") or "")
        if len(tran_id) > 32:
            problems.append("tran_id longer than 32 characters")
        if any(s["tran_id"] == tran_id for s in self.sessions.values()):
            problems.append(f"tran_id {tran_id} was used before: it must be unique per payment")
        for k in ("success_url", "fail_url", "cancel_url"):
            if b.get(k) and not re.match(r"https?://", str(b[k])):
                problems.append(f"{k} is not an http(s) URL")
        if b.get("cus_email") and "@" not in str(b["cus_email"]):
            problems.append("cus_email is not an email address")
        for p in problems:
            self.violation(f"payment: {p}")
        return problems

    # -- the customer on the hosted page --------------------------------------------------------
    def finish(self, session: dict, outcome: str) -> Back:
        session["pay_status"] = PAY_STATUS[outcome]
        session["paid"] = self.reported_amount(session["amount"])
        session["pay_time"] = dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        if outcome == "cancel":   # "We do not submit any data in cancel_url"
            return Back("GET", session["urls"]["cancel_url"], {})
        session["pg_txnid"] = session["track"]
        session["bank_txn"] = secrets.token_hex(5).upper()
        s, amount = session, f"{session['paid']:.2f}"
        fields = {"pg_service_charge_bdt": "0.21", "pg_service_charge_usd": "Not-Available",
                  "pg_card_bank_name": "", "pg_card_bank_country": "", "card_number": "01711XXXXXX",
                  "card_holder": "",
                  "pay_status": s["pay_status"], "success_url": s["urls"]["success_url"],
                  "fail_url": s["urls"]["fail_url"], **{k: v for k, v in s["customer"].items()},
                  "currency_merchant": s["currency"], "convertion_rate": "", "ip_address":
                  "127.0.0.1", "other_currency": amount, "pg_txnid": s["pg_txnid"],
                  "epw_txnid": s["pg_txnid"], "mer_txnid": s["tran_id"],
                  "store_id": self.credentials["store_id"],
                  "merchant_id": self.credentials["store_id"], "currency": "BDT",
                  "store_amount": f"{session['paid'] * Decimal('0.979'):.2f}",
                  "pay_time": s["pay_time"], "amount": amount, "bank_txn": s["bank_txn"],
                  "card_type": "bKash-bKash", "reason": "" if outcome == "success"
                  else "Insufficient balance", "pg_card_risklevel": "0",
                  "pg_error_code_details": "", **s["opts"]}
        if outcome == "success":   # the only status_code published ("2", Successful)
            fields["status_code"] = "2"
        return Back("POST", s["urls"]["success_url" if outcome == "success" else "fail_url"],
                    fields)

    # -- the search transaction API -------------------------------------------------------------
    def search(self, req, seen):
        a = seen.args
        if not self._authorised("search", a):
            return self.json({"result": "Invalid Store ID or Signature Key"})
        self.require("search", a, ("request_id", "type"))
        if a.get("type") and a["type"] != "json":
            self.violation(f"search: type is {a['type']!r}, not \"json\"")
        found = [s for s in self.sessions.values() if s["tran_id"] == a.get("request_id")]
        if not found:
            return self.json({"result": "No transaction found"})
        s = found[-1]
        paid = s.get("paid", s["amount"])
        amount = f"{paid:.2f}"
        row = {"pg_txnid": s["pg_txnid"], "mer_txnid": s["tran_id"], "risk_title": "Safe",
               "risk_level": "0", **s["customer"], "merchant_id": self.credentials["store_id"],
               "store_id": self.credentials["store_id"], "amount": amount, "amount_bdt": amount,
               "pay_status": s["pay_status"], "status_title": f"{s['pay_status']} Transaction",
               "cardnumber": "01711XXXXXX", "payment_processor": "bKash",
               "bank_trxid": s.get("bank_txn", ""), "payment_type": "bKash-bKash",
               "error_code": "No", "error_title": "Not Available",
               "date": s.get("pay_time", ""), "date_processed": s.get("pay_time", ""),
               "amount_currency": amount, "rec_amount": f"{paid * Decimal('0.979'):.2f}",
               "currency": "BDT", "currency_merchant": s["currency"],
               **{k: v or "Not-Available" for k, v in s["opts"].items()}}
        if s["pay_status"] == "Successful":
            row["status_code"] = "2"
        return self.json(row)

    def _authorised(self, where: str, values: dict) -> bool:
        c = self.credentials
        if (values.get("store_id") == c["store_id"]
                and values.get("signature_key") == c["signature_key"]):
            return True
        self.violation(f"{where}: wrong or missing store_id/signature_key")
        return False

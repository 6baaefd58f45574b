"""aamarPay (aamarpay.readme.io): a hosted payment page opened by the JSON API; a payment is
believed only from aamarPay's search transaction API, asked by our own tran_id.

    start    POST /jsonpost.php (JSON, type "json")                 -> payment_url
    confirm  GET /api/v1/trxcheck/request.php?request_id=<tran_id>&store_id&signature_key&type=json
             pay_status "Successful" -> PAID (amount, currency, pg_txnid); "Failed"; "Cancelled";
             anything else (Pending, Incomplete, no record) waits
    refund   aamarPay publishes no refund API: the base class' Unsupported (refund from the
             merchant panel)

aamarPay POSTs the browser back to success_url/fail_url with mer_txnid, pg_txnid, pay_status,
amount... unsigned, so none of it is used: confirm always searches (the callback only tells us
which invoice, by mer_txnid). It sends nothing to cancel_url (a plain redirect). The signature key
travels in the search URL (that is the published API), so no request error is quoted.
"""
from __future__ import annotations

from urllib.parse import parse_qs, urljoin, urlsplit

import requests

from rating.gateways import (CANCELLED, FAILED, PAID, PENDING, Driver, GatewayError, Order, Ref,
                             Started, Status, money, register)

ENDED = {"successful": PAID, "failed": FAILED, "cancelled": CANCELLED, "canceled": CANCELLED}
# cus_email and cus_phone are mandatory; many subscribers have no email, some no mobile
NO_EMAIL, NO_PHONE = "noreply@example.com", "N/A"


@register
class AamarPay(Driver):
    kind, label = "aamarpay", "aamarPay"
    CREDENTIALS = ("store_id", "signature_key")
    URLS = {"sandbox": "https://sandbox.aamarpay.com", "live": "https://secure.aamarpay.com"}
    INIT = "/jsonpost.php"
    SEARCH = "/api/v1/trxcheck/request.php"
    can_refund = False

    @classmethod
    def invoice_of(cls, params: dict) -> str | None:
        return params.get("invoice") or params.get("mer_txnid")

    def start(self, order: Order) -> Started:
        body = {**self._auth(), "tran_id": order.invoice, "amount": f"{money(order.amount):.2f}",
                "currency": order.currency, "desc": order.description,
                "cus_name": order.customer_name, "cus_email": order.customer_email or NO_EMAIL,
                "cus_phone": order.customer_mobile or NO_PHONE, "cus_add1": "N/A",
                "cus_add2": "N/A", "cus_city": "N/A", "cus_country": "Bangladesh",
                "success_url": order.callback_url, "fail_url": order.callback_url,
                "cancel_url": order.callback_url, "opt_a": order.invoice, "type": "json"}
        data = self._call("POST", self.INIT, json=body)
        url = data.get("payment_url") if isinstance(data, dict) else None
        if not url:
            raise GatewayError(f"aamarPay refused the payment: {self._reason(data)}")
        url = urljoin(self.config.base_url.rstrip("/") + "/", str(url))   # it may be a path
        track = parse_qs(urlsplit(url).query).get("track", [order.invoice])[0]
        return Started(url, track, raw={"result": data.get("result"), "payment_url": url})

    def confirm(self, ref: Ref, params: dict | None = None) -> Status:
        data = self._call("GET", self.SEARCH, params={"request_id": ref.invoice, **self._auth(),
                                                      "type": "json"})
        if isinstance(data, list):   # some answers come as a one-row list
            data = data[0] if data and isinstance(data[0], dict) else {}
        if not isinstance(data, dict):
            raise GatewayError("aamarPay's search answered without its JSON object")
        said = str(data.get("pay_status") or "").strip()
        if not said:
            return Status(PENDING, message=f"aamarPay has no payment for {ref.invoice} yet: "
                          f"{self._reason(data)}", raw=self._raw(data))
        if data.get("mer_txnid") not in (None, ref.invoice):
            return Status(PENDING, message="aamarPay answered about another transaction",
                          raw=self._raw(data))
        state = ENDED.get(said.lower(), PENDING)
        if state != PAID:
            why = data.get("status_title") or data.get("error_title") or said
            return Status(state, message=f"aamarPay says {self._clean(why)}", raw=self._raw(data))
        currency = data.get("currency_merchant") or data.get("currency")
        amount = data.get("amount") if currency in (None, "BDT") else data.get("amount_currency")
        if amount in (None, "") or not data.get("pg_txnid"):
            raise GatewayError("aamarPay said Successful without an amount or pg_txnid")
        return Status(PAID, amount=money(amount), currency=currency, txn_id=str(data["pg_txnid"]),
                      raw=self._raw(data))

    # -- talking to aamarPay -------------------------------------------------------------------
    def _auth(self) -> dict:
        c = self.config.credentials
        return {"store_id": c.get("store_id", ""), "signature_key": c.get("signature_key", "")}

    def _call(self, method: str, path: str, **kw):
        url = self.config.base_url.rstrip("/") + path
        try:
            r = self.http.request(method, url, timeout=self.config.timeout, **kw)
        except requests.RequestException as exc:   # its text holds the URL, the key included
            raise GatewayError(f"aamarPay could not be reached ({type(exc).__name__})") from None
        if r.status_code >= 500:
            raise GatewayError(f"aamarPay answered HTTP {r.status_code}")
        try:
            return r.json()
        except ValueError:
            raise GatewayError(f"aamarPay answered HTTP {r.status_code} without its JSON") from None

    def _reason(self, data) -> str:
        """aamarPay documents only its success answers: quote whatever text a refusal has."""
        if isinstance(data, dict):
            texts = [str(v) for k, v in data.items() if k not in self.CREDENTIALS and v
                     and k != "payment_url"]
            data = "; ".join(texts)
        return self._clean(data or "no reason given")

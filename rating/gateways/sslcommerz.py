"""SSLCommerz (developer.sslcommerz.com/doc/v4): a hosted payment page opened by the session API;
a payment is believed only from SSLCommerz's own APIs, never from what the browser or IPN says.

    start    POST /gwprocess/v4/api.php (form)              -> GatewayPageURL, sessionkey
    confirm  GET /validator/api/validationserverAPI.php     by the val_id a notice names, if the
             answer is a paid transaction of *our* tran_id (a val_id of another payment proves
             nothing); else GET /validator/api/merchantTransIDvalidationAPI.php by tran_id
    refund   GET merchantTransIDvalidationAPI.php with bank_tran_id, refund_amount,
             refund_remarks and refund_trans_id (unique per refund)

The browser comes back by a form POST to success/fail/cancel_url and the IPN is a form POST to
ipn_url; both carry `verify_sign`, the md5 of the fields `verify_key` lists plus
store_passwd=md5(store_passwd), sorted by name and joined as k=v&k=v. A notice whose signature
does not match is not used at all: we ask by our own tran_id. The store password travels in the
validation and query URLs (that is the published API), so no request error is quoted.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from decimal import Decimal

import requests

from rating.gateways import (CANCELLED, FAILED, PAID, PENDING, Driver, GatewayError, Order, Ref,
                             Refunded, Started, Status, money, register)

PAID_STATES = {"VALID", "VALIDATED"}
ENDED = {"FAILED": FAILED, "CANCELLED": CANCELLED}   # PENDING, UNATTEMPTED, EXPIRED...: wait
# cus_email and cus_phone are mandatory; many subscribers have no email, some no mobile
NO_EMAIL, NO_PHONE = "noreply@example.com", "N/A"


def verify_sign(params: dict, store_passwd: str) -> str:
    """The signature SSLCommerz puts on a notice, over the fields its verify_key names."""
    fields = {k: params[k] for k in str(params.get("verify_key", "")).split(",") if k in params}
    fields["store_passwd"] = hashlib.md5(store_passwd.encode()).hexdigest()
    text = "&".join(f"{k}={fields[k]}" for k in sorted(fields))
    return hashlib.md5(text.encode()).hexdigest()


@register
class SSLCommerz(Driver):
    kind, label = "sslcommerz", "SSLCommerz"
    CREDENTIALS = ("store_id", "store_passwd")
    URLS = {"sandbox": "https://sandbox.sslcommerz.com", "live": "https://securepay.sslcommerz.com"}
    INIT = "/gwprocess/v4/api.php"
    VALIDATE = "/validator/api/validationserverAPI.php"
    QUERY = "/validator/api/merchantTransIDvalidationAPI.php"

    @classmethod
    def invoice_of(cls, params: dict) -> str | None:
        return params.get("invoice") or params.get("tran_id")

    def start(self, order: Order) -> Started:
        form = {**self._auth(), "total_amount": f"{money(order.amount):.2f}",
                "currency": order.currency, "tran_id": order.invoice,
                "success_url": order.callback_url, "fail_url": order.callback_url,
                "cancel_url": order.callback_url, "ipn_url": order.ipn_url,
                "cus_name": order.customer_name[:50], "cus_email": order.customer_email or NO_EMAIL,
                "cus_phone": order.customer_mobile or NO_PHONE, "cus_add1": "N/A",
                "cus_city": "N/A", "cus_country": "Bangladesh", "shipping_method": "NO",
                "num_of_item": "1", "product_name": order.description[:255],
                "product_category": "Internet service", "product_profile": "non-physical-goods",
                "value_a": order.invoice}
        data = self._call("POST", self.INIT, data=form)
        if data.get("status") != "SUCCESS" or not data.get("GatewayPageURL"):
            reason = data.get("failedreason") or data.get("status") or "no reason given"
            raise GatewayError(f"SSLCommerz refused the payment: {self._clean(reason)}")
        return Started(data["GatewayPageURL"], data.get("sessionkey") or order.invoice,
                       raw={k: data.get(k) for k in ("status", "sessionkey", "GatewayPageURL")})

    def confirm(self, ref: Ref, params: dict | None = None) -> Status:
        params, note = dict(params or {}), ""
        sign = params.get("verify_sign")
        if sign and not hmac.compare_digest(verify_sign(params, self._passwd()).encode(),
                                            str(sign).encode()):
            params, note = {}, "the notice's verify_sign did not match (ignored it); "
        if params.get("val_id"):
            data = self._get(self.VALIDATE, val_id=params["val_id"], v="1")
            if data.get("tran_id") == ref.invoice and data.get("status") in PAID_STATES:
                return self._paid(data, note)
            note += f"val_id {str(params['val_id'])[:60]} is no paid transaction of ours; "
        data = self._get(self.QUERY, tran_id=ref.invoice)
        rows = data.get("element") or []
        rows = [r for r in ([rows] if isinstance(rows, dict) else rows)
                if isinstance(r, dict) and r.get("tran_id", ref.invoice) == ref.invoice]
        paid = [r for r in rows if r.get("status") in PAID_STATES]
        if paid:
            return self._paid(paid[0], note)
        if not rows:
            return Status(PENDING, message=note + "no transaction at SSLCommerz yet",
                          raw=self._raw(data))
        last = max(rows, key=lambda r: str(r.get("tran_date") or ""))
        state = str(last.get("status") or "").upper()
        reason = f": {self._clean(last['error'])}" if last.get("error") else ""
        return Status(ENDED.get(state, PENDING), message=f"{note}SSLCommerz says {state}{reason}",
                      raw=self._raw(last))

    def refund(self, ref: Ref, amount: Decimal, reason: str) -> Refunded:
        if not ref.gateway_txn:
            raise GatewayError("no SSLCommerz bank_tran_id to refund: the payment is not confirmed")
        amount = money(amount)
        data = self._get(self.QUERY, bank_tran_id=ref.gateway_txn,
                         refund_trans_id="RF" + secrets.token_hex(8).upper(),
                         refund_amount=f"{amount:.2f}", refund_remarks=(reason or "refund")[:255],
                         refe_id=ref.invoice)
        status = str(data.get("status") or "").lower()
        if status not in ("success", "processing") or not data.get("refund_ref_id"):
            why = data.get("errorReason") or status or "no status"
            raise GatewayError(f"SSLCommerz refused the refund: {self._clean(why)}")
        return Refunded(str(data["refund_ref_id"]), amount, message=status, raw=self._raw(data))

    # -- talking to SSLCommerz -----------------------------------------------------------------
    def _auth(self) -> dict:
        c = self.config.credentials
        return {"store_id": c.get("store_id", ""), "store_passwd": c.get("store_passwd", "")}

    def _passwd(self) -> str:
        return self.config.credentials.get("store_passwd", "")

    def _get(self, path: str, **query) -> dict:
        """A validator API call; an APIConnect other than DONE is our credentials' problem."""
        data = self._call("GET", path, params={**query, **self._auth(), "format": "json"})
        api = data.get("APIConnect")
        if api and api != "DONE":
            raise GatewayError(f"SSLCommerz refused the request (APIConnect {self._clean(api)}): "
                               "check the store id and password")
        return data

    def _call(self, method: str, path: str, **kw) -> dict:
        url = self.config.base_url.rstrip("/") + path
        try:
            r = self.http.request(method, url, timeout=self.config.timeout, **kw)
        except requests.RequestException as exc:   # its text holds the URL, password included
            raise GatewayError(f"SSLCommerz could not be reached ({type(exc).__name__})") from None
        if r.status_code >= 500:
            raise GatewayError(f"SSLCommerz answered HTTP {r.status_code}")
        try:
            data = r.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise GatewayError(f"SSLCommerz answered HTTP {r.status_code} without its JSON")
        return data

    def _paid(self, row: dict, note: str) -> Status:
        """A VALID/VALIDATED transaction: what was paid in the currency we asked for (SSLCommerz
        settles in BDT; currency_type/currency_amount repeat what the session sent)."""
        amount = row.get("currency_amount") or row.get("amount")
        if amount in (None, "") or not row.get("bank_tran_id"):
            raise GatewayError("SSLCommerz said VALID without an amount or bank_tran_id")
        risky = str(row.get("risk_level")) == "1"   # the docs: hold it and verify the customer
        risk = "; SSLCommerz marks it risky (risk_level 1)" if risky else ""
        return Status(PAID, amount=money(amount),
                      currency=row.get("currency_type") or row.get("currency"),
                      txn_id=str(row["bank_tran_id"]), message=(note + risk).strip("; "),
                      raw=self._raw(row))

"""bKash Tokenized Checkout (URL based, mode 0011), API v1.2.0-beta, as bKash publishes it:

    POST {root}/tokenized/checkout/token/grant     headers username, password; app_key, app_secret
    POST {root}/tokenized/checkout/token/refresh   the same + refresh_token
    POST {root}/tokenized/checkout/create          headers Authorization (the id_token), X-App-Key
    POST {root}/tokenized/checkout/execute         {paymentID}: the step that moves the money
    POST {root}/tokenized/checkout/payment/status  {paymentID}
    POST {root}/tokenized/checkout/payment/refund  {paymentID, amount, trxID, sku, reason}

An answer is `statusCode` "0000" or an error envelope (`statusCode`/`statusMessage`, or
`errorCode`/`errorMessage`). The browser comes back to callbackURL?paymentID=...&status=
success|failure|cancel; bKash says to execute only after status=success and, when execute goes
unanswered or was already called (2117), to ask payment/status instead of executing again.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from time import monotonic

import requests

from rating.gateways import (CANCELLED, FAILED, PAID, PENDING, Driver, GatewayError, Order,
                             Ref, Refunded, Started, Status, money, register)

EARLY = 300  # seconds before bKash's expiry (3600 s) that we refresh the id_token
ASK_LATER = {"2001", "503", "9999"}  # our app key refused, maintenance, system error
# execute refused because of the payment's state (not yet authorised, already executed or
# completed): payment/status tells how it stands
STATE_CODES = {"2056", "2062", "2068", "2117"}
STATES = {"Completed": PAID, "Cancelled": CANCELLED, "Failed": FAILED, "Expired": FAILED,
         "Declined": FAILED}


@dataclass
class _Token:
    id_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    until: float


_TOKENS: dict[tuple[str, str], _Token] = {}   # (API root, app key) -> this process's token
_LOCK = threading.Lock()


def _error(answer: dict) -> tuple[str, str] | None:
    """(code, message) when `answer` is one of bKash's error envelopes."""
    if answer.get("errorCode"):
        return str(answer["errorCode"]), str(answer.get("errorMessage") or "")
    if answer.get("statusCode") not in (None, "0000"):
        return str(answer["statusCode"]), str(answer.get("statusMessage") or "")
    return None


@register
class Bkash(Driver):
    kind = "bkash"
    label = "bKash"
    CREDENTIALS = ("app_key", "app_secret", "username", "password")
    URLS = {"sandbox": "https://tokenized.sandbox.bka.sh/v1.2.0-beta",
            "live": "https://tokenized.pay.bka.sh/v1.2.0-beta"}
    # the bkashURL the browser opens (the tokenized checkout's hosted page)
    PAGE_HOSTS = {"sandbox": ("sandbox.payment.bkash.com",), "live": ("payment.bkash.com",)}

    # -- HTTP -----------------------------------------------------------------------------------
    def _post(self, path: str, body: dict, headers: dict) -> tuple[int, dict]:
        """POST JSON; network trouble, 5xx and non-JSON are GatewayErrors (no secrets, no
        chained exception: a requests exception carries our headers)."""
        url = f"{self.config.base_url.rstrip('/')}/tokenized/checkout/{path}"
        try:
            r = self.http.post(url, json=body, timeout=self.config.timeout,
                               headers={"Accept": "application/json", **headers})
        except requests.Timeout:
            raise GatewayError(f"bKash did not answer {path} within {self.config.timeout:g} s"
                               ) from None
        except requests.RequestException as exc:
            raise GatewayError(f"bKash could not be reached for {path} ({type(exc).__name__})"
                               ) from None
        if r.status_code >= 500:
            raise GatewayError(f"bKash answered HTTP {r.status_code} to {path}")
        if r.status_code == 401:
            return 401, {}
        try:
            answer = r.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise GatewayError(f"bKash's answer to {path} is not the documented JSON "
                               f"(HTTP {r.status_code})")
        return r.status_code, answer

    def _token_call(self, path: str, extra: dict) -> _Token:
        c = self.config.credentials
        status, answer = self._post(path, {"app_key": c["app_key"], "app_secret": c["app_secret"],
                                           **extra},
                                    {"username": c["username"], "password": c["password"]})
        if status == 401:
            raise GatewayError(f"bKash refused our credentials ({path}: HTTP 401)")
        err = _error(answer)
        if err or not answer.get("id_token"):
            raise GatewayError(f"bKash gave no token ({path}: "
                               f"{' '.join(err) if err else 'no id_token'})")
        expires = int(answer.get("expires_in") or 3600)
        return _Token(answer["id_token"], answer.get("refresh_token") or extra.get("refresh_token")
                      or "", monotonic() + expires - EARLY)

    def _key(self) -> tuple[str, str]:
        return self.config.base_url, self.config.credentials["app_key"]

    def _token(self) -> str:
        """The cached id_token; past its time, refreshed with the refresh_token, or granted
        anew when there is none or bKash refuses the refresh."""
        with _LOCK:
            tok = _TOKENS.get(self._key())
        if tok and monotonic() < tok.until:
            return tok.id_token
        new = None
        if tok and tok.refresh_token:
            try:
                new = self._token_call("token/refresh", {"refresh_token": tok.refresh_token})
            except GatewayError:
                new = None
        new = new or self._token_call("token/grant", {})
        with _LOCK:
            _TOKENS[self._key()] = new
        return new.id_token

    def _call(self, path: str, body: dict, again: bool = True) -> dict:
        """A business call with the token; a refused token (401) is dropped, one grant and one
        retry (bKash processed nothing it answered 401)."""
        headers = {"Authorization": self._token(), "X-App-Key": self.config.credentials["app_key"]}
        status, answer = self._post(path, body, headers)
        if status == 401:
            with _LOCK:
                _TOKENS.pop(self._key(), None)
            if again:
                return self._call(path, body, again=False)
            raise GatewayError(f"bKash refused a token it had just granted ({path})")
        err = _error(answer)
        if err and err[0] in ASK_LATER:
            raise GatewayError(f"bKash could not do {path} now: {' '.join(err)}")
        return answer

    # -- the interface --------------------------------------------------------------------------
    def start(self, order: Order) -> Started:
        answer = self._call("create", {
            "mode": "0011", "payerReference": order.customer_mobile or order.invoice,
            "callbackURL": order.callback_url, "amount": str(money(order.amount)),
            "currency": order.currency, "intent": "sale",
            "merchantInvoiceNumber": order.invoice})
        err = _error(answer)
        if err or not answer.get("paymentID") or not answer.get("bkashURL"):
            raise GatewayError("bKash refused the payment: "
                               + (" ".join(err) if err else "no paymentID or bkashURL"))
        return Started(answer["bkashURL"], answer["paymentID"], answer)

    def confirm(self, ref: Ref, params: dict | None = None) -> Status:
        """Execute after a success callback (once: a known trxID means it was), otherwise ask
        payment/status. The callback's status is believed only where bKash does not
        contradict it: cancel/failure on a payment bKash still calls Initiated."""
        if not ref.gateway_ref:
            return Status(FAILED, message="no bKash payment was created")
        p = params or {}
        said = p.get("status") if p.get("paymentID") == ref.gateway_ref else None
        if said == "success" and not ref.gateway_txn:
            return self._execute(ref)
        found = self._query(ref)
        status = self._status(found)
        if status.state != PENDING:
            return status
        if said in ("cancel", "failure"):
            state, how = (CANCELLED, "cancelled") if said == "cancel" else (FAILED, "failed")
            return Status(state, message=f"{how} on bKash's page", raw=found)
        if said is None and found.get("verificationStatus") == "Complete":
            return self._execute(ref)   # the customer authorised it; nobody executed it
        return status

    def refund(self, ref: Ref, amount: Decimal, reason: str) -> Refunded:
        if not (ref.gateway_ref and ref.gateway_txn):
            raise GatewayError("this payment has no bKash paymentID and trxID to refund")
        answer = self._call("payment/refund", {
            "paymentID": ref.gateway_ref, "amount": str(money(amount)), "trxID": ref.gateway_txn,
            "sku": ref.invoice, "reason": (reason or "Refund")[:255]})
        err = _error(answer)
        if err or answer.get("transactionStatus") != "Completed" or not answer.get("refundTrxID"):
            raise GatewayError("bKash refused the refund: "
                               + (" ".join(err) if err else str(answer.get("transactionStatus"))))
        return Refunded(answer["refundTrxID"], self._amount(answer, "payment/refund"),
                        answer["transactionStatus"], answer)

    # -- helpers -------------------------------------------------------------------------------
    def _execute(self, ref: Ref) -> Status:
        try:
            answer = self._call("execute", {"paymentID": ref.gateway_ref})
        except GatewayError:
            # it may have gone through: bKash says ask, never execute twice blindly
            return self._status(self._query(ref))
        err = _error(answer)
        if err is None:
            return self._status(answer)
        status = self._status(self._query(ref))
        if status.state == PENDING and err[0] not in STATE_CODES:
            return Status(FAILED, message=f"bKash refused the payment: {' '.join(err)}",
                          raw=answer)
        return status

    def _query(self, ref: Ref) -> dict:
        return self._call("payment/status", {"paymentID": ref.gateway_ref})

    def _status(self, answer: dict) -> Status:
        err = _error(answer)
        if err:   # payment/status refused: bKash knows no such payment (2002 Invalid Payment ID)
            return Status(FAILED, message=f"bKash: {' '.join(err)}", raw=answer)
        state = STATES.get(answer.get("transactionStatus"), PENDING)
        message = str(answer.get("statusMessage") or answer.get("transactionStatus") or "")
        if state != PAID:
            return Status(state, message=message, raw=answer)
        if not answer.get("trxID"):
            raise GatewayError("bKash says Completed without a trxID")
        return Status(PAID, self._amount(answer, "payment"), answer.get("currency"),
                      answer["trxID"], message, answer)

    @staticmethod
    def _amount(answer: dict, what: str) -> Decimal:
        try:
            return money(answer["amount"])
        except (KeyError, InvalidOperation, TypeError, ValueError):
            raise GatewayError(f"bKash's answer to {what} has no valid amount") from None

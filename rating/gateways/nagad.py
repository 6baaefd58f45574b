"""Nagad's online payment gateway, as its "Online Payment API Integration Guide" (v3.3) and the
merchant sample code it hands out describe it: two sealed calls start a payment, a plain GET
verifies it.

    initialize  POST {base}/api/dfs/check-out/initialize/{merchantId}/{orderId}
                {accountNumber?, dateTime, sensitiveData, signature} -> {sensitiveData, signature}
                sealing {paymentReferenceId, challenge, acceptDateTime}
    complete    POST {base}/api/dfs/check-out/complete/{paymentReferenceId}
                {sensitiveData, signature, merchantCallbackURL, additionalMerchantInfo}
                -> {status: "Success", callBackUrl}: Nagad's page for the customer
    callback    GET merchantCallbackURL?merchant&order_id&payment_ref_id&status&status_code...
    verify      GET {base}/api/dfs/verify/payment/{paymentReferenceId} -> {status, amount,
                orderId, issuerPaymentRefNo, ...}

A request's sensitiveData is base64(RSA PKCS#1 v1.5 encryption of its JSON under Nagad's public
key) and its signature base64(RSA PKCS#1 v1.5 over SHA-256 of the same JSON under the merchant's
private key); answers come sealed the other way round. The guide's text names SHA1withRSA, but
Nagad's own sample code and the client libraries sign with SHA-256, so we do. An orderId is 5-20
letters and digits, used once a day; an amount has at most 2 decimals; dates are Dhaka time.
Nagad publishes no refund API in its guide (refunds are done from the merchant panel).
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import re
import secrets
import socket
from decimal import Decimal
from functools import cached_property, lru_cache
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

import requests
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from rating.gateways import (CANCELLED, FAILED, PAID, PENDING, Driver, GatewayError, Order, Ref,
                             Started, Status, money, register)

DHAKA = ZoneInfo("Asia/Dhaka")
API_VERSION, CLIENT_TYPE = "v-0.2.0", "PC_WEB"
ORDER_ID = re.compile(r"[A-Za-z0-9]{5,20}")
BDT = "050"                           # ISO 4217 numeric, the only currency Nagad takes
NO_SUCH_PAYMENT = "16_0006_055"       # "Invalid Payment Reference Id"
# Purchase statuses (guide 5.2.7, case as the callback and the verify API spell them); the
# rest (OrderInitiated, Ready, InProgress, OtpSent, OtpVerified, PinGiven) are still on its pages.
STATES = {"success": PAID, "aborted": CANCELLED, "cancelled": CANCELLED, "failed": FAILED,
          "unknownfailed": FAILED, "invalidrequest": FAILED, "fraud": FAILED}


def now() -> dt.datetime:
    return dt.datetime.now(DHAKA)


def load_key(text: str, private: bool):
    """An RSA key as Nagad's portal gives it (bare base64) or as PEM, PKCS#1 or PKCS#8."""
    name = "merchant_private_key" if private else "nagad_public_key"
    body = re.sub(r"-----[^-]+-----|\\n|\s", "", text or "")
    try:
        der = base64.b64decode(body, validate=True)
        key = (serialization.load_der_private_key(der, None) if private
               else serialization.load_der_public_key(der))
    except (ValueError, TypeError, UnsupportedAlgorithm):
        key = None
    if not isinstance(key, rsa.RSAPrivateKey if private else rsa.RSAPublicKey):
        raise GatewayError(f"Nagad's {name} is not an RSA key in PEM or base64")
    return key


@lru_cache(maxsize=16)
def own_ip(host: str) -> str:
    """X-KM-IP-V4: the address we reach Nagad from (UDP connect sends nothing)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect((host, 443))
            return s.getsockname()[0]
    except OSError:
        return "127.0.0.1"


def _why(data: dict) -> str:
    return f"{data.get('reason', '')} {data.get('message', '')}".strip() or "no reason given"


@register
class Nagad(Driver):
    kind, label = "nagad", "Nagad"
    CREDENTIALS = ("merchant_id", "merchant_number", "merchant_private_key", "nagad_public_key")
    URLS = {"sandbox": "http://sandbox.mynagad.com:10080/remote-payment-gateway-1.0",
            "live": "https://api.mynagad.com"}
    can_refund = False

    @classmethod
    def invoice_of(cls, params: dict) -> str | None:
        return params.get("order_id") or params.get("invoice")

    @cached_property
    def _keys(self):
        c = self.config.credentials
        return load_key(c.get("merchant_private_key"), True), load_key(c.get("nagad_public_key"),
                                                                      False)

    @property
    def _merchant(self) -> str:
        return self.config.credentials.get("merchant_id") or ""

    # -- the envelope ------------------------------------------------------------------------
    def _seal(self, plain: dict) -> dict:
        mine, theirs = self._keys
        text = json.dumps(plain, separators=(",", ":")).encode()
        sealed = theirs.encrypt(text, padding.PKCS1v15())
        signature = mine.sign(text, padding.PKCS1v15(), hashes.SHA256())
        return {"sensitiveData": base64.b64encode(sealed).decode(),
                "signature": base64.b64encode(signature).decode()}

    def _open(self, data: dict, what: str) -> dict:
        mine, theirs = self._keys
        try:
            text = mine.decrypt(base64.b64decode(data["sensitiveData"]), padding.PKCS1v15())
            theirs.verify(base64.b64decode(data["signature"]), text, padding.PKCS1v15(),
                          hashes.SHA256())
            plain = json.loads(text)
        except (KeyError, TypeError, ValueError, InvalidSignature):
            plain = None
        if not isinstance(plain, dict):
            raise GatewayError(f"Nagad's answer to {what} does not decrypt or its signature "
                               "does not verify with Nagad's public key")
        return plain

    def _call(self, what: str, method: str, path: str, body: dict | None = None) -> dict:
        base = self.config.base_url.rstrip("/")
        headers = {"X-KM-Api-Version": API_VERSION, "X-KM-Client-Type": CLIENT_TYPE,
                   "X-KM-IP-V4": own_ip(urlsplit(base).hostname or "")}
        try:
            r = self.http.request(method, base + path, json=body, headers=headers,
                                  timeout=self.config.timeout)
        except requests.RequestException as e:
            raise GatewayError(f"Nagad did not answer {what}: {type(e).__name__}") from None
        try:
            data = r.json()
        except ValueError:
            data = None
        if r.status_code >= 500 or not isinstance(data, dict):
            support = re.search(r"support ID is:?\s*(\d+)", r.text or "")
            raise GatewayError(
                f"Nagad's answer to {what} is not its JSON (HTTP {r.status_code})"
                + (f": its firewall refused us, support ID {support[1]}" if support else ""))
        return data

    # -- the interface -----------------------------------------------------------------------
    def start(self, order: Order) -> Started:
        amount = order.amount.quantize(Decimal("0.01"))
        if not ORDER_ID.fullmatch(order.invoice):
            raise ValueError(f"Nagad takes 5-20 letters and digits as an order id, not "
                             f"{order.invoice!r}")
        if amount != order.amount or amount <= 0 or order.currency != "BDT":
            raise ValueError(f"Nagad takes a positive BDT amount with 2 decimals, not "
                             f"{order.amount} {order.currency}")
        if not 10 <= len(order.callback_url) <= 255:
            raise ValueError("Nagad takes a merchantCallbackURL of 10-255 characters")
        merchant, stamp = self._merchant, now().strftime("%Y%m%d%H%M%S")
        body = {"dateTime": stamp, **self._seal({"merchantId": merchant, "datetime": stamp,
                                                 "orderId": order.invoice,
                                                 "challenge": secrets.token_hex(20)})}
        if self.config.credentials.get("merchant_number"):
            body["accountNumber"] = self.config.credentials["merchant_number"]
        data = self._call("initialize", "POST", f"/api/dfs/check-out/initialize/"
                          f"{quote(merchant, safe='')}/{order.invoice}", body)
        if "sensitiveData" not in data:
            raise GatewayError(f"Nagad refused to initialize the payment: {_why(data)}")
        plain = self._open(data, "initialize")
        ref, challenge = plain.get("paymentReferenceId"), plain.get("challenge")
        if not ref or not challenge:
            raise GatewayError("Nagad's initialize answer has no paymentReferenceId or challenge")
        body = {**self._seal({"merchantId": merchant, "orderId": order.invoice,
                              "currencyCode": BDT, "amount": f"{amount}", "challenge": challenge}),
                "merchantCallbackURL": order.callback_url,
                "additionalMerchantInfo": {"serviceName": order.description[:25],
                                           "invoice": order.invoice}}
        data = self._call("complete", "POST",
                          f"/api/dfs/check-out/complete/{quote(ref, safe='=')}", body)
        url = data.get("callBackUrl")
        if data.get("status", "Success") != "Success" or not url:
            raise GatewayError(f"Nagad refused to complete the order: {_why(data)}")
        return Started(url, ref, {"paymentReferenceId": ref, "callBackUrl": url,
                                  "acceptDateTime": plain.get("acceptDateTime")})

    def confirm(self, ref: Ref, params: dict | None = None) -> Status:
        # our own reference first: the callback's query string comes through the browser
        pref = ref.gateway_ref or (params or {}).get("payment_ref_id")
        if not pref:
            return Status(PENDING, message="no Nagad payment reference to verify")
        data = self._call("verify", "GET", f"/api/dfs/verify/payment/{quote(pref, safe='=')}")
        if "status" not in data:
            if data.get("reason") == NO_SUCH_PAYMENT:
                return Status(FAILED, message=f"Nagad: {_why(data)}", raw=data)
            raise GatewayError(f"Nagad could not verify the payment: {_why(data)}")
        if (data.get("orderId") or ref.invoice) != ref.invoice or \
                (data.get("merchantId") or self._merchant) != self._merchant:
            return Status(PENDING, message=f"Nagad's payment {pref} is not order {ref.invoice}",
                          raw=data)
        said = f"Nagad: {data['status']} {data.get('statusCode') or ''}".strip()
        state = STATES.get(str(data["status"]).lower(), PENDING)
        if state != PAID:
            return Status(state, message=said, raw=data)
        try:
            amount = money(data["amount"])
        except (KeyError, ArithmeticError, ValueError):
            raise GatewayError("Nagad's verify answer has no valid amount") from None
        if not data.get("issuerPaymentRefNo"):
            raise GatewayError("Nagad's verify answer has no issuerPaymentRefNo")
        return Status(PAID, amount, "BDT", str(data["issuerPaymentRefNo"]), said, raw=data)

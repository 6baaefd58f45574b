"""Nagad's online payment gateway as its integration guide (v3.3) publishes it: initialize and
complete take sealed requests (sensitiveData under Nagad's public key, signed SHA256withRSA by the
merchant) and answer sealed ones; verify answers plain JSON. The emulator holds both key pairs
(Nagad's, and the merchant's it would have uploaded), so `credentials` are what a merchant types
in. A request that breaks the guide is a violation, answered with Nagad's error envelope
{"reason": code, "message": ...}. Knobs besides the base's: `sign_badly` (answers whose signature
does not verify), `reject_next` (Nagad's firewall page instead of JSON, as it greets an address
it has not whitelisted)."""
from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import re
import secrets
from decimal import Decimal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from werkzeug.wrappers import Response

from tests.support.gateways.base import Back, Emulator

DHAKA = dt.timezone(dt.timedelta(hours=6))   # Bangladesh keeps no summer time
ERRORS = {  # guide 5.2.9.3
    "16_0006_004": "Provided merchant ID is invalid", "16_0006_017": "Purchase information "
    "state is invalid", "16_0006_055": "Invalid Payment Reference Id", "16_0006_057":
    "Decryption failed", "16_0006_058": "Failed to verify signature", "16_0006_059": "Invalid "
    "Sensitive Data", "16_0006_064": "Mandatory Header Missing", "16_0006_068": "Invalid Order "
    "Id", "16_0006_076": "Transaction Date Time Not in allowed window", "16_0006_080": "Invalid "
    "Currency Code", "16_0006_081": "Invalid Date Time Format", "16_0006_083": "Duplicate Order "
    "ID in same day", "16_0006_999": "Invalid Request"}
CLIENT_TYPES = ("PC_WEB", "MOBILE_WEB", "MOBILE_APP", "WALLET_WEB_VIEW", "BILL_KEY")
OUTCOMES = {"success": ("Success", "00_0000_000", "Successful Transaction"),
            "cancel": ("Aborted", "00_1111_000", "Aborted by customer"),
            "failure": ("Failed", "00_1010_000", "Transaction failed")}
STAMP = re.compile(r"\d{14}")
AMOUNT = re.compile(r"\d{1,12}(\.\d{1,2})?")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _stamp(at: dt.datetime) -> str:
    return at.astimezone(DHAKA).strftime("%Y%m%d%H%M%S")


class NagadEmulator(Emulator):
    name = "Nagad"
    routes = [("POST", r"/api/dfs/check-out/initialize/(?P<merchant>[^/]+)/(?P<order>[^/]+)",
               "initialize"),
              ("POST", r"/api/dfs/check-out/complete/(?P<ref>[^/]+)", "complete"),
              ("GET", r"/api/dfs/verify/payment/(?P<ref>[^/]+)", "verify")]
    window = dt.timedelta(minutes=5)   # the guide names the error, not the window: our guess

    def __init__(self, merchant_id: str = "683002007104225",
                 merchant_number: str = "01711428036"):
        super().__init__()
        self.merchant_id, self.merchant_number = merchant_id, merchant_number
        self.pg_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.merchant_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.orders: set[tuple[str, str]] = set()   # (Dhaka day, orderId) already initialized
        self.sign_badly = False
        self.reject_next = 0

    @property
    def credentials(self) -> dict[str, str]:
        """As the merchant portal hands them out: bare base64 DER (PKCS#8, SubjectPublicKeyInfo)."""
        return {"merchant_id": self.merchant_id, "merchant_number": self.merchant_number,
                "merchant_private_key": _b64(self.merchant_key.private_bytes(
                    serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption())),
                "nagad_public_key": _b64(self.pg_key.public_key().public_bytes(
                    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))}

    # -- the envelope ------------------------------------------------------------------------
    def refuse(self, where: str, code: str, why: str = "", status: int = 400) -> Response:
        self.violation(f"{where}: {ERRORS[code]} ({code}){': ' + why if why else ''}")
        return self.json({"reason": code, "message": ERRORS[code]}, status)

    def sealed(self, plain: dict) -> Response:
        text = json.dumps(plain).encode()
        signer = self.merchant_key if self.sign_badly else self.pg_key
        return self.json({
            "sensitiveData": _b64(self.merchant_key.public_key().encrypt(text, padding.PKCS1v15())),
            "signature": _b64(signer.sign(text, padding.PKCS1v15(), hashes.SHA256()))})

    def checked(self, where: str, seen, fields: tuple[str, ...]):
        """(plain sensitiveData, None), or (None, the refusal) for a request off the guide."""
        if self.reject_next > 0:
            self.reject_next -= 1
            return None, Response("<html>The requested URL was rejected. Please consult with "
                                  "your administrator.<br>Your support ID is: 1234567890</html>",
                                  status=200, mimetype="text/html")
        h = {k.lower(): v for k, v in seen.headers.items()}
        missing = [n for n in ("X-KM-Api-Version", "X-KM-IP-V4", "X-KM-Client-Type")
                   if not h.get(n.lower())]
        if missing:
            return None, self.refuse(where, "16_0006_064", ", ".join(missing))
        try:
            ipaddress.IPv4Address(h["x-km-ip-v4"])
        except ValueError:
            self.violation(f"{where}: X-KM-IP-V4 {h['x-km-ip-v4']!r} is not an IPv4 address")
        if h["x-km-api-version"] not in ("v-0.2.0", "v-3.0.1"):
            self.violation(f"{where}: X-KM-Api-Version {h['x-km-api-version']!r}")
        if h["x-km-client-type"] not in CLIENT_TYPES:
            self.violation(f"{where}: X-KM-Client-Type {h['x-km-client-type']!r}")
        body = seen.json
        if not isinstance(body, dict) or self.require(where, body, fields):
            return None, self.refuse(where, "16_0006_999", "not a JSON body with " + str(fields))
        try:
            text = self.pg_key.decrypt(base64.b64decode(body["sensitiveData"]), padding.PKCS1v15())
        except ValueError:
            return None, self.refuse(where, "16_0006_057")
        try:
            self.merchant_key.public_key().verify(base64.b64decode(body["signature"]), text,
                                                  padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            return None, self.refuse(where, "16_0006_058", "not SHA256withRSA by the merchant")
        try:
            plain = json.loads(text)
        except ValueError:
            plain = None
        if not isinstance(plain, dict):
            return None, self.refuse(where, "16_0006_059", "sensitiveData is not a JSON object")
        return plain, None

    def stale(self, where: str, stamp) -> Response | None:
        if not isinstance(stamp, str) or not STAMP.fullmatch(stamp):
            return self.refuse(where, "16_0006_081", f"{stamp!r} is not yyyyMMddHHmmss")
        try:
            at = dt.datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=DHAKA)
        except ValueError:
            return self.refuse(where, "16_0006_081", f"{stamp!r} is no date")
        if abs(dt.datetime.now(DHAKA) - at) > self.window:
            return self.refuse(where, "16_0006_076", f"{stamp} is not Dhaka's time now")
        return None

    # -- the API -----------------------------------------------------------------------------
    def initialize(self, req, seen, merchant: str, order: str) -> Response:
        where = "initialize"
        plain, refused = self.checked(where, seen, ("dateTime", "sensitiveData", "signature"))
        if refused:
            return refused
        if merchant != self.merchant_id:
            return self.refuse(where, "16_0006_004", merchant)
        if self.require(where + " sensitiveData", plain,
                        ("merchantId", "datetime", "orderId", "challenge")):
            return self.refuse(where, "16_0006_059", "fields missing")
        if (plain["merchantId"], plain["orderId"]) != (merchant, order):
            return self.refuse(where, "16_0006_059", "merchantId/orderId differ from the path")
        if not re.fullmatch(r"[A-Za-z0-9]{5,20}", order):
            return self.refuse(where, "16_0006_068", order)
        account = seen.json.get("accountNumber")
        if account is not None and not re.fullmatch(r"01\d{9}", str(account)):
            self.violation(f"{where}: accountNumber {account!r} is not 11 digits")
        refused = self.stale(where, seen.json["dateTime"]) or self.stale(where, plain["datetime"])
        if refused:
            return refused
        now = dt.datetime.now(DHAKA)
        if (now.date().isoformat(), order) in self.orders:
            return self.refuse(where, "16_0006_083", order)
        self.orders.add((now.date().isoformat(), order))
        ref = "/"
        while "/" in ref:   # base64 of "time.merchant.order.random", as Nagad's look; a path part
            ref = _b64(f"{now:%m%d%H%M%S%f}.{merchant}.{order}.{secrets.token_hex(10)}".encode())
        challenge = secrets.token_hex(20).upper()
        with self._lock:
            self.sessions[ref] = {"ref": ref, "merchant": merchant, "order_id": order,
                                  "challenge": challenge, "status": "OrderInitiated",
                                  "amount": None, "created": now}
        return self.sealed({"paymentReferenceId": ref, "challenge": challenge,
                            "acceptDateTime": _stamp(now)})

    def complete(self, req, seen, ref: str) -> Response:
        where = "complete"
        s = self.sessions.get(ref)
        if s is None:
            return self.refuse(where, "16_0006_055", ref)
        plain, refused = self.checked(where, seen, ("sensitiveData", "signature",
                                                    "merchantCallbackURL"))
        if refused:
            return refused
        if self.require(where + " sensitiveData", plain,
                        ("merchantId", "orderId", "amount", "challenge")):
            return self.refuse(where, "16_0006_059", "fields missing")
        if (plain["merchantId"], plain["orderId"]) != (s["merchant"], s["order_id"]):
            return self.refuse(where, "16_0006_059", "not the initialized merchantId/orderId")
        if plain.get("currencyCode", "050") != "050":
            return self.refuse(where, "16_0006_080", str(plain.get("currencyCode")))
        if plain["challenge"] != s["challenge"]:
            return self.refuse(where, "16_0006_059", "challenge is not initialize's")
        amount = plain["amount"]
        if not isinstance(amount, str) or not AMOUNT.fullmatch(amount) or not Decimal(amount):
            return self.refuse(where, "16_0006_059", f"amount {amount!r}: up to 2 decimals")
        url, info = seen.json["merchantCallbackURL"], seen.json.get("additionalMerchantInfo")
        if not (isinstance(url, str) and 10 <= len(url) <= 255 and re.match(r"https?://", url)):
            return self.refuse(where, "16_0006_999", f"merchantCallbackURL {url!r}")
        if info is not None and (not isinstance(info, dict) or len(json.dumps(info)) > 2048):
            self.violation(f"{where}: additionalMerchantInfo is not a map of up to 2048")
        if s["status"] != "OrderInitiated":
            return self.refuse(where, "16_0006_017", s["status"])
        s.update(amount=Decimal(amount), amount_text=amount, callback=url, info=info,
                 status="Ready")
        return self.json({"status": "Success", "callBackUrl": self.page_url(ref)})

    def verify(self, req, seen, ref: str) -> Response:
        # headers are not checked: Nagad's samples call verify without them, and it answers
        s = self.sessions.get(ref)
        if s is None:   # a reference we never gave: the caller's business, not a violation
            return self.json({"reason": "16_0006_055", "message": ERRORS["16_0006_055"]}, 400)
        paid = s["status"] == "Success"
        amount = (str(self.reported_amount(s["amount"])) if paid else s.get("amount_text"))
        return self.json({
            "merchantId": s["merchant"], "orderId": s["order_id"], "paymentRefId": ref,
            "amount": amount, "clientMobileNo": "017****0000" if paid else None,
            "merchantMobileNo": self.merchant_number, "orderDateTime": _stamp(s["created"]),
            "issuerPaymentDateTime": s.get("payment_dt"),
            "issuerPaymentRefNo": s.get("issuer_ref"),
            "additionalMerchantInfo": json.dumps(s["info"]) if s.get("info") else None,
            "status": s["status"], "statusCode": s.get("status_code")})

    # -- the customer on Nagad's pages -------------------------------------------------------
    def finish(self, session: dict, outcome: str) -> Back:
        status, code, message = OUTCOMES[outcome]
        paid_at = _stamp(dt.datetime.now(DHAKA))
        issuer = secrets.token_hex(4).upper() if outcome == "success" else ""
        session.update(status=status, status_code=code, payment_dt=paid_at,
                       issuer_ref=issuer or None)
        return Back("GET", session["callback"], {
            "merchant": session["merchant"], "order_id": session["order_id"],
            "payment_ref_id": session["ref"], "status": status, "status_code": code,
            "message": message, "payment_dt": paid_at, "issuer_payment_ref": issuer})

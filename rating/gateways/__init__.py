"""Online payment gateways behind one interface: a driver per kind (bkash.py, sslcommerz.py,
nagad.py, aamarpay.py), each following its gateway's published API.

A driver knows nothing of our tables. The checkout code (rating/checkout.py) gives it an `Order`
to start and a `Ref` to confirm, refund or look up, and gets back plain answers:

    driver = drivers.make(config)                 # config: Config (decrypted credentials)
    started = driver.start(order)                 # -> Started(redirect_url, gateway_ref)
    status = driver.confirm(ref, params)          # -> Status(state, amount, currency, txn...)
    refund = driver.refund(ref, amount, reason)   # -> Refunded, or raises Unsupported

`confirm` is the only way a payment is believed: it asks the gateway itself (bKash execute or
query, SSLCommerz's validation API, Nagad's verify, aamarPay's search), whatever the callback's
query string claimed; `params` is what the callback or IPN carried (it may name the gateway's ids
the driver needs to ask, never the outcome). With `params=None` (the recheck job, payment.verify)
the driver looks the payment up by `ref` alone.

Network trouble (timeout, refused connection, 5xx, a reply that is not the documented JSON) is a
`GatewayError`: the checkout stays pending and the recheck job tries again later. A clear answer
from the gateway is a `Status`, never an exception. Secrets never go into a message or a log.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

TIMEOUT = 15.0  # seconds, per request; bKash documents 30 s for execute, we give up earlier

# a Status's states
PAID, PENDING, FAILED, CANCELLED = "paid", "pending", "failed", "cancelled"


class GatewayError(Exception):
    """The gateway could not be asked or did not answer as documented (try again later)."""


class Unsupported(Exception):
    """The gateway has no API for this (e.g. a refund): say so, do it by hand."""


@dataclass(frozen=True)
class Config:
    kind: str
    mode: str                      # sandbox | live
    base_url: str                  # the API's root, the kind's default for the mode unless set
    credentials: dict[str, str]    # decrypted: the kind's CREDENTIALS fields
    currency: str = "BDT"
    timeout: float = TIMEOUT       # seconds per request

    def __repr__(self) -> str:     # never print the secrets
        return f"Config(kind={self.kind!r}, mode={self.mode!r}, base_url={self.base_url!r})"


@dataclass(frozen=True)
class Order:
    """A payment to start. `callback_url` is where the gateway sends the browser back (and, for
    gateways with a server-to-server notice, `ipn_url` where it posts it); both carry our
    invoice so the callback finds its checkout."""

    invoice: str                   # our id at the gateway: unique, [A-Za-z0-9]{8,32}
    amount: Decimal                # what the customer pays, 2 places
    currency: str
    callback_url: str
    ipn_url: str
    customer_name: str
    customer_mobile: str | None = None
    customer_email: str | None = None
    description: str = "Internet bill"


@dataclass(frozen=True)
class Started:
    redirect_url: str              # send the browser here
    gateway_ref: str               # the gateway's id of this payment session
    raw: dict = field(default_factory=dict)   # its answer, secrets removed


@dataclass(frozen=True)
class Ref:
    """A started payment as we know it."""

    invoice: str
    gateway_ref: str | None
    amount: Decimal
    currency: str
    created_at: dt.datetime
    gateway_txn: str | None = None  # the gateway's transaction id, once paid


@dataclass(frozen=True)
class Status:
    state: str                     # PAID, PENDING, FAILED or CANCELLED
    amount: Decimal | None = None  # what the gateway says was paid
    currency: str | None = None
    txn_id: str | None = None      # the gateway's transaction id (unique per gateway)
    message: str = ""
    raw: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Refunded:
    refund_ref: str
    amount: Decimal
    message: str = ""
    raw: dict = field(default_factory=dict)


class Driver:
    """What every driver implements; see the module docstring."""

    kind: str = ""
    label: str = ""                # shown to subscribers: "bKash"
    CREDENTIALS: tuple[str, ...] = ()   # the secrets gateway.edit asks for
    URLS: dict[str, str] = {}      # mode -> the API root the gateway publishes
    # mode -> hosts of the hosted payment page when it is not on the API root's host
    PAGE_HOSTS: dict[str, tuple[str, ...]] = {}
    can_refund: bool = True

    def __init__(self, config: Config, http: Any = None):
        import requests
        self.config = config
        self.http = http or requests.Session()

    @classmethod
    def hosts(cls, config: Config) -> list[str]:
        """The hosts a subscriber's browser visits to pay, for a hotspot's walled garden: the
        API root's (SSLCommerz, Nagad and aamarPay serve their hosted page there) and the
        driver's PAGE_HOSTS for the mode (bKash's page has a host of its own)."""
        from urllib.parse import urlsplit
        found = [urlsplit(config.base_url).hostname or "", *cls.PAGE_HOSTS.get(config.mode, ())]
        return list(dict.fromkeys(h.lower() for h in found if h))

    @classmethod
    def invoice_of(cls, params: dict) -> str | None:
        """The invoice a callback or IPN is about (our own id, which we put in its URL)."""
        return params.get("invoice")

    def start(self, order: Order) -> Started:
        raise NotImplementedError

    def confirm(self, ref: Ref, params: dict | None = None) -> Status:
        raise NotImplementedError

    def refund(self, ref: Ref, amount: Decimal, reason: str) -> Refunded:
        raise Unsupported(f"{self.label} has no refund API: refund it from the merchant panel")

    # -- for drivers whose secrets travel in query strings or bodies ----------------------------
    def _secrets(self) -> list[str]:
        return [v for v in self.config.credentials.values() if v and len(v) >= 4]

    def _clean(self, text) -> str:
        """`text` (an answer, an exception) fit for a message: short, the secrets masked."""
        text = str(text)[:300]
        for s in self._secrets():
            text = text.replace(s, "***")
        return text

    def _raw(self, data: dict) -> dict:
        """A gateway's answer fit to keep (Status.raw): without the credentials' fields or
        values."""
        hide = set(self._secrets())
        return {k: v for k, v in data.items()
                if k not in self.CREDENTIALS and not (isinstance(v, str) and v in hide)}


DRIVERS: dict[str, type[Driver]] = {}


def register(cls: type[Driver]) -> type[Driver]:
    DRIVERS[cls.kind] = cls
    return cls


def driver_class(kind: str) -> type[Driver]:
    load()
    return DRIVERS[kind]


def make(config: Config, http: Any = None) -> Driver:
    return driver_class(config.kind)(config, http)


def load() -> None:
    """Import every driver module (each registers itself)."""
    from rating.gateways import aamarpay, bkash, nagad, sslcommerz  # noqa: F401


KINDS = ("bkash", "nagad", "sslcommerz", "aamarpay")  # the order subscribers see them in


def money(value: Any) -> Decimal:
    """A gateway's amount ("500", 500.0, "500.00") as 2-place Decimal."""
    return Decimal(str(value)).quantize(Decimal("0.01"))

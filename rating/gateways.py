"""Online payment gateways behind one small interface; the real ones (bKash, Nagad, SSLCommerz...)
come later, each as its own module that calls `register`."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from rating.errors import RatingError


@dataclass
class Verification:
    """What the gateway says about a transaction."""

    ok: bool
    amount: Decimal
    message: str = ""


class Gateway(Protocol):
    name: str

    def verify(self, reference: str, amount: Decimal) -> Verification:
        """Ask the gateway whether `reference` really paid `amount` (with its own timeout)."""
        ...


GATEWAYS: dict[str, Gateway] = {}


def register(gateway: Gateway) -> Gateway:
    GATEWAYS[gateway.name] = gateway
    return gateway


def unregister(name: str) -> None:
    GATEWAYS.pop(name, None)


def confirm(name: str | None, reference: str | None, amount: Decimal) -> Decimal:
    """The amount the gateway confirms for `reference`, or a RatingError naming the field."""
    if not name:
        raise RatingError("is required for an online payment", field="gateway")
    gateway = GATEWAYS.get(name)
    if gateway is None:
        known = ", ".join(sorted(GATEWAYS)) or "none configured"
        raise RatingError(f"unknown gateway {name!r} ({known})", field="gateway")
    if not reference:
        raise RatingError("the gateway's transaction id is required", field="reference")
    result = gateway.verify(reference, amount)
    if not result.ok:
        raise RatingError(f"the gateway did not confirm it: {result.message}", field="reference")
    return result.amount

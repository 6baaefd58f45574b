"""Money is Decimal with two places, never float."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def parse_money(text: str | Decimal | int) -> Decimal:
    """'500' -> Decimal('500.00'); raises ValueError on anything that is not an amount."""
    if isinstance(text, float):
        raise ValueError("money must not be a float")
    try:
        value = Decimal(str(text).strip().replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount") from None
    if not value.is_finite():
        raise ValueError(f"{text!r} is not an amount")
    if value != value.quantize(CENT, rounding=ROUND_HALF_UP):
        raise ValueError(f"{text!r} has more than two decimal places")
    return value.quantize(CENT)


def q(value: Decimal) -> Decimal:
    """Round to cents, half up (how an invoice rounds)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)

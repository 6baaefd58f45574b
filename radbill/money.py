"""Money is Decimal with two places, never float."""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


# what NUMERIC(14, 2) holds: twelve digits before the point, two after
MAX = Decimal("999999999999.99")
# digit groups may be split by commas (1,250.50 or the lakh style 1,00,000)
_AMOUNT = re.compile(r"[+-]?(?:[0-9]+(?:,[0-9]+)*(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)


def parse_money(text: str | Decimal | int) -> Decimal:
    """'500' -> Decimal('500.00'); raises ValueError on anything that is not an amount.

    Text is plain ASCII digits with an optional sign, thousands commas and decimal point: no
    exponent (1e30), no underscores (1_000), no other scripts' digits, no NaN or Infinity; and
    it must fit the money columns, NUMERIC(14, 2)."""
    if isinstance(text, float):
        raise ValueError("money must not be a float")
    if isinstance(text, str):
        raw = text.strip()
        if len(raw) > 40 or not _AMOUNT.fullmatch(raw):
            raise ValueError(f"{_short(raw)!r} is not an amount like 1250 or 1,250.50")
        raw = raw.replace(",", "")
    else:
        raw = str(text).strip()
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"{_short(raw)!r} is not an amount") from None
    if not value.is_finite():
        raise ValueError(f"{_short(raw)!r} is not an amount")
    if abs(value) > MAX:
        raise ValueError(f"is too large: an amount is at most {MAX:,}")
    if value != value.quantize(CENT, rounding=ROUND_HALF_UP):
        raise ValueError(f"{_short(raw)!r} has more than two decimal places")
    return value.quantize(CENT)


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def q(value: Decimal) -> Decimal:
    """Round to cents, half up (how an invoice rounds)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)

"""RatingError: a refused money operation, naming the field and the reason like any FuncError."""
from __future__ import annotations

from decimal import Decimal

from radbill.functions.registry import FuncError


class RatingError(FuncError):
    """Base of every error rating raises; a FuncError so pages, API and CLI show it well."""


class InsufficientBalance(RatingError):
    """A reseller cannot pay its wholesale price: debit at zero, or credit past its limit."""

    def __init__(self, operator: str, available: Decimal, needed: Decimal, field: str = "package"):
        self.operator, self.available, self.needed = operator, available, needed
        super().__init__(f"operator {operator!r} has {available} available, {needed} is needed",
                         field=field)


class AlreadyBilled(RatingError):
    def __init__(self, username: str, period: object):
        super().__init__(f"{username!r} already has a bill for the period from {period}",
                         field="period")

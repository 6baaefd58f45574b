"""What a customer's service costs: periods, pro-rating, discount and VAT. Pure functions.

The set-based billing run (rating/billing_run.py) does the same arithmetic in SQL; a test checks
that `bill.preview` and a generated bill agree to the cent.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from radbill.money import ZERO, q


def add_months(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    return day.replace(year=day.year + y, month=m + 1)  # due days are 1..28, so this is safe


def monthly_period(due_day: int, on: dt.date) -> tuple[dt.date, dt.date]:
    """The billing month that contains `on`: from the due day to the next due day."""
    start = on.replace(day=due_day)
    if on.day < due_day:
        start = add_months(start, -1)
    return start, add_months(start, 1)


def period_for(term: str, due_day: int, on: dt.date) -> tuple[dt.date, dt.date] | None:
    """[start, end) of the billing period containing `on`; None for a free profile."""
    if term == "monthly":
        return monthly_period(due_day, on)
    if term == "daily":
        return on, on + dt.timedelta(days=1)
    return None


def due_on(term: str, due_day: int, issued: dt.date) -> dt.date:
    """When a period bill issued on `issued` falls due: the profile's next due day on or after
    the issue date (a daily bill the same day). Never before the bill exists (issue 12: a run
    on 1 December made bills due on 10 November, and the suspension job suspended their
    customers within the minute)."""
    if term != "monthly":
        return issued
    due = issued.replace(day=due_day)
    return due if due >= issued else add_months(due, 1)


def covered(period: tuple[dt.date, dt.date], paid_to: dt.date | None) -> bool:
    """Whether validity already paid for (paid in advance, a prepaid validity running) lasts
    to the period's end: `paid_to` is the ISP's day of expires_at. Such a period is not billed
    again. A validity ending inside the period does not shorten its bill."""
    return paid_to is not None and paid_to >= period[1]


def daily_price(price: Decimal, validity_days: int) -> Decimal:
    """A daily profile charges the package price spread over its validity."""
    return price / validity_days


def prorate(amount: Decimal, days: int, total_days: int) -> Decimal:
    return q(amount * days / total_days) if days < total_days else q(amount)


def discount_for(kind: str, value: Decimal, gross: Decimal) -> Decimal:
    if kind == "percent":
        return q(gross * value / 100)
    if kind == "fixed":
        return min(q(value), gross)
    return ZERO


@dataclass
class Quote:
    """An invoice before it is written: lines, discount, VAT, advance applied, payable."""

    lines: list[tuple[str, Decimal]] = field(default_factory=list)
    discount: Decimal = ZERO
    vat_percent: Decimal = ZERO
    advance: Decimal = ZERO  # the customer's advance balance available to auto-debit

    @property
    def subtotal(self) -> Decimal:
        return q(sum((a for _, a in self.lines), ZERO))

    @property
    def net(self) -> Decimal:
        return self.subtotal - self.discount

    @property
    def vat(self) -> Decimal:
        return q(self.net * self.vat_percent / 100)

    @property
    def total(self) -> Decimal:
        return self.net + self.vat

    @property
    def advance_applied(self) -> Decimal:
        return min(self.advance, self.total)

    @property
    def payable(self) -> Decimal:
        return self.total - self.advance_applied

    def as_dict(self) -> dict:
        return {"lines": [{"description": d, "amount": str(a)} for d, a in self.lines],
                "subtotal": str(self.subtotal), "discount": str(self.discount),
                "vat_percent": str(self.vat_percent), "vat": str(self.vat),
                "total": str(self.total), "advance_applied": str(self.advance_applied),
                "payable": str(self.payable)}


def period_quote(*, package: str, price: Decimal, validity_days: int, term: str,
                 period: tuple[dt.date, dt.date], service_from: dt.date, discount_kind: str,
                 discount_value: Decimal, vat_percent: Decimal, advance: Decimal = ZERO) -> Quote:
    """The bill for one period, pro-rated when service starts after the period does."""
    start, end = period
    base = daily_price(price, validity_days) if term == "daily" else price
    total_days, days = (end - start).days, (end - max(start, service_from)).days
    gross = prorate(base, days, total_days)
    label = f"{package}, {max(start, service_from)} to {end - dt.timedelta(days=1)}"
    if days < total_days:
        label += f" ({days} of {total_days} days)"
    quote = Quote([(label, gross)], vat_percent=vat_percent, advance=advance)
    quote.discount = discount_for(discount_kind, discount_value, gross)
    return quote


def change_quote(*, old: str, old_price: Decimal, new: str, new_price: Decimal,
                 period: tuple[dt.date, dt.date], on: dt.date, vat_percent: Decimal) -> Quote:
    """A package change mid-period: charge the new package and credit the old, for the days left."""
    start, end = period
    total_days, days = (end - start).days, (end - max(on, start)).days
    charge = prorate(new_price, days, total_days)
    credit = prorate(old_price, days, total_days)
    span = f"{days} of {total_days} days"
    return Quote([(f"{new}, {on} to {end - dt.timedelta(days=1)} ({span})", charge),
                  (f"credit for {old}, same days ({span})", -credit)], vat_percent=vat_percent)

"""Helpers the rating functions share: finding a customer in scope, dates, money params."""
from __future__ import annotations

import datetime as dt

from radbill.functions import fields as F
from radbill.functions.registry import Call, FuncError
from radbill.models import Customer
from rating.terms import today


def customer(call: Call, field: str = "customer", lock: bool = False,
             ref: str | None = None) -> Customer:
    """The customer named by id or username, inside the caller's scope (else NotFound)."""
    from customers.functions.customers import ENTITY as customers
    ref = ref or call.get(field)
    if not ref:
        raise FuncError("is required", field=field)
    return customers.find(call, ref, field=field, lock=lock)


def day(call: Call, name: str = "date") -> dt.date:
    raw = (call.get(name) or "").strip()
    return parse_day(raw, name) if raw else today()


def parse_day(raw: str, name: str) -> dt.date:
    try:
        return F.day(raw.strip())
    except ValueError as exc:
        raise FuncError(str(exc), field=name) from None


def optional_day(call: Call, name: str) -> dt.date | None:
    return day(call, name) if (call.get(name) or "").strip() else None


def money(call: Call, name: str = "amount", required: bool = True, positive: bool = True):
    raw = (call.get(name) or "").strip()
    if not raw:
        if required:
            raise FuncError("is required", field=name)
        return None
    try:
        value = F.amount()(raw)
    except ValueError as exc:
        raise FuncError(str(exc), field=name) from None
    if positive and value <= 0:
        raise FuncError("must be above zero", field=name)
    return value


def refs(call: Call) -> list[str]:
    return [r.strip() for r in (call.elid or "").split(",") if r.strip()]

"""Each row's fields through customer.edit's own parsers (one place decides what a mobile, a
MAC or a date is), plus the import's own fields. Values come out JSON-ready (they are staged)."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import lru_cache

from radbill.functions import fields as F
from radbill.functions.registry import FuncError
from radbill.nthash import nt_hash

from customers.importing.mapping import CUSTOM, EDIT_FIELDS

NT_HASH = re.compile(r"[0-9A-Fa-f]{32}")
STATUSES = ("active", "suspended", "disabled")


def _nt_hash(raw: str) -> str:
    if not NT_HASH.fullmatch(raw):
        raise ValueError("must be 32 hexadecimal digits (an NT hash)")
    return raw.upper()


@lru_cache(maxsize=1)
def parsers() -> dict[str, F.Field]:
    """customer.edit's Field for each of its fields, and the import's own."""
    from customers.functions.customers import ENTITY
    edit = {f.name: f for f in ENTITY.fields if f.name in EDIT_FIELDS}
    own = [F.Field("nt_hash", _nt_hash), F.Field("status", F.choice(*STATUSES)),
           F.Field("advance_balance", F.amount()), F.Field("opening_due", F.amount())]
    return {**edit, **{f.name: f for f in own}}


def jsonable(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return value


def parse(cells: list[str], mapping: dict[int, str]) -> tuple[dict, dict[str, str]]:
    """(values, errors by field) of one row; an empty cell gives nothing (on an update: leave
    the field as it is)."""
    given = {name: cells[i] for i, name in mapping.items() if i < len(cells) and cells[i] != ""}
    fields = parsers()
    values: dict = {}
    errors: dict[str, str] = {}
    plain = {k: v for k, v in given.items() if not k.startswith(CUSTOM)}
    try:
        parsed = F.parse_fields([fields[k] for k in plain], plain, creating=False)
    except FuncError as exc:  # the rest still count (a later row may repeat their values)
        errors.update(exc.errors or {"row": exc.message})
        parsed = F.parse_fields([fields[k] for k in plain if k not in errors], plain,
                                creating=False)
    for k, v in parsed.items():
        values[k] = jsonable(v)
    custom = {k[len(CUSTOM):]: v for k, v in given.items() if k.startswith(CUSTOM)}
    if custom:
        values["custom"] = custom  # checked per operator (plan.py)
    if "password" in values:
        values["nt_hash"] = nt_hash(values["password"])
    return values, errors

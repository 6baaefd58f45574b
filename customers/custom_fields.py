"""Custom fields (issue 17): which definitions apply to an operator's customers, and values
checked and normalised for them.

A definition belongs to an operator and applies to the customers of that operator and of its
whole subtree; an operator therefore sees its own and its ancestors' definitions. Values live in
customers.custom_fields (JSONB) keyed by the definition's name, stored normalised: text as
given (trimmed), numbers as the string of their Decimal ("1.50" -> "1.5"), dates ISO
(2026-12-31), a choice as one of its options. A unique field holds each value once among the
live customers of its owner's subtree; the GIN jsonb_path_ops index on custom_fields answers
`custom_fields @> '{"name": "value"}'`, so the check is one indexed query per field, for one
customer or for thousands (check_many, for the bulk import).
"""
from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from radbill.functions import fields as F
from radbill.functions.crud import shared_with
from radbill.models import Customer, Operator
from radbill.models.customdata import CustomField

TEXT_MAX = 500
NUMBER_MAX_DIGITS = 30
# advisory locks on unique values (UNIQUE_LOCK, bucket): two edits giving one value wait for
# each other, so both cannot pass the check; buckets bound the locks one import takes
UNIQUE_LOCK, UNIQUE_BUCKETS = 70521, 1024


@dataclass(frozen=True)
class Definition:
    id: int
    operator_id: int
    owner_path: str
    name: str
    label: str
    kind: str
    choices: tuple[str, ...]
    required: bool
    unique: bool
    searchable: bool
    in_list: bool
    position: int

    @property
    def param(self) -> str:
        return f"cf_{self.name}"


def chain_ids(path: str | None) -> list[int]:
    """The operator ids of a path ('/1/4/9/' -> [1, 4, 9]): the operator and its ancestors."""
    return [int(x) for x in (path or "").strip("/").split("/") if x]


def _select(session: Session, where) -> list[Definition]:
    rows = session.execute(
        sa.select(CustomField, Operator.path).join(Operator, Operator.id == CustomField.operator_id)
        .where(where).order_by(CustomField.position, CustomField.name, CustomField.id)).all()
    return [Definition(f.id, f.operator_id, path, f.name, f.label, f.kind,
                       tuple(str(c) for c in (f.choices or [])), f.required, f.is_unique,
                       f.searchable, f.in_list, f.position) for f, path in rows]


def definitions(session: Session, operator_id: int | None) -> list[Definition]:
    """The definitions that apply to a customer of `operator_id` (its own and its ancestors'),
    in form order; None: every definition (the system administrator's view)."""
    if operator_id is None:
        return _select(session, sa.true())
    path = session.scalar(sa.select(Operator.path).where(Operator.id == operator_id))
    return _select(session, CustomField.operator_id.in_(chain_ids(path) or [operator_id]))


def visible(session: Session, path: str | None) -> list[Definition]:
    """The definitions a caller at `path` may read: its ancestors', its own and its subtree's
    (None: all)."""
    return _select(session, shared_with(path, CustomField.operator_id))


# -- one value --------------------------------------------------------------------------------
def number(raw: str) -> str:
    text = raw.strip()
    try:
        if len(text) > 40 or not text.isascii():
            raise InvalidOperation
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{F.short(raw)!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{F.short(raw)!r} is not a number")
    if value == 0:
        return "0"
    digits = value.normalize()
    if len(digits.as_tuple().digits) > NUMBER_MAX_DIGITS or abs(digits.adjusted()) > NUMBER_MAX_DIGITS:
        raise ValueError(f"has more than {NUMBER_MAX_DIGITS} digits")
    return format(digits, "f")


def normalise(d: Definition, raw: str) -> str:
    """The stored form of `raw` for definition `d`, or ValueError saying why not."""
    value = F.clean(raw).strip()
    if d.kind == "number":
        return number(value)
    if d.kind == "date":
        return F.day(value).isoformat()
    if d.kind == "choice":
        if value not in d.choices:
            raise ValueError(f"{F.short(value)!r} is not one of {', '.join(d.choices)}")
        return value
    return F.text(TEXT_MAX)(value)


def search_value(d: Definition, q: str) -> str | None:
    """What a search for `q` compares with field `d`'s stored values (None: q cannot be one)."""
    try:
        return normalise(d, q)
    except ValueError:
        return None


# -- checking values for customers -------------------------------------------------------------
def _parse(defs: dict[str, Definition], values: dict[str, str], creating: bool
           ) -> tuple[dict, dict[str, str]]:
    out: dict[str, str | None] = {}
    errors: dict[str, str] = {}
    for name, raw in values.items():
        d = defs.get(name)
        if d is None:
            errors[name] = "is not a custom field of this customer's operator"
            continue
        if raw is None or str(raw).strip() == "":
            if d.required:
                errors[name] = "is required"
            else:
                out[name] = None  # clears the value
            continue
        try:
            out[name] = normalise(d, str(raw))
        except ValueError as exc:
            errors[name] = str(exc)
    if creating:
        for d in defs.values():
            if d.required and d.name not in values:
                errors[d.name] = "is required"
    return out, errors


# up to this many values are looked up through the GIN index (a BitmapOr of containments);
# more are compared in one pass over the subtree's customers (a hashed = ANY): 10,000 values
# by containment took ~25 s at 100,000 customers, one pass ~0.1 s
INDEXED_VALUES = 32


def _holders(session: Session, d: Definition, values: list[str]) -> dict[str, set[int]]:
    """Which live customers of d's owner's subtree hold each of `values` in field d: one
    query."""
    if not values:
        return {}
    live = [Customer.deleted_at.is_(None), Customer.operator_id.in_(
        sa.select(Operator.id).where(Operator.path.startswith(d.owner_path, autoescape=True)))]
    value = Customer.custom_fields[d.name].astext
    if len(values) <= INDEXED_VALUES:
        match = sa.or_(*[Customer.custom_fields.op("@>")(sa.cast(
            sa.literal(json.dumps({d.name: v})), JSONB)) for v in values])
    else:
        match = value == sa.any_(sa.cast(sa.literal(list(values), sa.ARRAY(sa.Text)),
                                         sa.ARRAY(sa.Text)))
    found = session.execute(sa.select(value, Customer.id).where(match, *live)).all()
    out: dict[str, set[int]] = {}
    for v, cid in found:
        out.setdefault(v, set()).add(cid)
    return out


def lock_values(session: Session, d: Definition, values) -> None:
    """Hold each unique value until the transaction ends (buckets, in order: no deadlock)."""
    buckets = sorted({zlib.crc32(f"{d.id}:{v}".encode()) % UNIQUE_BUCKETS for v in values})
    for b in buckets:
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(UNIQUE_LOCK, b)))


def check(session: Session, operator_id: int, values: dict[str, str],
          customer_id: int | None = None, lock: bool = False) -> tuple[dict, dict[str, str]]:
    """`values` ({field name: text}) checked for a customer of `operator_id`: (the normalised
    values, None for a cleared one; {field name: reason}). A new customer (customer_id None)
    must give every required field. `lock` holds unique values to the end of the transaction
    (customer.edit does; a dry run need not)."""
    return check_many(session, operator_id, [values], [customer_id], lock=lock)[0]


def check_many(session: Session, operator_id: int, rows: list[dict[str, str]],
               customer_ids: list[int | None] | None = None, lock: bool = False
               ) -> list[tuple[dict, dict[str, str]]]:
    """check() for many customers of one operator at once: the definitions are read once and
    each unique field is checked with one query for all rows; a value given twice in `rows`
    is refused on its second row too."""
    ids = customer_ids if customer_ids is not None else [None] * len(rows)
    if len(ids) != len(rows):
        raise ValueError("customer_ids must be as long as rows")
    defs = {d.name: d for d in definitions(session, operator_id)}
    results = [_parse(defs, row, cid is None) for row, cid in zip(rows, ids)]
    for d in defs.values():
        if not d.unique:
            continue
        wanted = [(i, out[d.name]) for i, (out, errors) in enumerate(results)
                  if out.get(d.name) is not None and d.name not in errors]
        if not wanted:
            continue
        values = sorted({v for _i, v in wanted})
        if lock:
            lock_values(session, d, values)
        holders = _holders(session, d, values)
        first: dict[str, int] = {}
        for i, v in wanted:
            others = holders.get(v, set()) - {ids[i]}
            if others:
                results[i][1][d.name] = f"{F.short(v)!r} is already another customer's"
            elif v in first:
                results[i][1][d.name] = f"{F.short(v)!r} is also given for row {first[v] + 1}"
            else:
                first[v] = i
    return results


def merged(stored: dict | None, values: dict) -> dict:
    """The customer's custom_fields after `values` (None removes a value)."""
    out = dict(stored or {})
    for k, v in values.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = v
    return out


def shown(defs: list[Definition], stored: dict | None) -> list[tuple[Definition, str]]:
    """(definition, value) for each field with a value, in form order (the customer's page)."""
    stored = stored or {}
    return [(d, stored[d.name]) for d in defs if stored.get(d.name) not in (None, "")]


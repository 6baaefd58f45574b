"""Which column feeds which field: by name (or a common alias), a `column:field,...` list, or a
mapping an operator saved by name (import_mappings: {column header: field})."""
from __future__ import annotations

import sqlalchemy as sa

from radbill.functions.registry import FuncError

# customer.edit's fields a column may feed (parent and manager are not imported: a parent may
# be a later row of the same file), and the import's own
EDIT_FIELDS = ("username", "password", "name", "mobile", "email", "national_id", "lang",
               "address", "mac", "service", "static_ip", "package", "operator", "zone",
               "billing_profile", "expires", "custom_price", "notes")
OWN_FIELDS = ("nt_hash", "status", "advance_balance", "opening_due")
TARGETS = EDIT_FIELDS + OWN_FIELDS
ALIASES = {"phone": "mobile", "cell": "mobile", "user": "username", "login": "username",
           "pass": "password", "plan": "package", "mac address": "mac", "ip": "static_ip",
           "full name": "name", "customer name": "name", "expiry": "expires",
           "profile": "billing_profile", "balance": "advance_balance", "advance": "advance_balance",
           "due": "opening_due", "dues": "opening_due", "nt-password": "nt_hash",
           "remote-address": "static_ip", "caller-id": "mac", "expire date": "expires"}
CUSTOM = "cf_"  # cf_<name>: a custom field by its name


def is_target(name: str) -> bool:
    return name in TARGETS or (name.startswith(CUSTOM) and len(name) > len(CUSTOM))


def guess(header: list[str]) -> dict[int, str]:
    """A first mapping: a column named like a field (or a common alias) feeds it."""
    mapping = {}
    for i, col in enumerate(header):
        key = col.strip().lower()
        key = ALIASES.get(key, key.replace(" ", "_"))
        if is_target(key) and key not in mapping.values():
            mapping[i] = key
    return mapping


def parse(raw: str | None, header: list[str]) -> dict[int, str]:
    """`column:field,...` (a column by its header or 0-based number) into {index: field};
    nothing given: guess."""
    if not (raw or "").strip():
        return guess(header)
    return by_header([tuple(item.partition(":")[::2]) for item in raw.split(",")], header)


def by_header(pairs, header: list[str]) -> dict[int, str]:
    lowered = [h.lower() for h in header]
    mapping, bad = {}, []
    for col, field in pairs:
        col, field = str(col).strip(), str(field).strip()
        if col.isascii() and col.isdigit() and int(col) < len(header):
            index = int(col)
        elif col.lower() in lowered:
            index = lowered.index(col.lower())
        else:
            bad.append(f"no column {col[:40]!r}")
            continue
        if not is_target(field):
            bad.append(f"{field[:40]!r} is not a field an import can fill")
            continue
        mapping[index] = field
    if bad:
        raise FuncError("; ".join(bad), field="mapping")
    return mapping


def check(mapping: dict[int, str]) -> None:
    fields = list(mapping.values())
    if "username" not in fields:
        raise FuncError("no column feeds username", field="mapping")
    twice = sorted({f for f in fields if fields.count(f) > 1})
    if twice:
        raise FuncError(f"two columns feed {twice[0]}", field="mapping")


def saved(session, operator_id: int | None, name: str, header: list[str]) -> dict[int, str]:
    from radbill.models import ImportMapping
    row = session.scalars(sa.select(ImportMapping).where(
        ImportMapping.operator_id == operator_id,
        sa.func.lower(ImportMapping.name) == name.lower())).first()
    if row is None:
        raise FuncError(f"no saved mapping {name[:60]!r}", field="saved_mapping")
    return by_header(list(row.mapping.items()), header)


def save(session, operator_id: int, name: str, mapping: dict[int, str],
         header: list[str]) -> None:
    """Keep the mapping under `name` by column header (next month's file has the same)."""
    from sqlalchemy.dialects.postgresql import insert
    from radbill.models import ImportMapping
    data = {header[i]: field for i, field in sorted(mapping.items())}
    session.execute(insert(ImportMapping).values(operator_id=operator_id, name=name, mapping=data)
                    .on_conflict_do_update(constraint="uq_import_mappings_operator_name",
                                           set_={"mapping": data}))

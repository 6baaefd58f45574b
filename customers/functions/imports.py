"""customer.import: a CSV of customers, every row validated by customer.edit, all or nothing.

`file` is the CSV text (first line the header); `mapping` says which column feeds which
customer.edit parameter (`column:param,...`, a column by its header or 0-based number; by
default columns named like a parameter, or a common alias, feed it); `dry_run=yes` checks every
row and keeps nothing. Errors name the row (its line in the file) and the field:
`row 3: mobile`. The /customers/import page, /billmgr and `radbill call` all use this.
"""
from __future__ import annotations

import csv
import io
import re

from radbill.functions import registry
from radbill.functions.registry import Call, FuncError, OkResult, Param, function
from radbill.functions.roles import RESELLERS

ALIASES = {"phone": "mobile", "cell": "mobile", "user": "username", "login": "username",
           "pass": "password", "plan": "package", "mac address": "mac", "ip": "static_ip",
           "full name": "name", "customer name": "name", "expiry": "expires",
           "profile": "billing_profile"}
MAX_ROWS = 100_000
ROW_ERROR = re.compile(r"row (\d+): (.+)")


def targets() -> list[str]:
    """The parameters of customer.edit a column can feed."""
    return [p.name for p in registry.load_all()["customer.edit"].params if p.name != "elid"]


def read(text: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO((text or "").lstrip("\ufeff"))))
    if not rows:
        raise FuncError("the file is empty", field="file")
    if len(rows) - 1 > MAX_ROWS:
        raise FuncError(f"at most {MAX_ROWS} rows per import", field="file")
    return [h.strip() for h in rows[0]], rows[1:]


def guess(header: list[str]) -> dict[int, str]:
    """A first mapping: a column named like a parameter (or a common alias) feeds it."""
    names = set(targets())
    mapping = {}
    for i, col in enumerate(header):
        key = col.strip().lower()
        key = ALIASES.get(key, key.replace(" ", "_"))
        if key in names:
            mapping[i] = key
    return mapping


def parse_mapping(raw: str | None, header: list[str]) -> dict[int, str]:
    """`column:param,...` (column by header or number) into {index: param}; default: guess."""
    if not (raw or "").strip():
        return guess(header)
    names, lowered = set(targets()), [h.lower() for h in header]
    mapping, bad = {}, []
    for item in raw.split(","):
        col, _, param = item.partition(":")
        col, param = col.strip(), param.strip()
        if col.isascii() and col.isdigit() and int(col) < len(header):
            index = int(col)
        elif col.lower() in lowered:
            index = lowered.index(col.lower())
        else:
            bad.append(f"no column {col!r}")
            continue
        if param not in names:
            bad.append(f"{param!r} is not a customer.edit parameter")
            continue
        mapping[index] = param
    if bad:
        raise FuncError("; ".join(bad), field="mapping")
    return mapping


def error_key(line: int, field: str) -> str:
    return f"row {line}: {field}"


def split_key(key: str) -> tuple[int, str]:
    """(line, field) of an error key made by error_key."""
    found = ROW_ERROR.fullmatch(key)
    return (int(found.group(1)), found.group(2)) if found else (0, key)


@function("customer.import", roles=RESELLERS, money=False, params=(
    Param("file", "the CSV text; the first line names the columns", True),
    Param("mapping", "column:param,... (column by header or 0-based number); default: by name"),
    Param("dry_run", "yes: check every row and keep nothing")))
def import_customers(call: Call) -> OkResult:
    """Create customers from a CSV, each row through customer.edit; all rows or none."""
    header, rows = read(call.get("file") or "")
    mapping = parse_mapping(call.get("mapping"), header)
    if "username" not in mapping.values():
        raise FuncError("no column feeds username", field="mapping")
    dry_run = (call.get("dry_run") or "").lower() in ("1", "yes", "on", "true")
    session = call.session
    errors: dict[str, str] = {}
    created = 0
    everything = session.begin_nested()
    try:
        for line, row in enumerate(rows, start=2):  # later rows see earlier ones (duplicates)
            if not any(cell.strip() for cell in row):
                continue
            params = {name: row[i].strip() for i, name in mapping.items()
                      if i < len(row) and row[i].strip()}
            params["sok"] = "ok"
            one = session.begin_nested()
            try:
                registry.call(session, call.caller, "customer.edit", params)
                one.commit()
                created += 1
            except FuncError as exc:
                one.rollback()
                for field, reason in (exc.errors or {"row": exc.message}).items():
                    errors[error_key(line, field)] = reason
    except BaseException:
        everything.rollback()
        raise
    if errors or dry_run:
        everything.rollback()
    else:
        everything.commit()
    if errors:
        bad_rows = len({split_key(k)[0] for k in errors})
        raise FuncError(f"{bad_rows} of {len(rows)} rows have errors; nothing was imported",
                        errors=errors)
    return OkResult(None, {"rows": len(rows), "created": created, "dry_run": dry_run,
                           "committed": not dry_run})

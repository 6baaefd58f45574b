"""CSV import of customers: each row is one customer.edit call; a dry run or all-or-nothing."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from radbill.functions.caller import Caller
from radbill.functions.registry import FuncError, load_all

from admin.calls import run

ALIASES = {"phone": "mobile", "cell": "mobile", "user": "username", "login": "username",
           "pass": "password", "plan": "package", "mac address": "mac", "ip": "static_ip",
           "full name": "name", "customer name": "name", "expiry": "expires",
           "profile": "billing_profile"}
MAX_ROWS = 100_000


@dataclass
class Outcome:
    rows: int = 0
    created: int = 0
    errors: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    committed: bool = False


def targets() -> list[str]:
    """The parameters of customer.edit a column can feed."""
    return [p.name for p in load_all()["customer.edit"].params if p.name != "elid"]


def read(text: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
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


def apply(session: Session, caller: Caller, rows: list[list[str]], mapping: dict[int, str],
          commit: bool) -> Outcome:
    """Run every row; later rows see earlier ones (duplicates inside the file are caught).
    Nothing is kept on a dry run or when any row fails."""
    outcome = Outcome(rows=len(rows))
    outer = session.begin_nested()
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        params = {name: row[i].strip() for i, name in mapping.items()
                  if i < len(row) and row[i].strip()}
        params["sok"] = "ok"
        inner = session.begin_nested()
        try:
            run("customer.edit", params, caller)
            inner.commit()
            outcome.created += 1
        except FuncError as exc:
            inner.rollback()
            outcome.errors.append((line, exc.errors or {"row": exc.message}))
    if commit and not outcome.errors:
        outer.commit()
        outcome.committed = True
    else:
        outer.rollback()
    return outcome

"""The CSV import page's side of customer.import (customers/functions/imports.py): the page
maps columns, then calls the function for a dry run or the real, all-or-nothing import."""
from __future__ import annotations

from dataclasses import dataclass, field

from radbill.functions.registry import FuncError
from customers.functions.imports import MAX_ROWS, guess, read, split_key, targets  # noqa: F401

from admin.calls import run


@dataclass
class Outcome:
    rows: int = 0
    created: int = 0
    errors: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    committed: bool = False


def apply(text: str, rows: int, mapping: dict[int, str], commit: bool) -> Outcome:
    """Run customer.import on the file with the page's mapping; its row errors by line."""
    outcome = Outcome(rows=rows)
    params = {"file": text, "mapping": ",".join(f"{i}:{name}" for i, name in mapping.items()),
              "dry_run": "no" if commit else "yes"}
    try:
        result = run("customer.import", params)
    except FuncError as exc:
        by_line: dict[int, dict[str, str]] = {}
        for key, reason in (exc.errors or {"file": exc.message}).items():
            line, name = split_key(key)
            by_line.setdefault(line, {})[name] = reason
        outcome.errors = sorted(by_line.items())
        return outcome
    outcome.created = result.extra["created"]
    outcome.committed = result.extra["committed"]
    return outcome

"""The import page's side of customer.import (customers/functions/imports.py): upload a .csv
or .xlsx (kept under var/imports/ by a random name), map its columns (or pick a saved
mapping), a dry run whose bad rows are listed a page at a time, then the import; a large one
is a background task whose progress page refreshes itself."""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import request

from customers.functions.imports import split_key, targets, uploads  # noqa: F401
from customers.importing.files import read  # noqa: F401
from customers.importing.mapping import guess  # noqa: F401
from radbill.functions.registry import FuncError

from admin.calls import run

PER_PAGE = 50
EXTENSIONS = (".csv", ".xlsx")


@dataclass
class Outcome:
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    committed: bool = False
    import_id: int | None = None
    message: str = ""


def save_upload(upload) -> str:
    """Keep an uploaded file under a random name; returns the name (the page's token)."""
    name = (upload.filename or "").lower()
    ext = next((e for e in EXTENSIONS if name.endswith(e)), None)
    if ext is None:
        raise FuncError("choose a .csv or .xlsx file", field="file")
    folder = uploads()
    folder.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(12) + ext
    upload.save(folder / token)
    return token


def token_of(raw: str | None) -> str | None:
    """A token the page made (hex and an extension), else None: never a path."""
    raw = raw or ""
    stem, dot, ext = raw.rpartition(".")
    if dot and "." + ext in EXTENSIONS and len(stem) == 24 and all(c in "0123456789abcdef"
                                                                   for c in stem):
        return raw
    return None


def load(token: str):
    path = uploads() / token
    if not path.is_file():
        raise FuncError("the uploaded file is gone: upload it again", field="file")
    return read(path, token)


def mapping_from_form(header: list[str]) -> dict[int, str]:
    chosen = {i: request.form.get(f"col{i}") for i in range(len(header))}
    return {i: name for i, name in chosen.items() if name in targets()}


def apply(file: str, mapping: dict[int, str], commit: bool, skip_bad: bool = False,
          save_as: str = "", file_name: str = "") -> Outcome:
    """Run customer.import; its row errors by line."""
    params = {"file": file, "mapping": ",".join(f"{i}:{name}" for i, name in mapping.items()),
              "dry_run": "no" if commit else "yes", "file_name": file_name or None,
              "skip_bad": "yes" if skip_bad else None, "save_mapping": save_as or None}
    outcome = Outcome()
    try:
        result = run("customer.import", params)
    except FuncError as exc:
        outcome.message = exc.message or ""
        outcome.errors = by_line(exc.errors or {"file": exc.message})
        return outcome
    extra = result.extra
    outcome.rows, outcome.created = extra["rows"], extra["created"]
    outcome.updated, outcome.committed = extra["updated"], extra["committed"]
    outcome.errors = by_line(extra.get("errors") or {})
    if extra.get("background"):
        outcome.import_id = result.elid
    elif not commit:
        outcome.created, outcome.updated = extra["creates"], extra["updates"]
    return outcome


def by_line(errors: dict[str, str]) -> list[tuple[int, dict[str, str]]]:
    lines: dict[int, dict[str, str]] = {}
    for key, reason in errors.items():
        line, name = split_key(key)
        lines.setdefault(line, {})[name] = reason
    return sorted(lines.items())


def keep_report(token: str, errors: list) -> None:
    """The dry run's bad rows beside the upload, for the report's later pages."""
    (uploads() / (token + ".errors.json")).write_text(json.dumps(errors))


def report_page(token: str, page: int) -> tuple[list, int]:
    path = uploads() / (token + ".errors.json")
    errors = json.loads(path.read_text()) if path.is_file() else []
    pages = max(1, -(-len(errors) // PER_PAGE))
    page = min(max(page, 1), pages)
    return errors[(page - 1) * PER_PAGE:page * PER_PAGE], pages


def progress(import_id: int, page: int) -> dict | None:
    """A run's progress and a page of its bad rows (customer.import_run); None: not the
    caller's to see."""
    try:
        values = run("customer.import_run", {"run": str(import_id), "page": str(page)}).values
    except FuncError:
        return None
    return {**values, "run": values}


def saved_mappings() -> list[dict]:
    try:
        return run("import_mapping").rows
    except FuncError:
        return []

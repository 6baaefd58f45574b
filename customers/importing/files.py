"""Read an import file: its header and rows, each with the line the file numbers it by."""
from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Iterator

from radbill.functions.registry import FuncError

MAX_ROWS = 200_000
Rows = list[tuple[int, list[str]]]


def read(source: str | bytes | Path, name: str = "") -> tuple[list[str], Rows]:
    """(header, [(line, cells)]) of a CSV (text, bytes or a path) or an .xlsx (bytes or path);
    blank rows are left out."""
    name = str(name or (source if isinstance(source, Path) else ""))
    if name.lower().endswith(".xlsx") or (isinstance(source, bytes) and source[:2] == b"PK"):
        rows = _xlsx(source)
    else:
        if isinstance(source, Path):
            source = source.read_bytes()
        if isinstance(source, bytes):
            source = source.decode("utf-8-sig", "replace")
        rows = _csv(source)
    header = next(rows, None)
    if header is None:
        raise FuncError("the file is empty", field="file")
    out: Rows = []
    for line, cells in rows:
        if any(c for c in cells):
            out.append((line, cells))
            if len(out) > MAX_ROWS:
                raise FuncError(f"at most {MAX_ROWS:,} rows per import", field="file")
    return [h.strip() for h in header[1]], out


def _csv(text: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    start = 1
    try:
        for cells in reader:
            yield start, [c.strip() for c in cells]
            start = reader.line_num + 1  # a quoted cell may span lines
    except csv.Error as exc:
        raise FuncError(f"line {start}: {exc}", field="file") from None


def _xlsx(source: str | bytes | Path) -> Iterator[tuple[int, list[str]]]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException
    from zipfile import BadZipFile
    try:
        book = openpyxl.load_workbook(io.BytesIO(source) if isinstance(source, bytes) else source,
                                      read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FuncError(f"not a readable .xlsx file ({exc})", field="file") from None
    try:
        sheet = book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [cell_text(v) for v in values]
    finally:
        book.close()


def cell_text(value) -> str:
    """A spreadsheet cell as the text a person typed: 1711000001.0 -> '1711000001'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(Decimal(repr(value)))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()

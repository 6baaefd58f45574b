"""Render function results in the seed's formats: xml, json, JSONdata, text."""
from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree as ET

from radbill.functions.audit import jsonable
from radbill.functions.registry import FileResult, FormResult, FuncError, ListResult, OkResult

FORMATS = ("xml", "json", "JSONdata", "text", "print", "devel")

# Cells of an exported file (/export.csv, a router's log, /books/export.xlsx, the filings): a
# cell a spreadsheet would run as a formula (OWASP "CSV injection"), one starting with = + - @
# or a tab / carriage return, is kept as text behind a leading ' (the spreadsheet shows the
# text without it). A number is no formula: in a CSV any plain number (-500.00, a refund); in
# a workbook an amount or a count as a list writes it ("1200.00", "-5.00"), which becomes a
# number cell: no leading zero, so a phone number or a zero-padded code stays text, and no more
# digits than NUMERIC(14,2) holds, so a national id is not turned into 1.99E+12.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")
AMOUNT = re.compile(r"-?(0|[1-9][0-9]{0,11})(\.[0-9]{1,4})?", re.ASCII)


def safe_cell(value: Any, number: re.Pattern = PLAIN_NUMBER) -> Any:
    """The value as a cell that opens as text, never as a formula: a leading ' when it starts
    like one and is not a `number`."""
    if isinstance(value, str) and value.startswith(FORMULA_START) \
            and not number.fullmatch(value):
        return "'" + value
    return value


def csv_cell(value: Any) -> Any:
    """A list's value as a CSV cell: a dict or list its JSON, then `safe_cell`."""
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False)
    return safe_cell(value)


def sheet_cell(value: Any) -> Any:
    """A value as a spreadsheet cell: an AMOUNT written as text is a Decimal, a dict or list
    its JSON, text that would run as a formula kept as text (`safe_cell`)."""
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and AMOUNT.fullmatch(value):
        return Decimal(value)
    return safe_cell(value, AMOUNT)


def to_data(result: Any) -> dict[str, Any]:
    """The result as the JSON document of the `json` format."""
    if isinstance(result, ListResult):
        doc = {"elem": [jsonable(r) for r in result.rows]}
        if result.total is not None:
            doc.update(total=result.total, page=result.page, per_page=result.per_page)
        return {"doc": doc}
    if isinstance(result, FormResult):
        return {"doc": {"elid": jsonable(result.elid), **jsonable(result.values)}}
    if isinstance(result, OkResult):
        doc: dict[str, Any] = {"ok": {}}
        if result.elid is not None:
            doc["id"] = jsonable(result.elid)
        doc.update(jsonable(result.extra))
        return {"doc": doc}
    if isinstance(result, FuncError):
        err: dict[str, Any] = {"msg": result.message, "status": result.status}
        if result.field:
            err["field"] = result.field
        if result.errors:
            err["fields"] = result.errors
        return {"doc": {"error": err}}
    raise TypeError(f"cannot render {type(result).__name__}")


def to_jsondata(result: Any) -> Any:
    """Only the data: a list of rows, a dict of values, or {"ok": true}."""
    if isinstance(result, ListResult):
        return [jsonable(r) for r in result.rows]
    if isinstance(result, FormResult):
        return {"elid": jsonable(result.elid), **jsonable(result.values)}
    if isinstance(result, OkResult):
        return {"ok": True, "id": jsonable(result.elid), **jsonable(result.extra)}
    return to_data(result)["doc"]


def _xml_value(parent: ET.Element, key: str, value: Any) -> None:
    if isinstance(value, dict):
        node = ET.SubElement(parent, key)
        for k, v in value.items():
            _xml_value(node, k, v)
    elif isinstance(value, list):
        for v in value:
            _xml_value(parent, key, v)
    else:
        node = ET.SubElement(parent, key)
        if value is not None:
            node.text = str(value) if not isinstance(value, bool) else ("on" if value else "off")


def to_xml(result: Any) -> str:
    root = ET.Element("doc")
    if isinstance(result, FuncError):
        err = ET.SubElement(root, "error", {"status": str(result.status)})
        if result.field:
            err.set("object", result.field)
        err.text = result.message
    elif isinstance(result, ListResult):
        for row in result.rows:
            _xml_value(root, "elem", jsonable(row))
        if result.total is not None:
            for k in ("total", "page", "per_page"):
                ET.SubElement(root, k).text = str(getattr(result, k))
    elif isinstance(result, FormResult):
        ET.SubElement(root, "elid").text = "" if result.elid is None else str(result.elid)
        for k, v in jsonable(result.values).items():
            _xml_value(root, k, v)
    elif isinstance(result, OkResult):
        ET.SubElement(root, "ok")
        if result.elid is not None:
            ET.SubElement(root, "id").text = str(result.elid)
        for k, v in jsonable(result.extra).items():
            _xml_value(root, k, v)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def to_text(result: Any) -> str:
    """One line per element, `key=value` pairs separated by spaces (like mgrctl)."""
    def line(d: dict) -> str:
        return " ".join(f"{k}={'' if v is None else v}" for k, v in jsonable(d).items())
    if isinstance(result, FuncError):
        return f"ERROR {result.message}"
    if isinstance(result, ListResult):
        return "\n".join(line(r) for r in result.rows)
    if isinstance(result, FormResult):
        return line({"elid": result.elid, **result.values})
    if isinstance(result, OkResult):
        return "OK" + (f" id={result.elid}" if result.elid is not None else "") + \
            ("" if not result.extra else " " + line(result.extra))
    raise TypeError(type(result).__name__)


def render(result: Any, out: str) -> tuple[str, str]:
    """(content type, body) for format `out`."""
    if isinstance(result, FileResult):
        raise TypeError("files are sent as they are")
    if out in ("json",):
        return "application/json", json.dumps(to_data(result), ensure_ascii=False, indent=1)
    if out == "JSONdata":
        return "application/json", json.dumps(to_jsondata(result), ensure_ascii=False, indent=1)
    if out in ("xml", "devel"):
        return "application/xml", to_xml(result)
    if out == "text":
        return "text/plain", to_text(result)
    raise FuncError(f"unknown output format {out!r}; use one of {', '.join(FORMATS)}", field="out")

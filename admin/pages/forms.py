"""Form fields for any registered function, from its parameters and (when it has one) its Entity.

A function's Params give names, help and required; an Entity's Field parsers say more: a
`choice` becomes a select, a boolean an on/off select, a reference a list of suggestions.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from radbill.functions import fields as F
from radbill.functions.registry import Function, FuncError, ListResult, call, load_all
from radbill.functions.registry import SECRET_PARAMS

from admin import labels
from admin.dbs import db
from admin.fmt import ISO, local

# which list function offers the values of a reference parameter
REFERENCES = {"package": "package", "billing_profile": "billing_profile", "zone": "zone",
              "operator": "operator", "parent_operator": "operator", "pool": "pool",
              "fup_pool": "pool", "nas": "nas", "olt": "olt"}
SKIP = {"elid", "sok", "page", "per_page", "sort"}


@dataclass
class FormField:
    name: str
    label: str
    help: str = ""
    required: bool = False
    kind: str = "text"  # text, password, select, textarea
    value: Any = ""
    options: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    error: str | None = None


def entity_fields(fn: Function) -> dict[str, F.Field]:
    owner = getattr(fn.handler, "__self__", None)
    return {f.name: f for f in getattr(owner, "fields", [])}


def choices(parser) -> list[str] | None:
    """The options of a fields.choice parser (read from its closure), or None."""
    if parser is F.boolean:
        return ["on", "off"]
    if getattr(parser, "__qualname__", "").startswith("choice."):
        for cell in parser.__closure__ or ():
            if isinstance(cell.cell_contents, tuple):
                return list(cell.cell_contents)
    return None


def current(values: dict[str, Any], name: str) -> Any:
    """A form value for a parameter; the form may name it name, name_at or name_id."""
    for key in (name, f"{name}_at", f"{name}_id"):
        if key in values and values[key] is not None:
            value = values[key]
            if isinstance(value, bool):
                return "on" if value else "off"
            if isinstance(value, str) and ISO.match(value):
                return local(value)  # staff type times in the ISP's zone; fields.when reads them so
            return value
    return ""


def suggestions(caller, func: str) -> list[str]:
    """Up to 200 names from a list function the caller may use (not logged: no one clicked)."""
    fn = load_all().get(func)
    if fn is None or not fn.allowed(caller):
        return []
    try:
        result = call(db(), caller, func, {"per_page": "200"})
    except Exception:
        return []
    if not isinstance(result, ListResult):
        return []
    return [str(r.get("name") or r.get("login") or r.get("id")) for r in result.rows]


def build(fn: Function, caller, values: dict[str, Any], errors: dict[str, str] | None = None,
          posted: dict[str, str] | None = None) -> list[FormField]:
    known = entity_fields(fn)
    out = []
    for p in fn.params:
        if p.name in SKIP:
            continue
        f = FormField(p.name, labels.column(p.name, fn.name), p.help, p.required)
        parser = known[p.name].parse if p.name in known else None
        f.value = (posted or {}).get(p.name, current(values, p.name))
        if p.name in SECRET_PARAMS:
            f.kind, f.value = "password", ""
        elif (opts := choices(parser)) is not None:
            f.kind, f.options = "select", opts
        elif p.name in ("notes", "address", "description", "note", "reason"):
            f.kind = "textarea"
        if p.name in REFERENCES:
            f.suggestions = suggestions(caller, REFERENCES[p.name])
        f.error = (errors or {}).get(p.name)
        out.append(f)
    return out + extra_fields(fn, caller, values, errors, posted)


def extra_fields(fn: Function, caller, values: dict[str, Any], errors: dict[str, str] | None,
                 posted: dict[str, str] | None) -> list[FormField]:
    """Fields an Entity adds beside its parameters (`form_extras`: customer.edit's custom
    fields, cf_<name>, with the definition's label, options and required mark)."""
    from radbill.functions.registry import Call
    extras = getattr(getattr(fn.handler, "__self__", None), "form_extras", None)
    if extras is None:
        return []
    out = []
    try:
        found = extras(Call(db(), caller, fn.name, dict(posted or {})), values)
    except FuncError:  # an elid the caller cannot see: the form's own call says so
        return []
    for d, value in found:
        f = FormField(d.param, d.label, required=d.required,
                      value=(posted or {}).get(d.param, value),
                      kind="date" if d.kind == "date" else "text",
                      error=(errors or {}).get(d.param))
        if d.kind == "choice":
            f.kind, f.options = "select", list(d.choices)
        out.append(f)
    return out


def changed(fields: list[FormField], posted: dict[str, str], original: dict[str, str],
            creating: bool) -> dict[str, str]:
    """Only what the person changed (or filled in, when creating), so the logged call is minimal."""
    params = {}
    for f in fields:
        value = posted.get(f.name)
        if value is None:
            continue
        if f.kind == "password" and value == "":
            continue  # an empty password box keeps the password
        if creating and value == "":
            continue
        if not creating and value == str(original.get(f.name, "")):
            continue
        params[f.name] = value
    return params


def filter_fields(fn: Function, params: dict[str, str]) -> list[FormField]:
    """A list's filters; one over an enum column (status, service) or a boolean is a select."""
    owner = getattr(fn.handler, "__self__", None)
    columns = getattr(owner, "filters", {})
    model = getattr(owner, "model", None)
    known = entity_fields(fn)
    out = []
    for p in fn.params:
        if p.name in ("q", "page", "per_page", "sort"):
            continue
        f = FormField(p.name, labels.column(p.name, fn.name), p.help,
                      value=params.get(p.name, ""))
        column = getattr(model, columns.get(p.name, ""), None) if model is not None else None
        col_type = getattr(column, "type", None)
        if isinstance(col_type, sa.Enum):
            f.kind, f.options = "select", list(col_type.enums)
        elif isinstance(col_type, sa.Boolean) or p.name == "deleted":
            f.kind, f.options = "select", ["on", "off"]
        elif p.name in known and (opts := choices(known[p.name].parse)) is not None:
            f.kind, f.options = "select", opts
        out.append(f)
    return out


def sortable(fn: Function, columns: list[str]) -> set[str]:
    """Columns a list sorts by: an Entity's table columns; for others all, if it takes sort."""
    if not any(p.name == "sort" for p in fn.params):
        return set()
    model = getattr(getattr(fn.handler, "__self__", None), "model", None)
    table = getattr(model, "__table__", None)
    if table is None:
        return set(columns)
    return {c for c in columns if c in table.columns}

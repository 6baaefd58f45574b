"""List cells as people read them: ids replaced by names with links, values by what they hold
(money, bytes, rates, statuses: admin/fmt.py), and the names of rows an action is about."""
from __future__ import annotations

from typing import Any, Callable
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import g, url_for
from markupsafe import Markup, escape

from radbill.functions.registry import Call, FuncError, load_all

from admin import fmt
from admin.dbs import db

# a reference column: the list whose form it opens (None: the customer page)
REFERENCES = {"customer_id": "customer", "operator_id": "operator", "package_id": "package",
              "zone_id": "zone", "pool_id": "pool", "nas_id": "nas", "olt_id": "olt"}
NAME_COLUMNS = {"customer": "username"}


def entity(base: str):
    fn = load_all().get(base)
    return getattr(getattr(fn, "handler", None), "__self__", None) if fn else None


def names_of(base: str, refs: list[str], prefer: str | None = None,
             full: bool = False) -> list[str]:
    """What people call the rows `refs` (ids or names) of list `base`, as the caller sees them;
    a ref the caller cannot see stays as given."""
    owner = entity(base)
    out = []
    for ref in refs:
        name = ref
        if owner is not None and hasattr(owner, "find"):
            try:
                with db().begin_nested():
                    obj = owner.find(Call(db(), g.caller, base, {}), ref)
                name = str((prefer and getattr(obj, prefer, None)) or getattr(obj, "username", None)
                           or getattr(obj, "name", None) or getattr(obj, "login", None) or ref)
                if full and getattr(obj, "username", None) and getattr(obj, "name", None):
                    name = f"{obj.name} ({obj.username})"  # a confirmation names people
            except (FuncError, sa.exc.SQLAlchemyError):
                pass
        out.append(name)
    return out


def lookup(model_name: str, ids: set[int]) -> dict[int, str]:
    """id → name for the ids on this page (one query per reference column)."""
    from radbill import models
    model = {"operator": models.Operator, "package": getattr(models, "Package", None),
             "zone": getattr(models, "Zone", None), "pool": getattr(models, "Pool", None),
             "nas": getattr(models, "Nas", None) or getattr(models, "NAS", None),
             "customer": models.Customer}.get(model_name) if model_name in (
                 "operator", "package", "zone", "pool", "nas", "customer") else None
    if model is None or not ids:
        return {}
    label = getattr(model, "username", None) or getattr(model, "name", None) \
        or getattr(model, "shortname", None) or getattr(model, "nasname", None)
    if label is None:
        return {}
    try:
        with db().begin_nested():
            return {i: str(n) for i, n in db().execute(
                sa.select(model.id, label).where(model.id.in_(ids)))}
    except sa.exc.SQLAlchemyError:
        return {}


def link_for(base: str, ident: Any) -> str:
    if base == "customer":
        return url_for("customers.show", cid=ident)
    if base == "operator" and load_all()["operator_plan"].permits(g.caller):
        return url_for("operators.show", oid=ident)  # its plan, bills, delete (issue 19)
    edit = load_all().get(f"{base}.edit")
    if edit is not None and edit.allowed(g.caller):
        return "/billmgr?" + urlencode({"func": f"{base}.edit", "elid": ident})
    return ""


def renderer(fn, rows: list[dict], columns: list[str]) -> Callable[[dict, str], Markup]:
    """show_cell(row, column) for the list template."""
    refs = {**REFERENCES, "parent_id": fn.name.split(".")[0]}  # a package's, an operator's parent
    names: dict[str, dict[int, str]] = {}
    for col in columns:
        base = refs.get(col)
        if base is None:
            continue
        ids = {r[col] for r in rows if isinstance(r.get(col), int)}
        names[col] = lookup(base, ids)

    def show_cell(row: dict, col: str) -> Markup:
        value = row.get(col)
        base = refs.get(col)
        if base and isinstance(value, int):
            name = names.get(col, {}).get(value) or (row.get("username") if base == "customer"
                                                     else None) or f"#{value}"
            href = link_for(base, value)
            return Markup(f'<a href="{escape(href)}">{escape(name)}</a>') if href \
                else Markup(escape(name))
        if col in ("username", "customer") and isinstance(row.get("customer_id"), int) \
                and "customer_id" not in columns and value:
            return Markup(f'<a href="{escape(link_for("customer", row["customer_id"]))}">'
                          f'{escape(value)}</a>')
        shown = fmt.show(value, col, fn)
        return shown if isinstance(shown, Markup) else Markup(escape(shown))
    return show_cell

"""Jinja filters: times in the ISP's zone, cells of any shape, byte counts."""
from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from flask import Flask, current_app
from markupsafe import Markup, escape

ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?$")


def local(value: Any, with_seconds: bool = False) -> str:
    """A time in the ISP's zone (settings.tz), as staff read it."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        value = value.astimezone(current_app.config["TZ"])
        return value.strftime("%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M")
    return str(value)


def cell(value: Any) -> Markup | str:
    """One table cell: times localised, booleans as yes/no, structures as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and ISO.match(value):
        return local(value)
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return rows_table(value)  # bill lines, interface samples...
    if isinstance(value, (dict, list)):
        return Markup(f"<code>{escape(json.dumps(value, ensure_ascii=False))}</code>")
    return str(value)


def rows_table(rows: list[dict]) -> Markup:
    keys = list(dict.fromkeys(k for r in rows for k in r))
    head = "".join(f"<th>{escape(k)}</th>" for k in keys)
    body = "".join("<tr>" + "".join(f"<td>{escape(cell(r.get(k)))}</td>" for k in keys) + "</tr>"
                   for r in rows)
    return Markup(f'<table class="inner"><tr>{head}</tr>{body}</table>')


def size(value: Any) -> str:
    try:
        n = float(value or 0)
    except (TypeError, ValueError):
        return str(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(value)


def duration(seconds: Any) -> str:
    try:
        s = int(seconds or 0)
    except (TypeError, ValueError):
        return ""
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, _ = divmod(s, 60)
    return (f"{d}d " if d else "") + f"{h:02d}:{m:02d}"


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(local=local, cell=cell, size=size, duration=duration)

"""Jinja filters: times in the ISP's zone, cells of any shape, byte counts. In Bangla (the page's
language, admin/l10n.py) what a cell shows has Bangla digits and lakh-grouped money (radbill/l10n.py);
`local` itself stays Latin, as forms put it in an input that the function parses."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
import json
import re
from typing import Any

from flask import Flask, current_app
from markupsafe import Markup, escape

from radbill import l10n

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


NUMERIC = re.compile(r"^[-+]?[\d][\d\s:.,/+-]*$")  # numbers, dates, times: digits to localise


def page_lang() -> str:
    """The language of the page being made (English outside a request)."""
    try:
        from admin.l10n import lang
        return lang()
    except Exception:  # noqa: BLE001 - no app, no request: English
        return l10n.DEFAULT


def digits(text: Any) -> str:
    """`text` with the page's digits (Bangla digits on a Bangla page; else unchanged)."""
    return l10n.digits(text, page_lang())


def cell(value: Any) -> Markup | str:
    """One table cell: times localised, booleans as yes/no, structures as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _t("yes") if value else _t("no")
    if isinstance(value, str) and ISO.match(value):
        return digits(local(value))
    if isinstance(value, (int, float, Decimal)) or (isinstance(value, str)
                                                     and NUMERIC.match(value)):
        return digits(value)
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
            return digits(f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}")
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
    # "2d 03:04"; in Bangla "২ দিন ০৩:০৪"
    return digits((_t("%(days)sd ", days=d) if d else "") + f"{h:02d}:{m:02d}")


def money(value: Any, currency: str | None = None) -> str:
    """1200 → "1,200.00 BDT": thousands separators and the ISP's currency."""
    if value in (None, ""):
        return ""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if currency is None:
        try:
            currency = current_app.config.get("CURRENCY") or ""
        except RuntimeError:
            currency = ""
    if page_lang() != l10n.DEFAULT:  # Bangla: ১২,৩৪,৫৬৭.০০ (lakh grouping, Bangla digits)
        return f"{l10n.number(amount, page_lang(), 2)} {currency}".strip()
    return f"{amount:,.2f} {currency}".strip()


def rate(value: Any) -> str:
    """Bits per second (1000-based) as kbit/s, Mbit/s, Gbit/s."""
    try:
        n = float(value)
    except (TypeError, ValueError):
        return "" if value in (None, "") else str(value)
    for unit in ("bit/s", "kbit/s", "Mbit/s", "Gbit/s"):
        if n < 1000 or unit == "Gbit/s":
            return digits(f"{n:.0f} {unit}" if unit == "bit/s" or n == int(n)
                          else f"{n:.1f} {unit}")
        n /= 1000
    return str(value)


def badge(value: Any) -> Markup | str:
    """A status as a coloured badge (its colour from the value: active, suspended, failed...)."""
    if value in (None, ""):
        return ""
    text = str(value)
    tone = re.sub(r"[^a-z0-9_-]", "", text.lower())
    return Markup(f'<span class="badge b-{tone}">{escape(_t(text.replace("_", " ")))}</span>')


def _t(text: str, **values: Any) -> str:
    """gettext from Python (badges, flashed sentences): Flask-Babel's when the app has it."""
    try:
        from flask_babel import gettext
        if "babel" in current_app.extensions:
            return gettext(text, **values)
    except (ImportError, RuntimeError):
        pass
    return identity_gettext(text, **values)


def show(value: Any, name: str, fn: Any = None) -> Markup | str:
    """A list cell by what its column holds: money, bytes, rates, statuses, or as `cell`."""
    from admin import labels
    kind = labels.kind_of(name, fn)
    if value in (None, ""):
        return ""
    if isinstance(value, (list, dict)) or isinstance(value, bool):
        return cell(value)
    if kind == "money":
        return money(value)
    if kind == "bytes":
        return size(value)
    if kind == "rate":
        return rate(value)
    if kind == "status":
        return badge(value)
    if kind == "code" and isinstance(value, str):  # a role, a level, a metric: its label
        return digits(_t(labels.value_label(name, value)))
    return cell(value)


def identity_gettext(text: str, **values: Any) -> str:
    return text % values if values else text


def init_app(app: Flask) -> None:
    # `amount`, not `money`: admin/l10n.py's `money` filter is the bare number in the page's digits
    app.jinja_env.filters.update(local=local, cell=cell, size=size, duration=duration,
                                 amount=money, rate=rate, badge=badge, show=show)
    from admin import labels
    app.jinja_env.globals.update(col_label=labels.column, hide_class=labels.hide_class)
    # Flask-Babel (admin/i18n.py) provides `_`; until it does, an identity so templates work
    app.jinja_env.globals.setdefault("_", identity_gettext)

"""The NOC's charts: points labelled on the ISP's wall clock, and a time-series chart for a
radio's figures (dBm are negative: the axis spans the values, not zero to the top)."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from admin.devices.charts import parse_at, runs, tick_label, ticks
from admin.l10n import lang
from admin.svg import PALETTE
from radbill import l10n


def local_points(rows: list[dict], at_key: str, value_key: str, tz: ZoneInfo, lang: str,
                 fmt: str = "%H:%M") -> list[tuple[str, float]]:
    """(label in the ISP's zone, value) per row: a minute or hour as the wall clock reads it."""
    return [(l10n.digits(parse_at(r[at_key]).astimezone(tz).strftime(fmt), lang),
             float(r[value_key] or 0)) for r in rows]


def series(rows: list[dict], names: tuple[str, ...], start: dt.datetime, end: dt.datetime,
           tz: ZoneInfo, label: str, unit: str = "", width: int = 720,
           height: int = 170, legend: dict[str, str] | None = None) -> Markup:
    """One line per name over the time range; the axis spans the values (dBm too); ticks on
    the ISP's hours; a gap where polls stopped; no script. `legend` names each line for the
    reader (the page's language); numbers in the page's digits."""
    pts = {n: [(parse_at(r["at"]), float(r[n])) for r in rows if r.get(n) is not None]
           for n in names}
    values = [v for p in pts.values() for _, v in p]
    if not values:
        return Markup("")
    lo, hi = min(values), max(values)
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    pad_l, pad_b = 56, 20
    span = max((end - start).total_seconds(), 1.0)
    here, legend = lang(), legend or {}

    def figure(v: float) -> str:
        return l10n.number(round(v), here) + unit

    def x(at: dt.datetime) -> float:
        return pad_l + (at - start).total_seconds() / span * (width - pad_l)

    def y(v: float) -> float:
        return 6 + (hi - v) / (hi - lo) * (height - 12)

    parts = [f'<svg class="chart" viewBox="0 0 {width} {height + pad_b + 18}" width="100%" '
             f'role="img" aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
             f'<title>{escape(label)}</title>',
             f'<line x1="{pad_l}" y1="{height}" x2="{width}" y2="{height}" stroke="#999"/>',
             f'<text x="0" y="14" font-size="11">{escape(figure(hi))}</text>',
             f'<text x="0" y="{height}" font-size="11">{escape(figure(lo))}</text>']
    for at in ticks(start, end, tz):
        parts.append(f'<line x1="{x(at):.1f}" y1="{height}" x2="{x(at):.1f}" y2="{height + 4}" '
                     f'stroke="#999"/><text x="{x(at) - 14:.1f}" y="{height + 15}" '
                     f'font-size="11">{escape(tick_label(at, span, tz))}</text>')
    for j, name in enumerate(names):
        colour, shown = PALETTE[j % len(PALETTE)], escape(legend.get(name, name))
        for run in runs(pts[name]):
            if len(run) == 1:
                parts.append(f'<circle cx="{x(run[0][0]):.1f}" cy="{y(run[0][1]):.1f}" r="2.5" '
                             f'fill="{colour}"><title>{shown}: {escape(figure(run[0][1]))}</title>'
                             f'</circle>')
                continue
            line = " ".join(f"{x(a):.1f},{y(v):.1f}" for a, v in run)
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.6" '
                         f'points="{line}"><title>{shown}</title></polyline>')
        last = pts[name][-1][1] if pts[name] else None
        parts.append(f'<rect x="{pad_l + j * 170}" y="{height + pad_b + 4}" width="10" '
                     f'height="10" fill="{colour}"/><text x="{pad_l + j * 170 + 14}" '
                     f'y="{height + pad_b + 13}" font-size="11">{shown}'
                     f'{"" if last is None else " " + escape(figure(last))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))

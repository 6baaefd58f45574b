"""Small inline SVG charts (no scripts, no CDN): grouped bars over days."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from markupsafe import Markup, escape

COLOURS = ("#2f6fb0", "#e08a1e", "#3a9d5d")


def bars(days: list[dt.date], series: dict[str, dict], width: int = 720, height: int = 200,
         fmt=lambda v: f"{v:,.2f}") -> Markup:
    """One group of bars per day, one bar per series; titles give exact values on hover."""
    top = max([float(v) for s in series.values() for v in s.values()] + [0]) or 1.0
    pad, n = 30, max(len(days), 1)
    slot = (width - pad) / n
    bar_w = max(slot / (len(series) + 1), 1)
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height + 40}" width="100%" role="img" '
             f'xmlns="http://www.w3.org/2000/svg">',
             f'<line x1="{pad}" y1="{height}" x2="{width}" y2="{height}" stroke="#999"/>',
             f'<text x="0" y="12" font-size="10">{escape(fmt(top))}</text>']
    for i, day in enumerate(days):
        x0 = pad + i * slot
        for j, (name, values) in enumerate(series.items()):
            v = float(values.get(day, 0) or 0)
            h = v / top * (height - 20)
            parts.append(f'<rect x="{x0 + j * bar_w:.1f}" y="{height - h:.1f}" width="{bar_w:.1f}" '
                         f'height="{h:.1f}" fill="{COLOURS[j % len(COLOURS)]}">'
                         f'<title>{escape(day.isoformat())} {escape(name)}: '
                         f'{escape(fmt(v))}</title></rect>')
        if i % 5 == 0:
            parts.append(f'<text x="{x0:.1f}" y="{height + 14}" font-size="10">{day:%d %b}</text>')
    for j, name in enumerate(series):
        parts.append(f'<rect x="{pad + j * 110}" y="{height + 24}" width="10" height="10" '
                     f'fill="{COLOURS[j % len(COLOURS)]}"/><text x="{pad + j * 110 + 14}" '
                     f'y="{height + 33}" font-size="11">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def last_days(today: dt.date, n: int = 30) -> list[dt.date]:
    return [today - dt.timedelta(days=n - 1 - i) for i in range(n)]


def total(values: dict) -> Decimal:
    return sum((Decimal(str(v)) for v in values.values()), Decimal(0))

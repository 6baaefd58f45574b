"""Small inline SVG charts (no scripts, no CDN): grouped bars over days."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from markupsafe import Markup, escape

COLOURS = ("#2f6fb0", "#e08a1e", "#3a9d5d")


def bars(days: list[dt.date], series: dict[str, dict], width: int = 720, height: int = 200,
         fmt=lambda v: f"{v:,.2f}") -> Markup:
    """One group of bars per day, one bar per series; titles give exact values on hover. No
    value above zero: an empty Markup (the page says there is nothing, not an empty box)."""
    if not any(float(v or 0) > 0 for s in series.values() for v in s.values()):
        return Markup("")
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


PALETTE = ("#2f6fb0", "#e08a1e", "#3a9d5d", "#b0413e", "#7b5ea7", "#3aa3a8", "#9a8a2a", "#888")


def _open(width: int, height: int, label: str, cls: str = "chart") -> str:
    return (f'<svg class="{cls}" viewBox="0 0 {width} {height}" width="100%" role="img" '
            f'aria-label="{escape(label)}" preserveAspectRatio="xMidYMid meet" '
            f'xmlns="http://www.w3.org/2000/svg"><title>{escape(label)}</title>')


def line(points: list[tuple[str, float]], label: str, width: int = 600, height: int = 200,
         colour: str = PALETTE[0], every: int = 3) -> Markup:
    """A line over (x label, value) points with a dot per point (its title the exact value)."""
    top = max([v for _, v in points] + [0]) or 1
    pad_l, pad_b, pad_t = 40, 26, 12
    n = max(len(points) - 1, 1)
    xs = [pad_l + i * (width - pad_l - 8) / n for i in range(len(points))]
    ys = [pad_t + (1 - v / top) * (height - pad_b - pad_t) for _, v in points]
    parts = [_open(width, height, label),
             f'<line x1="{pad_l}" y1="{height - pad_b}" x2="{width}" y2="{height - pad_b}" '
             f'stroke="#999"/><text x="2" y="{pad_t + 6}" font-size="14">{top:,.0f}</text>'
             f'<text x="2" y="{height - pad_b}" font-size="14">0</text>']
    if points:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys))
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
    for i, ((name, v), x, y) in enumerate(zip(points, xs, ys)):
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
                     f'<title>{escape(name)}: {v:,.0f}</title></circle>')
        if i % every == 0:
            parts.append(f'<text x="{x:.1f}" y="{height - 6}" font-size="14" '
                         f'text-anchor="middle">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def donut(slices: list[tuple[str, float]], label: str, size: int = 160,
          fmt=lambda v: f"{v:,.2f}") -> Markup:
    """A ring of slices (stroke-dasharray on one circle each) and its legend beside it."""
    total = sum(v for _, v in slices if v > 0)
    r, stroke = 60, 26
    circ = 2 * 3.141592653589793 * r
    width = size + 190
    parts = [_open(width, max(size, 20 * len(slices) + 10), label, "chart donut"),
             f'<circle cx="{size / 2}" cy="{size / 2}" r="{r}" fill="none" stroke="#eee" '
             f'stroke-width="{stroke}"/>']
    offset = 0.0
    for i, (name, v) in enumerate(slices):
        colour = PALETTE[i % len(PALETTE)]
        share = (v / total) if total and v > 0 else 0
        if share:
            parts.append(f'<circle cx="{size / 2}" cy="{size / 2}" r="{r}" fill="none" '
                         f'stroke="{colour}" stroke-width="{stroke}" '
                         f'stroke-dasharray="{share * circ:.2f} {circ:.2f}" '
                         f'stroke-dashoffset="{-offset * circ:.2f}" '
                         f'transform="rotate(-90 {size / 2} {size / 2})">'
                         f'<title>{escape(name)}: {escape(fmt(v))} ({share:.0%})</title></circle>')
            offset += share
        y = 16 + i * 20
        parts.append(f'<rect x="{size + 10}" y="{y - 10}" width="11" height="11" fill="{colour}"/>'
                     f'<text x="{size + 26}" y="{y}" font-size="12">{escape(name)}: '
                     f'{escape(fmt(v))}</text>')
    parts.append(f'<text x="{size / 2}" y="{size / 2 + 5}" font-size="14" text-anchor="middle" '
                 f'font-weight="bold">{escape(fmt(total))}</text></svg>')
    return Markup("".join(parts))


def hbars(rows: list[tuple[str, float]], label: str, width: int = 360,
          fmt=lambda v: f"{v:,.2f}", colour: str = PALETTE[0]) -> Markup:
    """One horizontal bar per row, its name and value written beside it (long names fit)."""
    top = max([v for _, v in rows] + [0]) or 1
    row_h, name_w, val_w = 22, 110, 76
    height = max(row_h * len(rows), row_h)
    parts = [_open(width, height, label, "chart hbars")]
    for i, (name, v) in enumerate(rows):
        y = i * row_h
        w = max(v, 0) / top * (width - name_w - val_w)
        short = name if len(name) <= 15 else name[:14] + "…"
        parts.append(f'<g><title>{escape(name)}: {escape(fmt(v))}</title>'
                     f'<text x="0" y="{y + 15}" font-size="12">{escape(short)}</text>'
                     f'<rect x="{name_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" '
                     f'fill="{colour}"/><text x="{name_w + w + 4:.1f}" y="{y + 15}" '
                     f'font-size="12">{escape(fmt(v))}</text></g>')
    if not rows:
        parts.append('<text x="0" y="15" font-size="12" fill="#666">none</text>')
    parts.append("</svg>")
    return Markup("".join(parts))

"""Traffic graphs: device.traffic rows turned into one inline SVG line chart per interface."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from markupsafe import Markup, escape

from admin.l10n import lang
from admin.svg import COLOURS
from radbill import l10n

# a chart wider than this many points shows nothing more on a screen; averaging buckets keeps
# a month of 5-minute polls readable and the SVG small
MAX_POINTS = 300


def rate(bps: float | None) -> str:
    """Bits per second as people read them (1000-based, like the package rates)."""
    if bps is None:
        return ""
    for unit, mult in (("Gbit/s", 1e9), ("Mbit/s", 1e6), ("kbit/s", 1e3)):
        if bps >= mult:
            return f"{bps / mult:.1f} {unit}"
    return f"{bps:.0f} bit/s"


@dataclass
class Series:
    if_index: int
    if_name: str
    points: list[tuple[dt.datetime, float, float]] = field(default_factory=list)  # at, in, out
    # the highest single poll: bucket averages over a month would hide a short burst
    peak_in: float = 0.0
    peak_out: float = 0.0


def parse_at(value: str) -> dt.datetime:
    at = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)


def series(rows: list[dict], start: dt.datetime, end: dt.datetime) -> list[Series]:
    """Rows (any order) grouped per interface, oldest first, averaged into MAX_POINTS buckets.
    The first poll after a counter reset has no rate (None): it is skipped, not drawn as zero."""
    by_if: dict[int, Series] = {}
    buckets: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    span = max((end - start).total_seconds(), 1.0)
    for r in rows:
        s = by_if.setdefault(r["if_index"], Series(r["if_index"], r["if_name"] or ""))
        s.if_name = s.if_name or r["if_name"] or ""
        if r["in_bps"] is None and r["out_bps"] is None:
            continue
        s.peak_in = max(s.peak_in, float(r["in_bps"] or 0))
        s.peak_out = max(s.peak_out, float(r["out_bps"] or 0))
        at = parse_at(r["at"])
        slot = min(int((at - start).total_seconds() / span * MAX_POINTS), MAX_POINTS - 1)
        buckets[r["if_index"]][max(slot, 0)].append((float(r["in_bps"] or 0),
                                                     float(r["out_bps"] or 0)))
    for idx, s in by_if.items():
        for slot in sorted(buckets[idx]):
            values = buckets[idx][slot]
            at = start + dt.timedelta(seconds=(slot + 0.5) * span / MAX_POINTS)
            s.points.append((at, sum(v[0] for v in values) / len(values),
                             sum(v[1] for v in values) / len(values)))
    return [by_if[k] for k in sorted(by_if)]


def line_chart(s: Series, start: dt.datetime, end: dt.datetime, tz: ZoneInfo,
               width: int = 720, height: int = 180) -> Markup:
    """In and out rates over the range; hour or day ticks in the ISP's zone; no script."""
    here = lang()
    if not s.points:
        return Markup('<p class="no-rates">%s</p>') % _(
            "No rates in this range yet (a rate needs two polls; the first poll after a "
            "counter reset has none).")
    pad_l, pad_b = 70, 20
    top = max(max(p[1], p[2]) for p in s.points) or 1.0
    span = max((end - start).total_seconds(), 1.0)

    def x(at: dt.datetime) -> float:
        return pad_l + (at - start).total_seconds() / span * (width - pad_l)

    def y(v: float) -> float:
        return height - v / top * (height - 10)

    parts = [f'<svg class="chart traffic" viewBox="0 0 {width} {height + pad_b + 16}" '
             f'width="100%" role="img" xmlns="http://www.w3.org/2000/svg">'
             f'<title>{escape(_("Traffic of %(name)s", name=s.if_name))}</title>',
             f'<line x1="{pad_l}" y1="{height}" x2="{width}" y2="{height}" stroke="#999"/>',
             f'<text x="0" y="14" font-size="10">{escape(l10n.digits(rate(top), here))}</text>',
             f'<text x="0" y="{height}" font-size="10">{l10n.digits("0", here)}</text>']
    for at in ticks(start, end, tz):
        parts.append(f'<line x1="{x(at):.1f}" y1="{height}" x2="{x(at):.1f}" y2="{height + 4}" '
                     f'stroke="#999"/><text x="{x(at) - 14:.1f}" y="{height + 15}" '
                     f'font-size="10">{escape(tick_label(at, span, tz))}</text>')
    # the legend says "in (peak 950.0 Mbit/s)": one msgid each, no lone "in" in the catalogue
    legends = (_("in (peak %(rate)s)"), _("out (peak %(rate)s)"))
    for j, (name, k) in enumerate(((_("incoming"), 1), (_("outgoing"), 2))):
        for run in runs(s.points):
            if len(run) == 1:  # a lone poll between gaps: a dot, or it would not show at all
                parts.append(f'<circle cx="{x(run[0][0]):.1f}" cy="{y(run[0][k]):.1f}" r="2" '
                             f'fill="{COLOURS[j]}"><title>{name}</title></circle>')
                continue
            pts = " ".join(f"{x(p[0]):.1f},{y(p[k]):.1f}" for p in run)
            parts.append(f'<polyline fill="none" stroke="{COLOURS[j]}" stroke-width="1.5" '
                         f'points="{pts}"><title>{name}</title></polyline>')
        peak = l10n.digits(rate(s.peak_in if k == 1 else s.peak_out), here)
        parts.append(f'<rect x="{pad_l + j * 200}" y="{height + pad_b + 4}" width="10" '
                     f'height="10" fill="{COLOURS[j]}"/><text x="{pad_l + j * 200 + 14}" '
                     f'y="{height + pad_b + 13}" font-size="11">'
                     f'{escape(legends[j] % {"rate": peak})}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def runs(points: list[tuple]) -> list[list[tuple]]:
    """Points split where polling stopped, so an outage is a gap and not a straight line.
    A gap is more than three times the usual spacing (the poll interval, whatever it is)."""
    if len(points) < 3:
        return [points] if points else []
    gaps = sorted((b[0] - a[0]).total_seconds() for a, b in zip(points, points[1:]))
    limit = 3 * gaps[len(gaps) // 2]
    out = [[points[0]]]
    for a, b in zip(points, points[1:]):
        if (b[0] - a[0]).total_seconds() > limit:
            out.append([])
        out[-1].append(b)
    return out


def ticks(start: dt.datetime, end: dt.datetime, tz: ZoneInfo) -> list[dt.datetime]:
    """Round local hours (local midnights past two days), at most eight of them."""
    days = (end - start).total_seconds() > 2 * 86400
    local = start.astimezone(tz).replace(minute=0, second=0, microsecond=0)
    found = []
    while local <= end:
        if local >= start and (not days or local.hour == 0):
            found.append(local)
        # step the wall clock, so ticks stay on the hour across a DST change
        local = (local.replace(tzinfo=None) + dt.timedelta(hours=1)).replace(tzinfo=tz)
    if not days:  # hours a person would pick: every 3 hours, not 17:00, 20:00, 23:00...
        step = next((h for h in (1, 2, 3, 4, 6, 12) if len(found) / h <= 8), 24)
        return [t for t in found if t.hour % step == 0]
    return found[::-(-len(found) // 8) or 1]


def tick_label(at: dt.datetime, span_seconds: float, tz: ZoneInfo) -> str:
    """A day ("23 Feb", Bangla month names in Bangla) past two days, else the hour; in the
    page's digits."""
    local, here = at.astimezone(tz), lang()
    if span_seconds <= 2 * 86400:
        return l10n.digits(local.strftime("%H:%M"), here)
    if here == l10n.DEFAULT:
        return local.strftime("%d %b")
    return l10n.date(local.date(), here, "d MMM")

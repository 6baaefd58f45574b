"""The books' charts: grouped bars per month (inline SVG, no script), sized by viewBox so they
shrink to a 390 px phone; each bar's title gives its exact value."""
from __future__ import annotations

from markupsafe import Markup, escape

from admin.svg import PALETTE


def month_bars(labels: list[tuple[str, str]], series: list[tuple[str, list[float]]], label: str,
               fmt=lambda v: f"{v:,.2f}", width: int = 640, height: int = 240) -> Markup:
    """One group per month (labels: (short, full) names), one bar per series, a legend under;
    negative values are drawn as zero (the table says the figure). Text is 18 units high in a
    640 wide box: about 11 px on a 390 px phone."""
    values = [max(v, 0) for _, vs in series for v in vs]
    if not any(values):
        return Markup("")
    top = max(values)
    pad_l, pad_b = 8, 28
    legend = 24 * ((len(series) + 1) // 2)  # two entries a row
    height += legend
    plot_h = height - pad_b - legend
    slot = (width - pad_l) / max(len(labels), 1)
    bar = max(min(slot / (len(series) + 1), 28), 2)
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
             f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
             f'<title>{escape(label)}</title>',
             f'<line x1="{pad_l}" y1="{plot_h}" x2="{width}" y2="{plot_h}" stroke="#999"/>',
             f'<text x="{pad_l}" y="16" font-size="16" fill="#555">{escape(fmt(top))}</text>']
    every = 1 if len(labels) <= 6 else 2 if len(labels) <= 12 else 3
    for i, (short, name) in enumerate(labels):
        x0 = pad_l + i * slot + (slot - bar * len(series)) / 2
        for j, (what, vs) in enumerate(series):
            v = max(vs[i], 0)
            h = v / top * (plot_h - 24)
            parts.append(f'<rect x="{x0 + j * bar:.1f}" y="{plot_h - h:.1f}" width="{bar - 1:.1f}" '
                         f'height="{h:.1f}" fill="{PALETTE[j % len(PALETTE)]}"><title>'
                         f'{escape(name)} {escape(what)}: {escape(fmt(vs[i]))}</title></rect>')
        if i % every == 0:
            parts.append(f'<text x="{pad_l + i * slot + slot / 2:.1f}" y="{plot_h + 20}" '
                         f'font-size="18" text-anchor="middle">{escape(short)}</text>')
    for j, (what, _) in enumerate(series):
        x, y = pad_l + (j % 2) * 320, plot_h + pad_b + 18 + (j // 2) * 24
        parts.append(f'<rect x="{x}" y="{y - 14}" width="14" height="14" '
                     f'fill="{PALETTE[j % len(PALETTE)]}"/><text x="{x + 20}" y="{y}" '
                     f'font-size="18">{escape(what)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))

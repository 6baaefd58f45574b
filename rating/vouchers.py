"""Voucher sheets (reportlab): a batch of recharge cards on A4 to print and cut, 3 x 10 a page,
each with the ISP's name, the PIN in large grouped digits, serial, package, price and last day.
In Bangla (the printing staff member's language) the labels, price and date are Bangla, shaped
(rating/pdftext.py); the PIN keeps the digits the portal's PIN box takes."""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from radbill import l10n
from radbill.l10n import tr
from rating import pdftext

COLUMNS, ROWS = 3, 10
PER_PAGE = COLUMNS * ROWS
MARGIN_X, MARGIN_Y = 10 * mm, 8 * mm
WIDTH = (A4[0] - 2 * MARGIN_X) / COLUMNS  # 63.3 mm
HEIGHT = (A4[1] - 2 * MARGIN_Y) / ROWS  # 28.1 mm
PAD = 3 * mm


@dataclass
class Voucher:
    pin: str
    serial: str
    package: str | None
    amount: Decimal
    valid_until: dt.date | None


def grouped(pin: str) -> str:
    """A PIN as it is read aloud and typed: groups of four digits."""
    return " ".join(pin[i:i + 4] for i in range(0, len(pin), 4))


def render(vouchers: list[Voucher], *, isp: str, currency: str, batch: str,
           lang: str | None = None) -> bytes:
    """The sheets: cards in reading order, dashed cut lines between them."""
    lang = l10n.pick(lang or l10n.current())
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, pageCompression=0)
    c.setTitle(tr(lang, "Recharge cards, batch %(batch)s", batch=batch))
    for start in range(0, len(vouchers), PER_PAGE):
        page = vouchers[start:start + PER_PAGE]
        cut_lines(c, -(-len(page) // COLUMNS))
        for i, v in enumerate(page):
            row, col = divmod(i, COLUMNS)
            draw(c, v, MARGIN_X + col * WIDTH, A4[1] - MARGIN_Y - (row + 1) * HEIGHT, isp, currency,
                 lang)
        c.setFillGray(0.45)
        pdftext.draw(c, A4[0] - MARGIN_X, MARGIN_Y / 2, tr(
            lang, "batch %(batch)s - page %(page)s of %(pages)s", batch=batch,
            page=l10n.digits(start // PER_PAGE + 1, lang),
            pages=l10n.digits(-(-len(vouchers) // PER_PAGE), lang)), 6, align="right")
        c.setFillGray(0)
        c.showPage()
    c.save()
    return buf.getvalue()


def cut_lines(c: Canvas, rows: int) -> None:
    """Dashed lines along every edge between cards and round the grid (scissors follow them)."""
    top, bottom = A4[1] - MARGIN_Y, A4[1] - MARGIN_Y - rows * HEIGHT
    left, right = MARGIN_X, A4[0] - MARGIN_X
    c.saveState()
    c.setStrokeGray(0.6)
    c.setLineWidth(0.4)
    c.setDash(2, 2)
    for r in range(rows + 1):
        c.line(left, top - r * HEIGHT, right, top - r * HEIGHT)
    for col in range(COLUMNS + 1):
        c.line(left + col * WIDTH, top, left + col * WIDTH, bottom)
    c.restoreState()


def draw(c: Canvas, v: Voucher, x: float, y: float, isp: str, currency: str,
         lang: str = "en") -> None:
    """One card with its bottom-left corner at (x, y)."""
    left, right, top = x + PAD, x + WIDTH - PAD, y + HEIGHT - PAD
    amount = str(v.amount) if lang == "en" else l10n.number(v.amount, lang, 2)
    pdftext.draw(c, left, top - 7, pdftext.fit(isp, 8, right - left - 22 * mm, bold=True), 8,
                 bold=True)
    pdftext.draw(c, right, top - 7, f"{amount} {currency}", 8, bold=True, align="right")
    pdftext.draw(c, left, top - 16, pdftext.fit(v.package or tr(lang, "Recharge (any package)"),
                                                6.5, right - left), 6.5)
    c.setFont("Courier-Bold", 14)
    c.drawCentredString(x + WIDTH / 2, y + 11 * mm, grouped(v.pin))
    until = tr(lang, "valid until %(day)s", day=l10n.date(v.valid_until, lang, "iso")) \
        if v.valid_until else tr(lang, "no expiry")
    width = pdftext.draw(c, right, y + PAD, until, 6, align="right")
    room = right - left - width - 2 * mm
    pdftext.draw(c, left, y + PAD, pdftext.fit(tr(lang, "S/N %(serial)s", serial=v.serial), 6,
                                               room), 6)


def fit(c: Canvas, text: str, font: str, size: float, width: float) -> str:
    """`text` cut (with an ellipsis) to fit `width`."""
    if c.stringWidth(text, font, size) <= width:
        return text
    while text and c.stringWidth(text + "...", font, size) > width:
        text = text[:-1]
    return text + "..."

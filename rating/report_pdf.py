"""A report as a printed table (issue 19: income vs expense for the owner's file): the
operator's name, contact lines and logo as on invoices, a title, the period, a table with a
totals line, notes; A4 landscape, Bangla through rating/pdftext.py."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from sqlalchemy.orm import Session

from radbill import l10n, settings
from radbill.l10n import tr
from radbill.models import Operator
from rating import invoice_details
from rating.statement import _details


def render(session: Session, issuer: Operator, title: str, subtitle: str,
           columns: list[tuple[str, str]], rows: list[dict], total: dict | None,
           notes: list[str], lang: str | None = None) -> bytes:
    """columns: (key, heading) -- the first column is text, the others amounts."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    from rating import pdftext
    lang = l10n.pick(lang)
    page = landscape(A4)
    left, right = 14 * mm, page[0] - 14 * mm
    first_w = 32 * mm
    step = (right - left - first_w) / max(len(columns) - 1, 1)

    def cell(v) -> str:
        if v is None:
            return ""
        if isinstance(v, (Decimal, int, float)) or (isinstance(v, str) and _number(v)):
            return str(v) if lang == l10n.DEFAULT else l10n.number(v, lang, 2)
        return str(v)

    buf = io.BytesIO()
    c = Canvas(buf, pagesize=page, pageCompression=1)
    c.setTitle(title)
    about = _details(session, issuer)
    y = page[1] - 16 * mm
    pdftext.draw(c, left, y, pdftext.fit(about.name, 15, right - left - 50 * mm, bold=True), 15,
                 bold=True)
    y = invoice_details.draw_header(c, about, left, right, y, page[1], lang)
    y -= 9 * mm
    pdftext.draw(c, left, y, title, 13, bold=True)
    y -= 6 * mm
    pdftext.draw(c, left, y, subtitle, 10)
    y -= 9 * mm

    def line(y: float, values: list[str], bold: bool = False) -> float:
        pdftext.draw(c, left, y, pdftext.fit(values[0], 9, first_w - 2 * mm, bold), 9, bold=bold)
        for i, v in enumerate(values[1:], start=1):
            pdftext.draw(c, left + first_w + i * step - 2 * mm, y,
                         pdftext.fit(v, 9, step - 3 * mm, bold), 9, bold=bold, align="right")
        return y - 5.5 * mm

    def heading(y: float) -> float:
        y = line(y, [h for _, h in columns], bold=True)
        c.line(left, y + 3.5 * mm, right, y + 3.5 * mm)
        return y

    y = heading(y)
    for r in rows:
        if y < 22 * mm:
            c.showPage()
            y = heading(page[1] - 16 * mm)
        y = line(y, [cell(r.get(k)) for k, _ in columns])
    if total is not None:
        c.line(left, y + 3.5 * mm, right, y + 3.5 * mm)
        y = line(y, [cell(total.get(k)) for k, _ in columns], bold=True)
    y -= 4 * mm
    c.setFillColorRGB(0.35, 0.38, 0.43)
    for note in notes:
        if y < 16 * mm:
            break
        pdftext.draw(c, left, y, pdftext.fit(note, 8, right - left), 8)
        y -= 4.5 * mm
    pdftext.draw(c, left, 9 * mm, tr(lang, "Printed %(when)s. Amounts in %(currency)s.",
                                     when=l10n.datetime(dt.datetime.now(settings.get().tz), lang),
                                     currency=settings.get().currency), 8)
    c.showPage()
    c.save()
    return buf.getvalue()


def _number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return any(ch.isdigit() for ch in text) and "-" not in text[1:]

"""A report printed as a table (issue 19): the issuer's name, contact lines and logo as on
invoices, a title, a few lines under it, the table (headings again on each page, total lines
bold under a rule), notes, and when it was printed; A4, Bangla through rating/pdftext.py.
Income vs expense, the VAT statement and statements of account are all printed by `render`."""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from radbill import l10n, settings
from radbill.l10n import tr
from radbill.models import Operator
from rating import invoice_details

BOLD = "_bold"  # a row with this set is drawn bold
TOTAL = "_total"  # ... bold with a rule above it


@dataclass(frozen=True)
class Column:
    key: str
    heading: str
    width: float = 0.0  # mm; 0: an equal share of what the others leave
    align: str = "right"  # amounts right, text "left"


def details(session: Session, op: Operator) -> invoice_details.Details:
    """The issuer as its invoices print it: each detail from it or its nearest ancestor."""
    ops = invoice_details.chain(session, op)
    d = invoice_details.Details(name=op.name)
    for key in invoice_details.CONTACT:
        setattr(d, key, next((getattr(o, key) for o in ops if getattr(o, key, None)), None))
    d.logo = next((o.logo for o in ops if getattr(o, "logo", None)), None)
    return d


def cell(value, lang: str) -> str:
    """Money (Decimal) to the paisa in the language's digits and grouping, a count in its
    digits, a day as the language writes it, text as given."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        value = value.quantize(Decimal("0.01"))
        return str(value) if lang == l10n.DEFAULT else l10n.number(value, lang, 2)
    if isinstance(value, int) and not isinstance(value, bool):
        return l10n.digits(value, lang)
    if isinstance(value, dt.date):
        return l10n.date(value, lang, "iso" if lang == l10n.DEFAULT else "medium")
    return str(value)


def render(session: Session, issuer: Operator, title: str, lines: list[str],
           columns: list[Column], rows: list[dict], notes: list[str],
           lang: str | None = None, *, portrait: bool = False) -> bytes:
    """The PDF of `rows` (dicts by column key, see `cell`; BOLD / TOTAL mark a row)."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    from rating import pdftext
    lang = l10n.pick(lang)
    page = A4 if portrait else landscape(A4)
    left, right = 14 * mm, page[0] - 14 * mm
    fixed = sum(col.width for col in columns) * mm
    share = (right - left - fixed) / max(sum(1 for col in columns if not col.width), 1)
    edges = [left]
    for col in columns:
        edges.append(edges[-1] + (col.width * mm or share))

    buf = io.BytesIO()
    c = Canvas(buf, pagesize=page, pageCompression=1)
    c.setTitle(title)
    about = details(session, issuer)
    y = page[1] - 16 * mm
    pdftext.draw(c, left, y, pdftext.fit(about.name, 15, right - left - 50 * mm, bold=True), 15,
                 bold=True)
    y = invoice_details.draw_header(c, about, left, right, y, page[1], lang)
    y -= 9 * mm
    pdftext.draw(c, left, y, pdftext.fit(title, 13, right - left, bold=True), 13, bold=True)
    for text in lines:
        y -= 5.5 * mm
        pdftext.draw(c, left, y, pdftext.fit(text, 10, right - left), 10)
    y -= 9 * mm

    def line(y: float, values: list[str], bold: bool = False) -> float:
        for col, x0, x1, v in zip(columns, edges, edges[1:], values):
            if col.align == "left":
                pdftext.draw(c, x0, y, pdftext.fit(v, 9, x1 - x0 - 2 * mm, bold), 9, bold=bold)
            else:
                pdftext.draw(c, x1 - 2 * mm, y, pdftext.fit(v, 9, x1 - x0 - 3 * mm, bold), 9,
                             bold=bold, align="right")
        return y - 5.5 * mm

    def heading(y: float) -> float:
        y = line(y, [col.heading for col in columns], bold=True)
        c.line(left, y + 3.5 * mm, right, y + 3.5 * mm)
        return y

    y = heading(y)
    for r in rows:
        if y < 22 * mm:
            c.showPage()
            y = heading(page[1] - 16 * mm)
        if r.get(TOTAL):
            c.line(left, y + 3.5 * mm, right, y + 3.5 * mm)
        y = line(y, [cell(r.get(col.key), lang) for col in columns],
                 bold=bool(r.get(BOLD) or r.get(TOTAL)))
    y -= 4 * mm
    c.setFillColorRGB(0.35, 0.38, 0.43)
    for note in notes:
        for text in wrap(note, 8, right - left):
            if y < 16 * mm:
                c.showPage()
                c.setFillColorRGB(0.35, 0.38, 0.43)
                y = page[1] - 16 * mm
            pdftext.draw(c, left, y, text, 8)
            y -= 4.5 * mm
    pdftext.draw(c, left, 9 * mm, tr(lang, "Printed %(when)s. Amounts in %(currency)s.",
                                     when=l10n.datetime(dt.datetime.now(settings.get().tz), lang),
                                     currency=settings.get().currency), 8)
    c.showPage()
    c.save()
    return buf.getvalue()


def wrap(text: str, size: float, room: float) -> list[str]:
    """`text` in lines that fit `room` points, broken between words."""
    from rating import pdftext
    out: list[str] = []
    for word in text.split():
        if out and pdftext.width(out[-1] + " " + word, size) <= room:
            out[-1] += " " + word
        else:
            out.append(pdftext.fit(word, size, room))
    return out

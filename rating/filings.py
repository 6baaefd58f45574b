"""Filings as files (issue 19): a workbook with one sheet per part (openpyxl), a CSV, and the
printable VAT statement (reportlab, text through rating/pdftext.py so Bangla prints shaped).

Money stays Decimal into the workbook (a spreadsheet adds the column up exactly); a cell that
would start like a formula is written as text (CSV injection)."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from radbill import l10n, settings
from radbill.l10n import tr
from rating import pdftext

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        try:
            return Decimal(value)  # a negative amount is a number, not a formula
        except ArithmeticError:
            return "'" + value
    return value


def workbook(sheets: list[tuple[str, list[str], list[list]]]) -> bytes:
    """An .xlsx of (title, headers, rows) sheets; the header row bold and frozen."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    book = Workbook()
    book.remove(book.active)
    for title, headers, rows in sheets:
        ws = book.create_sheet(title[:31])
        ws.append(headers)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        for row in rows:
            ws.append([_cell(v) for v in row])
        for i, header in enumerate(headers, start=1):
            width = max([len(str(header))] + [len(str(r[i - 1] or "")) for r in rows[:200]])
            ws.column_dimensions[ws.cell(1, i).column_letter].width = min(width + 2, 48)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def csv_bytes(headers: list[str], rows: list[list]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(headers)
    writer.writerows([[_cell(v) for v in row] for row in rows])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # the BOM: Excel reads it as UTF-8


def vat_pdf(rows: list[dict], *, start, end, operator: str, vat_number: str | None,
            lang: str | None = None) -> bytes:
    """The VAT statement: output VAT on bills issued in the period by month, operator and
    rate, credit notes, totals, and (for information) the VAT share of what was collected."""
    lang = l10n.pick(lang)
    s = settings.get()
    money = (lambda v: str(v)) if lang == l10n.DEFAULT else (  # noqa: E731
        lambda v: l10n.number(Decimal(str(v)), lang, 2))
    day = lambda v: l10n.date(v, lang, "iso" if lang == "en" else "long")  # noqa: E731
    page = landscape(A4)
    left, right = 14 * mm, page[0] - 14 * mm
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=page, pageCompression=1)
    c.setTitle(tr(lang, "VAT statement"))
    cols = [(tr(lang, "Month"), left, "left"), (tr(lang, "Operator"), left + 24 * mm, "left"),
            (tr(lang, "VAT rate"), left + 100 * mm, "right"),
            (tr(lang, "Bills"), left + 118 * mm, "right"),
            (tr(lang, "Taxable amount"), left + 152 * mm, "right"),
            (tr(lang, "VAT"), left + 182 * mm, "right"),
            (tr(lang, "Total"), left + 214 * mm, "right"),
            (tr(lang, "VAT collected"), right, "right")]

    def header(y: float) -> float:
        pdftext.draw(c, left, y, s.isp_name, 15, bold=True)
        pdftext.draw(c, right, y, tr(lang, "VAT statement"), 15, bold=True, align="right")
        y -= 6 * mm
        line = tr(lang, "Operator: %(name)s", name=operator)
        if vat_number:
            line += "   " + tr(lang, "VAT registration (BIN): %(number)s", number=vat_number)
        pdftext.draw(c, left, y, line, 10)
        pdftext.draw(c, right, y, tr(lang, "Period: %(start)s to %(end)s", start=day(start),
                                     end=day(end)), 10, align="right")
        y -= 9 * mm
        for label, x, align in cols:
            pdftext.draw(c, x, y, label, 9, bold=True, align=align)
        c.line(left, y - 2 * mm, right, y - 2 * mm)
        return y - 7 * mm

    y = header(page[1] - 16 * mm)
    for r in rows:
        if y < 24 * mm:
            c.showPage()
            y = header(page[1] - 16 * mm)
        total = r["period"] == "total"
        rate = tr(lang, "credit notes") if r["kind"] == "credit_notes" else (
            "" if r["vat_rate"] is None else f"{l10n.digits(r['vat_rate'], lang)}%")
        values = [tr(lang, "Total") if total else l10n.digits(r["period"], lang),
                  pdftext.fit(r["operator"] or "", 9, 72 * mm), rate,
                  l10n.digits(r["bills"], lang), money(r["taxable"]), money(r["vat"]),
                  money(r["total"]), money(r["vat_collected"])]
        if total:
            c.line(left, y + 4 * mm, right, y + 4 * mm)
        for (_label, x, align), value in zip(cols, values):
            pdftext.draw(c, x, y, value, 9, bold=total, align=align)
        y -= 6 * mm
    y -= 6 * mm
    for note in (tr(lang, "The VAT to file is the VAT column: VAT on bills issued in the period "
                          "(the tax point is the invoice), less credit notes."),
                 tr(lang, "VAT collected is the VAT share of payments received against bills "
                          "in the period, for information.")):
        pdftext.draw(c, left, y, note, 8)
        y -= 4.5 * mm
    c.showPage()
    c.save()
    return buf.getvalue()

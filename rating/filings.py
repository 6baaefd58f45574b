"""Filings as files (issue 19): a workbook with one sheet per part (openpyxl), a CSV, and the
printable VAT statement (rating/report_pdf.py).

Money stays Decimal into the workbook (a spreadsheet adds the column up exactly); a cell that
would start like a formula is written as text (CSV injection)."""
from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from sqlalchemy.orm import Session

from radbill import l10n
from radbill.l10n import tr
from radbill.models import Operator
from rating import report_pdf

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


def vat_pdf(session: Session, issuer: Operator, rows: list[dict], *, start: dt.date,
            end: dt.date, lang: str | None = None) -> bytes:
    """The VAT statement (rating/report_pdf.py): output VAT on bills issued in the period by
    month, operator and rate, credit notes, totals, and (for information) the VAT share of
    what was collected; the issuer's BIN in its header as on its invoices."""
    lang = l10n.pick(lang)
    columns = [report_pdf.Column("period", tr(lang, "Month"), 24, "left"),
               report_pdf.Column("operator", tr(lang, "Operator"), 0, "left"),
               report_pdf.Column("vat_rate", tr(lang, "VAT rate"), 28),
               report_pdf.Column("bills", tr(lang, "Bills"), 18),
               report_pdf.Column("taxable", tr(lang, "Taxable amount"), 34),
               report_pdf.Column("vat", tr(lang, "VAT"), 30),
               report_pdf.Column("total", tr(lang, "Total"), 32),
               report_pdf.Column("vat_collected", tr(lang, "VAT collected"), 36)]
    shown = []
    for r in rows:
        total = r["period"] == "total"
        shown.append({
            **{k: Decimal(r[k]) for k in ("taxable", "vat", "total", "vat_collected")},
            "period": tr(lang, "Total") if total else l10n.digits(r["period"], lang),
            "operator": r["operator"], "bills": r["bills"], report_pdf.TOTAL: total,
            "vat_rate": tr(lang, "credit notes") if r["kind"] == "credit_notes" else
            None if r["vat_rate"] is None else f"{l10n.digits(r['vat_rate'], lang)}%"})
    day = lambda v: l10n.date(v, lang, "iso" if lang == l10n.DEFAULT else "long")  # noqa: E731
    return report_pdf.render(
        session, issuer, tr(lang, "VAT statement"),
        [tr(lang, "Period: %(start)s to %(end)s", start=day(start), end=day(end))],
        columns, shown,
        [tr(lang, "The VAT to file is the VAT column: VAT on bills issued in the period "
                  "(the tax point is the invoice), less credit notes."),
         tr(lang, "VAT collected is the VAT share of payments received against bills "
                  "in the period, for information.")], lang)

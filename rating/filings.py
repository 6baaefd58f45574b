"""Filings as files (issue 19): a workbook with one sheet per part (openpyxl), a CSV, and the
printable VAT statement (rating/report_pdf.py).

Money stays a number in the workbook (a spreadsheet adds the column up exactly); a cell that
would start like a formula is written as text (CSV injection): the one rule of
radbill/functions/output.sheet_cell. The staff pages' .xlsx export of any list
(/books/export.xlsx) writes through `workbook` too."""
from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy.orm import Session

from radbill import l10n
from radbill.functions.output import sheet_cell
from radbill.l10n import tr
from radbill.models import Operator
from rating import report_pdf

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(sheets: list[tuple[str, list[str], Iterable[list]]]) -> bytes:
    """An .xlsx of (title, headers, rows) sheets, written as the rows come (openpyxl's
    write-only mode: a million rows are not held as cells); the header row bold and frozen,
    columns as wide as the header and the first 200 rows need."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    book = Workbook(write_only=True)
    for title, headers, rows in sheets:
        ws = book.create_sheet(title[:31])
        rows = iter(rows)
        first = [[sheet_cell(v) for v in row] for row in itertools.islice(rows, 200)]
        for i, header in enumerate(headers):
            width = max([len(str(header))] + [len(str(r[i] if r[i] is not None else ""))
                                              for r in first])
            ws.column_dimensions[get_column_letter(i + 1)].width = min(width + 2, 48)
        ws.freeze_panes = "A2"
        bold = []
        for header in headers:
            bold.append(WriteOnlyCell(ws, header))
            bold[-1].font = Font(bold=True)
        ws.append(bold)
        for row in first:
            ws.append(row)
        for row in rows:
            ws.append([sheet_cell(v) for v in row])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def csv_bytes(headers: list[str], rows: list[list]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(headers)
    writer.writerows([[sheet_cell(v) for v in row] for row in rows])
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

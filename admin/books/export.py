"""/books/export.xlsx: every row of a list as a spreadsheet (the CSV export's twin, for the
books' lists and any other list the caller may open): money and counts as numbers, text that
a spreadsheet would run as a formula kept as text."""
from __future__ import annotations

import io
import json
import re
from decimal import Decimal

from flask import Response, abort, request
from flask_babel import gettext as _
from flask_login import login_required

from admin import labels, menus
from admin.books import bp
from admin.calls import page_caller, run
from admin.pages import EXPORT_MAX, EXPORT_PAGE, safe_cell
from radbill.functions.registry import FuncError, ListResult, load_all

NUMBER = re.compile(r"-?\d{1,16}(\.\d{1,4})?")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def value(v):
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, str) and NUMBER.fullmatch(v):
        return Decimal(v)
    return safe_cell(v)


@bp.route("/export.xlsx")
@login_required
def export_xlsx():
    from openpyxl import Workbook
    params = {k: v for k, v in request.args.items() if k not in ("page", "per_page", "out")}
    func = params.pop("func", "")
    fn = load_all().get(func)
    if fn is None or fn.kind != "list" or not menus.visible(fn, page_caller()):
        abort(404)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(func.replace(".", " ")[:31])
    columns = None
    for page in range(1, EXPORT_MAX // EXPORT_PAGE + 1):
        try:
            result = run(func, {**params, "page": str(page), "per_page": str(EXPORT_PAGE)},
                         replica=True)
        except FuncError as exc:
            abort(exc.status if exc.status in (403, 404) else 400, exc.message)
        assert isinstance(result, ListResult)
        if columns is None:
            columns = fn.shown(page_caller(), result.columns or
                               (list(result.rows[0]) if result.rows else []))
            sheet.append([_(labels.column(c, func)) for c in columns])
        for row in result.rows:
            sheet.append([value(row.get(c)) for c in columns])
        if len(result.rows) < EXPORT_PAGE or result.total is None:
            break
    buf = io.BytesIO()
    book.save(buf)
    return Response(buf.getvalue(), content_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{func}.xlsx"'})

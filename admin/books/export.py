"""/books/export.xlsx: every row of a list as a spreadsheet (the CSV export's twin, for the
books' lists and any other list the caller may open), written by rating/filings.workbook as
the functions' own .xlsx files are: money and counts as numbers, text that a spreadsheet would
run as a formula kept as text."""
from __future__ import annotations

import itertools
from collections.abc import Iterator

import sqlalchemy as sa
from flask import Response, abort, request
from flask_babel import gettext as _
from flask_login import login_required

from admin import labels, menus
from admin.books import bp
from admin.calls import page_caller, run
from admin.pages import EXPORT_MAX, EXPORT_PAGE, READ_ONLY_TRANSACTION
from radbill.functions.registry import FuncError, ListResult, load_all
from rating import filings


def pages(func: str, params: dict) -> Iterator[ListResult]:
    """The list's pages, from the reporting replica when there is one."""
    for page in range(1, EXPORT_MAX // EXPORT_PAGE + 1):
        try:
            result = run(func, {**params, "page": str(page), "per_page": str(EXPORT_PAGE)},
                         replica=True)
        except FuncError as exc:
            abort(exc.status if exc.status in (403, 404) else 400, exc.message)
        except sa.exc.DBAPIError as exc:  # as /export.csv: a list that audits each read
            if getattr(exc.orig, "sqlstate", None) != READ_ONLY_TRANSACTION:
                raise
            abort(409, f"{func} records each read in the audit log, which the read-only "
                       "reporting replica cannot write: use the download on its own page")
        assert isinstance(result, ListResult)
        yield result
        if len(result.rows) < EXPORT_PAGE or result.total is None:
            return


@bp.route("/export.xlsx")
@login_required
def export_xlsx():
    params = {k: v for k, v in request.args.items() if k not in ("page", "per_page", "out")}
    func = params.pop("func", "")
    fn = load_all().get(func)
    if fn is None or fn.kind != "list" or not menus.visible(fn, page_caller()):
        abort(404)
    results = pages(func, params)
    first = next(results)
    columns = fn.shown(page_caller(), first.columns or
                       (list(first.rows[0]) if first.rows else []))
    rows = ([row.get(c) for c in columns]
            for result in itertools.chain([first], results) for row in result.rows)
    data = filings.workbook([(func.replace(".", " "),
                              [_(labels.column(c, func)) for c in columns], rows)])
    return Response(data, content_type=filings.XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{func}.xlsx"'})

"""Generic pages over the registry (see dispatch), and CSV export of any list."""
from __future__ import annotations

import csv
import io
import json

from flask import Blueprint, Response, abort, request
from flask_login import login_required

from radbill.functions.registry import FuncError, ListResult, load_all

from admin import menus
from admin.calls import page_caller, run

bp = Blueprint("pages", __name__)
EXPORT_PAGE = 1000
EXPORT_MAX = 1_000_000


@bp.route("/export.csv")
@login_required
def export():
    """Every row of a list (all its pages) as CSV, with the filters the list page had."""
    params = {k: v for k, v in request.args.items() if k not in ("page", "per_page", "out")}
    func = params.pop("func", "")
    fn = load_all().get(func)
    if fn is None or fn.kind != "list" or not menus.visible(fn, page_caller()):
        abort(404)
    buf = io.StringIO()
    writer = None
    for page in range(1, EXPORT_MAX // EXPORT_PAGE + 1):
        try:
            result = run(func, {**params, "page": str(page), "per_page": str(EXPORT_PAGE)})
        except FuncError as exc:
            abort(exc.status if exc.status in (403, 404) else 400, exc.message)
        assert isinstance(result, ListResult)
        if writer is None:
            columns = fn.shown(page_caller(), result.columns or
                               (list(result.rows[0]) if result.rows else []))
            writer = csv.DictWriter(buf, columns, extrasaction="ignore")
            writer.writeheader()
        writer.writerows({k: json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v
                          for k, v in row.items()} for row in result.rows)
        if len(result.rows) < EXPORT_PAGE or result.total is None:
            break
    return Response(buf.getvalue(), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{func}.csv"'})

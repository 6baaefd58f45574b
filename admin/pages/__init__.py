"""Generic pages over the registry (see dispatch), and CSV export of any list."""
from __future__ import annotations

import csv
import io
import secrets

import sqlalchemy as sa
from flask import Blueprint, Response, abort, request
from flask_login import login_required

from radbill.functions.output import csv_cell
from radbill.functions.registry import FuncError, ListResult, load_all

from admin import menus
from admin.calls import page_caller, run

bp = Blueprint("pages", __name__)


@bp.app_context_processor
def one_time_keys() -> dict:
    """`one_time_key()` for every form that changes data: a double click or a resubmitted form
    sends the same key, and registry.call counts the change once (radbill.functions.idempotency)."""
    return {"one_time_key": lambda: secrets.token_urlsafe(18)}
EXPORT_PAGE = 1000
EXPORT_MAX = 1_000_000
READ_ONLY_TRANSACTION = "25006"  # PostgreSQL's read_only_sql_transaction


@bp.route("/export.csv")
@login_required
def export():
    """Every row of a list (all its pages) as CSV, with the filters the list page had, read
    from the streaming replica when there is one (RADBILL_REPLICA_URL) and the list changes
    nothing."""
    params = {k: v for k, v in request.args.items() if k not in ("page", "per_page", "out")}
    func = params.pop("func", "")
    fn = load_all().get(func)
    if fn is None or fn.kind != "list" or not menus.visible(fn, page_caller()):
        abort(404)
    buf = io.StringIO()
    writer = None
    for page in range(1, EXPORT_MAX // EXPORT_PAGE + 1):
        try:
            result = run(func, {**params, "page": str(page), "per_page": str(EXPORT_PAGE)},
                         replica=True)
        except FuncError as exc:
            abort(exc.status if exc.status in (403, 404) else 400, exc.message)
        except sa.exc.DBAPIError as exc:
            # a list that keeps an audit row of each read (router.log, router.print, olt.log)
            # cannot run in the replica's read-only transaction: say so instead of a 500
            if getattr(exc.orig, "sqlstate", None) != READ_ONLY_TRANSACTION:
                raise
            abort(409, f"{func} records each read in the audit log, which the read-only "
                       "reporting replica cannot write: use the download on its own page")
        assert isinstance(result, ListResult)
        if writer is None:
            columns = fn.shown(page_caller(), result.columns or
                               (list(result.rows[0]) if result.rows else []))
            writer = csv.DictWriter(buf, columns, extrasaction="ignore")
            writer.writeheader()
        writer.writerows({k: csv_cell(v) for k, v in row.items()} for row in result.rows)
        if len(result.rows) < EXPORT_PAGE or result.total is None:
            break
    return Response(buf.getvalue(), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{func}.csv"'})

"""Filings' staff pages (issue 19, menu Reports): VAT (/reports/vat, a chart by month),
collector cash (/reports/collector-cash, a chart by day), the BTRC subscriber report
(/reports/btrc) and pending approvals (/approvals). Every figure and change is a function
called as the logged-in staff member (rating/functions/filings.py, btrc.py, approvals.py);
the views only pick parameters and draw charts (admin/svg.py). Downloads are the functions'
own files (report.vat_file, report.collector_cash_file, report.btrc_file) through /billmgr
and the generic CSV export."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import urlencode

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import login_required

from admin import svg
from admin.calls import may, run
from admin.l10n import lang
from radbill import l10n
from radbill.functions.registry import FuncError
from rating.terms import today

bp = Blueprint("filings", __name__)


def N_(text: str) -> str:  # extracted into the catalogue, translated when shown
    return text


def asked(*names: str) -> dict[str, str]:
    return {k: request.args[k].strip() for k in names if (request.args.get(k) or "").strip()}


def result(func: str, params: dict) -> tuple[list[dict], str | None, int]:
    """The function's rows as the viewer; a refusal of the input is shown, 403/404 abort."""
    if not may(func):
        abort(403, f"your role may not see {func}")
    try:
        return run(func, params).rows, None, 200
    except FuncError as exc:
        if exc.status in (403, 404):
            abort(exc.status, exc.message)
        return [], exc.message, 400


def link(func: str, params: dict, **extra) -> str:
    return "/billmgr?" + urlencode({"func": func, **params, **extra})


def export(func: str, params: dict) -> str:
    return "/export.csv?" + urlencode({"func": func, **params})


def _f(value) -> float:
    return float(Decimal(str(value or 0)))


def fmt_money(value: float) -> str:
    return l10n.number(value, lang(), 2)


@bp.route("/reports/vat")
@login_required
def vat():
    """VAT to file: by month, operator and rate, totals; a chart of VAT by month."""
    params = asked("month", "from", "to", "operator")
    if not params:  # the last twelve months, so the chart has months to compare
        first = today().replace(day=1)
        start = (first - dt.timedelta(days=330)).replace(day=1)
        params = {"from": start.isoformat(), "to": today().isoformat()}
    rows, error, status = result("report.vat", params)
    months: dict[str, float] = {}
    for r in rows:
        if r["period"] != "total":
            months[r["period"]] = months.get(r["period"], 0.0) + _f(r["vat"])
    pairs = [(l10n.digits(m, lang()), v) for m, v in sorted(months.items())]
    chart = pairs and svg.hbars(pairs, _("VAT by month: %(values)s", values=", ".join(
        f"{m} {fmt_money(v)}" for m, v in pairs)), fmt=fmt_money, width=420)
    total = next((r for r in rows if r["kind"] == "all"), None)
    return render_template(
        "filings/vat.html", rows=rows, total=total, chart=chart, params=params, error=error,
        csv=export("report.vat", params),
        xlsx=link("report.vat_file", params, format="xlsx"),
        pdf=link("report.vat_file", params, format="pdf", lang=lang()),
        title=N_("VAT report")), status


@bp.route("/reports/collector-cash")
@login_required
def collector_cash():
    """Cash per collector per day or month, reversals netted; a chart of cash taken by day."""
    params = asked("period", "month", "from", "to", "collector", "operator")
    rows, error, status = result("report.collector_cash", params)
    body = [r for r in rows if r["method"] != "total"]
    chart = None
    if params.get("period", "daily") == "daily" and body:
        taken: dict[dt.date, float] = {}
        for r in body:
            d = dt.date.fromisoformat(r["period"])
            taken[d] = taken.get(d, 0.0) + _f(r["amount"])
        first, last = min(taken), max(taken)
        span = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
        points = [(l10n.digits(d.strftime("%d/%m"), lang()), taken.get(d, 0.0)) for d in span]
        chart = svg.line(points, _("Cash taken per day: %(values)s", values=", ".join(
            f"{d} {fmt_money(v)}" for d, v in points if v)), every=max(len(points) // 6, 1))
    elif body:
        nets = {}
        for r in rows:
            if r["method"] == "total":
                key = f"{l10n.digits(r['period'], lang())} {r['collector']}"
                nets[key] = nets.get(key, 0.0) + _f(r["net"])
        pairs = list(nets.items())
        chart = svg.hbars(pairs, _("Net cash by month and collector: %(values)s",
                                   values=", ".join(f"{k} {fmt_money(v)}" for k, v in pairs)),
                          fmt=fmt_money, width=420)
    return render_template(
        "filings/collector_cash.html", rows=rows, chart=chart, params=params, error=error,
        csv=export("report.collector_cash", params),
        xlsx=link("report.collector_cash_file", params, format="xlsx"),
        title=N_("Collector cash")), status


SECTION_TITLES = {"total": N_("Total subscribers"), "new": N_("New subscribers"),
                  "disconnected": N_("Disconnected subscribers"),
                  "connection_type": N_("By connection type"), "service": N_("By service"),
                  "bandwidth_mbps": N_("By bandwidth (Mbps)"), "package": N_("By package"),
                  "area": N_("By area / zone"), "district": N_("By district"),
                  "operator": N_("By operator"), "status": N_("By status")}


@bp.route("/reports/btrc")
@login_required
def btrc():
    """The BTRC subscriber report: the summary on the page, the files to send."""
    params = asked("date", "from", "operator")
    rows, error, status = result("report.btrc", {**params, "part": "summary"})
    sections: dict[str, list[dict]] = {}
    for r in rows:
        sections.setdefault(r["section"], []).append(r)
    heads = {k: sections.pop(k)[0] for k in ("total", "new", "disconnected") if k in sections}
    return render_template(
        "filings/btrc.html", heads=heads, sections=sections, titles=SECTION_TITLES,
        params=params, error=error,
        xlsx=link("report.btrc_file", params, format="xlsx"),
        csv_summary=link("report.btrc_file", params, format="csv", part="summary"),
        csv_list=link("report.btrc_file", params, format="csv", part="list"),
        list_page=link("report.btrc", params, part="list"),
        settings=link("btrc.settings", {}) if may("btrc.settings") else None,
        title=N_("BTRC subscriber report")), status


from admin.filings import approvals  # noqa: E402,F401  (routes)

"""The owner's dashboard: customers, online trend and devices for everyone who sees customers;
money owed and collections (by method, collector, reseller, zone) for roles with money. Every
figure comes from a function (report.*, device), so it is scoped as the caller's lists are and
readable over /billmgr too; this module only turns rows into charts (admin/svg.py)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import Blueprint, current_app, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from admin import svg
from admin.l10n import lang
from radbill import l10n
from radbill.functions.registry import FuncError

from admin.calls import may, page_caller, run

bp = Blueprint("dashboard", __name__)


def rows(func: str, params: dict | None = None) -> list[dict] | None:
    """The function's rows, or None when the caller may not call it (or it is not installed)."""
    if not may(func):
        return None
    try:
        return run(func, params or {}).rows
    except FuncError:
        return None


def _money(value) -> float:
    return float(Decimal(str(value or 0)))


@bp.route("/")
@login_required
def index():
    caller = page_caller()
    ctx: dict = {"money": None, "customers": None, "trend": None}
    counts = rows("report.customers")
    if counts is not None:
        ctx["customers"] = {r["metric"]: r["customers"] for r in counts}
    trend = rows("report.online")
    if trend:
        tz = current_app.config["TZ"]
        here = lang()
        points = [(l10n.digits(dt.datetime.fromisoformat(r["hour"]).astimezone(tz)
                               .strftime("%H:00"), here), r["sessions"]) for r in trend]
        ctx["trend"] = {"points": points, "now": points[-1][1] if points else 0,
                        "peak": max(p[1] for p in points),
                        "chart": svg.line(points, _(
                            "Sessions open per hour, last 24 hours: %(values)s",
                            values=", ".join(f"{h} {l10n.number(n, here)}" for h, n in points)))}
    if caller.sees_money and may("report.aging"):
        ctx["money"] = money_block(caller)
    ctx["devices"] = devices() if may("device") else None
    ctx["overdue_complaints"] = complaints.overdue_block()  # issue 14
    from admin.filings.approvals import pending_block  # issue 19: credits to approve
    ctx["pending_approvals"] = pending_block()
    # issue 19: the notices the operators above sent that this login has not read yet
    ctx["notices"] = rows("notice", {"current": "yes", "unread": "yes", "per_page": "20"})
    return render_template("dashboard.html", **ctx)


def N_(text: str) -> str:  # marker: extracted into the catalogue, translated when shown
    return text


# the charts' titles (the template shows the same msgids as headings)
TITLES = {("today", "method"): N_("Collected today by method"),
          ("month", "method"): N_("Collected this month by method"),
          ("today", "collector"): N_("Collected today by collector"),
          ("month", "collector"): N_("Collected this month by collector"),
          ("month", "reseller"): N_("Collected this month by reseller"),
          ("month", "zone"): N_("Collected this month by zone")}


def bucket_label(bucket: str) -> str:
    """An aging bucket as staff read it: "31-60 days", "not due" (in the page's language)."""
    if bucket == "not due":
        return _("not due")
    return _("%(range)s days", range=l10n.digits(bucket, lang()))


def money_block(caller) -> dict:
    cur = current_app.config["CURRENCY"]
    here = lang()
    fmt = lambda v: l10n.number(v, here, 2)  # noqa: E731  1,234.00; ১২,৩৪,৫৬৭.০০ in Bangla
    aging = rows("report.aging") or []
    buckets = [(bucket_label(r["bucket"]), _money(r["due"]), r["bills"])
               for r in aging if r["bucket"] != "total"]
    total = next((r for r in aging if r["bucket"] == "total"), {"due": "0", "bills": 0})
    out = {"currency": cur, "receivable": total["due"], "open_bills": total["bills"],
           "aging": buckets,
           "aging_chart": svg.hbars([(b, v) for b, v, _n in buckets],
                                    _("Money owed by days past due (%(currency)s): %(values)s",
                                      currency=cur, values=", ".join(
                                          f"{b} {fmt(v)}" for b, v, _n in buckets)),
                                    colour=svg.PALETTE[3])}
    for period in ("today", "month"):
        got = rows("report.collections", {"by": "all", "period": period}) or []
        for by in ("method", "collector", "reseller", "zone"):
            if period == "today" and by in ("reseller", "zone"):
                continue
            mine = [r for r in got if r["by"] == by]
            if by == "method":  # cash, card, online: words, in the page's language
                mine = [{**r, "name": _(r["name"]) if r["name"] else r["name"]} for r in mine]
            pairs = [(r["name"] or _("(none)"), _money(r["amount"])) for r in mine]
            text = _("%(title)s (%(currency)s): %(values)s", title=_(TITLES[period, by]),
                     currency=cur,
                     values=", ".join(f"{n} {fmt(v)}" for n, v in pairs) or _("nothing"))
            chart = svg.donut(pairs, text) if by == "method" else svg.hbars(pairs, text)
            total_in = sum((Decimal(str(r["amount"])) for r in mine), Decimal("0.00"))
            out[f"{period}_{by}"] = {"rows": mine, "total": total_in, "chart": chart,
                                     "text": text}
    # payments per day over 30 days stay report.daily's (the API's): read from the heap, 100,000
    # payments a month cost ~300 ms at 100k customers, too much for every dashboard view
    return out


def devices() -> dict | None:
    """Routers and OLTs by their last poll: up, down, or unknown (never checked yet)."""
    try:
        found = run("device", {"per_page": "1000"}).rows
    except FuncError:
        return None
    link = url_for("devices.overview") if "devices.overview" in current_app.view_functions \
        else "/billmgr?func=device"
    up = sum(1 for r in found if r.get("up") is True)
    down = sum(1 for r in found if r.get("up") is False)
    return {"down": down, "up": up, "unknown": len(found) - up - down, "total": len(found),
            "link": link}


from admin.dashboard import complaints  # noqa: E402  (issue 14: the complaint desk's pages)

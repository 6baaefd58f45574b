"""The dashboard: who is online, customers by status, devices down and (with rating) money."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, render_template, url_for
from flask_login import login_required

from admin import queries, svg
from radbill.functions.registry import FuncError

from admin.calls import exists, may, page_caller, run
from admin.dbs import db

bp = Blueprint("dashboard", __name__)


@bp.route("/")
@login_required
def index():
    caller = page_caller()
    tz = current_app.config["TZ"]
    counts = queries.status_counts(db(), caller)
    ctx = {"online": queries.online_count(db(), caller), "counts": counts, "money": None}
    if caller.sees_money and (exists("payment") or exists("bill")):
        days = svg.last_days(dt.datetime.now(tz).date())
        money = queries.daily_money(db(), caller, tz)
        series = {"bills": money.get("bills", {}), "payments": money.get("payments", {})}
        ctx["money"] = {"today": series["payments"].get(days[-1], 0),
                        "billed": svg.total(series["bills"]), "paid": svg.total(series["payments"]),
                        "chart": svg.bars(days, series)}
    ctx["devices"] = devices_down() if may("device") else None
    return render_template("dashboard.html", **ctx)


def devices_down() -> dict | None:
    """Routers and OLTs the last poll found down, for the NOC's eye (from provisioning's list)."""
    try:
        rows = run("device", {"per_page": "1000"}).rows
    except FuncError:
        return None
    link = url_for("devices.overview") if "devices.overview" in current_app.view_functions \
        else "/billmgr?func=device"
    return {"down": sum(1 for r in rows if r.get("up") is False), "total": len(rows), "link": link}

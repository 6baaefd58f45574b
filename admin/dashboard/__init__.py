"""The dashboard: who is online, customers by status, and (with rating installed) money."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, render_template
from flask_login import login_required

from admin import menus, queries, svg
from admin.calls import exists, page_caller
from admin.dbs import db

bp = Blueprint("dashboard", __name__)


@bp.route("/")
@login_required
def index():
    caller = page_caller()
    tz = current_app.config["TZ"]
    counts = queries.status_counts(db(), caller)
    ctx = {"online": queries.online_count(db(), caller), "counts": counts, "money": None}
    if menus.sees_money(caller) and (exists("payment") or exists("bill")):
        days = svg.last_days(dt.datetime.now(tz).date())
        money = queries.daily_money(db(), caller, tz)
        series = {"bills": money.get("bills", {}), "payments": money.get("payments", {})}
        ctx["money"] = {"today": series["payments"].get(days[-1], 0),
                        "billed": svg.total(series["bills"]), "paid": svg.total(series["payments"]),
                        "chart": svg.bars(days, series)}
    return render_template("dashboard.html", **ctx)

"""The NOC dashboard (/noc), its read-only wall for a TV (/noc/wall/<token>) and a radio's page
(/noc/radios/<id>). Every figure comes from a function called as the viewer (the wall acts as
the login its signed token names, read-only), so a reseller's NOC shows its subtree only;
this module turns rows into charts (admin/svg.py, admin/noc/charts.py) on the ISP's clock."""
from __future__ import annotations

import datetime as dt

from flask import (Blueprint, abort, current_app, g, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_login import login_required

from admin import svg
from admin.calls import may, page_caller, run, run_or_abort
from admin.l10n import lang
from admin.noc import charts
from radbill.functions.registry import FuncError

bp = Blueprint("noc", __name__, url_prefix="/noc")
REFRESH = 60  # seconds: the staff page
WALL_REFRESH = 30
RANGES = {"6h": 6, "24h": 24, "7d": 168}
DOWN_LISTED = 50  # devices down named on the page (the count is of all)
SEVERITY_COLOURS = ("#97aab3", "#7499ff", "#ffc859", "#ffa059", "#e97659", "#e45959")


def N_(text: str) -> str:  # extracted into the catalogue, translated when shown
    return text


SEVERITY_NAMES = (N_("not classified"), N_("information"), N_("warning"), N_("average"),
                  N_("high"), N_("disaster"))


def rows(func: str, params: dict | None = None) -> list[dict] | None:
    """The function's rows as the viewer, or None when it may not call it."""
    if not may(func):
        return None
    try:
        return run(func, params or {}).rows
    except FuncError:
        return None


def panels() -> dict:
    """Everything the NOC shows, each block None when the viewer may not see it."""
    tz = current_app.config["TZ"]
    here = lang()
    ctx: dict = {"now": dt.datetime.now(dt.timezone.utc), "severity_colours": SEVERITY_COLOURS,
                 "severity_names": SEVERITY_NAMES, "can_router": may("router.status"),
                 "can_olt": may("onu"), "can_topology": may("topology")}
    counts = rows("noc.down_counts")  # counted in the database: right at any number
    ctx["down_counts"] = None if counts is None else {
        "total": sum(r["devices"] for r in counts), "down": sum(r["down"] for r in counts)}
    ctx["down"] = rows("noc.down_devices", {"per_page": str(DOWN_LISTED)}) or []
    ctx["incidents"] = rows("incident", {"open": "yes", "per_page": "50"})
    ctx["problems"] = rows("zabbix_problem", {"per_page": "100"})
    severities = rows("noc.problem_severity")
    if severities is not None:
        pairs = [(_(SEVERITY_NAMES[r["severity"]]), r["problems"]) for r in severities]
        ctx["severity_chart"] = pairs and svg.hbars(pairs, _("Zabbix problems by severity: %(values)s",
                                                   values=", ".join(f"{n} {v}" for n, v in pairs)
                                                   or _("none")), fmt=lambda v: f"{v:,.0f}")
    ctx["unavailable_hosts"] = rows("zabbix_host", {"available": "unavailable",
                                                    "per_page": "50"})
    rej = rows("noc.rejects")
    if rej is not None:
        points = charts.local_points(rej, "minute", "rejects", tz, here)
        ctx["rejects"] = {"total": sum(r["rejects"] for r in rej), "points": points,
                          "chart": svg.line(points, _(
                              "Authentication rejects per minute, last hour: %(values)s",
                              values=", ".join(f"{h} {v:,.0f}" for h, v in points if v)
                              or _("none")), every=10)}
        ctx["reasons"] = rows("noc.reject_reasons") or []
        ctx["reasons_chart"] = ctx["reasons"] and svg.hbars([(r["reason"], r["rejects"]) for r in ctx["reasons"]],
                                         _("Top reject reasons"), fmt=lambda v: f"{v:,.0f}",
                                         colour=svg.PALETTE[3])
    trend = rows("report.online")
    if trend:
        points = charts.local_points(trend, "hour", "sessions", tz, here, "%H:00")
        ctx["online"] = {"now": points[-1][1] if points else 0,
                         "peak": max(p[1] for p in points) if points else 0, "points": points,
                         "chart": svg.line(points, _(
                             "Sessions open per hour, last 24 hours: %(values)s",
                             values=", ".join(f"{h} {v:,.0f}" for h, v in points)))}
    ctx["outbox"] = rows("noc.outbox")
    top = rows("noc.top_interfaces")
    if top:  # hbars of nothing would say "none" in English
        from admin.devices.charts import rate
        ctx["top"] = top
        ctx["top_chart"] = svg.hbars(
            [(f"{r['device']} {r['if_name'] or ''}".strip(),
              float((r["in_bps"] or 0) + (r["out_bps"] or 0))) for r in top],
            _("Busiest interfaces (in + out)"), fmt=rate, width=420)
    return ctx


@bp.route("/")
@login_required
def dashboard():
    """The staff NOC page: refreshes itself every minute."""
    if not may("zabbix_problem"):
        abort(403, "your role may not see the NOC")
    return render_template("noc/dashboard.html", refresh=REFRESH, wall=False,
                           can_wall=may("noc.wall_link"), can_revoke=may("noc.wall_revoke"),
                           title=N_("NOC"), **panels())


def wall_page(token: str, template: str, context, **values):
    """A wall screen's page (the NOC's, a topology map's): no login, read-only as the login the
    token names (403 when it is bad, expired, revoked or its login disabled); `context()` is
    called as that login. Never cached, never a referrer."""
    from monitoring import wall as walls
    from radbill.functions.auth import caller_for
    from admin.calls import client_ip
    from admin.dbs import db
    user = walls.holder(db(), token)
    if user is None:
        abort(403, "this wall link is not valid (expired, revoked, or its login is disabled)")
    g.caller = caller_for(db(), user, client_ip(), g.get("lang", "en")).via("web", False)
    resp = current_app.make_response(render_template(
        template, refresh=WALL_REFRESH, wall=True, **values, **context()))
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


@bp.route("/wall/<token>")
def wall(token: str):
    """The NOC for a wall screen: no login, no clicking, read-only as the token's login."""
    return wall_page(token, "noc/wall.html", panels, title=N_("NOC"))


def new_wall_link(path=None, **back):
    """Make a wall link (noc.wall_link, as the viewer) and show it once; `path(token)`: the
    page it opens (default the NOC wall), `back`: the page's way back (map_id=...)."""
    try:
        result = run("noc.wall_link", {"days": request.form.get("days", "365")})
    except FuncError as exc:
        abort(exc.status if exc.status in (403, 404) else 400, exc.message)
    token = result.extra["token"]
    url = request.host_url.rstrip("/") + (path(token) if path else result.extra["path"])
    return render_template("noc/wall_link.html", url=url, expires=result.extra["expires"],
                           title=N_("Wall link"), **back)


@bp.route("/wall-link", methods=["POST"])
@login_required
def wall_link():
    """Make a wall link (POST + CSRF) and show it once."""
    return new_wall_link()


@bp.route("/wall-revoke", methods=["POST"])
@login_required
def wall_revoke():
    """End every wall link I made (POST + CSRF)."""
    from flask import flash
    try:
        run("noc.wall_revoke", {})
        flash(_("Your wall links are revoked: their screens stop at the next refresh."), "ok")
    except FuncError as exc:
        abort(exc.status if exc.status in (403, 404) else 400, exc.message)
    return redirect(url_for("noc.dashboard"), code=303)


@bp.route("/radios/<int:elid>")
@login_required
def radio(elid: int):
    """A radio: its last figures, graphs of its polls, its stations."""
    if not may("radio"):
        abort(403, "your role may not see radios")
    found = run_or_abort("radio", {"id": str(elid)}).rows
    if not found:
        abort(404, f"no radio {elid}")
    info = found[0]
    chosen = request.args.get("range", "24h")
    hours = RANGES.get(chosen, 24)
    samples = run_or_abort("radio_sample", {"radio": str(elid), "hours": str(hours),
                                            "per_page": "1000"}).rows
    stations = run_or_abort("radio_station", {"radio": str(elid), "per_page": "500"}).rows
    tz = current_app.config["TZ"]
    end = dt.datetime.now(dt.timezone.utc)
    start = end - dt.timedelta(hours=hours)
    epmp = info.get("kind") == "epmp"
    quality = _("TX quality and SNR") if epmp else _("CCQ and SNR")
    # the lines' names in the reader's language; ePMP has no CCQ: the column holds its TX
    # quality (monitoring/radios/epmp.py)
    legend = {"signal": _("Signal"), "noise": _("Noise"),
              "ccq": _("TX quality") if epmp else _("CCQ"), "snr": _("SNR"),
              "tx_rate": _("TX rate"), "rx_rate": _("RX rate"), "stations": _("Stations"),
              "cpu": _("CPU"), "memory": _("Memory")}

    def graph(title: str, names: tuple[str, ...], unit: str = ""):
        return title, charts.series(samples, names, start, end, tz, title, unit, legend=legend)

    graphs = [graph(_("Signal and noise (dBm)"), ("signal", "noise"), " dBm"),
              graph(quality, ("ccq", "snr")),
              graph(_("Rates (kbit/s)"), ("tx_rate", "rx_rate")),
              graph(_("Stations"), ("stations",)),
              graph(_("CPU and memory, percent"), ("cpu", "memory"), "%")]
    return render_template("noc/radio.html", radio=info, graphs=graphs, stations=stations,
                           ranges=list(RANGES), range=chosen, start=start, end=end,
                           can_poll=may("radio.poll"), title=N_("Radio"))


@bp.route("/radios/<int:elid>/poll", methods=["POST"])
@login_required
def poll(elid: int):
    """Poll the radio now."""
    from flask import flash
    try:
        run("radio.poll", {"elid": str(elid)})
        flash(_("Polled."), "ok")
    except FuncError as exc:
        flash(exc.message, "error")
    return redirect(url_for("noc.radio", elid=elid))


def caller_sees_noc() -> bool:
    return may("zabbix_problem", page_caller())


@bp.app_context_processor
def noc_link() -> dict:
    """`noc_page()` for pages that link back to the NOC (the topology maps): its address when
    the logged-in viewer may see it, else None."""
    def noc_page() -> str | None:
        return url_for("noc.dashboard") if caller_sees_noc() else None
    return {"noc_page": noc_page}

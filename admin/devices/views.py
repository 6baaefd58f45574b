"""Device pages: the overview, a router (resources, PPP sessions, traffic), an OLT (its ONUs).

Every read and every button is one function call as the logged-in staff member (logged as its
func request line by admin.calls.run); nothing here decides anything about the network.
"""
from __future__ import annotations

import datetime as dt
import re

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_login import login_required

from radbill.functions.registry import FuncError, ListResult, request_line

from admin import fmt, labels
from admin.calls import may, run_or_abort
from admin.devices import charts

bp = Blueprint("devices", __name__, url_prefix="/devices")
# the ranges a traffic graph offers, in hours (device.traffic keeps 35 days)
RANGES = {"6h": 6, "24h": 24, "7d": 168, "30d": 720}
DEFAULT_RANGE = "24h"
TRAFFIC_PAGE = 1000  # registry's MAX_PER_PAGE
TRAFFIC_MAX_PAGES = 20  # a month of 5-minute polls on ~2 interfaces; enough for a screen
ONU_PAGE = 200


def need(func: str) -> None:
    """The role's normal refusal for a page whose function it may not call."""
    if not may(func):
        abort(403, f"your role may not use {func}")


def device_row(kind: str, device_id: int) -> dict | None:
    """The device's SNMP and API verdicts from the `device` list (already scoped to the caller)."""
    rows = run_or_abort("device").rows
    return next((r for r in rows if r["kind"] == kind and r["id"] == device_id), None)


def api_params(elid: int) -> dict[str, str]:
    params = {"elid": str(elid)}
    if current_app.config.get("DEVICE_API_TIMEOUT"):  # tests shorten the wait for a hung router
        params["timeout"] = str(current_app.config["DEVICE_API_TIMEOUT"])
    return params


def ask(func: str, params: dict[str, str]) -> tuple[ListResult | None, FuncError | None]:
    """A device read, or why it failed (a 400 names the filter, a 502 the setting to check)."""
    try:
        return run_or_abort(func, params), None
    except FuncError as exc:
        return None, exc


def ask_router(func: str, elid: int) -> tuple[ListResult | None, FuncError | None]:
    """A router.* read, or why it failed (a 502 names the setting to check)."""
    return ask(func, api_params(elid))


def last_page(result: ListResult | None) -> int:
    """The number of a list's last page (1 when there is no list)."""
    if result is None or not result.per_page:
        return 1
    return max(1, -(-(result.total or 0) // result.per_page))


def olt_values(elid: int) -> dict:
    """The OLT's settings as its form shows them (the caller's to see, or a 404)."""
    return run_or_abort("olt.edit", {"elid": str(elid)}).values


def traffic(kind: str, elid: int) -> dict:
    """The selected range's samples (all pages) as one chart per interface."""
    chosen = request.args.get("range", DEFAULT_RANGE)
    hours = RANGES.get(chosen, RANGES[DEFAULT_RANGE])
    params = {"kind": kind, "elid": str(elid), "hours": str(hours),
              "per_page": str(TRAFFIC_PAGE)}
    if re.fullmatch(r"[0-9]{1,9}", request.args.get("if_index", "")):
        params["if_index"] = request.args["if_index"]
    end = dt.datetime.now(dt.timezone.utc)
    start = end - dt.timedelta(hours=hours)
    rows: list[dict] = []
    for page in range(1, TRAFFIC_MAX_PAGES + 1):
        result = run_or_abort("device.traffic", {**params, "page": str(page)})
        rows += result.rows
        if len(rows) >= (result.total or 0) or not result.rows:
            break
    tz = current_app.config["TZ"]
    graphs = [(s, charts.line_chart(s, start, end, tz)) for s in charts.series(rows, start, end)]
    return {"graphs": graphs, "ranges": list(RANGES), "range": chosen,
            "if_index": params.get("if_index"), "truncated": len(rows) < (result.total or 0),
            "start": start, "end": end}


@bp.route("/")
@login_required
def overview():
    """Every router and OLT the caller may see: up or down and since when, uptime, last poll."""
    need("device")
    rows = run_or_abort("device").rows
    return render_template("devices/overview.html", rows=rows, title="Devices",
                           api="/billmgr?func=device&out=xml")


@bp.route("/nas/<int:elid>")
@login_required
def router(elid: int):
    """A router: resources and PPP sessions over its API, traffic from the SNMP polls."""
    need("router.status")
    status, error = ask_router("router.status", elid)
    sessions = None
    if status is not None:  # a router that failed once would only make us wait twice
        sessions, error = ask_router("router.sessions", elid)
    info = status.rows[0] if status else None
    snmp = device_row("nas", elid)
    if info is None and snmp is None:
        abort(404, f"no router {elid}")
    return render_template(
        "devices/router.html", elid=elid, info=info, sessions=sessions, error=error, snmp=snmp,
        name=(info or snmp)["name"], can_kick=may("router.kick"),
        can_see_customers=may("customer"), can_edit_nas=may("nas.edit"),
        can_push=may("router.push_profiles"), can_push_garden=may("router.push_walled_garden"),
        can_log=may("router.log"), can_query=may("router.print"), can_topology=may("topology"),
        **traffic("nas", elid),
        api=f"/billmgr?{request_line('router.status', {'elid': str(elid)})}&out=xml"
    ), 200 if error is None else error.status


@bp.route("/olt/<int:elid>")
@login_required
def olt(elid: int):
    """An OLT: its settings' summary, status, traffic, and its ONUs with their customers."""
    need("onu")
    values = olt_values(elid)
    page = request.args.get("page", "1")
    params = {"olt": str(elid), "per_page": str(ONU_PAGE),
              "page": page if re.fullmatch(r"[0-9]{1,9}", page) and int(page) > 0 else "1"}
    if request.args.get("status"):
        params["status"] = request.args["status"]
    onus = run_or_abort("onu", params)
    return render_template(
        "devices/olt.html", elid=elid, olt=values, onus=onus, snmp=device_row("olt", elid),
        can_sync=may("olt.sync"), status_filter=params.get("status", ""),
        last_page=last_page(onus), **traffic("olt", elid),
        api=f"/billmgr?{request_line('onu', {'olt': str(elid)})}&out=xml")


def device_name(base: str, elid: int) -> str:
    """What staff call the router (its short name) or OLT (its name)."""
    from admin.pages import cells
    return cells.names_of(base, [str(elid)], prefer="shortname" if base == "nas" else "name")[0]


def act(func: str, params: dict[str, str], back: str, who: str, answer) -> object:
    """A button: call the function, flash what happened as a sentence (labels.success; `who`
    is the router, OLT or user it acted on, `answer(result)` the figures it reports) or why it
    failed, go back. The request line is in the log (admin.calls.run), not in the message."""
    title = labels.tr(labels.title(func))
    try:
        result = run_or_abort(func, params)
    except FuncError as exc:
        flash(f"{title}: {exc.message}", "error")
        return redirect(back)
    if isinstance(result, ListResult) and result.rows and result.rows[0].get("ok") is False:
        # olt.sync reports a device that did not answer in its result (it records the error
        # on the OLT, so the call itself succeeds)
        flash(f"{title}: {result.rows[0].get('error')}", "error")
        return redirect(back)
    flash(labels.success(func, params, answer(result), [who], fmt.money), "ok")
    return redirect(back)


@bp.route("/nas/<int:elid>/kick", methods=["POST"])
@login_required
def kick(elid: int):
    """Disconnect one PPP user; the router removes the session and the user may redial."""
    need("router.kick")
    username = request.form.get("username", "")
    return act("router.kick", {**api_params(elid), "username": username},
               url_for("devices.router", elid=elid), username,
               lambda r: {"removed": r.extra.get("removed", 0)})


@bp.route("/nas/<int:elid>/push", methods=["POST"])
@login_required
def push(elid: int):
    """Create or update the router's PPP profiles and pools from the packages."""
    need("router.push_profiles")
    params = api_params(elid)
    for name in ("package", "local_address"):
        if request.form.get(name, "").strip():
            params[name] = request.form[name].strip()
    return act("router.push_profiles", params, url_for("devices.router", elid=elid),
               device_name("nas", elid),
               lambda r: {f"{x['kind']} {x['name']}": x["action"] for x in r.rows})


@bp.route("/nas/<int:elid>/walled-garden", methods=["GET", "POST"])
@login_required
def walled_garden(elid: int):
    """The hotspot walled garden: GET shows the dry run (what would be added and removed), its
    confirmation POSTs the same call with sok=ok."""
    need("router.push_walled_garden")
    back = url_for("devices.router", elid=elid)
    if request.method == "POST":
        return act("router.push_walled_garden", {**api_params(elid), "sok": "ok"}, back,
                   device_name("nas", elid), garden_counts)
    plan, error = ask_router("router.push_walled_garden", elid)
    if error is not None:
        flash(f"{labels.tr(labels.title('router.push_walled_garden'))}: {error.message}", "error")
        return redirect(back)
    name = device_name("nas", elid)
    return render_template(
        "devices/walled_garden.html", elid=elid, name=name, rows=plan.rows,
        changes=sum(r["action"] != "unchanged" for r in plan.rows),
        api=f"/billmgr?{request_line('router.push_walled_garden', {'elid': str(elid)})}&out=xml")


def garden_counts(result: ListResult) -> dict[str, int]:
    """How many hosts each action touched ("Added: 2. Removed: 1. Unchanged: 4.")."""
    counts: dict[str, int] = {}
    for r in result.rows:
        counts[r["action"]] = counts.get(r["action"], 0) + 1
    return counts


@bp.route("/olt/<int:elid>/sync", methods=["POST"])
@login_required
def sync(elid: int):
    """Discover the OLT's ONUs now."""
    need("olt.sync")
    return act("olt.sync", {"elid": str(elid)}, url_for("devices.olt", elid=elid),
               device_name("olt", elid),
               lambda r: {k: v for k, v in r.rows[0].items() if k not in ("olt", "ok")})

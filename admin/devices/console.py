"""A router's log and read-only queries (issue 18): router.log and router.print, called as the
viewer (provisioning/functions/router_console.py decides who may read what)."""
from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

from flask import Response, abort, current_app, render_template, request
from flask_login import login_required

from provisioning import router_console as rc
from radbill.functions.output import csv_cell
from radbill.functions.registry import request_line

from admin.calls import may
from admin.devices.views import api_params, ask, bp, device_name, last_page, need
from admin.labels import _

LOG_PAGE = 50
QUERY_PAGE = 100
EXPORT_PAGE = 1000  # the most router.log gives a page; a router's memory log is 1000 lines
# the topics RouterOS logs most (a rule's topics, /system logging); any other can be typed
TOPICS = ("pppoe", "ppp", "error", "critical", "warning", "info", "system", "account", "dhcp",
          "firewall", "interface", "radius", "hotspot", "wireless", "script", "debug")

# what each read-only menu is, for the select (the template translates); the path is shown
# beside the rows
MENU_LABELS = {
    "/interface": _("Interfaces"), "/interface/ethernet": _("Ethernet ports"),
    "/interface/vlan": _("VLAN interfaces"), "/interface/pppoe-server": _("PPPoE server sessions"),
    "/interface/pppoe-server/server": _("PPPoE servers"), "/ip/address": _("IP addresses"),
    "/ip/route": _("IP routes"), "/ip/pool": _("IP pools"),
    "/ip/pool/used": _("IP pool addresses in use"), "/ip/dhcp-server": _("DHCP servers"),
    "/ip/dhcp-server/lease": _("DHCP leases"), "/ip/arp": _("ARP table"),
    "/ip/neighbor": _("Neighbours (MNDP, CDP, LLDP)"),
    "/ip/firewall/address-list": _("Firewall address lists"),
    "/ip/hotspot/active": _("Active hotspot users"), "/ppp/active": _("Active PPP sessions"),
    "/ppp/secret": _("PPP secrets (without passwords)"), "/ppp/profile": _("PPP profiles"),
    "/queue/simple": _("Simple queues"), "/queue/tree": _("Queue tree"),
    "/radius": _("RADIUS servers (without secrets)"), "/system/resource": _("System resources"),
    "/system/routerboard": _("RouterBOARD hardware"), "/system/identity": _("Router identity"),
    "/system/clock": _("Router clock"), "/system/package": _("Installed packages"),
}


def asked(elid: int, keys: tuple[str, ...], **fixed: str) -> dict[str, str]:
    """The request's filters (only `keys`, as given) with the router and the page."""
    params = {k: request.args[k] for k in keys if request.args.get(k)}
    return {**api_params(elid), **params, **fixed}


def shown(params: dict[str, str]) -> dict[str, str]:
    """The filters as the page's links carry them (no elid, no timeout)."""
    return {k: v for k, v in params.items() if k not in ("elid", "timeout", "per_page")}


@bp.route("/nas/<int:elid>/logs")
@login_required
def router_log(elid: int):
    """The router's log, newest first, filtered by topic and text, a page at a time."""
    need("router.log")
    params = asked(elid, ("topics", "q", "page"), per_page=str(LOG_PAGE))
    result, error = ask("router.log", params)
    return render_template(
        "devices/router_log.html", elid=elid, name=device_name("nas", elid), result=result,
        error=error, params=shown(params), topics=TOPICS, last=last_page(result),
        export=urlencode({k: v for k, v in shown(params).items() if k != "page"}),
        zone=str(current_app.config["TZ"]), can_query=may("router.print"),
        title="Router log",
        api=f"/billmgr?{request_line('router.log', {'elid': str(elid)})}&out=xml"
    ), 200 if error is None else error.status


@bp.route("/nas/<int:elid>/logs.csv")
@login_required
def router_log_csv(elid: int):
    """The filtered log as CSV (every page), cells that look like formulas made text."""
    need("router.log")
    params = asked(elid, ("topics", "q"), per_page=str(EXPORT_PAGE))
    buf = io.StringIO()
    writer = None
    page = 1
    while True:
        result, error = ask("router.log", {**params, "page": str(page)})
        if error is not None:
            abort(error.status if error.status in (400, 502) else 400, error.message)
        if writer is None:
            writer = csv.DictWriter(buf, result.columns, extrasaction="ignore")
            writer.writeheader()
        writer.writerows({k: csv_cell(v) for k, v in row.items()} for row in result.rows)
        if page * result.per_page >= (result.total or 0):
            break
        page += 1
    return Response(buf.getvalue(), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition":
                             f'attachment; filename="router-{elid}-log.csv"'})


@bp.route("/nas/<int:elid>/query")
@login_required
def router_query(elid: int):
    """One read-only menu of the router (a select of the whitelist), filtered, paged."""
    need("router.print")
    result = error = None
    params = asked(elid, ("menu", "where", "page"), per_page=str(QUERY_PAGE))
    if "menu" in params:
        result, error = ask("router.print", params)
    return render_template(
        "devices/router_query.html", elid=elid, name=device_name("nas", elid), result=result,
        error=error, params=shown(params), menus=[(m, MENU_LABELS.get(m, m)) for m in rc.MENUS],
        last=last_page(result),
        can_log=may("router.log"), title="Router query",
        api=f"/billmgr?{request_line('router.print', {'elid': str(elid)})}&out=xml"
    ), 200 if error is None else error.status

"""An OLT's tabs beside its ONUs (issue 18): its log (read from the device on each view, with
filters) and its VLANs (the copy the sync keeps, re-read by a button). Each read and the
button are one function call as the logged-in staff member."""
from __future__ import annotations

import re

from flask import render_template, request, url_for
from flask_login import login_required

from provisioning.olt.base import SEVERITIES
from radbill import settings
from radbill.functions.registry import request_line

from admin.calls import may, run_or_abort
from admin.devices.views import act, ask, bp, device_name, last_page, need, olt_values

LOG_PAGE = 50


@bp.context_processor
def onu_limits() -> dict:
    """The temperature above which an ONU's optics are shown as a warning (and staff alerted:
    onu.hot, provisioning/olt/sync.py)."""
    return {"onu_hot_celsius": float(settings.get().onu_hot_celsius)}


@bp.route("/olt/<int:elid>/log")
@login_required
def olt_log(elid: int):
    """The OLT's own log, newest first; a device that does not answer says why."""
    need("olt.log")
    values = olt_values(elid)
    params = {"elid": str(elid), "per_page": str(LOG_PAGE)}
    if request.args.get("severity") in SEVERITIES:
        params["severity"] = request.args["severity"]
    if request.args.get("q", "").strip():
        params["q"] = request.args["q"].strip()[:100]
    page = request.args.get("page", "1")
    params["page"] = page if re.fullmatch(r"[1-9][0-9]{0,5}", page) else "1"
    result, error = ask("olt.log", params)
    return render_template(
        "devices/olt_log.html", elid=elid, olt=values, log=result, error=error, tab="log",
        severities=SEVERITIES, severity=params.get("severity", ""), q=params.get("q", ""),
        last_page=last_page(result),
        api=f"/billmgr?{request_line('olt.log', {'elid': str(elid)})}&out=xml"
    ), 200 if error is None else error.status


@bp.route("/olt/<int:elid>/vlans")
@login_required
def olt_vlans(elid: int):
    """The VLANs as the last read found them, and when that was."""
    need("olt.vlans")
    values = olt_values(elid)
    result = run_or_abort("olt.vlans", {"elid": str(elid), "per_page": "1000"})
    return render_template(
        "devices/olt_vlans.html", elid=elid, olt=values, vlans=result, tab="vlans",
        can_refresh=may("olt.vlans"),
        api=f"/billmgr?{request_line('olt.vlans', {'elid': str(elid)})}&out=xml")


@bp.route("/olt/<int:elid>/vlans/refresh", methods=["POST"])
@login_required
def olt_vlans_refresh(elid: int):
    """Read the VLANs from the OLT now."""
    need("olt.vlans")
    return act("olt.vlans", {"elid": str(elid), "refresh": "yes", "sok": "ok"},
               url_for("devices.olt_vlans", elid=elid), device_name("olt", elid),
               lambda r: {"vlans": r.total})


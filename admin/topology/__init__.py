"""The topology map (menu Network -> Topology): /topology/ lists the maps, /topology/<id> draws
one as inline SVG coloured by live status and reloads itself every minute (no script);
?edit=1 adds the forms to place nodes and links (x, y fields: works without script) and a
small script (static/topology.js, allowed by a per-response CSP nonce) that drags nodes and
posts each drop to topology_node.move through /billmgr with the page's CSRF token. A wall
screen opens /topology/wall/<token>/<id> (a NOC wall link's token: read-only, no login).
Every figure and every change is a function called as the viewer."""
from __future__ import annotations

import secrets

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import login_required

from admin import noc
from admin.calls import may, run, run_or_abort
from admin.headers import CSP
from admin.topology import draw
from monitoring.functions.topology import DEVICES
from radbill import units
from radbill.functions.registry import FuncError

bp = Blueprint("topology", __name__, url_prefix="/topology")
REFRESH = 60  # seconds, like the NOC
NODE_FIELDS = ("label", "kind", "router", "olt", "radio", "check", "x", "y")
LINK_FIELDS = ("node_a", "node_b", "label", "kind", "capacity", "interface", "interface_at")
DEVICE_PARAMS = tuple(DEVICES)  # router, olt, radio, check: what a node may name


def N_(text: str) -> str:  # extracted into the catalogue, translated when shown
    return text


@bp.route("/")
@login_required
def index():
    """The maps the viewer sees, and a form for a new one."""
    if not may("topology"):
        abort(403, "your role may not see topology maps")
    maps = run_or_abort("topology", {"per_page": "200"}).rows
    return render_template("topology/index.html", maps=maps, can_edit=may("topology.edit"),
                           errors={}, posted={}, title=N_("Topology"))


@bp.route("/", methods=["POST"])
@login_required
def create():
    """A new map, then straight to editing it."""
    posted = {k: request.form.get(k, "") for k in ("name", "description")}
    try:
        result = run("topology.edit", {**posted, "sok": "ok"})
    except FuncError as exc:
        if exc.status in (403, 404):
            abort(exc.status, exc.message)
        maps = run_or_abort("topology", {"per_page": "200"}).rows
        return render_template("topology/index.html", maps=maps, can_edit=True,
                               errors=exc.errors, posted=posted, error=exc.message,
                               title=N_("Topology")), 400
    return redirect(url_for("topology.show", map_id=result.elid, edit=1))


def map_context(map_id: int) -> dict:
    values = run_or_abort("topology.view", {"elid": str(map_id)}).values
    return {"view": values, "drawing": draw.layout(values), "colours": draw.COLOURS,
            "marks": draw.MARKS, "names": {n["id"]: n["label"] for n in values["nodes"]}}


def edit_context(map_id: int, ctx: dict) -> dict:
    """The editing forms' choices and the row being edited (?node=, ?link=)."""
    devices: dict[str, list] = {p: [] for p in DEVICE_PARAMS}
    for r in run_or_abort("topology.devices", {"elid": str(map_id)}).rows:
        devices[r["param"]].append(r)
    node = next((n for n in ctx["view"]["nodes"]
                 if str(n["id"]) == request.args.get("node")), None)
    link = next((dict(k, capacity=units.format_rate(k["capacity"]))
                 for k in ctx["view"]["links"] if str(k["id"]) == request.args.get("link")), None)
    offered = [p for p, (_col, _kind, lister, *_rest) in DEVICES.items() if may(lister)]
    return {"devices": devices, "offered": offered, "editing_node": node, "editing_link": link}


def page(map_id: int, errors: dict | None = None, posted: dict | None = None,
         form: str | None = None, error: str | None = None, status: int = 200):
    """The map; editing (?edit=1, or a refused form posted back) when the viewer may."""
    ctx = map_context(map_id)
    editing = bool(request.args.get("edit") or form) and ctx["view"]["map"]["editable"]
    if editing:
        ctx.update(edit_context(map_id, ctx))
    nonce = secrets.token_urlsafe(16) if editing else None
    resp = current_app.make_response((render_template(
        "topology/map.html", editing=editing, nonce=nonce, errors=errors or {},
        posted=posted or {}, form=form, error=error, wall=False, may_wall=may("noc.wall_link"),
        refresh=None if editing else REFRESH, title=N_("Topology"), **ctx), status))
    if editing:  # the drag script, and only it: the admin's CSP runs no script elsewhere
        resp.headers["Content-Security-Policy"] = CSP.replace(
            "script-src 'none'", f"script-src 'nonce-{nonce}'")
    return resp


@bp.route("/<int:map_id>")
@login_required
def show(map_id: int):
    if not may("topology.view"):
        abort(403, "your role may not see topology maps")
    return page(map_id)


def save(map_id: int, func: str, names: tuple[str, ...], form: str, extra: dict):
    """Post a node's or link's form to its function; a refusal shows the page again with the
    errors beside the fields."""
    posted = {k: request.form[k].strip() for k in names if k in request.form}
    # a new one: what was filled in; an edit: every field the form had (empty clears it)
    params = {k: v for k, v in posted.items() if v or request.form.get("elid")}
    if request.form.get("elid"):
        params["elid"] = request.form["elid"]
    try:
        run(func, {**params, **extra, "sok": "ok"})
    except FuncError as exc:
        if exc.status in (403, 404) and not exc.field:
            abort(exc.status, exc.message)
        return page(map_id, exc.errors, {**posted, "elid": request.form.get("elid", "")}, form,
                    exc.message, 400)
    return redirect(url_for("topology.show", map_id=map_id, edit=1))


@bp.route("/<int:map_id>/nodes", methods=["POST"])
@login_required
def save_node(map_id: int):
    return save(map_id, "topology_node.edit", NODE_FIELDS, "node",
                {} if request.form.get("elid") else {"map": str(map_id)})


@bp.route("/<int:map_id>/links", methods=["POST"])
@login_required
def save_link(map_id: int):
    return save(map_id, "topology_link.edit", LINK_FIELDS, "link", {"map": str(map_id)})


@bp.route("/<int:map_id>/<any(nodes, links):what>/<int:elid>/delete", methods=["POST"])
@login_required
def delete(map_id: int, what: str, elid: int):
    func = "topology_node.delete" if what == "nodes" else "topology_link.delete"
    try:
        run(func, {"elid": str(elid)})
    except FuncError as exc:
        abort(exc.status if exc.status in (403, 404) else 400, exc.message)
    return redirect(url_for("topology.show", map_id=map_id, edit=1))


@bp.route("/<int:map_id>/wall-link", methods=["POST"])
@login_required
def wall_link(map_id: int):
    """A wall link for this map (a NOC wall token: read-only, as you), shown once."""
    return noc.new_wall_link(lambda token: url_for("topology.wall", token=token, map_id=map_id),
                             map_id=map_id)


@bp.route("/wall/<token>/<int:map_id>")
def wall(token: str, map_id: int):
    """The map for a wall screen: no login, no forms, read-only as the token's login (the
    NOC's wall links: revoking them ends these too)."""
    return noc.wall_page(token, "topology/wall.html", lambda: map_context(map_id),
                         editing=False, title=N_("Topology"))

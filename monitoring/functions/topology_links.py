"""topology_link(.edit, .delete): the cables and radio paths between two nodes of one map;
topology.view: everything to draw a map, each node and link with its live state
(monitoring/topology.py). Maps and nodes, and who may see them: topology.py."""
from __future__ import annotations

import sqlalchemy as sa

from monitoring import topology as live
from monitoring.functions.topology import DEVICES, MAPS, NODES, STAFF, OnMap
from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.registry import (AccessDenied, Call, FormResult, FuncError, NotFound,
                                        Param, function, load_all)
from radbill.functions.roles import CUSTOMER_VIEWERS
from radbill.models import Operator
from radbill.models.topology import LINK_KINDS, TopologyLink, TopologyMap, TopologyNode


class Links(OnMap):
    name = "topology_link"
    model = TopologyLink
    label = "label"
    fields = [
        F.Field("map", str, help="the map (id or name), to name the ends by their labels"),
        F.Field("node_a", str, required=True, help="one end: the node's id or label"),
        F.Field("node_b", str, required=True, help="the other end: the node's id or label"),
        F.Field("label", F.text(60), help="e.g. the cable's or path's name"),
        F.Field("kind", F.choice(*LINK_KINDS), clearable=False, help="fibre, wireless or copper"),
        F.Field("capacity", F.rate, help="bit/s: 1G, 100M, 300M"),
        F.Field("interface", F.text(64, r"[!-~]{1,64}", "an interface name (no spaces)"),
                help="the router's or OLT's interface whose traffic is the link's load"),
        F.Field("interface_at", str, help="which end that interface is on (its id or label; "
                "default: the end that is a router or OLT)"),
    ]
    columns = ["id", "map_id", "node_a", "node_b", "label", "kind", "capacity", "if_node_id",
               "if_name"]
    search = ["label"]
    filters = {"map": "map_id", "kind": "kind"}
    money = frozenset()
    list_roles = CUSTOMER_VIEWERS
    edit_roles = STAFF
    default_sort = "id"

    def form(self, call: Call, obj: TopologyLink | None) -> dict:
        if obj is None:
            return {"kind": "fibre"}
        return {"map": obj.map_id, "node_a": obj.node_a, "node_b": obj.node_b,
                "label": obj.label, "kind": obj.kind, "capacity": obj.capacity,
                "interface": obj.if_name, "interface_at": obj.if_node_id}

    def node(self, call: Call, ref: str, map_id: int | None, field: str) -> TopologyNode:
        """A node the caller sees, by id, or by label on `map_id`."""
        stmt = NODES.visible(call, sa.select(TopologyNode))
        ident = F.as_id(ref, TopologyNode.id)
        if map_id is not None:  # on that map only
            by_label = sa.func.lower(TopologyNode.label) == ref.lower()
            stmt = stmt.where(TopologyNode.map_id == map_id, sa.or_(
                TopologyNode.id == ident, by_label) if ident is not None else by_label)
        elif ident is not None:
            stmt = stmt.where(TopologyNode.id == ident)
        else:
            raise FuncError("name the node by its id, or give the map to name it by label",
                            field=field)
        found = call.session.scalars(stmt.order_by(
            (TopologyNode.id == ident).desc() if ident is not None else TopologyNode.id)).first()
        if found is None:
            where = " on this map" if map_id is not None else ""
            raise NotFound(f"no node {F.short(ref)!r}{where}", field=field)
        return found

    def apply(self, call: Call, obj: TopologyLink, values: dict, creating: bool) -> None:
        ref = values.pop("map", None)
        map_id = MAPS.find(call, ref, field="map").id if ref not in (None, "") else \
            (None if creating else obj.map_id)
        a = self.node(call, values.pop("node_a"), map_id, "node_a") if "node_a" in values \
            else call.session.get(TopologyNode, obj.node_a)
        b = self.node(call, values.pop("node_b"), map_id, "node_b") if "node_b" in values \
            else call.session.get(TopologyNode, obj.node_b)
        if a.map_id != b.map_id:
            raise FuncError("is on another map than node_a: a link joins two nodes of one map",
                            field="node_b")
        if map_id is not None and a.map_id != map_id:
            raise FuncError("the nodes are on another map", field="map")
        if a.id == b.id:
            raise FuncError("is node_a itself: a link joins two different nodes", field="node_b")
        owner = call.session.get(TopologyMap, a.map_id)
        if not MAPS.editable(call, owner):
            raise AccessDenied("you may not change this map", field="node_a")
        a, b = (a, b) if a.id < b.id else (b, a)
        obj.map_id, obj.node_a, obj.node_b = a.map_id, a.id, b.id
        taken = call.session.scalar(sa.select(TopologyLink.id).where(
            TopologyLink.map_id == obj.map_id, TopologyLink.node_a == a.id,
            TopologyLink.node_b == b.id, TopologyLink.id.is_distinct_from(obj.id)))
        if taken:
            raise FuncError(f"these two nodes are already linked (link {taken})", field="node_b")
        for key in ("label", "kind", "capacity"):
            if key in values:
                setattr(obj, key, values[key])
        obj.label = obj.label or ""
        obj.kind = obj.kind or "fibre"
        self.interface(call, obj, values, a, b)

    def interface(self, call: Call, obj: TopologyLink, values: dict, a: TopologyNode,
                  b: TopologyNode) -> None:
        """The interface whose traffic is the link's load, on an end that is a router or OLT."""
        if "interface" in values:
            obj.if_name = values["interface"]
        if obj.if_name is None:
            obj.if_node_id = None
            return
        at = values.get("interface_at")
        if at not in (None, ""):
            end = self.node(call, at, obj.map_id, "interface_at")
            if end.id not in (a.id, b.id):
                raise FuncError("is not an end of this link", field="interface_at")
            obj.if_node_id = end.id
        elif obj.if_node_id not in (a.id, b.id):
            ends = [n for n in (a, b) if n.nas_id is not None or n.olt_id is not None]
            if not ends:
                raise FuncError("neither end is a linked router or OLT, whose SNMP traffic "
                                "this would read", field="interface")
            obj.if_node_id = ends[0].id
        end = a if obj.if_node_id == a.id else b
        if end.nas_id is None and end.olt_id is None:
            raise FuncError(f"{end.label!r} is not a linked router or OLT, whose SNMP traffic "
                            "this would read", field="interface_at")


LINKS = Links().register()


@function("topology.view", kind="form", changes=False, roles=CUSTOMER_VIEWERS, money=False,
          params=(Param("elid", "the map's id or name", True),))
def view(call: Call) -> FormResult:
    """Everything to draw one map: its nodes with their live status, its links with theirs
    and their load."""
    if not call.elid:
        raise FuncError("is required", field="elid")
    m = MAPS.find(call, call.elid)
    op = call.session.get(Operator, m.operator_id)
    nodes = list(call.session.scalars(sa.select(TopologyNode).where(
        TopologyNode.map_id == m.id).order_by(TopologyNode.label, TopologyNode.id)))
    links = list(call.session.scalars(sa.select(TopologyLink).where(
        TopologyLink.map_id == m.id).order_by(TopologyLink.id)))
    states = live.node_states(call.session, op, nodes)
    by_id = {n.id: n for n in nodes}
    load = live.loads(call.session, links, by_id, states)
    node_rows = []
    for n in nodes:
        s = states[n.id]
        # a device the map may no longer show (it left the operator's subtree) stays unnamed
        kind, dev = next(((p, getattr(n, col)) for p, (col, *_r) in DEVICES.items()
                          if getattr(n, col) is not None), (None, None))
        node_rows.append({"id": n.id, "label": n.label, "kind": n.kind, "x": n.x, "y": n.y,
                          "status": s.status, "device": s.device, "device_kind": kind,
                          "device_id": dev if s.device is not None else None,
                          "signals": [g.row() for g in s.signals]})
    link_rows = []
    for link in links:
        got = load.get(link.id)
        util = round(got["bps"] / link.capacity, 4) if got and link.capacity else None
        link_rows.append({
            "id": link.id, "node_a": link.node_a, "node_b": link.node_b, "label": link.label,
            "kind": link.kind, "capacity": link.capacity, "interface": link.if_name,
            "interface_at": link.if_node_id,
            "status": live.link_status(states[link.node_a].status, states[link.node_b].status,
                                       util),
            "in_bps": got["in_bps"] if got else None, "out_bps": got["out_bps"] if got else None,
            "bps": got["bps"] if got else None, "utilisation": util,
            "measured_at": audit.jsonable(got["at"]) if got else None})
    counts = {k: sum(1 for r in node_rows if r["status"] == k) for k in live.STATES}
    return FormResult(m.id, {
        "map": {"id": m.id, "name": m.name, "description": m.description,
                "operator_id": m.operator_id,
                "editable": MAPS.editable(call, m) and load_all()["topology.edit"].permits(
                    call.caller)},
        "nodes": node_rows, "links": link_rows, "counts": counts})

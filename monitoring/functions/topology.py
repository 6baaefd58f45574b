"""topology, topology.edit, topology.delete: maps staff draw of their network;
topology_node(.edit, .delete, .move): the routers, OLTs, radios, switches and POPs on a map;
topology.devices: what a node of a map may name. The links between nodes and topology.view
(a map with its live state) are in topology_links.py.

A map belongs to an operator and is seen and changed only inside that operator's subtree; its
nodes and links are the map's. A node may name one real device (a router, an OLT, a radio) or a
status check, which colours it by its live state (monitoring/topology.py); only a device of the
map's own operator's subtree (the group's maps: also shared, unowned routers and OLTs), of a
kind the caller's role may list, can be named, and an id outside that is "not found" like one
that does not exist, so a map never tells another operator's device's state. The database
holds the rules too (no self-link, both ends on the link's map, one link per pair, positions
in 0..2000); the checks here say which field is wrong first.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import object_session

from monitoring import topology as live
from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.crud import Entity, in_subtree, may_manage, own_operator
from radbill.functions.registry import (AccessDenied, Call, FuncError, ListResult, NotFound,
                                        OkResult, Param, function, load_all)
from radbill.functions.roles import CUSTOMER_VIEWERS, DEVICE_STAFF, RESELLERS
from radbill.models import Check, Nas, Olt, Operator, Radio
from radbill.models.topology import MAX_POS, NODE_KINDS, TopologyLink, TopologyMap, TopologyNode

STAFF = RESELLERS + DEVICE_STAFF
POSITION = F.integer(0, MAX_POS)
# a node's device parameter: (its column, the node kind it needs or None, the list function
# the caller must be allowed to name one, the model, the name columns)
DEVICES = {
    "router": ("nas_id", "router", "nas", Nas, (Nas.shortname, Nas.nasname)),
    "olt": ("olt_id", "olt", "olt", Olt, (Olt.name,)),
    "radio": ("radio_id", "radio", "radio", Radio, (Radio.name,)),
    "check": ("check_id", None, "check", Check, (Check.name,)),
}


def map_operator(session, map_id: int) -> Operator:
    return session.scalar(sa.select(Operator).join(
        TopologyMap, TopologyMap.operator_id == Operator.id).where(TopologyMap.id == map_id))


class Maps(Entity):
    name = "topology"
    model = TopologyMap
    fields = [
        F.Field("name", F.text(80), required=True, help="e.g. Core, Mirpur POP"),
        F.Field("description", F.text(500)),
        F.Field("operator", str, help="whose map (id or name); default: yours"),
    ]
    columns = ["id", "name", "description", "operator_id", "nodes", "links", "created_at"]
    search = ["name"]
    filters = {"operator": "operator_id", "id": "id"}
    money = frozenset()
    list_roles = CUSTOMER_VIEWERS
    edit_roles = STAFF
    default_sort = "name"

    def visible(self, call: Call, stmt: sa.Select) -> sa.Select:
        return stmt.where(in_subtree(call, TopologyMap.operator_id))

    def editable(self, call: Call, obj: TopologyMap) -> bool:
        return may_manage(call, obj.operator_id)

    def row(self, obj: TopologyMap) -> dict:
        return {c: audit.jsonable(getattr(obj, c, None)) for c in self.columns}

    def list(self, call: Call) -> ListResult:
        result = super().list(call)
        ids = [r["id"] for r in result.rows]
        for model, key in ((TopologyNode, "nodes"), (TopologyLink, "links")):
            counts = dict(call.session.execute(
                sa.select(model.map_id, sa.func.count()).where(model.map_id.in_(ids))
                .group_by(model.map_id)).all()) if ids else {}
            for r in result.rows:
                r[key] = counts.get(r["id"], 0)
        return result

    def form(self, call: Call, obj: TopologyMap | None) -> dict:
        if obj is None:
            return {}
        return {"name": obj.name, "description": obj.description}

    def apply(self, call: Call, obj: TopologyMap, values: dict, creating: bool) -> None:
        moving = values.get("operator") not in (None, "")
        own_operator(call, obj, values, creating)
        super().apply(call, obj, values, creating)
        obj.description = obj.description or ""
        if call.session.scalar(sa.select(TopologyMap.id).where(
                TopologyMap.operator_id == obj.operator_id,
                sa.func.lower(TopologyMap.name) == obj.name.lower(),
                TopologyMap.id.is_distinct_from(obj.id))):
            raise FuncError(f"{obj.name!r} is taken", field="name")
        if moving and not creating:
            self.devices_stay(call, obj)

    def devices_stay(self, call: Call, obj: TopologyMap) -> None:
        """A map given to another operator keeps only devices that operator's maps may show."""
        op = call.session.get(Operator, obj.operator_id)
        nodes = list(call.session.scalars(sa.select(TopologyNode).where(
            TopologyNode.map_id == obj.id)))
        for param, (col, *_rest) in DEVICES.items():
            ids = {getattr(n, col) for n in nodes} - {None}
            if ids - set(live.devices(call.session, col, op, ids)):
                raise FuncError(f"the map shows a {param} that is not that operator's: "
                                "unlink it first", field="operator")


MAPS = Maps().register()


class OnMap(Entity):
    """Nodes and links: seen inside their map's operator's subtree, changed by who may change
    the map."""

    def visible(self, call: Call, stmt: sa.Select) -> sa.Select:
        return stmt.join(TopologyMap, TopologyMap.id == self.model.map_id).where(
            in_subtree(call, TopologyMap.operator_id))

    def operator_of(self, obj) -> int | None:
        return object_session(obj).get(TopologyMap, obj.map_id).operator_id

    def editable(self, call: Call, obj) -> bool:
        return may_manage(call, self.operator_of(obj))


class Nodes(OnMap):
    name = "topology_node"
    model = TopologyNode
    label = "label"
    fields = [
        F.Field("map", str, required=True, help="the map's id or name"),
        F.Field("label", F.text(60), required=True, help="what the map shows beside it"),
        F.Field("kind", F.choice(*NODE_KINDS), required=True, clearable=False,
                help="router, olt, radio, switch, pop or other"),
        F.Field("router", str, help="a router node: the NAS it is (id or name)"),
        F.Field("olt", str, help="an OLT node: the OLT it is (id or name)"),
        F.Field("radio", str, help="a radio node: the radio it is (id or name)"),
        F.Field("check", str, help="any node: the status check that tells its state (id or name)"),
        F.Field("x", POSITION, clearable=False, help=f"0..{MAX_POS}, left to right"),
        F.Field("y", POSITION, clearable=False, help=f"0..{MAX_POS}, top to bottom"),
    ]
    columns = ["id", "map_id", "label", "kind", "nas_id", "olt_id", "radio_id", "check_id",
               "x", "y"]
    search = ["label"]
    filters = {"map": "map_id", "kind": "kind"}
    money = frozenset()
    list_roles = CUSTOMER_VIEWERS
    edit_roles = STAFF
    default_sort = "label"

    def form(self, call: Call, obj: TopologyNode | None) -> dict:
        if obj is None:
            return {"kind": "router"}
        values = {"map": obj.map_id, "label": obj.label, "kind": obj.kind, "x": obj.x, "y": obj.y}
        for param, (col, *_rest) in DEVICES.items():
            values[param] = getattr(obj, col)
        return values

    def apply(self, call: Call, obj: TopologyNode, values: dict, creating: bool) -> None:
        ref = values.pop("map", None)
        if creating:
            found = MAPS.find(call, ref or "", field="map")
            if not MAPS.editable(call, found):
                raise AccessDenied("you may not change this map", field="map")
            obj.map_id = found.id
        elif ref not in (None, "") and MAPS.find(call, ref, field="map").id != obj.map_id:
            raise FuncError("a node stays on its map (add it to the other map instead)",
                            field="map")
        devices = {p: values.pop(p) for p in DEVICES if p in values}
        for key in ("label", "kind", "x", "y"):
            if key in values:
                setattr(obj, key, values[key])
        if call.session.scalar(sa.select(TopologyNode.id).where(
                TopologyNode.map_id == obj.map_id,
                sa.func.lower(TopologyNode.label) == obj.label.lower(),
                TopologyNode.id.is_distinct_from(obj.id))):
            raise FuncError(f"{obj.label!r} is already on this map", field="label")
        self.link_device(call, obj, devices)
        if obj.x is None or obj.y is None:
            obj.x, obj.y = self.free_spot(call, obj.map_id)

    def link_device(self, call: Call, obj: TopologyNode, given: dict) -> None:
        """Set the node's device from the router / olt / radio / check parameters: the one
        named replaces any other; an empty one unlinks it."""
        named = {p: ref for p, ref in given.items() if ref not in (None, "")}
        if len(named) > 1:
            raise FuncError("name one device: a router, an OLT, a radio or a check",
                            field=sorted(named)[1])
        for param in given:
            setattr(obj, DEVICES[param][0], None)
        if named:
            [(param, ref)] = named.items()
            for other in DEVICES.values():
                setattr(obj, other[0], None)
            setattr(obj, DEVICES[param][0], self.find_device(call, obj, param, ref))
        for param, (col, kind, *_rest) in DEVICES.items():
            if kind and getattr(obj, col) is not None and obj.kind != kind:
                field = param if param in named else "kind"
                raise FuncError(f"only a {kind} node names a {param}; this one is a {obj.kind}",
                                field=field)

    def find_device(self, call: Call, obj: TopologyNode, param: str, ref: str) -> int:
        """The id of the device `ref` names, if the caller may list such devices and the map's
        operator's maps may show it; else not found, as for one that does not exist."""
        col, _kind, lister, model, names = DEVICES[param]
        if not load_all()[lister].permits(call.caller):
            raise AccessDenied(f"your role may not see {lister} devices", field=param)
        ident = F.as_id(ref, model.id)
        stmt = sa.select(model.id)  # any by that id or name; live.devices keeps the map's
        match = [sa.func.lower(c) == ref.lower() for c in names]
        if ident is not None:
            match.append(model.id == ident)
        candidates = [i for i in call.session.scalars(stmt.where(sa.or_(*match)).limit(20))]
        op = map_operator(call.session, obj.map_id)
        shown = live.devices(call.session, col, op, candidates)
        if not shown:
            raise NotFound(f"no {param} {F.short(ref)!r} on this map's network", field=param)
        return ident if ident in shown else min(shown)

    def free_spot(self, call: Call, map_id: int) -> tuple[int, int]:
        """Where a node given no position goes: the next cell of a 200-unit grid."""
        n = call.session.scalar(sa.select(sa.func.count()).where(TopologyNode.map_id == map_id))
        return 100 + (n % 9) * 200, 100 + (n // 9 % 10) * 200

    def remove(self, call: Call, obj: TopologyNode) -> None:
        """The node and its links (the database cascades; each link's removal is audited)."""
        for link in call.session.scalars(sa.select(TopologyLink).where(
                sa.or_(TopologyLink.node_a == obj.id, TopologyLink.node_b == obj.id))):
            audit.record(call, "topology_link", link.id, link.label, audit.snapshot(link), None,
                         self.operator_of(obj))
            call.session.delete(link)
        call.session.delete(obj)


NODES = Nodes().register()


@function("topology_node.move", kind="action", roles=STAFF, money=False, changes=True,
          params=(Param("elid", "the node's id", True), Param("x", f"0..{MAX_POS}", True),
                  Param("y", f"0..{MAX_POS}", True)))
def move(call: Call) -> OkResult:
    """Put a node at (x, y) on its map (the map page's drag)."""
    if not call.elid:
        raise FuncError("is required", field="elid")
    values = F.parse_fields([F.Field("x", POSITION, required=True),
                             F.Field("y", POSITION, required=True)], call.params, creating=True)
    node = NODES.find(call, call.elid, lock=True)
    if not NODES.editable(call, node):
        raise AccessDenied("you may not change this map", field="elid")
    before = audit.snapshot(node)
    node.x, node.y = values["x"], values["y"]
    call.session.flush()
    audit.record(call, "topology_node", node.id, node.label, before, audit.snapshot(node),
                 NODES.operator_of(node))
    return OkResult(node.id, {"x": node.x, "y": node.y})


@function("topology.devices", kind="list", roles=CUSTOMER_VIEWERS, money=False,
          params=(Param("elid", "the map's id or name", True),))
def linkable(call: Call) -> ListResult:
    """The devices a node of this map may name (its operator's, of the kinds your role lists):
    for the map page's choices."""
    if not call.elid:
        raise FuncError("is required", field="elid")
    m = MAPS.find(call, call.elid)
    op = call.session.get(Operator, m.operator_id)
    rows = []
    for param, (col, _kind, lister, *_rest) in DEVICES.items():
        if load_all()[lister].permits(call.caller):
            rows += [{"param": param, "id": i, "name": name} for i, name in
                     live.devices(call.session, col, op, limit=500).items()]
    return ListResult(rows, len(rows), 1, max(len(rows), 1), ["param", "id", "name"])

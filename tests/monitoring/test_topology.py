"""The topology map (issue 18): staff draw maps of routers, OLTs, radios, switches and POPs and
the links between them; each node takes its colour from its device's live state (a router
whose ping check is down is red), a link is down with either end and carries its interface's
load; positions are saved by a drag (POST + CSRF only); the database refuses self-links,
cross-map links, duplicate links and positions off the map, and the functions say which field
first; a second reseller can neither see a map nor put (and so watch) another's device on
theirs; the page works without script, in Bangla, on a 390 px phone, and drags in Chromium."""
from __future__ import annotations

import datetime as dt
import re
import shutil

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from provisioning import monitor
from radbill.functions.caller import SYSTEM
from radbill.functions.registry import AccessDenied, FuncError, NotFound
from radbill.models import AuditLog, Check, InterfaceSample, TopologyLink, TopologyNode
from tests.support.factories import fn
from tests.support.routeros_emu import closed_port
from tests.admin.test_browser import browser, live_admin  # noqa: F401  (fixtures)


def router(session, name, ip, operator, caller=SYSTEM):
    """A NAS (its ping check made by the entity_created hook) and that check."""
    elid = fn(session, "nas.edit", caller, sok="ok", name=name, ip=ip, secret="s3cret-nas",
              operator=operator).elid
    check = session.scalar(sa.select(Check).where(Check.device_kind == "nas",
                                                  Check.device_id == elid))
    return elid, check


def make_down(session, check):
    """The router stops answering: its check now probes a closed port and fails once."""
    fn(session, "check.edit", sok="ok", elid=str(check.id), kind="tcp",
       target=f"127.0.0.1:{closed_port()}", failures="1")
    fn(session, "check.run", elid=str(check.id))
    assert session.get(Check, check.id).state == "down"


def node(session, caller, map_id, label, kind, **kw):
    return fn(session, "topology_node.edit", caller, sok="ok", map=str(map_id), label=label,
              kind=kind, **kw).elid


def link(session, caller, a, b, **kw):
    return fn(session, "topology_link.edit", caller, sok="ok", node_a=str(a), node_b=str(b),
              **kw).elid


def view(session, caller, map_id):
    values = fn(session, "topology.view", caller, elid=str(map_id)).values
    return ({n["label"]: n for n in values["nodes"]},
            {(n["label"]): n for n in values["links"]}, values)


@pytest.fixture
def core(session, tree):
    """The ISP's core map: a router that answers, one that does not, a POP, links."""
    isp, a, b, ua, ub, noc = tree
    up_id, up_check = router(session, "core1", "127.0.0.1", "isp")
    fn(session, "check.run", elid=str(up_check.id))  # a real ping of loopback
    down_id, down_check = router(session, "edge1", "127.0.0.2", "isp")
    make_down(session, down_check)
    m = fn(session, "topology.edit", noc, sok="ok", name="Core").elid
    ids = {"map": m, "core1": up_id, "edge1": down_id, "check": up_check.id,
           "n_core": node(session, noc, m, "Core router", "router", router="core1", x="100",
                          y="100"),
           "n_edge": node(session, noc, m, "Edge router", "router", router=str(down_id),
                          x="500", y="100"),
           "n_pop": node(session, noc, m, "Mirpur POP", "pop", x="300", y="400")}
    ids["l_up"] = link(session, noc, ids["n_core"], ids["n_edge"], label="backbone",
                       capacity="1G", interface="sfp1")
    ids["l_pop"] = link(session, noc, ids["n_pop"], ids["n_core"], label="pop uplink",
                        kind="wireless")
    return ids


def test_a_router_whose_ping_check_is_down_is_down_and_so_is_its_link(session, tree, core):
    noc = tree[5]
    nodes, links, values = view(session, noc, core["map"])
    assert nodes["Core router"]["status"] == "up"
    assert nodes["Core router"]["device"] == "core1"
    assert [s["source"] for s in nodes["Core router"]["signals"]] == ["ping"]
    assert nodes["Edge router"]["status"] == "down"
    assert nodes["Mirpur POP"]["status"] == "unknown" and nodes["Mirpur POP"]["device"] is None
    assert links["backbone"]["status"] == "down"
    assert links["pop uplink"]["status"] == "unknown"
    assert values["counts"] == {"up": 1, "warning": 0, "down": 1, "unknown": 1}
    # SNMP says the core is down while ping says up: a warning; both down: down
    monitor.set_status(session, "nas", core["core1"], False, error="timeout")
    assert view(session, noc, core["map"])[0]["Core router"]["status"] == "warning"
    monitor.set_status(session, "nas", core["edge1"], False, error="timeout")
    edge = view(session, noc, core["map"])[0]["Edge router"]
    assert edge["status"] == "down" and {s["source"] for s in edge["signals"]} == {"ping", "snmp"}


def test_a_links_load_is_its_interfaces_last_poll_over_its_capacity(session, tree, core):
    noc = tree[5]
    now = session.scalar(sa.select(sa.func.now()))
    for at, i, o in ((now - dt.timedelta(minutes=5), 100_000_000, 50_000_000),
                     (now, 450_000_000, 950_000_000)):
        session.add(InterfaceSample(kind="nas", device_id=core["core1"], if_index=3,
                                    if_name="sfp1", at=at, in_octets=0, out_octets=0,
                                    in_bps=i, out_bps=o))
    session.flush()
    backbone = view(session, noc, core["map"])[1]["backbone"]
    assert backbone["interface_at"] == core["n_core"]  # the end that is a router
    assert (backbone["in_bps"], backbone["out_bps"], backbone["utilisation"]) == \
        (450_000_000, 950_000_000, 0.95)
    assert backbone["status"] == "down"  # the edge router is down, however busy
    fn(session, "check.run", elid=str(session.scalar(sa.select(Check.id).where(
        Check.device_kind == "nas", Check.device_id == core["edge1"]))))
    session.execute(sa.update(Check).where(Check.device_kind == "nas",
                                           Check.device_id == core["edge1"])
                    .values(target="127.0.0.2", kind="ping"))
    fn(session, "check.run", elid=str(session.scalar(sa.select(Check.id).where(
        Check.device_kind == "nas", Check.device_id == core["edge1"]))))
    backbone = view(session, noc, core["map"])[1]["backbone"]
    assert backbone["status"] == "warning"  # both ends up, 95 % full


def test_a_radio_takes_its_last_poll_and_a_switch_its_check(session, tree, core):
    from radbill.models import Radio
    noc = tree[5]
    radio = fn(session, "radio.edit", sok="ok", name="ap-mirpur-1", kind="airmax",
               host="10.20.0.1", community="sector-ro", operator="isp").elid
    web = fn(session, "check.edit", sok="ok", name="Switch mgmt", kind="tcp",
             target=f"127.0.0.1:{closed_port()}", failures="3", operator="isp").elid
    node(session, noc, core["map"], "Sector north", "radio", radio="ap-mirpur-1")
    node(session, noc, core["map"], "Agg switch", "switch", check=str(web))
    nodes = view(session, noc, core["map"])[0]
    assert nodes["Sector north"]["status"] == "unknown"  # never polled, its ping never run
    assert nodes["Agg switch"]["status"] == "unknown"
    now = session.scalar(sa.select(sa.func.now()))
    session.execute(sa.update(Radio).where(Radio.id == radio)
                    .values(up=True, last_poll_at=now, poll_interval=300))
    fn(session, "check.run", elid=str(web))  # one failure of three: failing, not yet down
    nodes = view(session, noc, core["map"])[0]
    assert nodes["Sector north"]["status"] == "up" and nodes["Sector north"]["device"] == \
        "ap-mirpur-1"
    assert [s["source"] for s in nodes["Sector north"]["signals"]] == ["poll"]
    assert nodes["Agg switch"]["status"] == "warning"
    assert nodes["Agg switch"]["signals"][0]["source"] == "check"
    fn(session, "check.run", elid=str(web))
    fn(session, "check.run", elid=str(web))
    assert view(session, noc, core["map"])[0]["Agg switch"]["status"] == "down"
    # a poll from an hour ago says nothing any more
    session.execute(sa.update(Radio).where(Radio.id == radio).values(
        last_poll_at=now - dt.timedelta(hours=1)))
    assert view(session, noc, core["map"])[0]["Sector north"]["status"] == "unknown"
    fn(session, "check.edit", sok="ok", elid=str(web), enabled="no")
    assert view(session, noc, core["map"])[0]["Agg switch"]["status"] == "unknown"


def test_moving_saves_the_position_and_is_audited(session, tree, core):
    noc = tree[5]
    result = fn(session, "topology_node.move", noc, elid=str(core["n_pop"]), x="720", y="35")
    assert result.extra == {"x": 720, "y": 35}
    n = session.get(TopologyNode, core["n_pop"])
    assert (n.x, n.y) == (720, 35)
    [row] = session.scalars(sa.select(AuditLog).where(AuditLog.func == "topology_node.move"))
    assert row.before == {"x": 300, "y": 400} and row.after == {"x": 720, "y": 35}
    with pytest.raises(FuncError) as err:
        fn(session, "topology_node.move", noc, elid=str(core["n_pop"]), x="2001", y="-4")
    assert set(err.value.errors) == {"x", "y"} and not err.value.fallback
    assert (session.get(TopologyNode, core["n_pop"]).x, n.y) == (720, 35)


def test_every_rule_is_a_field_named_refusal(session, tree, core):
    noc = tree[5]
    other = fn(session, "topology.edit", noc, sok="ok", name="Mirpur").elid
    far = node(session, noc, other, "Far switch", "switch")
    cases = [
        (dict(node_a=str(core["n_core"]), node_b=str(core["n_core"])), "node_b", "itself"),
        (dict(node_a=str(core["n_core"]), node_b=str(far)), "node_b", "another map"),
        (dict(node_a=str(core["n_edge"]), node_b=str(core["n_core"])), "node_b",
         "already linked"),
        (dict(node_a=str(core["n_pop"]), node_b=str(far), map=str(other)), "node_a", "no node"),
        (dict(node_a="Far switch", node_b="Core router"), "node_a", "give the map"),
        (dict(node_a=str(core["n_pop"]), node_b=str(core["n_edge"]), interface="ether1",
              interface_at="Mirpur POP", map="Core"), "interface_at", "not a linked router"),
    ]
    for params, field, why in cases:
        with pytest.raises(FuncError) as err:
            fn(session, "topology_link.edit", noc, sok="ok", **params)
        assert err.value.field == field and why in err.value.errors[field], params
        assert not err.value.fallback
    node_cases = [
        (dict(label="Out", kind="switch", x="2500", y="10"), "x", "at most 2000"),
        (dict(label="Out", kind="switch", x="10", y="-1"), "y", "at least 0"),
        (dict(label="core ROUTER", kind="switch"), "label", "already on this map"),
        (dict(label="Sw", kind="switch", router="core1"), "router", "only a router node"),
        (dict(label="Rt", kind="router", router="core1", check="x"), "router", "name one"),
        (dict(label="Rt", kind="routr"), "kind", "not one of"),
    ]
    for params, field, why in node_cases:
        with pytest.raises(FuncError) as err:
            fn(session, "topology_node.edit", noc, sok="ok", map=str(core["map"]), **params)
        assert field in err.value.errors and why in err.value.errors[field], params
        assert not err.value.fallback
    with pytest.raises(FuncError) as err:  # a linked router stays a router
        fn(session, "topology_node.edit", noc, sok="ok", elid=str(core["n_core"]), kind="pop")
    assert err.value.field == "kind"
    with pytest.raises(FuncError) as err:
        fn(session, "topology_node.edit", noc, sok="ok", elid=str(core["n_core"]),
           map=str(other))
    assert err.value.field == "map"
    with pytest.raises(FuncError) as err:
        fn(session, "topology.edit", noc, sok="ok", name="core")
    assert err.value.field == "name"
    # nothing half-written
    assert session.scalar(sa.select(sa.func.count()).select_from(TopologyLink)) == 2
    assert session.scalar(sa.select(sa.func.count()).where(
        TopologyNode.map_id == core["map"])) == 3


def test_the_database_holds_the_rules_whoever_writes(session, tree, core):
    other = fn(session, "topology.edit", tree[5], sok="ok", name="Mirpur").elid
    far = node(session, tree[5], other, "Far switch", "switch")
    a, b = sorted((core["n_core"], core["n_pop"]))
    bad = [dict(map_id=core["map"], node_a=a, node_b=a),  # a self-link
           dict(map_id=core["map"], node_a=min(a, far), node_b=max(a, far)),  # across maps
           dict(map_id=core["map"], node_a=a, node_b=b),  # that pair again
           dict(map_id=core["map"], node_a=b, node_b=a)]  # the pair the other way round
    for values in bad:
        with pytest.raises(IntegrityError), session.begin_nested():
            session.execute(sa.insert(TopologyLink).values(**values))
    for elid, values in ((core["n_pop"], dict(x=-1)), (core["n_pop"], dict(y=2001)),
                         (core["n_core"], dict(kind="switch")),  # a router's NAS on a switch
                         (core["n_core"], dict(check_id=core["check"]))):  # two devices
        with pytest.raises(IntegrityError), session.begin_nested():
            session.execute(sa.update(TopologyNode).where(TopologyNode.id == elid)
                            .values(**values))


def test_deleting_a_node_takes_its_links(session, tree, core):
    fn(session, "topology_node.delete", tree[5], elid=str(core["n_core"]))
    assert session.scalar(sa.select(sa.func.count()).select_from(TopologyLink)) == 0
    gone = session.scalars(sa.select(AuditLog.object_type).where(
        AuditLog.func == "topology_node.delete")).all()
    assert sorted(gone) == ["topology_link", "topology_link", "topology_node"]
    nodes, links, _ = view(session, tree[5], core["map"])
    assert set(nodes) == {"Edge router", "Mirpur POP"} and links == {}


def test_a_second_reseller_can_neither_see_a_map_nor_watch_anothers_device(session, tree, core):
    isp, a, b, ua, ub, noc = tree
    a_router, a_check = router(session, "a-gw", "127.0.0.5", "resA")
    a_map = fn(session, "topology.edit", ua, sok="ok", name="A area").elid
    a_node = node(session, ua, a_map, "A gateway", "router", router="a-gw")
    assert view(session, ua, a_map)[0]["A gateway"]["device"] == "a-gw"
    b_map = fn(session, "topology.edit", ub, sok="ok", name="B area").elid
    # B may not put the ISP's router, nor A's router or its check, on B's map, by id or name:
    # the same answer as for a router that does not exist
    for param, ref in (("router", str(core["core1"])), ("router", "core1"),
                       ("router", str(a_router)), ("router", "127.0.0.5"),
                       ("check", str(a_check.id)), ("router", "99999")):
        with pytest.raises(NotFound) as err:
            node(session, ub, b_map, "spy", "router" if param == "router" else "other",
                 **{param: ref})
        assert err.value.field == param and "on this map's network" in err.value.message
    with pytest.raises(AccessDenied) as err:  # a reseller's role lists no OLTs at all
        node(session, ub, b_map, "olt", "olt", olt="1")
    assert err.value.field == "olt"
    # nor see or change A's map
    assert [r["name"] for r in fn(session, "topology", ub).rows] == ["B area"]
    assert {r["name"] for r in fn(session, "topology", noc).rows} == {"Core", "A area", "B area"}
    for func, params in (("topology.view", {"elid": str(a_map)}),
                         ("topology_node.move", {"elid": str(a_node), "x": "1", "y": "1"}),
                         ("topology_node.edit", {"map": str(a_map), "label": "x",
                                                 "kind": "pop", "sok": "ok"}),
                         ("topology_link.edit", {"node_a": str(a_node),
                                                 "node_b": str(core["n_pop"]), "sok": "ok"})):
        with pytest.raises(NotFound):
            fn(session, func, ub, **params)
    assert fn(session, "topology_node", ub, map=str(a_map)).rows == []
    fn(session, "topology.delete", ub, elid=str(a_map))  # nothing of B's matched: no-op
    assert fn(session, "topology.view", ua, elid=str(a_map)).values["nodes"]
    # A's manager may look at A's map, not change it
    from tests.support.factories import caller_of, make_user
    mgr = caller_of(session, make_user(session, login="mgra", role="manager", operator="resA"))
    seen = fn(session, "topology.view", mgr, elid=str(a_map)).values
    assert seen["nodes"] and seen["map"]["editable"] is False
    assert fn(session, "topology.view", ua, elid=str(a_map)).values["map"]["editable"] is True
    with pytest.raises(AccessDenied):
        fn(session, "topology_node.move", mgr, elid=str(a_node), x="1", y="1")
    # the gateway's uplink carries its interface's load while the router is A's...
    uplink = link(session, ua, a_node, node(session, ua, a_map, "A pop", "pop"),
                  label="uplink", capacity="100M", interface="ether1")
    session.add(InterfaceSample(kind="nas", device_id=a_router, if_index=1, if_name="ether1",
                                at=session.scalar(sa.select(sa.func.now())), in_octets=0,
                                out_octets=0, in_bps=40_000_000, out_bps=10_000_000))
    session.flush()
    assert view(session, ua, a_map)[1]["uplink"]["bps"] == 40_000_000
    # a router given to B since is no longer shown on A's map: unknown, unnamed, no load
    fn(session, "nas.edit", sok="ok", elid=str(a_router), operator="resB")
    nodes, links, _ = view(session, ua, a_map)
    gw = nodes["A gateway"]
    assert (gw["status"], gw["device"], gw["device_id"]) == ("unknown", None, None)
    assert links["uplink"]["id"] == uplink and links["uplink"]["bps"] is None
    assert links["uplink"]["utilisation"] is None
    # and a map is given to another operator only without devices that are not theirs
    with pytest.raises(FuncError) as err:
        fn(session, "topology.edit", noc, sok="ok", elid=str(core["map"]), operator="resA")
    assert err.value.field == "operator"


# -- the page ---------------------------------------------------------------------------------
CSP_NONCE = re.compile(r"script-src 'nonce-([\w-]+)'")


@pytest.fixture
def drawn(world):
    """The ISP's map as its staff would have drawn it, committed for the pages."""
    dbs = world.dbs
    up_id, up_check = router(dbs, "core1", "127.0.0.1", "isp")
    fn(dbs, "check.run", elid=str(up_check.id))
    down_id, down_check = router(dbs, "edge1", "127.0.0.2", "isp")
    make_down(dbs, down_check)
    m = fn(dbs, "topology.edit", sok="ok", name="Core", operator="isp").elid
    ids = {"map": m, "core": node(dbs, SYSTEM, m, "Core router", "router", router="core1",
                                  x="100", y="100"),
           "edge": node(dbs, SYSTEM, m, "Edge router", "router", router="edge1", x="600",
                        y="120"),
           "pop": node(dbs, SYSTEM, m, "Mirpur POP", "pop", x="350", y="420")}
    ids["link"] = link(dbs, SYSTEM, ids["core"], ids["edge"], label="backbone", capacity="1G")
    dbs.commit()
    return ids


def node_svg(page: str, elid: int) -> str:
    return re.search(rf'<g class="node" id="node-{elid}".*?</g>', page, re.S)[0]


def test_the_map_page_draws_a_down_router_red_without_script(world, auth, drawn):
    auth.login("gadmin")
    assert f'href="/topology/"' in auth.get("/").get_data(as_text=True)  # Network -> Topology
    listing = auth.get("/topology/").get_data(as_text=True)
    assert f'/topology/{drawn["map"]}' in listing and "Core" in listing
    resp = auth.get(f"/topology/{drawn['map']}")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<script" not in page
    assert "script-src 'none'" in resp.headers["Content-Security-Policy"]
    assert 'http-equiv="refresh" content="60"' in page
    edge = node_svg(page, drawn["edge"])
    assert 'data-status="down"' in edge and 'fill="#c62828"' in edge and "Edge router" in edge
    assert 'fill="#2e8b47"' in node_svg(page, drawn["core"])  # up: green
    assert 'fill="#8f969e"' in node_svg(page, drawn["pop"])  # unlinked: grey, unknown
    line = re.search(rf'<g class="link" id="link-{drawn["link"]}".*?</g>', page, re.S)[0]
    assert 'data-status="down"' in line and 'stroke="#c62828"' in line
    assert 'id="count-down">1<' in page and "<form" not in page.split('id="nodes"')[1] \
        .split("</table>")[0]
    # the same data through the func API, for other tools
    api = auth.get(f"/billmgr?func=topology.view&elid={drawn['map']}&out=json").get_json()
    assert {n["label"]: n["status"] for n in api["doc"]["nodes"]} == \
        {"Core router": "up", "Edge router": "down", "Mirpur POP": "unknown"}
    assert auth.get(f"/billmgr?func=topology.view&elid={drawn['map']}").status_code == 200
    assert auth.get("/billmgr?func=topology").status_code == 200


def test_editing_without_script_places_nodes_and_links_and_names_bad_fields(world, auth, drawn):
    auth.login("gadmin")
    resp = auth.get(f"/topology/{drawn['map']}?edit=1")
    page = resp.get_data(as_text=True)
    assert "http-equiv=\"refresh\"" not in page  # no reload under the editor's hands
    nonce = CSP_NONCE.search(resp.headers["Content-Security-Policy"])[1]
    assert f'<script nonce="{nonce}" src="/static/topology.js"></script>' in page
    assert "unsafe-inline" not in resp.headers["Content-Security-Policy"].split("style-src")[0]
    assert 'id="n-x"' in page and 'id="n-router"' in page and ">core1<" in page
    bad = auth.post(f"/topology/{drawn['map']}/nodes", {"label": "Agg switch", "kind": "switch",
                                                        "x": "2500", "y": "40"})
    assert bad.status_code == 400
    assert 'id="e-x"' in bad.get_data(as_text=True) and "2000" in bad.get_data(as_text=True)
    world.dbs.expire_all()
    assert world.dbs.scalar(sa.select(sa.func.count()).where(
        TopologyNode.label == "Agg switch")) == 0
    ok = auth.post(f"/topology/{drawn['map']}/nodes", {"label": "Agg switch", "kind": "switch",
                                                       "x": "350", "y": "40"})
    assert ok.status_code == 302
    agg = world.dbs.scalar(sa.select(TopologyNode).where(TopologyNode.label == "Agg switch"))
    assert (agg.x, agg.y, agg.kind) == (350, 40, "switch")
    self_link = auth.post(f"/topology/{drawn['map']}/links",
                          {"node_a": str(agg.id), "node_b": str(agg.id), "kind": "fibre"})
    assert self_link.status_code == 400 and 'id="e-node_b"' in self_link.get_data(as_text=True)
    assert auth.post(f"/topology/{drawn['map']}/links",
                     {"node_a": str(agg.id), "node_b": str(drawn["pop"]), "kind": "wireless",
                      "capacity": "300M"}).status_code == 302
    moved = auth.post(f"/topology/{drawn['map']}/nodes",
                      {"elid": str(agg.id), "label": "Agg switch", "kind": "switch", "x": "360",
                       "y": "60", "check": ""})
    assert moved.status_code == 302
    world.dbs.expire_all()
    assert (world.dbs.get(TopologyNode, agg.id).x, world.dbs.get(TopologyNode, agg.id).y) == \
        (360, 60)
    agg_id = agg.id
    [wl] = world.dbs.scalars(sa.select(TopologyLink).where(TopologyLink.node_b == agg_id))
    form = auth.get(f"/topology/{drawn['map']}?edit=1&link={wl.id}").get_data(as_text=True)
    assert 'name="elid" value="%d"' % wl.id in form and 'value="300M"' in form
    assert auth.post(f"/topology/{drawn['map']}/links",
                     {"elid": str(wl.id), "node_a": str(agg_id), "node_b": str(drawn["pop"]),
                      "kind": "fibre", "capacity": "1G", "label": "", "interface": "",
                      "interface_at": ""}).status_code == 302
    world.dbs.expire_all()
    assert (world.dbs.get(TopologyLink, wl.id).kind,
            world.dbs.get(TopologyLink, wl.id).capacity) == ("fibre", 10**9)
    assert auth.post(f"/topology/{drawn['map']}/nodes/{agg_id}/delete", {}).status_code == 302
    assert world.dbs.scalar(sa.select(sa.func.count()).where(TopologyNode.id == agg_id)) == 0
    confirm = auth.get(f"/billmgr?func=topology.delete&elid={drawn['map']}")
    assert confirm.status_code == 200 and "Core" in confirm.get_data(as_text=True)


def test_a_cookie_get_cannot_move_a_node_and_a_csrf_post_can(world, auth, client, drawn):
    auth.login("gadmin")
    auth.get(f"/topology/{drawn['map']}?edit=1")
    url = f"/billmgr?func=topology_node.move&elid={drawn['pop']}&x=5&y=5&out=json"
    refused = client.get(url)
    assert refused.status_code == 403 and "POST" in refused.get_json()["doc"]["error"]["msg"]
    no_token = client.post("/billmgr", data={"func": "topology_node.move",
                                             "elid": str(drawn["pop"]), "x": "5", "y": "5",
                                             "out": "json"})
    assert no_token.status_code == 403
    world.dbs.expire_all()
    assert world.dbs.get(TopologyNode, drawn["pop"]).x == 350
    done = auth.post("/billmgr", {"func": "topology_node.move", "elid": str(drawn["pop"]),
                                  "x": "5", "y": "7", "out": "json"})
    assert done.status_code == 200 and done.get_json()["doc"]["x"] == 5
    world.dbs.expire_all()
    assert (world.dbs.get(TopologyNode, drawn["pop"]).x,
            world.dbs.get(TopologyNode, drawn["pop"]).y) == (5, 7)


def test_a_reseller_sees_neither_the_isps_map_nor_its_page(world, auth, drawn):
    auth.login("opera")
    assert f'/topology/{drawn["map"]}"' not in auth.get("/topology/").get_data(as_text=True)
    assert auth.get(f"/topology/{drawn['map']}").status_code == 404
    assert auth.post(f"/topology/{drawn['map']}/nodes", {"label": "x", "kind": "pop"}) \
        .status_code in (400, 404)
    world.dbs.expire_all()
    assert world.dbs.scalar(sa.select(sa.func.count()).where(TopologyNode.label == "x")) == 0
    auth.logout()
    auth.login("mgr")  # a manager may look at maps, not draw them
    assert auth.get("/topology/").status_code == 200
    assert "create-map" not in auth.get("/topology/").get_data(as_text=True)


def test_the_map_on_a_wall_screen(world, auth, app, drawn):
    auth.login("noc1")
    auth.get(f"/topology/{drawn['map']}")
    made = auth.post(f"/topology/{drawn['map']}/wall-link", {"days": "30"})
    url = re.search(r'id="wall-url" readonly value="([^"]+)"', made.get_data(as_text=True))[1]
    assert f'<p><a href="/topology/{drawn["map"]}">Back to the map</a></p>' in \
        made.get_data(as_text=True)
    path = url.split("localhost", 1)[1]
    assert re.fullmatch(rf"/topology/wall/[^/]+/{drawn['map']}", path)
    tv = app.test_client()
    resp = tv.get(path)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'data-status="down"' in node_svg(page, drawn["edge"])
    assert 'http-equiv="refresh" content="30"' in page and "<form" not in page \
        and "<script" not in page
    assert resp.headers["Cache-Control"] == "no-store"
    assert tv.get(path.replace("/wall/", "/wall/x")).status_code == 403
    assert tv.get(f"/topology/{drawn['map']}").status_code in (302, 401)


def test_the_map_in_bangla(world, auth, drawn):
    from tests.admin.test_bangla_pages import assert_bangla
    auth.login("gadmin")
    for path in (f"/topology/?lang=bn", f"/topology/{drawn['map']}?lang=bn",
                 f"/topology/{drawn['map']}?edit=1&lang=bn"):
        page = auth.get(path).get_data(as_text=True)
        assert '<html lang="bn">' in page
        main = page.split("<main>", 1)[1]  # the menu is every other page's too
        assert_bangla(main, path, {"Core", "Edge", "Mirpur", "POP", "router", "backbone",
                                   "core1", "edge1", "refused"})  # refused: the probe's own error


# -- in a real browser ------------------------------------------------------------------------
@pytest.fixture
def browser_map(committed):
    """A committed map for the live app: a Bangla-speaking group admin, a router down."""
    from radbill import db
    from tests.support.factories import make_isp, make_user
    with db.session_scope() as s:
        isp = make_isp(s)
        make_user(s, login="ptopo", role="group_admin", operator=isp.name,
                  password="correct-horse", lang="bn")
        _, up_check = router(s, "core1", "127.0.0.1", isp.name)
        fn(s, "check.run", elid=str(up_check.id))
        _, down_check = router(s, "mirpur-edge-router-1", "127.0.0.2", isp.name)
        make_down(s, down_check)
        m = fn(s, "topology.edit", sok="ok", name="Mirpur core and POPs", operator=isp.name).elid
        ids = {"map": m,
               "core": node(s, SYSTEM, m, "Core router", "router", router="core1", x="150",
                            y="120"),
               "edge": node(s, SYSTEM, m, "Mirpur edge router 1", "router",
                            router="mirpur-edge-router-1", x="900", y="140"),
               "pop": node(s, SYSTEM, m, "Mirpur-10 POP", "pop", x="500", y="520"),
               "sw": node(s, SYSTEM, m, "Agg switch", "switch", x="520", y="150")}
        link(s, SYSTEM, ids["core"], ids["sw"], label="core-agg", capacity="10G")
        link(s, SYSTEM, ids["sw"], ids["edge"], capacity="1G")
        link(s, SYSTEM, ids["sw"], ids["pop"], label="pop uplink", kind="wireless",
             capacity="300M")
        return ids


def stored(elid):
    from radbill import db
    with db.session_scope() as s:
        n = s.get(TopologyNode, elid)
        return n.x, n.y


def login_browser(b, live):
    from tests.admin.test_browser import click, fill
    b.get(live + "/login")
    fill(b, login="ptopo", password="correct-horse")
    click(b, "submit")


@pytest.mark.browser
@pytest.mark.skipif(not shutil.which("chromedriver"), reason="no chromedriver")
def test_the_map_fits_a_390_px_phone_in_bangla(browser_map, live_admin, browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    from tests.admin.test_browser import ARTIFACTS
    from tests.admin.test_design_browser import fits, viewport
    b = browser
    screens = ARTIFACTS / "screens"
    screens.mkdir(parents=True, exist_ok=True)
    viewport(b, 390, 844)
    login_browser(b, live_admin)
    for name, path in (("map", f"/topology/{browser_map['map']}"),
                       ("map-edit", f"/topology/{browser_map['map']}?edit=1"),
                       ("maps", "/topology/")):
        b.get(live_admin + path)
        assert b.find_element(By.TAG_NAME, "html").get_attribute("lang") == "bn"
        assert b.find_element(By.TAG_NAME, "h1").text
        fits(b, 390, name)
        b.save_screenshot(str(screens / f"issue18-topology-{name}-390.png"))
        if name != "maps":
            edge = b.find_element(By.ID, f"node-{browser_map['edge']}")
            assert edge.get_attribute("data-status") == "down"
            width = b.execute_script("return document.getElementById('topology')"
                                     ".getBoundingClientRect().width")
            assert 300 <= width <= 390  # the whole map, shrunk to the phone
        if name == "map-edit":
            b.execute_script("document.getElementById('node-form').scrollIntoView()")
            b.save_screenshot(str(screens / "issue18-topology-forms-390.png"))


@pytest.mark.browser
@pytest.mark.skipif(not shutil.which("chromedriver"), reason="no chromedriver")
def test_dragging_a_node_in_chromium_saves_its_position(browser_map, live_admin,
                                                        browser):  # noqa: F811
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait
    from tests.admin.test_browser import ARTIFACTS
    from tests.admin.test_design_browser import viewport
    b = browser
    viewport(b, 1280, 900)
    login_browser(b, live_admin)
    b.get(live_admin + f"/topology/{browser_map['map']}?edit=1")
    pop = b.find_element(By.ID, f"node-{browser_map['pop']}")
    assert stored(browser_map["pop"]) == (500, 520)
    ActionChains(b).move_to_element(pop).click_and_hold().move_by_offset(40, -30) \
        .move_by_offset(60, -30).release().perform()
    WebDriverWait(b, 10).until(lambda d: pop.get_attribute("data-saved"))
    x, y = map(int, pop.get_attribute("data-saved").split(","))
    assert x > 540 and y < 480, (x, y)  # moved right and up, in map units
    assert stored(browser_map["pop"]) == (x, y)
    line = b.find_element(By.CSS_SELECTOR, f'g.link[data-b="{browser_map["pop"]}"] line, '
                                           f'g.link[data-a="{browser_map["pop"]}"] line')
    ends = {(round(float(line.get_attribute(f"x{i}"))), round(float(line.get_attribute(f"y{i}"))))
            for i in (1, 2)}
    assert (x, y) in ends  # its link follows it
    cell = b.find_element(By.CSS_SELECTOR, f"#row-node-{browser_map['pop']} td.xy")
    assert cell.text == f"{x}, {y}"  # the table follows the drawing
    # the keyboard moves it too: arrow right, 10 units
    b.execute_script("arguments[0].focus()", pop)
    pop.send_keys(Keys.ARROW_RIGHT)
    WebDriverWait(b, 10).until(lambda d: pop.get_attribute("data-saved") == f"{x + 10},{y}")
    assert stored(browser_map["pop"]) == (x + 10, y)
    b.save_screenshot(str(ARTIFACTS / "screens" / "issue18-topology-drag.png"))
    # after a reload the node is drawn where it was left
    b.get(live_admin + f"/topology/{browser_map['map']}")
    assert b.find_element(By.ID, f"node-{browser_map['pop']}").get_attribute("transform") == \
        f"translate({x + 10},{y})"
    severe = [e for e in b.get_log("browser") if e["level"] == "SEVERE"
              and "favicon.ico" not in e["message"]]
    assert not severe, severe  # no script refused by the CSP, no failed request

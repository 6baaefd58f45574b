"""A router's log and read-only queries (issue 18): router.log and router.print through the real
routeros-api client against the RouterOS API emulator, which records every sentence, so each
test can say that nothing but print was sent. Rights (the owner's subtree only, a shared
router refused to resellers), device errors, the audit, and the pages (Bangla, 390 px)."""
from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
import shutil
from zoneinfo import ZoneInfo

import pytest
import routeros_api
import sqlalchemy as sa
from routeros_api import query as rq

from provisioning import router_console as rc
from radbill import settings
from radbill.functions.registry import AccessDenied, FuncError, NotFound
from radbill.models import AuditLog
from tests.admin.test_bangla_pages import assert_bangla
from tests.admin.test_browser import browser, live_admin  # noqa: F401  (fixtures)
from tests.support.factories import caller_of, fn, make, make_isp, make_operator, make_user
from tests.support.routeros_emu import Server, closed_port, encode_length, matches, read_length

integration = pytest.mark.integration
DHAKA = ZoneInfo("Asia/Dhaka")
UTC = dt.timezone.utc


def iso(*args, tz=UTC) -> str:
    return dt.datetime(*args, tzinfo=tz).astimezone(UTC).isoformat()


@pytest.fixture
def second_address(ros):
    """The same emulated router on 127.0.0.2 too (each NAS has its own address)."""
    srv = Server(ros, host="127.0.0.2", port=ros.port).start()
    yield "127.0.0.2"
    srv.stop()


@pytest.fixture
def tenants(session, ros, second_address):
    """The ISP with its global (shared) router `core`, and reseller A's own router `edge-a`,
    both answering on the emulator; a NOC login at the ISP, at reseller A and at reseller B."""
    isp = make_isp(session)
    make_operator(session, name="resA", parent=isp.name)
    make_operator(session, name="resB", parent=isp.name)
    for name, ip, owner in (("core", "127.0.0.1", None), ("edge-a", second_address, "resA")):
        make(session, "nas", name=name, ip=ip, secret="testing123", api_user="admin",
             api_password="secret", api_port=ros.port, operator=owner)
    noc = {op: caller_of(session, make_user(session, login=f"noc-{op}", role="noc",
                                            operator=op))
           for op in (isp.name, "resA", "resB")}
    noc["isp"] = noc[isp.name]
    return noc


def sent(ros) -> list[list[str]]:
    """The commands the router got, logins left out."""
    return [w for w in ros.commands if w[0] != "/login"]


def audits(session, func: str) -> list[AuditLog]:
    return list(session.scalars(sa.select(AuditLog).where(AuditLog.func == func)
                                .order_by(AuditLog.id)))


# -- the log ------------------------------------------------------------------------------------
@integration
def test_the_log_comes_newest_first_with_times_from_the_routers_clock(session, tenants, ros):
    # the emulator's clock: dec/02/2026 10:15:00, gmt-offset +06:00 (Asia/Dhaka)
    for time, topics, message in (
            ("jan/05/2026 08:00:00", "system,info", "router rebooted"),  # v6, another year
            ("dec/31 08:00:00", "system,info", "last new year"),  # v6, no year: 2025's
            ("11-29 09:30:00", "dhcp,info", "lease given"),  # 7.10+, this year
            ("2026-11-30 09:00:00", "pppoe,ppp,error", "<pppoe-bob>: authentication failed"),
            ("dec/01 23:59:59", "pppoe,ppp,info", "<pppoe-alice>: connected"),
            ("10:14:00", "system,critical,error", "login failure for user admin"),  # today
            ("sometime", "script,info", "a time in no known form")):
        ros.log(message, topics, time)
    rows = fn(session, "router.log", tenants["isp"], elid="core").rows
    assert [r["message"] for r in rows][:2] == ["a time in no known form",
                                                "login failure for user admin"]
    at = {r["message"]: r["at"] for r in rows}
    assert at == {"a time in no known form": None,
                  "login failure for user admin": iso(2026, 12, 2, 4, 14),
                  "<pppoe-alice>: connected": iso(2026, 12, 1, 17, 59, 59),
                  "<pppoe-bob>: authentication failed": iso(2026, 11, 30, 3, 0),
                  "lease given": iso(2026, 11, 29, 3, 30),
                  "last new year": iso(2025, 12, 31, 2, 0),
                  "router rebooted": iso(2026, 1, 5, 2, 0)}
    assert rows[0]["time"] == "sometime" and rows[1]["id"] == "*6"
    assert list(rows[0]) == ["id", "at", "time", "topics", "message"]
    assert sent(ros) == [["/log/print", "=.proplist=.id,time,topics,message", ".tag=2"],
                         ["/system/clock/print", "=.proplist=time,date,gmt-offset,time-zone-name",
                          ".tag=3"]]
    assert ros.writes() == []


@integration
def test_a_router_in_another_zone_or_on_routeros_7_is_read_on_its_own_offset(session, tenants,
                                                                            ros):
    ros.menus["/system/clock"] = [{"time": "22:00:00", "date": "2026-12-02",
                                   "gmt-offset": "-10800", "time-zone-name": "manual"}]
    ros.log("ether1 link down", "interface,info", "2026-12-01 23:30:00")
    ros.log("ether1 link up", "interface,info", "21:00:00")
    rows = fn(session, "router.log", tenants["isp"], elid="core").rows
    assert [r["at"] for r in rows] == [iso(2026, 12, 3, 0, 0), iso(2026, 12, 2, 2, 30)]


@integration
def test_a_clock_the_api_user_may_not_read_means_the_isps_zone(session, tenants, ros,
                                                              monkeypatch):
    monkeypatch.setenv("RADBILL_TIME_ZONE", "Asia/Dhaka")
    settings.get.cache_clear()
    try:
        ros.traps["/system/clock"] = "not enough permissions (9)"
        ros.log("earlier", "system,info", "jan/05/2026 08:00:00")
        ros.log("<pppoe-alice>: connected", "pppoe,ppp,info", "08:30:00")
        rows = fn(session, "router.log", tenants["isp"], elid="core").rows
    finally:
        settings.get.cache_clear()
    today = dt.datetime.now(DHAKA).date()
    assert rows[0]["at"] == iso(today.year, today.month, today.day, 8, 30, tz=DHAKA)
    assert rows[1]["at"] == iso(2026, 1, 5, 8, 0, tz=DHAKA)


@integration
def test_the_log_is_filtered_by_topics_and_text_and_paged(session, tenants, ros):
    for i in range(130):
        topics = ("pppoe,ppp,info", "pppoe,ppp,error", "system,critical,error")[i % 3]
        ros.log(f"entry {i:03d} {'<pppoe-Alice>' if i % 10 == 0 else ''}", topics,
                f"10:{i // 60:02d}:{i % 60:02d}")
    isp = tenants["isp"]
    pppoe = fn(session, "router.log", isp, elid="core", topics="pppoe", per_page="1000")
    assert pppoe.total == 87 and all("pppoe" in r["topics"].split(",") for r in pppoe.rows)
    both = fn(session, "router.log", isp, elid="core", topics="pppoe,error", per_page="1000")
    assert {r["topics"] for r in both.rows} == {"pppoe,ppp,error"} and both.total == 43
    crit = fn(session, "router.log", isp, elid="core", topics="critical")
    assert crit.total == 43 and crit.rows[0]["message"].startswith("entry 128")
    alice = fn(session, "router.log", isp, elid="core", q="PPPOE-alice")  # any case
    assert [r["message"][:9] for r in alice.rows] == [f"entry {i:03d}" for i in
                                                     range(120, -1, -10)]
    page3 = fn(session, "router.log", isp, elid="core", page="3", per_page="50")
    assert (page3.total, page3.page, page3.per_page, len(page3.rows)) == (130, 3, 50, 30)
    assert page3.rows[0]["message"].startswith("entry 029")  # newest first: 129 .. 0
    assert fn(session, "router.log", isp, elid="core", page="9").rows == []
    assert ros.writes() == []


@integration
@pytest.mark.parametrize("params,field", [
    ({"topics": "pppoe;/system/reboot"}, "topics"), ({"topics": "PPP OE"}, "topics"),
    ({"topics": "a,b,c,d,e"}, "topics"), ({"q": "x" * 101}, "q"), ({"q": "a\x01b"}, "q"),
    ({"per_page": "1001"}, "per_page"), ({"page": "0"}, "page"), ({"page": "②"}, "page"),
])
def test_bad_log_filters_are_refused_before_the_router_is_asked(session, tenants, ros, params,
                                                                field):
    with pytest.raises(FuncError) as exc:
        fn(session, "router.log", tenants["isp"], elid="core", **params)
    assert exc.value.status == 400 and field in exc.value.errors
    assert ros.commands == []


# -- read-only queries --------------------------------------------------------------------------
@integration
def test_a_whitelisted_menu_is_read_with_print_only(session, tenants, ros):
    ros.add("/ip/address", address="10.0.0.1/24", network="10.0.0.0", interface="ether2",
            disabled="false", dynamic="false", invalid="false")
    ros.add("/ip/address", address="100.64.1.2/30", network="100.64.1.0", interface="ether1",
            disabled="false", dynamic="true", invalid="false", comment="uplink")
    result = fn(session, "router.print", tenants["isp"], elid="core", menu="/ip/address")
    assert [(r["address"], r["interface"], r["comment"]) for r in result.rows] == \
        [("10.0.0.1/24", "ether2", ""), ("100.64.1.2/30", "ether1", "uplink")]
    assert result.columns == list(rc.MENUS["/ip/address"]) and result.total == 2
    assert sent(ros) == [["/ip/address/print", "=.proplist=" + ",".join(rc.MENUS["/ip/address"]),
                          ".tag=2"]]
    some = fn(session, "router.print", tenants["isp"], elid="core", menu="/ip/address",
              columns="interface,address")
    assert some.columns == ["interface", "address"] and some.rows[0] == \
        {"interface": "ether2", "address": "10.0.0.1/24"}
    assert ros.writes() == []


@integration
def test_where_conditions_become_query_words_and_the_rows_are_paged(session, tenants, ros):
    for i in range(250):
        ros.add("/ip/arp", address=f"10.1.{i // 200}.{i % 200 + 1}",
                **{"mac-address": f"AA:BB:CC:00:{i // 256:02X}:{i % 256:02X}",
                   "interface": "ether2" if i % 2 else "vlan10", "dynamic": "true"})
    isp = tenants["isp"]
    page = fn(session, "router.print", isp, elid="core", menu="/ip/arp", page="3",
              per_page="100")
    assert (page.total, len(page.rows), page.rows[0]["address"]) == (250, 50, "10.1.1.1")
    found = fn(session, "router.print", isp, elid="core", menu="/ip/arp",
               where="interface=vlan10, address=10.1.0.5")
    assert [r["mac-address"] for r in found.rows] == ["AA:BB:CC:00:00:04"]
    words = sent(ros)[-1]
    assert words[0] == "/ip/arp/print"
    assert sorted(w for w in words if w.startswith("?")) == ["?address=10.1.0.5",
                                                             "?interface=vlan10"]
    assert all(w.startswith(("?", "=.proplist=", ".tag=")) for w in words[1:])
    assert ros.writes() == []


@integration
def test_secrets_never_leave_the_router(session, tenants, ros):
    ros.add("/ppp/secret", name="alice", password="pw-alice-123", profile="home",
            service="pppoe", **{"remote-address": "10.70.0.5"})
    ros.add("/radius", service="ppp", address="10.9.9.9", secret="radius-s3cret",
            **{"authentication-port": "1812"})
    isp = tenants["isp"]
    secret = fn(session, "router.print", isp, elid="core", menu="/ppp/secret")
    radius = fn(session, "router.print", isp, elid="core", menu="/radius")
    assert secret.rows[0]["name"] == "alice" and radius.rows[0]["address"] == "10.9.9.9"
    for result in (secret, radius):
        assert not {"password", "secret"} & set(result.columns)
        assert not [v for r in result.rows for v in r.values()
                    if v in ("pw-alice-123", "radius-s3cret")]
    assert not [w for c in ros.commands for w in c if "pw-alice" in w or "radius-s3cret" in w]
    assert not [w for c in sent(ros) for w in c[1:] if re.search("password|secret", w)]
    for field, value in (("columns", "name,password"), ("where", "password=pw-alice-123"),
                         ("where", "secret=radius-s3cret")):
        with pytest.raises(FuncError) as exc:  # no column, no filter: no guessing oracle either
            fn(session, "router.print", isp, elid="core", menu="/ppp/secret", **{field: value})
        assert field in exc.value.errors


def test_no_whitelisted_column_looks_like_a_secret_and_stray_ones_are_dropped():
    assert not [(m, c) for m, cols in rc.MENUS.items() for c in cols if rc.SECRET.search(c)]
    assert rc.strip_secrets({"name": "x", "password": "p", "wpa2-pre-shared-key": "k",
                             "authentication-password": "a", "secret": "s",
                             "keepalive-timeout": "10"}) == {"name": "x",
                                                             "keepalive-timeout": "10"}


@integration
@pytest.mark.parametrize("params,field", [
    ({"menu": "/user"}, "menu"), ({"menu": "/snmp/community"}, "menu"),
    ({"menu": "/ip/address/add"}, "menu"), ({"menu": "/ip/address/print"}, "menu"),
    ({"menu": "/system/reboot"}, "menu"), ({"menu": "ip/address"}, "menu"),
    ({"menu": "/ip/address\n/ip/address/remove"}, "menu"), ({"menu": "/log"}, "menu"),
    ({}, "menu"),
    ({"menu": "/ip/address", "columns": ".id"}, "columns"),
    ({"menu": "/ip/address", "columns": "address,=.proplist=secret"}, "columns"),
    ({"menu": "/ip/address", "where": "interface"}, "where"),
    ({"menu": "/ip/address", "where": "interface=ether1=x"}, "where"),
    ({"menu": "/ip/address", "where": "?interface=ether1"}, "where"),
    ({"menu": "/ip/address", "where": "INTERFACE=ether1"}, "where"),
    ({"menu": "/ip/address", "where": "interface=ether1?#!"}, "where"),
    ({"menu": "/ip/address", "where": "interface=a\nb"}, "where"),
    ({"menu": "/ip/address", "where": "interface=" + "x" * 65}, "where"),
    ({"menu": "/ip/address", "where": "address=1,interface=2,network=3,comment=4,disabled=no"},
     "where"),
    ({"menu": "/ip/address", "where": "interface=a,interface=b"}, "where"),
    ({"menu": "/ip/address", "where": ".id=*1"}, "where"),
])
def test_anything_not_whitelisted_is_refused_naming_the_field(session, tenants, ros, params,
                                                             field):
    with pytest.raises(FuncError) as exc:
        fn(session, "router.print", tenants["isp"], elid="core", **params)
    assert exc.value.status == 400 and field in exc.value.errors, exc.value.message
    assert ros.commands == []  # the router was never even logged in to


def test_the_emulator_evaluates_query_words_as_the_manual_says():
    rows = [{"name": "ether1", "type": "ether"}, {"name": "vlan10", "type": "vlan"},
            {"name": "pppoe-out1", "type": "pppoe-out", "comment": "uplink"}]
    pick = lambda q: [r["name"] for r in rows if matches(r, q)]  # noqa: E731
    # the manual's example: /interface/print ?type=ether ?type=vlan ?#|!  (neither)
    assert pick([("type", "ether"), ("type", "vlan"), ("#", "|!")]) == ["pppoe-out1"]
    assert pick([("comment", None)]) == ["pppoe-out1"]
    assert pick([("-comment", None)]) == ["ether1", "vlan10"]
    assert pick([(">name", "p")]) == ["vlan10", "pppoe-out1"]
    assert pick([]) == ["ether1", "vlan10", "pppoe-out1"]


@integration
def test_the_emulator_speaks_the_protocol_to_the_real_client(ros):
    ros.add("/interface", name="ether1", type="ether")
    ros.add("/interface", name="vlan10", type="vlan")
    ros.add("/interface", name="pppoe-out1", type="pppoe-out")
    ros.empty_reply = True
    pool = routeros_api.RouterOsApiPool("127.0.0.1", username="admin", password="secret",
                                        port=ros.port, plaintext_login=True)
    try:
        res = pool.get_api().get_resource("/interface")
        either = res.call("print", {"proplist": "name"}, {}, additional_queries=(
            rq.OrQuery(rq.IsEqualQuery("type", "ether"), rq.IsEqualQuery("type", "vlan")),))
        assert [r for r in either] == [{"name": "ether1"}, {"name": "vlan10"}]
        assert list(res.get(type="wireless")) == []  # !empty, then !done (RouterOS 7.18+)
        with pytest.raises(routeros_api.exceptions.RouterOsApiCommunicationError):
            res.call("print", {"follow": ""})  # an argument print does not know: !trap
    finally:
        pool.disconnect()
    assert ros.writes() == []


def raw_sentences(port: int, *sentences: list[str]) -> list[list[str]]:
    """Send sentences over a bare socket; every reply sentence up to the last `!done`."""
    import socket
    with socket.create_connection(("127.0.0.1", port), timeout=3) as sock:
        for words in sentences:
            sock.sendall(b"".join(encode_length(len(w)) + w.encode() for w in words) + b"\0")
        stream = sock.makefile("rb")
        replies: list[list[str]] = []
        while sum(r[0] == "!done" for r in replies) < len(sentences):
            words = []
            while n := read_length(stream.read):
                words.append(stream.read(n).decode())
            replies.append(words)
    return replies


@integration
def test_an_empty_print_answers_empty_then_done_from_7_18(ros):
    ros.empty_reply = True
    login = ["/login", "=name=admin", "=password=secret"]
    assert raw_sentences(ros.port, login, ["/interface/print", "?type=wireless", ".tag=7"]) == \
        [["!done"], ["!empty", ".tag=7"], ["!done", ".tag=7"]]
    ros.empty_reply = False
    assert raw_sentences(ros.port, login, ["/interface/print"])[1:] == [["!done"]]


@integration
def test_an_empty_menu_on_routeros_7_18_is_no_error(session, tenants, ros):
    ros.empty_reply = True
    result = fn(session, "router.print", tenants["isp"], elid="core", menu="/queue/simple")
    assert (result.rows, result.total) == ([], 0)


# -- rights -------------------------------------------------------------------------------------
@integration
def test_only_the_routers_owners_read_it(session, tenants, ros):
    ros.log("<pppoe-bob>: connected", "pppoe,ppp,info", "10:00:00")
    # reseller A's NOC on the ISP's shared router: its log holds every tenant's subscribers
    for func, extra in (("router.log", {}), ("router.print", {"menu": "/ppp/active"})):
        with pytest.raises(AccessDenied) as exc:
            fn(session, func, tenants["resA"], elid="core", **extra)
        assert exc.value.field == "elid" and "shared with other operators" in exc.value.message
    # reseller B's NOC does not even find reseller A's router
    for func, extra in (("router.log", {}), ("router.print", {"menu": "/ip/address"})):
        with pytest.raises(NotFound):
            fn(session, func, tenants["resB"], elid="edge-a", **extra)
    assert ros.commands == []  # every refusal came before the router was asked
    assert fn(session, "router.log", tenants["resA"], elid="edge-a").total == 1  # its own
    assert fn(session, "router.log", tenants["isp"], elid="edge-a").total == 1  # from above
    opera = caller_of(session, make_user(session, login="op-a", role="operator",
                                         operator="resA"))
    with pytest.raises(AccessDenied, match="role may not call router.log"):
        fn(session, "router.log", opera, elid="edge-a")


@integration
def test_each_read_is_audited_with_who_and_which_router(session, tenants, ros):
    ros.log("<pppoe-alice>: connected", "pppoe,ppp,info", "10:00:00")
    fn(session, "router.log", tenants["resA"], elid="edge-a", topics="pppoe", q="alice")
    fn(session, "router.print", tenants["isp"], elid="core", menu="/ip/route",
       where="dst-address=0.0.0.0/0")
    [log], [printed] = audits(session, "router.log"), audits(session, "router.print")
    nas_ids = dict(session.execute(sa.text("select shortname, id from nas")).all())
    assert (log.actor, log.object_type, log.object_id, log.object_name) == \
        ("noc-resA", "nas", nas_ids["edge-a"], "edge-a")
    assert log.after == {"read": "log", "topics": "pppoe", "q": "alice", "page": 1, "rows": 1,
                         "matched": 1}
    assert printed.actor.startswith("noc-isp") and printed.object_name == "core"
    assert printed.after == {"read": "/ip/route", "where": {"dst-address": "0.0.0.0/0"},
                             "page": 1, "rows": 0, "matched": 0}


# -- the device's errors ------------------------------------------------------------------------
@integration
def test_device_errors_are_clear_502s_naming_the_setting_and_the_attempt_is_kept(session,
                                                                                tenants, ros):
    isp = tenants["isp"]
    fn(session, "nas.edit", elid="core", sok="ok", api_port=str(closed_port()))
    with pytest.raises(FuncError) as exc:  # nothing listens
        fn(session, "router.log", isp, elid="core")
    assert (exc.value.status, exc.value.field) == (502, "ip")
    assert exc.value.message.startswith("ip: 127.0.0.1:")
    fn(session, "nas.edit", elid="edge-a", sok="ok", api_password="wrong")
    with pytest.raises(FuncError) as exc:
        fn(session, "router.print", isp, elid="edge-a", menu="/ip/address")
    assert (exc.value.status, exc.value.field) == (502, "api_user")
    assert "login as 'admin' was rejected" in exc.value.message
    fn(session, "nas.edit", elid="edge-a", sok="ok", api_password="secret")
    ros.traps["/log"] = "not enough permissions (9)"
    with pytest.raises(FuncError, match="not enough permissions") as exc:
        fn(session, "router.log", isp, elid="edge-a")
    assert exc.value.status == 502
    ros.traps.clear()
    ros.silent = True  # a hung router: logs in never, answers nothing
    with pytest.raises(FuncError, match=r"no API reply within 1s") as exc:
        fn(session, "router.log", isp, elid="edge-a", timeout="1")
    assert exc.value.status == 502 and exc.value.field == "ip"
    errors = [a.after["error"] for a in audits(session, "router.log") +
              audits(session, "router.print")]
    assert len(errors) == 4 and any("rejected" in e for e in errors)


# -- the pages ----------------------------------------------------------------------------------
@pytest.fixture
def router(world, ros):
    n = make(world.dbs, "nas", name="core1", ip="127.0.0.1", secret="testing123",
             api_user="admin", api_password="secret", api_port=ros.port)
    for i in range(60):
        ros.log(f"<pppoe-user{i:02d}>: {'connected' if i % 2 else 'authentication failed'}",
                "pppoe,ppp,info" if i % 2 else "pppoe,ppp,error", f"09:{i:02d}:00")
    ros.log("=HYPERLINK(\"http://evil\")", "script,info", "10:00:00")
    ros.add("/ppp/secret", name="alice", password="pw-alice-123", profile="home")
    world.dbs.commit()
    return n


def text(resp) -> str:
    return html.unescape(resp.get_data(as_text=True))


@integration
def test_the_log_page_filters_pages_and_shows_dhaka_time(world, auth, router, app):
    app.config["TZ"] = DHAKA
    auth.login("noc1")
    page = text(auth.get(f"/devices/nas/{router.id}"))
    assert f"/devices/nas/{router.id}/logs" in page and f"/devices/nas/{router.id}/query" in page
    resp = auth.get(f"/devices/nas/{router.id}/logs")
    page = text(resp)
    assert resp.status_code == 200 and "61 entries" in page and "Asia/Dhaka" in page
    assert "2026-12-02 10:00:00" in page  # the router's 10:00 +06:00, shown on Dhaka's clock
    assert page.index("HYPERLINK") < page.index("user59") < page.index("user11")
    assert "user11" in page and "user10" not in page and "page 1 of 2" in page  # 50 a page
    page = text(auth.get(f"/devices/nas/{router.id}/logs?topics=error&q=user1&page=1"))
    assert re.findall(r"pppoe-(user\d+)", page) == [f"user{i}" for i in (18, 16, 14, 12, 10)]
    assert 'value="error" selected' in page
    bad = auth.get(f"/devices/nas/{router.id}/logs?topics=a;b")
    assert bad.status_code == 400 and "topics" in text(bad)


@integration
def test_the_log_exports_as_csv_with_formulas_made_text(world, auth, router):
    auth.login("noc1")
    resp = auth.get(f"/devices/nas/{router.id}/logs.csv?topics=pppoe")
    assert resp.status_code == 200 and resp.content_type.startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert len(rows) == 60 and list(rows[0]) == ["id", "at", "time", "topics", "message"]
    everything = list(csv.DictReader(io.StringIO(
        auth.get(f"/devices/nas/{router.id}/logs.csv").get_data(as_text=True))))
    assert everything[0]["message"] == "'=HYPERLINK(\"http://evil\")"
    assert len(audits(world.dbs, "router.log")) == 2


@integration
def test_the_query_page_reads_a_chosen_menu_without_secrets(world, auth, router, ros):
    auth.login("noc1")
    page = text(auth.get(f"/devices/nas/{router.id}/query"))
    assert 'value="/ppp/secret"' in page and "/ip/address" in page
    assert [w for w in ros.commands if w[0] != "/login"] == []  # nothing asked until chosen
    resp = auth.get(f"/devices/nas/{router.id}/query?menu=/ppp/secret&where=name%3Dalice")
    page = text(resp)
    assert resp.status_code == 200 and "alice" in page and "home" in page
    assert "pw-alice-123" not in page and "<code>password</code>" not in page
    bad = auth.get(f"/devices/nas/{router.id}/query?menu=/system/reboot")
    assert bad.status_code == 400 and "menu" in text(bad)
    assert ros.writes() == []


@integration
def test_the_pages_refuse_a_role_and_another_resellers_noc(world, auth, router, ros):
    make_user(world.dbs, login="noc-opb", role="noc", operator="opB", password="correct-horse")
    fn(world.dbs, "nas.edit", elid="core1", sok="ok", operator="opA")
    world.dbs.commit()
    before = len(ros.commands)
    auth.login("opera")  # a reseller's operator: no device role
    for path in ("logs", "logs.csv", "query?menu=/ip/address"):
        assert auth.get(f"/devices/nas/{router.id}/{path}").status_code == 403, path
    auth.logout()
    auth.login("noc-opb")  # reseller B's NOC: reseller A's router is not there
    for path in ("logs", "logs.csv", "query?menu=/ip/address"):
        assert auth.get(f"/devices/nas/{router.id}/{path}").status_code == 404, path
    assert len(ros.commands) == before


@integration
def test_a_router_that_does_not_answer_is_a_clear_error_on_the_page(world, auth, router, app):
    fn(world.dbs, "nas.edit", elid="core1", sok="ok", api_port=str(closed_port()))
    world.dbs.commit()
    auth.login("noc1")
    resp = auth.get(f"/devices/nas/{router.id}/logs")
    assert resp.status_code == 502
    assert "The router's API did not give an answer." in text(resp) and "ip:" in text(resp)


@integration
def test_the_pages_in_bangla(world, auth, router):
    auth.login("noc1")
    allowed = {"failed"}  # the router's own log lines ("authentication failed") are its words
    for path in ("logs", "query?menu=/ppp/secret"):
        page = auth.get(f"/devices/nas/{router.id}/{path}&lang=bn" if "?" in path
                        else f"/devices/nas/{router.id}/{path}?lang=bn").get_data(as_text=True)
        assert '<html lang="bn">' in page
        assert_bangla(page, path, allowed)
        assert "রাউটারের লগ" in page or "শুধু-পড়া অনুসন্ধান" in page


@pytest.fixture
def phone_router(committed, ros, monkeypatch):
    from radbill import db
    monkeypatch.setenv("RADBILL_TIME_ZONE", "Asia/Dhaka")  # read by the live app it makes next
    settings.get.cache_clear()
    with db.session_scope() as s:
        isp = make_isp(s)
        make_user(s, login="pnoc", role="noc", operator=isp.name, password="correct-horse",
                  lang="bn")
        nas = make(s, "nas", name="core-mirpur-1", ip="127.0.0.1", secret="testing123",
                   api_user="admin", api_password="secret", api_port=ros.port)
        nas_id = nas.id
    for i in range(12):
        ros.log(f"<pppoe-customer-with-a-long-name-{i:02d}>: "
                f"{'connected' if i % 2 else 'authentication failed, terminating session'}",
                "pppoe,ppp,info" if i % 2 else "pppoe,ppp,error", f"09:{i:02d}:00")
    ros.add("/ip/address", address="100.64.1.2/30", network="100.64.1.0", interface="ether1",
            comment="uplink to the upstream provider")
    yield nas_id
    settings.get.cache_clear()


@pytest.mark.browser
@pytest.mark.skipif(not shutil.which("chromedriver"), reason="no chromedriver")
def test_the_log_and_query_fit_a_390_px_phone_in_bangla(phone_router, live_admin,  # noqa: F811
                                                        browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    from tests.support.phone_pages import shoot_at_390
    live, b = live_admin, browser
    pages = (("router-log", f"/devices/nas/{phone_router}/logs", "2026-12-02 09:11:00"),  # Dhaka
             ("router-query", f"/devices/nas/{phone_router}/query?menu=/ip/address",
              "100.64.1.2/30"))
    shoot_at_390(b, live, "pnoc", "correct-horse", tuple(p[:2] for p in pages), "issue18")
    for _name, path, seen in pages:
        b.get(live + path)
        assert seen in b.find_element(By.TAG_NAME, "main").text
        h1 = b.find_element(By.TAG_NAME, "h1").text
        assert "রাউটারের লগ" in h1 or "শুধু-পড়া অনুসন্ধান" in h1


"""MikroTik over the RouterOS API: the real routeros-api client against the wire-protocol emulator."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.support.factories import fn, make, make_customer, make_isp, make_package
from provisioning import mikrotik, ppp
from provisioning.errors import DeviceTimeout, DeviceUnreachable, LoginRejected
from radbill.functions.caller import Caller
from radbill.functions.registry import AccessDenied, FuncError
from radbill.models import AuditLog, Customer, IpPool, Package
from tests.support.routeros_emu import RouterOS, Server, closed_port, encode_length, read_length

pytestmark = pytest.mark.integration


@pytest.fixture(params=["post-6.43", "legacy"])
def ros(request):
    router = RouterOS(users={"admin": "secret"}, legacy_login=request.param == "legacy")
    srv = Server(router).start()
    router.port = srv.port
    yield router
    srv.stop()


@pytest.fixture
def nas(session, ros):
    return make(session, "nas", name="core1", ip="127.0.0.1", secret="testing123",
                api_user="admin", api_password="secret", api_port=ros.port)


def counts(session) -> tuple[int, int, int, int]:
    return tuple(session.scalar(sa.select(sa.func.count()).select_from(m))
                 for m in (Customer, Package, IpPool, AuditLog))


def test_word_lengths_follow_the_api_encoding():
    for n in (0, 0x7F, 0x80, 0x3FFF, 0x4000, 0x1FFFFF, 0x200000, 0xFFFFFFF, 0x10000000):
        data = iter(encode_length(n))
        assert read_length(lambda k: bytes(next(data) for _ in range(k))) == n


def test_status_reads_resources_after_login(session, nas, ros):
    r = fn(session, "router.status", elid="core1").rows[0]
    assert (r["api"], r["version"], r["cpu_load"], r["uptime_seconds"]) == \
        ("ok", "6.49.10 (long-term)", 7, 788645)
    assert r["memory_used_percent"] == 25
    login = [w for w in ros.commands if w[0] == "/login"]
    assert len(login) == (2 if ros.legacy_login else 1)  # the challenge round trip


def test_uptime_formats():
    assert mikrotik.uptime_seconds("1w2d3h4m5s") == mikrotik.uptime_seconds("1w2d03:04:05") == 788645
    assert mikrotik.uptime_seconds("45s") == 45


def test_sessions_and_kick(session, nas, ros):
    ros.add("/ppp/active", name="alice", service="pppoe", address="10.0.0.5",
            **{"caller-id": "AA:BB:CC:00:11:22", "session-id": "0x81000001", "uptime": "1h2m"})
    ros.add("/ppp/active", name="bob", service="pppoe", address="10.0.0.6")
    rows = fn(session, "router.sessions", elid=nas.id).rows
    assert [(r["name"], r["address"], r["caller_id"]) for r in rows] == \
        [("alice", "10.0.0.5", "AA:BB:CC:00:11:22"), ("bob", "10.0.0.6", "")]
    assert fn(session, "router.kick", elid="core1", username="alice").extra == {"removed": 1}
    assert [r["name"] for r in ros.rows("/ppp/active")] == ["bob"]
    assert fn(session, "router.kick", elid="core1", username="alice").extra == {"removed": 0}
    assert any(w[0] == "/ppp/active/remove" and "=.id=*1" in w and any(x.startswith(".tag=") for x in w)
               for w in ros.commands)
    audit = session.scalars(sa.select(AuditLog).where(AuditLog.func == "router.kick")
                           .order_by(AuditLog.id)).all()
    assert audit[0].after == {"kicked": "alice", "removed": 1}


def test_push_profiles_builds_rate_limit_rx_as_upload(session, nas, ros):
    pool = make(session, "pool", name="pppoe-a", cidr="10.70.0.0/24")
    make_package(session, name="Home 10M", rate_down="10M", rate_up="5M", pool=pool.name)
    make_package(session, name="Burst 20M", rate_down="20M", rate_up="8M", burst_down="40M",
                 burst_up="16M", burst_threshold_down="15M", burst_threshold_up="6M", burst_time="16")
    rows = fn(session, "router.push_profiles", elid="core1", package="Home 10M,Burst 20M",
              local_address="10.70.255.1").rows
    assert {(r["kind"], r["name"], r["action"]) for r in rows} == \
        {("pool", "pppoe-a", "added"), ("profile", "Home 10M", "added"), ("profile", "Burst 20M", "added")}
    prof = {p["name"]: p for p in ros.rows("/ppp/profile")}
    assert prof["Home 10M"]["rate-limit"] == "5M/10M"
    assert prof["Home 10M"]["remote-address"] == "pppoe-a"
    assert prof["Home 10M"]["local-address"] == "10.70.255.1"
    assert prof["Burst 20M"]["rate-limit"] == "8M/20M 16M/40M 6M/15M 16/16"
    assert ros.rows("/ip/pool")[0]["ranges"] == "10.70.0.1-10.70.0.254"
    again = fn(session, "router.push_profiles", elid="core1", package="Home 10M",
               local_address="10.70.255.1").rows
    assert {r["action"] for r in again} == {"unchanged"}


def test_push_profiles_creates_the_ipv6_pools_the_replies_name(session, nas, ros):
    make(session, "pool", name="v4", cidr="10.71.0.0/24")
    make(session, "pool", name="v6-link", cidr="2001:db8:100::/40", prefix_length="64")
    make(session, "pool", name="v6-pd", cidr="2001:db8:200::/40", prefix_length="56")
    make_package(session, name="Dual", rate_down="10M", rate_up="5M", pool="v4", pool6="v6-link",
                 pd_pool="v6-pd")
    make_package(session, name="PD only", rate_down="10M", rate_up="5M", pd_pool="v6-pd")
    rows = fn(session, "router.push_profiles", elid="core1", package="Dual,PD only").rows
    assert {(r["kind"], r["name"], r["action"]) for r in rows} == {
        ("pool", "v4", "added"), ("pool6", "v6-link", "added"), ("pool6", "v6-pd", "added"),
        ("profile", "Dual", "added"), ("profile", "PD only", "added")}
    pools6 = {p["name"]: p for p in ros.rows("/ipv6/pool")}
    assert pools6["v6-link"]["prefix"] == "2001:db8:100::/40"
    assert pools6["v6-link"]["prefix-length"] == "64"
    assert pools6["v6-pd"]["prefix-length"] == "56"
    # a pool changed in radbill is updated on the router, once
    fn(session, "pool.edit", elid="v6-pd", sok="ok", prefix_length="60")
    rows = fn(session, "router.push_profiles", elid="core1", package="PD only").rows
    assert ("pool6", "v6-pd", "updated") in {(r["kind"], r["name"], r["action"]) for r in rows}
    assert {p["name"]: p for p in ros.rows("/ipv6/pool")}["v6-pd"]["prefix-length"] == "60"


def seed_router(ros):
    ros.add("/ip/pool", name="pool-a", ranges="10.50.0.2-10.50.0.254")
    ros.add("/ip/pool", name="pool-b", ranges="10.51.0.0/25,10.51.0.128-10.51.0.200")
    ros.add("/ppp/profile", name="default", **{"local-address": "10.50.0.1"})
    ros.add("/ppp/profile", name="10M", **{"rate-limit": "5M/10M", "remote-address": "pool-a"})
    ros.add("/ppp/secret", name="alice", password="pw-a", profile="10M", service="pppoe",
            **{"caller-id": "aa:bb:cc:00:11:22", "comment": "flat 3B"})
    ros.add("/ppp/secret", name="bob", password="pw-b", profile="10M", service="pppoe",
            disabled="true", **{"remote-address": "10.60.0.7"})
    ros.add("/ppp/secret", name="carol", password="pw-c", profile="default", service="pppoe")
    ros.add("/ppp/secret", name="dave", password="pw-d", profile="10M", service="pppoe")


def test_import_dry_run_changes_nothing_then_sok_creates(session, nas, ros):
    seed_router(ros)
    make_customer(session, username="dave")
    before = counts(session)
    rows = fn(session, "router.import", elid="core1").rows
    plan = {(r["kind"], r["name"]): (r["action"], r["detail"]) for r in rows}
    assert plan[("pool", "pool-a")] == ("would create", "10.50.0.2-10.50.0.254 as 10.50.0.0/24")
    assert plan[("pool", "pool-b")][1].endswith("as 10.51.0.0/24")
    assert plan[("package", "default")] == ("skip", "no rate-limit on this profile")
    assert plan[("package", "10M")][0] == "would create"
    assert plan[("customer", "alice")][0] == "would create"
    assert plan[("customer", "carol")] == ("skip", "profile 'default' did not become a package")
    assert plan[("customer", "dave")][0] == "exists"
    assert counts(session) == before  # the dry run left no trace, not even in the audit log

    rows = fn(session, "router.import", elid="core1", sok="ok").rows
    assert {r["action"] for r in rows if r["name"] in ("alice", "bob", "10M", "pool-a")} == {"create"}
    pkg = session.scalars(sa.select(Package).where(Package.name == "10M")).one()
    assert (pkg.rate_down, pkg.rate_up, pkg.pool.name) == (10_000_000, 5_000_000, "pool-a")
    alice = session.scalars(sa.select(Customer).where(Customer.username == "alice")).one()
    assert (alice.mac, alice.password, alice.notes, alice.status) == \
        ("AA:BB:CC:00:11:22", "pw-a", "flat 3B", "active")
    bob = session.scalars(sa.select(Customer).where(Customer.username == "bob")).one()
    assert (bob.status, str(bob.static_ip)) == ("disabled", "10.60.0.7")
    funcs = set(session.scalars(sa.select(AuditLog.func)))
    assert {"pool.edit", "package.edit", "customer.edit", "customer.disable", "router.import"} <= funcs


@pytest.mark.parametrize("ros", ["post-6.43"], indirect=True)
def test_rejected_login_is_clear_and_changes_nothing(session, ros):
    make(session, "nas", name="core1", ip="127.0.0.1", secret="testing123", api_user="admin",
         api_password="wrong", api_port=ros.port)
    seed_router(ros)
    before = counts(session)
    with pytest.raises(FuncError) as err:
        fn(session, "router.import", elid="core1", sok="ok")
    assert err.value.status == 502 and err.value.field == "api_user"
    assert "login as 'admin' was rejected" in err.value.message
    assert counts(session) == before


@pytest.mark.parametrize("ros", ["post-6.43"], indirect=True)
def test_router_that_hangs_times_out(session, nas, ros):
    ros.silent = True
    with pytest.raises(FuncError) as err:
        fn(session, "router.status", elid="core1", timeout="1")
    assert "no API reply within 1s" in err.value.message and err.value.status == 502


def test_router_that_is_down_gives_a_clear_error_and_changes_nothing(session):
    make(session, "nas", name="core9", ip="127.0.0.9", secret="testing123", api_user="admin",
         api_password="secret", api_port=closed_port())
    before = counts(session)
    with pytest.raises(FuncError) as err:
        fn(session, "router.import", elid="core9", sok="ok")
    assert err.value.status == 502 and err.value.field == "ip" and "refused" in err.value.message
    assert counts(session) == before


def test_router_that_is_down_is_unreachable():
    with pytest.raises(DeviceUnreachable, match="refused"):
        mikrotik.resources(mikrotik.Router("127.0.0.1", "admin", "x", closed_port(), 1))


def test_adapter_errors_carry_data(ros):
    with pytest.raises(LoginRejected) as err:
        mikrotik.active_sessions(mikrotik.Router("127.0.0.1", "nobody", "x", ros.port, 1))
    assert err.value.user == "nobody" and err.value.host == f"127.0.0.1:{ros.port}"
    ros.silent = True
    with pytest.raises(DeviceTimeout) as err:
        mikrotik.active_sessions(mikrotik.Router("127.0.0.1", "admin", "secret", ros.port, 0.5))
    assert err.value.seconds == 0.5


def test_rate_limit_round_trip():
    assert ppp.parse_rate_limit("5M/10M 10M/20M 4M/8M 16/16") == {
        "rate_up": "5M", "rate_down": "10M", "burst_up": "10M", "burst_down": "20M",
        "burst_threshold_up": "4M", "burst_threshold_down": "8M", "burst_time": "16"}
    assert ppp.parse_rate_limit("512k") == {"rate_up": "512k", "rate_down": "512k"}
    assert ppp.covering_cidr("10.0.0.5-10.0.0.9") == "10.0.0.0/28"
    assert ppp.covering_cidr("junk") is None


@pytest.mark.parametrize("ros", ["post-6.43"], indirect=True)
def test_noc_sees_routers_but_operators_do_not(session, nas, ros):
    isp = make_isp(session)
    noc = Caller(login="noc1", role="noc", operator_id=isp.id, operator_path=isp.path)
    assert fn(session, "router.status", noc, elid="core1").rows[0]["api"] == "ok"
    reseller = Caller(login="op1", role="operator", operator_id=isp.id, operator_path=isp.path)
    with pytest.raises(AccessDenied):
        fn(session, "router.status", reseller, elid="core1")
    with pytest.raises(AccessDenied):  # imports create customers: the ISP's admins only
        fn(session, "router.import", noc, elid="core1")


@pytest.mark.parametrize("ros", ["post-6.43"], indirect=True)
def test_daily_api_check_records_each_router(session, nas, ros):
    from provisioning import jobs
    make(session, "nas", name="core2", ip="127.0.0.2", secret="testing123", api_user="admin",
         api_password="secret", api_port=closed_port())
    make(session, "nas", name="no-api", ip="127.0.0.3", secret="testing123")
    assert jobs.router_api_job(session) == "2 router APIs checked, failing: core2"
    rows = {d["name"]: d for d in fn(session, "device").rows}
    assert (rows["core1"]["api_ok"], rows["core1"]["api_version"]) == (True, "6.49.10 (long-term)")
    assert rows["core2"]["api_ok"] is False and "refused" in rows["core2"]["api_error"]
    assert rows["no-api"]["api_ok"] is None

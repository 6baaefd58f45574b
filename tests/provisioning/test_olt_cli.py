"""OLT logs, VLANs and ONU temperatures (issue 18) for every driver against the emulators:
the SSH/Telnet replays of the CLI transcripts (VSOL, BDCOM, DBC, Huawei and ZTE over CLI) and a
real snmpd (Huawei and ZTE over SNMP); the VLAN cache, rights, bad input."""
from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from provisioning.olt import Access, driver_for
from radbill.functions.registry import AccessDenied, FuncError
from radbill.models import AuditLog, Olt, Onu
from tests.provisioning.test_olt import HW, HW_PORT, TABLES, ZTE, ZTE_PORT, add_olt, onus
from tests.support.factories import caller_of, fn, make_operator, make_user
from tests.support.snmp_agent import SnmpAgent
from tests.support.ssh_olt import OltSshServer, OltTelnetServer

pytestmark = pytest.mark.integration

QBRIDGE = ".1.3.6.1.2.1.17"
SNMP_TABLES = {
    ".1.3.6.1.4.1.2011.6.128": {
        **TABLES[".1.3.6.1.4.1.2011.6.128"],
        f"{HW}.51.1.1.{HW_PORT}.0": ["integer", "48"],
        f"{HW}.51.1.1.{HW_PORT}.1": ["integer", "2147483647"],
    },
    ".1.3.6.1.4.1.3902.1012.3": {
        **TABLES[".1.3.6.1.4.1.3902.1012.3"],
        f"{ZTE}.50.12.1.1.17.{ZTE_PORT}.1.1": ["integer", "72"],
        f"{ZTE}.50.12.1.1.17.{ZTE_PORT}.2.1": ["integer", "65535"],
    },
    QBRIDGE: {  # Q-BRIDGE-MIB static VLANs and BRIDGE-MIB's port -> ifIndex
        f"{QBRIDGE}.1.4.1.2.1": ["integer", "1"],  # bridge port 1 is ifIndex 1 (the host's lo)
        f"{QBRIDGE}.7.1.4.3.1.1.100": ["string", "internet"],
        f"{QBRIDGE}.7.1.4.3.1.1.200": ["string", "iptv"],
        f"{QBRIDGE}.7.1.4.3.1.2.100": ["octet", "C0"],  # ports 1 and 2
        f"{QBRIDGE}.7.1.4.3.1.2.200": ["octet", "80"],
    },
}


@pytest.fixture(scope="module")
def agent(tmp_path_factory):
    a = SnmpAgent(tmp_path_factory.mktemp("olt-cli-snmpd"), community="olt-ro",
                  tables=SNMP_TABLES).start()
    yield a
    a.stop()


@pytest.fixture
def huawei_cli():
    s = OltSshServer("huawei.txt", users={"root": "hw-pw"}).start()
    yield s
    s.stop()


@pytest.fixture
def zte_cli():
    s = OltSshServer("zte.txt", users={"zte": "zte-pw"}).start()
    yield s
    s.stop()


@pytest.fixture
def dbc_telnet():
    s = OltTelnetServer("dbc.txt", users={"admin": "dbc-pw"}, enable_secret="dbc-pw",
                        login_prompt="Login: ").start()
    yield s
    s.stop()


@pytest.fixture
def dbc_ssh():
    s = OltSshServer("dbc.txt", users={"admin": "dbc-pw"}, enable_secret="dbc-pw").start()
    yield s
    s.stop()


def temps(session, olt) -> dict:
    return {k: o.temperature for k, o in onus(session, olt).items()}


def vlans(session, olt, **kw) -> list[tuple]:
    return [(r["vlan_id"], r["name"], r["ports"])
            for r in fn(session, "olt.vlans", elid=olt.id, **kw).rows]


def audits(session, olt) -> list[dict]:
    return [a.after for a in session.scalars(sa.select(AuditLog).where(
        AuditLog.object_type == "olt", AuditLog.object_id == olt.id).order_by(AuditLog.id))]


def test_vsol_temperatures_cached_vlans_and_its_log(session, vsol):
    olt = add_olt(session, "vsol-t", "vsol", ssh_port=vsol.port, username="admin",
                  password="vsol-pw")
    [r] = fn(session, "olt.sync", elid=olt.id).rows
    assert r["ok"] and r["vlans"] == 3, r
    assert temps(session, olt) == {("0/1", 1): Decimal("42.96"), ("0/1", 2): Decimal("41.19"),
                                   ("0/1", 4): None, ("0/2", 1): Decimal("44.10")}
    assert fn(session, "onu", olt=olt.id).rows[0]["temperature"] == "42.96"

    # the page's reads come from the copy on the OLT: the device is not asked again
    reads = vsol.commands.count("show vlan")
    assert vlans(session, olt) == [(1, "default", "ge0/1, ge0/2, epon0/1, epon0/2"),
                                   (100, "internet", "ge0/1, epon0/1, epon0/2"),
                                   (200, "iptv", "ge0/1, epon0/1")]
    vlans(session, olt)
    assert vsol.commands.count("show vlan") == reads == 1
    fn(session, "olt.sync", elid=olt.id)  # within the day: the sync does not re-read them
    assert vsol.commands.count("show vlan") == 1
    assert len(vlans(session, olt, refresh="yes", sok="ok")) == 3
    assert vsol.commands.count("show vlan") == 2
    assert {"read": "vlans", "ok": True, "vlans": 3} in audits(session, olt)

    log = fn(session, "olt.log", elid=olt.id)
    assert [(e["at"], e["severity"]) for e in log.rows] == [
        ("2026-11-21 10:05:40", "info"), ("2026-11-21 10:02:11", "critical"),
        ("2026-11-21 10:00:00", "notice"), ("2026-11-21 09:58:02", "warning")]
    worse = fn(session, "olt.log", elid=olt.id, severity="warning").rows
    assert [e["severity"] for e in worse] == ["critical", "warning"]
    assert [e["message"] for e in fn(session, "olt.log", elid=olt.id, q="REGISTERED").rows] == \
        ["EPON0/2:1 ONU e0:67:b3:11:22:33 registered",
         "EPON0/1:4 ONU 98:2a:0a:a0:26:04 deregistered (dying-gasp)"]
    paged = fn(session, "olt.log", elid=olt.id, per_page=3, page=2)
    assert (paged.total, len(paged.rows)) == (4, 1)
    assert {"read": "log", "severity": "warning", "q": None, "entries": 2} in audits(session, olt)


def test_bdcom_reads_each_onus_temperature_over_ctc(session, bdcom):
    olt = add_olt(session, "bdcom-t", "bdcom", ssh_port=bdcom.port, username="admin",
                  password="bd-pw")
    assert fn(session, "olt.sync", elid=olt.id).rows[0]["ok"]
    t = temps(session, olt)
    assert (t[("0/1", 1)], t[("0/1", 9)], t[("0/2", 3)], t[("0/1", 3)]) == \
        (Decimal("47.60"), Decimal("71.25"), None, None)  # 0/2:3 did not answer CTC OAM
    assert vlans(session, olt)[1] == (104, "pppoe-mirpur", "g0/1, epon0/2")
    log = fn(session, "olt.log", elid=olt.id, severity="error").rows
    assert [e["message"] for e in log] == [
        "LINK-UPDOWN: Interface GigaEthernet0/2, changed state to down",
        "EPON-ONULOS: ONU 2cab.250b.738b on EPON0/2:3 lost the optical signal"]
    assert log[0]["at"].endswith("-11-21 10:00:00")  # syslog stamps carry no year


@pytest.mark.parametrize("transport", ["telnet", "ssh"])
def test_dbc_over_telnet_and_ssh(session, dbc_telnet, dbc_ssh, transport):
    srv = dbc_telnet if transport == "telnet" else dbc_ssh
    port = {"telnet_port": srv.port} if transport == "telnet" else {"ssh_port": srv.port}
    olt = add_olt(session, f"dbc-{transport}", "dbc", cli_transport=transport, username="admin",
                  password="dbc-pw", **port)
    [r] = fn(session, "olt.sync", elid=olt.id).rows
    assert r["ok"] and r["onus"] == 3 and r["vlans"] == 3, r
    found = onus(session, olt)
    a, b, c = found[("0/1", 1)], found[("0/1", 2)], found[("0/1", 3)]
    assert (a.mac, a.status, a.distance, a.rx_power, a.temperature) == \
        ("74:A0:63:7E:D6:A8", "online", 1436, Decimal("-14.56"), Decimal("37.00"))
    assert (b.rx_power, b.temperature) == (Decimal("-27.02"), Decimal("73.50"))
    assert (c.status, c.distance, c.temperature) == ("dying-gasp", None, None)
    assert "dbc-pw" not in srv.commands  # the enable password is read, never logged as a command
    assert "show onu 3 optical-transceiver-diagnosis" not in srv.commands  # offline: not asked
    assert vlans(session, olt)[2] == (2021, "pppoe-zone7", "ge0/1, epon0/1")
    [first] = fn(session, "olt.log", elid=olt.id, per_page=1).rows
    assert first == {"at": "2026-11-21 10:15:30", "severity": "info",
                     "message": "SYS-LOGIN: user admin logged in from 10.0.0.5 (telnet)"}
    assert (olt.ssh_host_key is None) == (transport == "telnet")


def test_dbc_wrong_enable_password_is_a_refused_login(session):
    srv = OltSshServer("dbc.txt", users={"admin": "dbc-pw"}, enable_secret="other").start()
    try:
        driver = driver_for("dbc", Access("127.0.0.1", "admin", "dbc-pw", srv.port, timeout=3))
        with pytest.raises(Exception, match=r"rejected \(enable\)"):
            driver.vlans()
        assert "show vlan" not in srv.commands
    finally:
        srv.stop()


def test_huawei_over_its_cli(session, huawei_cli):
    olt = add_olt(session, "hw-cli", "huawei", protocol="cli", ssh_port=huawei_cli.port,
                  username="root", password="hw-pw")
    [r] = fn(session, "olt.sync", elid=olt.id).rows
    assert r["ok"] and r["onus"] == 3, r
    found = onus(session, olt)
    a, b, c = found[("0/1/1", 0)], found[("0/1/1", 1)], found[("0/2/0", 5)]
    assert (a.serial, a.status, a.rx_power, a.temperature, a.description) == \
        ("HWTC1A2B3C4D", "online", Decimal("-21.13"), Decimal("45.00"), "road-7 house 2")
    assert (b.status, b.rx_power, b.description) == ("offline", None, None)
    assert (c.rx_power, c.temperature) == (Decimal("-25.87"), Decimal("76.00"))
    assert [v[0] for v in vlans(session, olt)] == [1, 100, 200]
    log = fn(session, "olt.log", elid=olt.id).rows
    assert [e["severity"] for e in log] == ["warning", "info", "critical", "error"]
    assert "undo smart" in huawei_cli.commands and "scroll 512" in huawei_cli.commands


def test_zte_over_its_cli(session, zte_cli):
    olt = add_olt(session, "zte-cli", "zte", protocol="cli", ssh_port=zte_cli.port,
                  username="zte", password="zte-pw")
    [r] = fn(session, "olt.sync", elid=olt.id).rows
    assert r["ok"] and r["onus"] == 3, r
    found = onus(session, olt)
    a, b, c = found[("1/1/1", 1)], found[("1/1/1", 2)], found[("1/2/1", 1)]
    assert (a.serial, a.status, a.rx_power, a.temperature) == \
        ("ZTEGC0A80102", "online", Decimal("-17.30"), Decimal("45.00"))
    assert (b.serial, b.status, b.rx_power) == ("ZTEG0000BEEF", "los", None)
    assert (c.rx_power, c.temperature) == (Decimal("-22.64"), Decimal("71.50"))
    assert "enable" not in zte_cli.commands  # a ZXAN login is privileged already
    assert [v[0] for v in vlans(session, olt)] == [1, 100, 200, 201]
    assert [e["message"] for e in fn(session, "olt.log", elid=olt.id, severity="critical").rows] \
        == ["gpon-olt_1/1/1 PON port LOS"]


def test_huawei_and_zte_over_snmp(session, agent):
    hw = add_olt(session, "hw-snmp", "huawei", community="olt-ro", snmp_port=agent.port)
    zte = add_olt(session, "zte-snmp", "zte", community="olt-ro", snmp_port=agent.port)
    for olt in (hw, zte):
        [r] = fn(session, "olt.sync", elid=olt.id).rows
        assert r["ok"] and r["vlans"] == 2, r
    assert temps(session, hw) == {("0/1/1", 0): Decimal("48.00"), ("0/1/1", 1): None}
    assert temps(session, zte) == {("1/1/1", 1): Decimal("72.00"), ("1/1/1", 2): None}
    # Q-BRIDGE: names, and the egress ports by ifName (bridge port 2 has no ifIndex here)
    assert vlans(session, hw) == [(100, "internet", "lo, port 2"), (200, "iptv", "lo")]


def test_an_snmp_olts_log_needs_its_cli_login(session, agent, huawei_cli):
    olt = add_olt(session, "hw-snmp2", "huawei", community="olt-ro", snmp_port=agent.port)
    with pytest.raises(FuncError, match="give the OLT a username and password") as err:
        fn(session, "olt.log", elid=olt.id)
    assert err.value.status == 502
    fn(session, "olt.edit", elid=olt.id, sok="ok", username="root", password="hw-pw",
       ssh_port=huawei_cli.port)
    assert len(fn(session, "olt.log", elid=olt.id).rows) == 4  # SNMP for ONUs, CLI for the log
    assert "display ont info 0 all" not in huawei_cli.commands


def test_a_failed_refresh_keeps_the_last_list_and_says_why(session, vsol):
    olt = add_olt(session, "vsol-f", "vsol", ssh_port=vsol.port, username="admin",
                  password="vsol-pw")
    assert len(vlans(session, olt, refresh="yes", sok="ok")) == 3
    fn(session, "olt.edit", elid=olt.id, sok="ok", password="wrong")
    with pytest.raises(FuncError, match="rejected") as err:
        fn(session, "olt.vlans", elid=olt.id, refresh="yes", sok="ok")
    assert err.value.status == 502 and err.value.keep
    session.refresh(olt)
    assert len(olt.vlans) == 3 and "rejected" in olt.vlans_error


@pytest.mark.parametrize("params, field", [
    ({"refresh": "maybe", "sok": "ok"}, "refresh"),
    ({"refresh": "yes"}, "refresh"),  # a re-read changes the cache: only with sok=ok
    ({"per_page": "0"}, "per_page"),
])
def test_bad_vlan_calls_are_refused_naming_the_field(session, vsol, params, field):
    olt = add_olt(session, "vsol-b", "vsol", ssh_port=vsol.port, username="admin",
                  password="vsol-pw")
    with pytest.raises(FuncError) as err:
        fn(session, "olt.vlans", elid=olt.id, **params)
    assert field in err.value.errors
    assert "show vlan" not in vsol.commands
    session.refresh(olt)
    assert olt.vlans_at is None


@pytest.mark.parametrize("params, field", [
    ({"severity": "loud"}, "severity"), ({"limit": "0"}, "limit"), ({"limit": "5000"}, "limit"),
    ({"q": "x" * 101}, "q"), ({"page": "-1"}, "page"),
])
def test_bad_log_calls_are_refused_before_the_olt_is_asked(session, vsol, params, field):
    olt = add_olt(session, "vsol-l", "vsol", ssh_port=vsol.port, username="admin",
                  password="vsol-pw")
    with pytest.raises(FuncError) as err:
        fn(session, "olt.log", elid=olt.id, **params)
    assert field in err.value.errors and "show logging" not in vsol.commands


def test_protocol_choices_are_checked(session):
    with pytest.raises(FuncError, match="read over their CLI only") as err:
        fn(session, "olt.edit", sok="ok", name="d1", brand="dbc", host="127.0.0.1",
           protocol="snmp", username="a", password="b")
    assert "protocol" in err.value.errors
    with pytest.raises(FuncError, match="need a username and password"):
        fn(session, "olt.edit", sok="ok", name="h1", brand="huawei", host="127.0.0.1",
           protocol="cli", community="c")
    with pytest.raises(FuncError) as err:
        fn(session, "olt.edit", sok="ok", name="h2", brand="huawei", host="127.0.0.1",
           protocol="telnet", community="c")
    assert "protocol" in err.value.errors
    assert session.scalar(sa.select(sa.func.count()).select_from(Olt)) == 0


def test_another_resellers_noc_cannot_read_or_refresh(session, vsol):
    make_operator(session, name="isp-x")
    make_operator(session, name="resA", parent="isp-x")
    make_operator(session, name="resB", parent="isp-x")
    noc_a = caller_of(session, make_user(session, login="noc-a", role="noc", operator="resA"))
    noc_b = caller_of(session, make_user(session, login="noc-b", role="noc", operator="resB"))
    cashier = caller_of(session, make_user(session, login="op-a", role="operator",
                                           operator="resA"))
    olt = add_olt(session, "vsol-a", "vsol", ssh_port=vsol.port, username="admin",
                  password="vsol-pw", operator="resA")
    assert len(fn(session, "olt.vlans", noc_a, elid=olt.id, refresh="yes", sok="ok").rows) == 3
    assert fn(session, "olt.log", noc_a, elid=olt.id).total == 4
    before = list(vsol.commands)
    for func, params in (("olt.vlans", {}), ("olt.vlans", {"refresh": "yes", "sok": "ok"}),
                         ("olt.log", {})):
        with pytest.raises(FuncError) as err:
            fn(session, func, noc_b, elid=olt.id, **params)
        assert err.value.status == 404
        with pytest.raises(AccessDenied):
            fn(session, func, cashier, elid=olt.id, **params)
    assert vsol.commands == before  # nobody else's call reached the OLT
    assert not [r for r in fn(session, "onu", noc_b).rows if r["olt_id"] == olt.id]

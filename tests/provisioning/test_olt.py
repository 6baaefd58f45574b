"""OLT drivers over real protocols: SSH CLI replays (VSOL, BDCOM) and snmpd tables (Huawei, ZTE)."""
from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from tests.support.factories import fn, make_customer
from provisioning import jobs
from provisioning.olt import Access, driver_for
from radbill.functions.registry import FuncError
from radbill.models import DeviceStatus, Olt, Onu, RadAcct
from tests.support.snmp_agent import SnmpAgent
from tests.support.ssh_olt import OltSshServer

pytestmark = pytest.mark.integration

HW = ".1.3.6.1.4.1.2011.6.128.1.1.2"
HW_PORT = 4194312448  # 0/1/1
ZTE = ".1.3.6.1.4.1.3902.1012.3"
ZTE_PORT = 268501248  # 1/1/1
TABLES = {
    ".1.3.6.1.4.1.2011.6.128": {
        f"{HW}.43.1.3.{HW_PORT}.0": ["octet", "48 57 54 43 1A 2B 3C 4D"],
        f"{HW}.43.1.3.{HW_PORT}.1": ["octet", "48 57 54 43 9F E0 01 7A"],
        f"{HW}.43.1.9.{HW_PORT}.0": ["string", "road-7 house 2"],
        f"{HW}.43.1.9.{HW_PORT}.1": ["string", ""],
        f"{HW}.46.1.15.{HW_PORT}.0": ["integer", "1"],
        f"{HW}.46.1.15.{HW_PORT}.1": ["integer", "2"],
        f"{HW}.46.1.20.{HW_PORT}.0": ["integer", "1534"],
        f"{HW}.46.1.20.{HW_PORT}.1": ["integer", "-1"],
        f"{HW}.51.1.4.{HW_PORT}.0": ["integer", "-2113"],
        f"{HW}.51.1.4.{HW_PORT}.1": ["integer", "2147483647"],
    },
    ".1.3.6.1.4.1.3902.1012.3": {
        f"{ZTE}.11.4.1.2.{ZTE_PORT}.1": ["integer", "812"],
        f"{ZTE}.28.1.1.2.{ZTE_PORT}.1": ["string", "ONU-1:1"],
        f"{ZTE}.28.1.1.3.{ZTE_PORT}.1": ["string", "market shop"],
        f"{ZTE}.28.1.1.5.{ZTE_PORT}.1": ["octet", "5A 54 45 47 C0 A8 01 02"],
        f"{ZTE}.28.1.1.5.{ZTE_PORT}.2": ["octet", "5A 54 45 47 00 00 BE EF"],
        f"{ZTE}.28.2.1.4.{ZTE_PORT}.1": ["integer", "4"],
        f"{ZTE}.28.2.1.4.{ZTE_PORT}.2": ["integer", "2"],
        f"{ZTE}.50.12.1.1.10.{ZTE_PORT}.1.1": ["integer", "6350"],
        f"{ZTE}.50.12.1.1.10.{ZTE_PORT}.2.1": ["integer", "65535"],
    },
}


@pytest.fixture(scope="module")
def agent(tmp_path_factory):
    a = SnmpAgent(tmp_path_factory.mktemp("olt-snmpd"), community="olt-ro", tables=TABLES).start()
    yield a
    a.stop()


def add_olt(session, name, brand, **kw):
    fn(session, "olt.edit", sok="ok", name=name, brand=brand, host="127.0.0.1", **kw)
    return session.scalars(sa.select(Olt).where(Olt.name == name)).one()


def onus(session, olt) -> dict[tuple[str, int], Onu]:
    return {(o.port, o.onu_id): o for o in session.scalars(sa.select(Onu).where(Onu.olt_id == olt.id))}


def test_vsol_sync_discovers_onus_and_maps_customers_by_radacct_mac(session, vsol):
    c = make_customer(session, username="rahim")
    session.add(RadAcct(acctsessionid="s1", acctuniqueid="u1", username="rahim", nasipaddress="10.0.0.1",
                        callingstationid="98:2a:0a:a0:25:b9",
                        acctstarttime=dt.datetime.now(dt.timezone.utc)))
    olt = add_olt(session, "vsol-1", "vsol", ssh_port=vsol.port, username="admin", password="vsol-pw")
    [r] = fn(session, "olt.sync", elid="vsol-1").rows
    assert r["ok"] and r["onus"] == 4 and r["mapped"] == 1 and r["optics"] is True
    found = onus(session, olt)
    o = found[("0/1", 2)]
    assert (o.mac, o.status, o.rx_power, o.distance, o.customer_id) == \
        ("98:2A:0A:A0:25:B9", "online", Decimal("-10.74"), 1088, c.id)
    assert found[("0/1", 1)].description == "house-12"
    assert found[("0/1", 4)].status == "offline" and found[("0/1", 4)].distance is None
    assert found[("0/2", 1)].rx_power == Decimal("-24.60")
    listed = fn(session, "onu", customer=c.id).rows
    assert [(x["mac"], x["customer"]) for x in listed] == [("98:2A:0A:A0:25:B9", "rahim")]

    vsol.commands.clear()  # within the optics interval: ONUs yes, optics no
    fn(session, "olt.sync", elid="vsol-1")
    assert "show onu opm-diag" not in vsol.commands and "show onu auth-info" in vsol.commands
    session.refresh(o)
    assert o.rx_power == Decimal("-10.74")  # the last reading is kept


def test_bdcom_sync_reads_active_inactive_and_optics_through_paging(session, bdcom):
    # a bridging ONU: the subscriber's own router (learned behind EPON0/1:9) dials PPPoE
    c = make_customer(session, username="karim")
    session.add(RadAcct(acctsessionid="s2", acctuniqueid="u2", username="karim", nasipaddress="10.0.0.1",
                        callingstationid="9C:53:22:AA:01:01",
                        acctstarttime=dt.datetime.now(dt.timezone.utc)))
    bound = make_customer(session, username="nadia", mac="2C:AB:25:0B:73:8B")
    olt = add_olt(session, "bdcom-1", "bdcom", ssh_port=bdcom.port, username="admin", password="bd-pw")
    [r] = fn(session, "olt.sync", elid=olt.id).rows
    assert r["ok"] and r["onus"] == 4 and r["mapped"] == 2
    found = onus(session, olt)
    assert found[("0/1", 9)].customer_id == c.id
    assert found[("0/2", 3)].customer_id == bound.id  # by the customer's MAC binding
    found = onus(session, olt)
    assert (found[("0/1", 9)].mac, found[("0/1", 9)].distance, found[("0/1", 9)].rx_power) == \
        ("FC:FA:F7:96:3F:44", 2310, Decimal("-27.30"))
    assert found[("0/1", 3)].status == "dying-gasp"  # deregistered by power-off
    assert found[("0/2", 3)].rx_power == Decimal("-19.80")

    fn(session, "olt.delete", elid="bdcom-1")
    assert session.scalar(sa.select(sa.func.count()).select_from(Onu)) == 0
    assert session.get(DeviceStatus, ("olt", olt.id)) is None


def test_huawei_over_snmp(session, agent):
    olt = add_olt(session, "hw-1", "huawei", community="olt-ro", snmp_port=agent.port)
    [r] = fn(session, "olt.sync", elid="hw-1").rows
    assert r["ok"], r
    found = onus(session, olt)
    a, b = found[("0/1/1", 0)], found[("0/1/1", 1)]
    assert (a.serial, a.status, a.rx_power, a.distance, a.description) == \
        ("HWTC1A2B3C4D", "online", Decimal("-21.13"), 1534, "road-7 house 2")
    assert (b.serial, b.status, b.rx_power, b.distance) == ("HWTC9FE0017A", "offline", None, None)


def test_zte_over_snmp(agent):
    found = driver_for("zte", Access("127.0.0.1", community="olt-ro", snmp_port=agent.port)).onus(True)
    one, two = found
    assert (one.port, one.onu_id, one.serial, one.status, one.rx_power, one.distance, one.description) \
        == ("1/1/1", 1, "ZTEGC0A80102", "online", Decimal("-17.30"), 812, "market shop")
    assert (two.serial, two.status, two.rx_power) == ("ZTEG0000BEEF", "los", None)


def test_failed_login_leaves_onus_as_they_were(session, vsol):
    olt = add_olt(session, "vsol-2", "vsol", ssh_port=vsol.port, username="admin", password="vsol-pw")
    fn(session, "olt.sync", elid=olt.id)
    before = {k: (o.status, o.rx_power) for k, o in onus(session, olt).items()}
    fn(session, "olt.edit", elid=olt.id, sok="ok", password="wrong")
    [r] = fn(session, "olt.sync", elid=olt.id).rows
    assert not r["ok"] and "login as 'admin' was rejected" in r["error"]
    assert {k: (o.status, o.rx_power) for k, o in onus(session, olt).items()} == before
    session.refresh(olt)
    assert "rejected" in olt.last_error
    assert session.get(DeviceStatus, ("olt", olt.id)).up is False


def test_polling_floors_are_enforced(session):
    with pytest.raises(FuncError) as err:
        fn(session, "olt.edit", sok="ok", name="x", brand="zte", host="127.0.0.1",
           community="c", optics_interval="60", sync_interval="30")
    assert err.value.errors == {"optics_interval": "must be at least 900",
                                "sync_interval": "must be at least 300"}
    with pytest.raises(FuncError, match="need a username and password"):
        fn(session, "olt.edit", sok="ok", name="y", brand="vsol", host="127.0.0.1")


def test_sync_job_only_reads_due_olts(session, vsol):
    olt = add_olt(session, "vsol-3", "vsol", ssh_port=vsol.port, username="admin", password="vsol-pw")
    assert [r["olt"] for r in jobs.sync_olts(session, timeout=3)] == ["vsol-3"]
    assert jobs.sync_olts(session, timeout=3) == []  # its 15 minutes have not passed
    olt.last_sync_at -= dt.timedelta(seconds=olt.sync_interval + 1)
    session.flush()
    [r] = jobs.sync_olts(session, timeout=3)
    assert r["optics"] is False  # optics stay on their own, slower, interval


def test_two_schedulers_never_poll_one_olt_at_once(committed, vsol):
    factory = sessionmaker(bind=committed)
    with factory.begin() as s:
        add_olt(s, "vsol-4", "vsol", ssh_port=vsol.port, username="admin", password="vsol-pw")
    results = []

    def run():
        with factory.begin() as s:
            results.append(jobs.sync_olts(s, force=True, timeout=3))
    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(len(r) for r in results) == [0, 1]
    assert vsol.commands.count("show onu opm-diag") == 2  # one session read both PON ports


def test_scheduler_job_shape(session, vsol):
    add_olt(session, "vsol-5", "vsol", ssh_port=vsol.port, username="admin", password="vsol-pw")
    assert jobs.olt_sync_job(session, dt.date.today()) == "1 OLTs synced"
    assert jobs.device_poll_job(session, dt.date.today()) == "0 devices polled"


def test_an_olt_listing_nothing_keeps_its_inventory(session, vsol, monkeypatch):
    from provisioning.olt import vsol as vsol_driver
    olt = add_olt(session, "vsol-6", "vsol", ssh_port=vsol.port, username="admin", password="vsol-pw")
    fn(session, "olt.sync", elid=olt.id)
    monkeypatch.setattr(vsol_driver, "parse_auth_info", lambda text: [])  # a firmware we misread
    [r] = fn(session, "olt.sync", elid=olt.id).rows
    assert not r["ok"] and "previous list is kept" in r["error"]
    assert {o.status for o in onus(session, olt).values()} == {"online", "offline"}


def test_a_crashing_driver_does_not_stop_the_job(session, vsol, monkeypatch):
    from provisioning.olt import vsol as vsol_driver
    add_olt(session, "vsol-7", "vsol", ssh_port=vsol.port, username="admin", password="vsol-pw")
    monkeypatch.setattr(vsol_driver.Vsol, "onus", lambda self, optics=False: 1 / 0)
    [r] = jobs.sync_olts(session, timeout=3)
    assert r == {"olt": "vsol-7", "ok": False, "error": "ZeroDivisionError: division by zero"}


def test_ssh_host_key_is_pinned_on_first_use(session, vsol):
    olt = add_olt(session, "vsol-8", "vsol", ssh_port=vsol.port, username="admin", password="vsol-pw")
    fn(session, "olt.sync", elid=olt.id)
    session.refresh(olt)
    assert olt.ssh_host_key == f"ssh-rsa {vsol.key.get_base64()}"
    impostor = OltSshServer("vsol.txt", users={"admin": "vsol-pw"})
    impostor.sock.close()
    olt.ssh_host_key = f"ssh-rsa {impostor.key.get_base64()}"  # as if another device had answered
    session.flush()
    before = {k: o.status for k, o in onus(session, olt).items()}
    enables = vsol.commands.count("enable")
    [r] = fn(session, "olt.sync", elid=olt.id).rows
    assert not r["ok"] and "SSH host key changed" in r["error"]
    assert vsol.commands.count("enable") == enables  # the password never went to the impostor
    assert {k: o.status for k, o in onus(session, olt).items()} == before
    fn(session, "olt.edit", elid=olt.id, sok="ok", ssh_host_key="")  # the OLT was replaced
    assert fn(session, "olt.sync", elid=olt.id).rows[0]["ok"]


def test_bdcom_over_telnet(session):
    from tests.support.ssh_olt import OltTelnetServer
    srv = OltTelnetServer("bdcom.txt", users={"admin": "bd-pw"}, page=4).start()
    try:
        olt = add_olt(session, "bdcom-t", "bdcom", cli_transport="telnet", telnet_port=srv.port,
                      username="admin", password="bd-pw")
        [r] = fn(session, "olt.sync", elid=olt.id).rows
        assert r["ok"] and r["onus"] == 4, r
        assert onus(session, olt)[("0/1", 9)].rx_power == Decimal("-27.30")
        assert olt.ssh_host_key is None
        fn(session, "olt.edit", elid=olt.id, sok="ok", password="nope")
        [r] = fn(session, "olt.sync", elid=olt.id).rows
        assert not r["ok"] and "login as 'admin' was rejected (Telnet)" in r["error"]
    finally:
        srv.stop()


def test_telnet_negotiation_is_refused_and_stripped():
    from provisioning.olt.telnet import strip_commands
    text, rest, replies = strip_commands(b"\xff\xfb\x01\xff\xfd\x18ab\xff\xffc\xff\xfa\x18\x01\xff\xf0d\xff")
    assert (text, rest) == (b"ab\xffcd", b"\xff")
    assert replies == b"\xff\xfe\x01\xff\xfc\x18"  # DONT echo, WONT terminal-type


def test_running_config_download(session, vsol, agent):
    add_olt(session, "vsol-9", "vsol", ssh_port=vsol.port, username="admin", password="vsol-pw")
    f = fn(session, "olt.config", elid="vsol-9")
    assert f.filename == "vsol-9-running-config.txt"
    assert f.data.decode().startswith("!\nhostname epon-olt\n") and "onu 1 description" in f.data.decode()
    add_olt(session, "hw-2", "huawei", community="olt-ro", snmp_port=agent.port)
    with pytest.raises(FuncError, match="read over SNMP"):
        fn(session, "olt.config", elid="hw-2")

"""Device pages as the NOC sees them: routers over the real RouterOS API client (emulator), OLTs
over the SSH replay, traffic and ONU lists from rows the pollers would have written."""
from __future__ import annotations

import datetime as dt
import html
import logging
import re
import time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from admin.devices import charts
from tests.support.factories import fn, make
from radbill.models import DeviceStatus, InterfaceSample, Olt, Onu
from tests.support.routeros_emu import closed_port
from tests.support.snmp_agent import SnmpAgent
from tests.provisioning.test_snmp import loopback_traffic

integration = pytest.mark.integration  # all but the chart tests (pure logic, no database)
DHAKA = ZoneInfo("Asia/Dhaka")  # UTC+6 all year: local times below are exact
UTC = dt.timezone.utc


@pytest.fixture
def nas(world, ros):
    n = make(world.dbs, "nas", name="core1", ip="127.0.0.1", secret="testing123",
             api_user="admin", api_password="secret", api_port=ros.port)
    world.dbs.commit()
    return n


@pytest.fixture
def olt(world, vsol):
    fn(world.dbs, "olt.edit", sok="ok", name="olt-north", brand="vsol", host="127.0.0.1",
       ssh_port=vsol.port, username="admin", password="vsol-pw")
    o = world.dbs.scalars(sa.select(Olt).where(Olt.name == "olt-north")).one()
    world.dbs.commit()
    return o


@pytest.fixture(scope="module")
def snmpd(tmp_path_factory):
    a = SnmpAgent(tmp_path_factory.mktemp("snmpd"), community="noc-ro").start()
    yield a
    a.stop()


@pytest.fixture
def dhaka(app):
    app.config["TZ"] = DHAKA


def text(resp) -> str:
    """The page as a person reads it (entities decoded)."""
    return html.unescape(resp.get_data(as_text=True))


def flashes(auth) -> str:
    return flashes_of(text(auth.get("/devices/")))


def flashes_of(page: str) -> str:
    """The page's flashed messages: sentences, never a request line (func=...)."""
    return " ".join(re.findall(r'class="flash [a-z]+">([^<]*)<', page))


@integration
def test_the_noc_sees_every_device_up_or_down_since_when(world, auth, nas, olt, dhaka):
    changed = dt.datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    polled = dt.datetime(2026, 1, 2, 9, 30, tzinfo=UTC)
    world.dbs.add_all([
        DeviceStatus(kind="nas", device_id=nas.id, up=True, changed_at=changed, checked_at=polled,
                     sys_uptime=(2 * 86400 + 3 * 3600 + 4 * 60) * 100, api_ok=True,
                     api_version="6.49.10"),
        DeviceStatus(kind="olt", device_id=olt.id, up=False, changed_at=polled,
                     checked_at=polled, last_error="no SNMP reply within 2s")])
    world.dbs.commit()
    auth.login("noc1")
    assert "/devices/" in re.findall(r'href="([^"]+)"', text(auth.get("/")).split("</nav>")[0])
    page = auth.get("/devices/")
    assert page.status_code == 200
    rows = {m[0]: m[1] for m in re.findall(r'>(core1|olt-north)</a>(.*?)</tr>', text(page), re.S)}
    assert "up" in rows["core1"] and "2026-01-01 06:00" in rows["core1"]  # Asia/Dhaka, not UTC
    assert "2d 03:04" in rows["core1"] and "2026-01-02 15:30" in rows["core1"]
    assert "ok 6.49.10" in rows["core1"]
    assert "down" in rows["olt-north"] and "no SNMP reply within 2s" in rows["olt-north"]
    assert f'href="/devices/nas/{nas.id}"' in text(page)
    assert f'href="/devices/olt/{olt.id}"' in text(page)


@integration
@pytest.mark.parametrize("login", ["opera", "suba", "mgr", "cards1"])
def test_other_roles_get_their_normal_refusal(world, auth, nas, olt, ros, login):
    ros.add("/ppp/active", name="alice", service="pppoe", address="10.0.0.5")
    auth.login(login)
    assert "/devices/" not in text(auth.get("/"))
    for path in ("/devices/", f"/devices/nas/{nas.id}", f"/devices/olt/{olt.id}"):
        assert auth.get(path).status_code == 403, path
    for path in (f"/devices/nas/{nas.id}/kick", f"/devices/nas/{nas.id}/push",
                 f"/devices/olt/{olt.id}/sync"):
        assert auth.post(path, {"username": "alice"}).status_code == 403, path
    assert [r["name"] for r in ros.rows("/ppp/active")] == ["alice"]
    assert not [w for w in ros.commands if w[0] == "/login"]  # refused before any device call


@integration
def test_the_group_admin_sees_them_too(world, auth, nas, olt):
    auth.login("gadmin")
    assert auth.get("/devices/").status_code == 200
    assert auth.get(f"/devices/nas/{nas.id}").status_code == 200
    assert auth.get(f"/devices/olt/{olt.id}").status_code == 200


@integration
def test_an_unknown_device_is_404(world, auth, nas):
    auth.login("noc1")
    assert auth.get(f"/devices/nas/{nas.id + 1000}").status_code == 404
    assert auth.get("/devices/olt/99999").status_code == 404


@integration
def test_router_page_reads_resources_and_sessions_over_the_api(world, auth, nas, ros, caplog):
    ros.add("/ppp/active", name="alice", service="pppoe", address="10.0.0.5",
            **{"caller-id": "AA:BB:CC:00:11:22", "session-id": "0x81000001", "uptime": "1h2m"})
    ros.add("/ppp/active", name="bob", service="pppoe", address="10.0.0.6")
    auth.login("noc1")
    with caplog.at_level(logging.INFO, logger="radbill.requests"):
        page = auth.get(f"/devices/nas/{nas.id}")
    assert page.status_code == 200
    page_html = text(page)
    resources = page_html.split('id="resources"')[1].split("</table>")[0]
    assert "6.49.10 (long-term)" in resources and "CCR1009-7G-1C-1S+" in resources
    assert "7%" in resources and "25% used" in resources and "9d 03:04" in resources
    sessions = page_html.split('id="sessions"')[1].split("</table>")[0]
    assert "alice" in sessions and "AA:BB:CC:00:11:22" in sessions and "10.0.0.6" in sessions
    assert 'id="kick-alice"' in sessions and 'name="csrf_token"' in sessions
    assert 'href="/billmgr?func=customer&q=alice"' in sessions  # one click to the customer
    logged = [r.getMessage() for r in caplog.records]
    assert f"Request [127.0.0.1][noc1] 'func=router.status&elid={nas.id}'" in logged
    assert f"Request [127.0.0.1][noc1] 'func=router.sessions&elid={nas.id}'" in logged


@integration
def test_kick_needs_the_csrf_token_then_removes_the_session(world, auth, nas, ros, caplog):
    ros.add("/ppp/active", name="alice", service="pppoe", address="10.0.0.5")
    ros.add("/ppp/active", name="bob", service="pppoe", address="10.0.0.6")
    auth.login("noc1")
    forged = auth.client.post(f"/devices/nas/{nas.id}/kick", data={"username": "alice"})
    assert forged.status_code == 400 and "security token" in text(forged)
    assert len(ros.rows("/ppp/active")) == 2
    with caplog.at_level(logging.INFO, logger="radbill.requests"):
        done = auth.post(f"/devices/nas/{nas.id}/kick", {"username": "alice"})
    assert done.status_code == 302 and done.location.endswith(f"/devices/nas/{nas.id}")
    assert [r["name"] for r in ros.rows("/ppp/active")] == ["bob"]
    line = f"func=router.kick&elid={nas.id}&username=alice"
    assert f"Request [127.0.0.1][noc1] '{line}'" in [r.getMessage() for r in caplog.records]
    page = text(auth.get(f"/devices/nas/{nas.id}"))
    assert "alice: 1 session(s) disconnected" in page and "func=" not in flashes_of(page)
    assert 'id="kick-alice"' not in page and 'id="kick-bob"' in page


@integration
def test_push_profiles_button(world, auth, nas, ros):
    auth.login("noc1")
    auth.get(f"/devices/nas/{nas.id}")
    resp = auth.post(f"/devices/nas/{nas.id}/push", {"package": "home10",
                                                     "local_address": "10.70.255.1"})
    assert resp.status_code == 302
    profile = {p["name"]: p for p in ros.rows("/ppp/profile")}["home10"]
    assert profile["rate-limit"] == "5M/10M" and profile["local-address"] == "10.70.255.1"
    shown = text(auth.get(f"/devices/nas/{nas.id}"))
    said = flashes_of(shown)
    assert "Router core1 updated" in said and "home10: added" in said and "func=" not in said
    bad = auth.post(f"/devices/nas/{nas.id}/push", {"package": "nope"})
    assert bad.status_code == 302
    said = flashes_of(text(auth.get(f"/devices/nas/{nas.id}")))
    assert "Push profiles: package: no package 'nope'" in said and "func=" not in said


@integration
def test_a_router_that_is_down_shows_a_clear_error_not_a_500(world, auth, dbs):
    down = make(dbs, "nas", name="core9", ip="127.0.0.1", secret="testing123", api_user="admin",
                api_password="secret", api_port=closed_port())
    dbs.commit()
    auth.login("noc1")
    page = auth.get(f"/devices/nas/{down.id}")
    assert page.status_code == 502
    error = text(page).split('id="router-error"')[1].split("</div>")[0]
    assert "did not give an answer" in error and "refused" in error and "<code>ip</code>" in error
    assert 'id="sessions"' not in text(page) and "Traffic" in text(page)
    kicked = auth.post(f"/devices/nas/{down.id}/kick", {"username": "alice"})
    assert kicked.status_code == 302
    assert flashes(auth).startswith("Disconnect: ") and "func=" not in flashes(auth)


@integration
def test_a_router_that_hangs_times_out_into_the_error_page(world, auth, nas, ros, app):
    app.config["DEVICE_API_TIMEOUT"] = 1
    ros.silent = True
    auth.login("noc1")
    page = auth.get(f"/devices/nas/{nas.id}")
    assert page.status_code == 502 and "no API reply within 1s" in text(page)


@integration
def test_a_router_without_api_credentials_says_what_to_set(world, auth, dbs):
    bare = make(dbs, "nas", name="edge2", ip="127.0.0.2", secret="testing123")
    dbs.commit()
    auth.login("noc1")
    page = auth.get(f"/devices/nas/{bare.id}")
    assert page.status_code == 400 and "set api_user and api_password" in text(page)


def samples(dbs, nas_id: int, now: dt.datetime) -> None:
    """ether1 busy for the last two hours, plus one sample 20 hours ago; sfp1 quiet."""
    for minutes in range(0, 120, 5):
        dbs.add(InterfaceSample(kind="nas", device_id=nas_id, if_index=1, if_name="ether1",
                                at=now - dt.timedelta(minutes=minutes), in_octets=0,
                                out_octets=0, in_bps=80_000_000, out_bps=12_500_000))
    dbs.add(InterfaceSample(kind="nas", device_id=nas_id, if_index=1, if_name="ether1",
                            at=now - dt.timedelta(hours=20), in_octets=0, out_octets=0,
                            in_bps=950_000_000, out_bps=1_000))
    dbs.add(InterfaceSample(kind="nas", device_id=nas_id, if_index=7, if_name="sfp1",
                            at=now - dt.timedelta(minutes=3), in_octets=0, out_octets=0,
                            in_bps=None, out_bps=None))  # first poll after a counter reset
    dbs.commit()


@integration
def test_traffic_graph_per_interface_with_a_range_selector(world, auth, nas, dbs, dhaka):
    now = dbs.scalar(sa.select(sa.func.now()))  # the transaction's clock, as the function's
    samples(dbs, nas.id, now)
    auth.login("noc1")
    day = text(auth.get(f"/devices/nas/{nas.id}"))
    assert day.count("<svg") == 1 and "ether1" in day and "sfp1" in day
    assert "No rates in this range yet" in day.split("sfp1")[1]  # not a flat zero line
    assert "peak 950.0 Mbit/s" in day  # the sample 20 hours ago is in the 24h range
    ether1 = day.split("<svg")[1].split("</svg>")[0]
    # 18 hours without polls is a gap: the lone old sample is a dot, the last two hours a line
    assert ether1.count("<polyline") == 2 and ether1.count("<circle") == 2
    start = (now - dt.timedelta(hours=24)).astimezone(DHAKA)
    assert start.strftime("%Y-%m-%d %H:") in day  # the range is shown in the ISP's zone
    assert 'href="?range=6h"' in day and "<b>24h</b>" in day
    six = text(auth.get(f"/devices/nas/{nas.id}?range=6h"))
    assert "peak 950.0 Mbit/s" not in six and "peak 80.0 Mbit/s" in six
    assert "peak 12.5 Mbit/s" in six and "<b>6h</b>" in six
    one = text(auth.get(f"/devices/nas/{nas.id}?range=6h&if_index=7"))
    assert "sfp1" in one and "ether1" not in one
    assert "all interfaces" in one


@integration
def test_the_real_poll_feeds_the_overview_and_the_graph(world, auth, nas, snmpd, dbs):
    from provisioning import jobs
    fn(dbs, "nas.edit", elid=nas.id, sok="ok", community="noc-ro")
    jobs.poll_devices(dbs, nas_snmp_port=snmpd.port)
    loopback_traffic(4_000_000)
    time.sleep(6)  # snmpd caches interface counters for a few seconds
    jobs.poll_devices(dbs, nas_snmp_port=snmpd.port)  # the second poll gives the first rate
    dbs.commit()
    auth.login("noc1")
    row = text(auth.get("/devices/")).split(">core1</a>")[1].split("</tr>")[0]
    assert "<td>up</td>" in row and re.search(r"<td>(\d+d )?\d\d:\d\d</td>", row)  # uptime
    page = text(auth.get(f"/devices/nas/{nas.id}"))
    lo = re.search(r">lo\s*<small>.*?</svg>", page, re.S).group(0)
    assert "<circle" in lo and re.search(r"in \(peak [\d.]+ [kMG]bit/s\)", lo)


@integration
def test_olt_page_lists_onus_with_optics_and_the_customer(world, auth, olt, dbs):
    dbs.add_all([
        Onu(olt_id=olt.id, port="0/1", onu_id=1, serial="VSOL0001", mac="98:2A:0A:A0:25:B9",
            status="online", rx_power=Decimal("-10.74"), distance=1088,
            customer_id=world.cust_a.id, description="house-12"),
        Onu(olt_id=olt.id, port="0/1", onu_id=4, serial="VSOL0004", status="offline")])
    dbs.commit()
    auth.login("noc1")
    page = auth.get(f"/devices/olt/{olt.id}")
    assert page.status_code == 200
    onus = text(page).split('id="onus"')[1].split("</table>")[0]
    first, second = re.findall(r"<tr><td>0/1</td>.*?</tr>", onus, re.S)
    assert "-10.74 dBm" in first and "1088 m" in first and "online" in first
    assert f'href="/customers/{world.cust_a.id}">alice</a>' in first
    assert "offline" in second and "dBm" not in second
    assert auth.get(f"/customers/{world.cust_a.id}").status_code == 200
    offline = text(auth.get(f"/devices/olt/{olt.id}?status=offline"))
    assert "VSOL0004" in offline and "VSOL0001" not in offline


@integration
def test_sync_button_discovers_onus_over_ssh(world, auth, olt, vsol, caplog):
    auth.login("noc1")
    auth.get(f"/devices/olt/{olt.id}")
    assert auth.client.post(f"/devices/olt/{olt.id}/sync").status_code == 400  # no token
    assert "show onu auth-info" not in vsol.commands
    with caplog.at_level(logging.INFO, logger="radbill.requests"):
        resp = auth.post(f"/devices/olt/{olt.id}/sync", {})
    assert resp.status_code == 302 and "show onu auth-info" in vsol.commands
    assert f"Request [127.0.0.1][noc1] 'func=olt.sync&elid={olt.id}'" in \
        [r.getMessage() for r in caplog.records]
    page = text(auth.get(f"/devices/olt/{olt.id}"))
    said = flashes_of(page)
    assert "olt-north synchronised: 4 ONUs" in said and "func=" not in said
    assert "-10.74 dBm" in page and "house-12" in page


@integration
def test_a_failed_sync_says_why_and_keeps_the_onus(world, auth, olt, dbs):
    dbs.add(Onu(olt_id=olt.id, port="0/1", onu_id=1, serial="VSOL0001", status="online"))
    fn(dbs, "olt.edit", elid=olt.id, sok="ok", password="wrong")  # stored encrypted
    dbs.commit()
    auth.login("noc1")
    auth.get(f"/devices/olt/{olt.id}")
    assert auth.post(f"/devices/olt/{olt.id}/sync", {}).status_code == 302
    page = text(auth.get(f"/devices/olt/{olt.id}"))
    flash = re.search(r'class="flash error">([^<]*)<', page).group(1)
    assert flash.startswith("Sync ONUs: ") and "rejected" in flash and "func=" not in flash
    assert "VSOL0001" in page and "online" in page.split('id="onus"')[1]
    assert "rejected" in page.split('id="olt-info"')[1].split("</table>")[0]  # last_error


@integration
def test_device_pages_show_no_money(world, auth, nas, olt):
    auth.login("noc1")
    for path in ("/devices/", f"/devices/nas/{nas.id}", f"/devices/olt/{olt.id}"):
        main = text(auth.get(path)).split("<main>")[1].lower()
        assert not any(w in main for w in ("balance", "price", "payment", "৳")), path


def test_rates_read_in_bits_per_second_1000_based():
    assert [charts.rate(v) for v in (950, 12_500, 80_000_000, 1_250_000_000)] == \
        ["950 bit/s", "12.5 kbit/s", "80.0 Mbit/s", "1.2 Gbit/s"]


def test_samples_average_into_buckets_per_interface_skipping_resets():
    end = dt.datetime(2026, 3, 1, 12, tzinfo=UTC)
    start = end - dt.timedelta(hours=1)
    rows = [{"at": (end - dt.timedelta(seconds=s)).isoformat(), "if_index": i, "if_name": n,
             "in_bps": v, "out_bps": v} for s, i, n, v in
            ((10, 2, "ether2", 300), (11, 2, "ether2", 100), (600, 1, "ether1", None))]
    ether1, ether2 = charts.series(rows, start, end)
    assert (ether1.if_name, ether1.points) == ("ether1", [])
    assert len(ether2.points) == 1 and ether2.points[0][1:] == (200.0, 200.0)
    assert ether2.peak_in == 300.0  # the legend's peak is a real poll, not an average


def test_a_polling_outage_breaks_the_line():
    at = dt.datetime(2026, 3, 1, tzinfo=UTC)
    points = [(at + dt.timedelta(minutes=m), 1.0, 1.0) for m in (0, 5, 10, 15, 60, 65, 70)]
    assert [len(r) for r in charts.runs(points)] == [4, 3]


def test_ticks_fall_on_round_local_hours_and_midnights():
    end = dt.datetime(2026, 3, 1, 12, 7, tzinfo=UTC)  # 18:07 in Dhaka
    day = charts.ticks(end - dt.timedelta(hours=24), end, DHAKA)
    assert [t.hour for t in day] == [21, 0, 3, 6, 9, 12, 15, 18]
    week = charts.ticks(end - dt.timedelta(days=7), end, DHAKA)
    assert len(week) == 7 and {(t.hour, t.minute) for t in week} == {(0, 0)}
    assert charts.tick_label(week[0], 7 * 86400, DHAKA) == "23 Feb"

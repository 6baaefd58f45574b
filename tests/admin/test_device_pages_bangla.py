"""The device pages in Bangla (issue 18's loose ends): the devices list, a router's page (its
resources and sessions over the RouterOS API emulator, its SNMP verdict, traffic graphs, an
error from a router that does not answer), its walled garden, log and read-only query pages,
an OLT's tabs (ONUs read over the SSH OLT emulator), a radio's page, the topology maps and the
NOC, rendered for a login whose language is Bangla. As tests/admin/test_bangla_pages.py does,
no English msgid of the catalogue may be left on them; and since a string nobody wrapped is in
no catalogue, every Latin word left in the page's text must be a device's own data (names,
addresses, the router's values) or a unit, listed below. A 390 px Chromium screenshot of the
router page in Bangla: artifacts/screens/issue18-router-bn-390.png (-full: the whole page)."""
from __future__ import annotations

import datetime as dt
import re
import shutil
from decimal import Decimal

import pytest
import sqlalchemy as sa

from radbill.models import (DeviceStatus, InterfaceSample, Olt, Onu, Radio, RadioSample,
                            RadioStation, StaffUser)
from tests.admin.test_bangla_pages import BENGALI, assert_bangla, visible_text
from tests.admin.test_browser import browser, live_admin  # noqa: F401  (fixtures)
from tests.support.factories import fn, make
from tests.support.routeros_emu import closed_port

pytestmark = pytest.mark.integration
UTC = dt.timezone.utc

# What may stay in Latin letters on a Bangla page: the devices' and the fixture's own data
# (names, hosts, brands, the router's board and version, a MAC, ONU descriptions and port
# names, the OLT's log lines, RouterOS's log topics and menu names, which are the router's own
# keywords), units and the zone's name. A word of the interface belongs in the catalogue.
DATA = {
    # devices, people and the map of the fixture
    "core", "edge", "olt", "north", "ap", "mirpur", "alice", "pppoe", "ether", "sfp",
    "cpe", "rahim", "Core", "radbill", "ISP", "AA", "BB", "CC",
    # the router's own values (emulator): board, version, a log line, its log topics and the
    # neighbour protocols a query menu names
    "CCR", "long", "term", "connected", "account", "dhcp", "firewall", "hotspot", "interface",
    "ppp", "radius", "script", "system", "CDP", "LLDP", "MNDP",
    # the OLT's data read over SSH (tests/support/transcripts/vsol.txt): brand, descriptions,
    # VLAN names
    "vsol", "house", "shop", "default", "internet", "iptv",
    # units, the zone, the radio's mode
    "dBm", "dB", "MHz", "Mbit", "kbit", "MiB", "UTC", "AP", "RouterOS",
}
# whole texts a device or a client library wrote: a poll's error, a refused connection, an OLT's
# log line or a VLAN's ports (their cells)
DATA_TEXTS = (re.compile(r"no SNMP reply within \d+s"), re.compile(r'<td class="msg">[^<]*</td>'),
              re.compile(r"ip: [\d.]+:\d+: \[Errno \d+\] Connection refused"))
LATIN = re.compile(r"[A-Za-z]{2,}")


def main_text(page: str) -> str:
    """What a reader sees in the page's <title> and <main> (the menu is every page's own and
    tested by test_bangla_pages), code left out."""
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    return visible_text(f"<p>{title}</p>" + page.split("<main>", 1)[1])


def without_data_texts(page: str) -> str:
    for rx in DATA_TEXTS:
        page = rx.sub(" ", page)
    return page


def latin_words(page: str) -> set[str]:
    return set(LATIN.findall(main_text(without_data_texts(page)))) - DATA


def assert_all_bangla(page: str, where: str) -> None:
    assert '<html lang="bn">' in page, where
    assert BENGALI.search(main_text(page)), f"{where}: no Bangla at all"
    assert_bangla(without_data_texts(page), where, DATA)
    left = latin_words(page)
    assert not left, f"{where}: English left on the page: {sorted(left)}"


@pytest.fixture
def devices(world, ros, vsol):
    """A router answering on the emulator (a session, a log line, traffic, SNMP up), one that
    does not answer, an OLT synchronised over SSH (one ONU hot, SNMP down), a radio with polls
    and a station, a topology map; the group admin and the NOC read Bangla."""
    dbs = world.dbs
    dbs.execute(sa.update(StaffUser).where(StaffUser.login.in_(("gadmin", "noc1")))
                .values(lang="bn"))
    nas = make(dbs, "nas", name="core1", ip="127.0.0.1", secret="testing123", api_user="admin",
               api_password="secret", api_port=ros.port)
    dead = make(dbs, "nas", name="edge1", ip="127.0.0.2", secret="testing123",
                api_user="admin", api_password="secret", api_port=closed_port())
    ros.add("/ppp/active", name="alice", service="pppoe", address="10.0.0.5",
            **{"caller-id": "AA:BB:CC:00:11:22", "session-id": "0x81000001", "uptime": "1h2m"})
    ros.log("<pppoe-alice>: connected", "pppoe,ppp,info", "09:00:00")
    ros.add("/ip/address", address="100.64.1.2/30", network="100.64.1.0", interface="ether1")
    fn(dbs, "olt.edit", sok="ok", name="olt-north", brand="vsol", host="127.0.0.1",
       ssh_port=vsol.port, username="admin", password="vsol-pw")
    olt = dbs.scalars(sa.select(Olt).where(Olt.name == "olt-north")).one()
    fn(dbs, "olt.sync", elid=olt.id)
    dbs.execute(sa.update(Onu).where(Onu.olt_id == olt.id, Onu.onu_id == 2)
                .values(temperature=Decimal("74.20")))
    now = dbs.scalar(sa.select(sa.func.now()))
    dbs.execute(sa.delete(DeviceStatus))
    dbs.add_all([
        DeviceStatus(kind="nas", device_id=nas.id, up=True, changed_at=now, checked_at=now,
                     sys_uptime=86400 * 100),
        DeviceStatus(kind="nas", device_id=dead.id, up=False, changed_at=now, checked_at=now,
                     last_error="no SNMP reply within 2s"),
        DeviceStatus(kind="olt", device_id=olt.id, up=False, changed_at=now, checked_at=now)])
    for minutes in range(0, 120, 5):
        dbs.add(InterfaceSample(kind="nas", device_id=nas.id, if_index=1, if_name="ether1",
                                at=now - dt.timedelta(minutes=minutes), in_octets=0,
                                out_octets=0, in_bps=80_000_000, out_bps=12_500_000))
    dbs.add(InterfaceSample(kind="nas", device_id=nas.id, if_index=7, if_name="sfp1",
                            at=now - dt.timedelta(minutes=3), in_octets=0, out_octets=0,
                            in_bps=None, out_bps=None))  # no rate yet: the "no rates" note
    radio = Radio(operator_id=world.isp.id, name="ap-mirpur-1", kind="airmax",
                  host="10.20.0.1", signal=-64, noise=-92, stations=1, up=False, ccq=91, snr=28,
                  cpu=20, memory=50, frequency=5180, mode="ap", last_poll_at=now)
    dbs.add(radio)
    dbs.flush()
    for i in range(12):
        dbs.add(RadioSample(radio_id=radio.id, at=now - dt.timedelta(minutes=30 * i),
                            signal=-60 - i % 7, noise=-92, ccq=90, snr=30, tx_rate=250000,
                            rx_rate=210000, cpu=20, memory=50, stations=1))
    dbs.add(RadioStation(radio_id=radio.id, mac="24:5A:4C:10:00:01", name="cpe-rahim",
                         ip="10.20.0.11", signal=-58, ccq=88, seen_at=now))
    m = fn(dbs, "topology.edit", sok="ok", name="Core", operator="isp").elid
    fn(dbs, "topology_node.edit", sok="ok", map=str(m), label="Core", kind="router",
       router="core1", x="100", y="100")
    dbs.commit()
    return {"nas": nas.id, "dead": dead.id, "olt": olt.id, "radio": radio.id, "map": m}


def pages(ids: dict) -> dict[str, int]:
    """Every device page with the status it answers (a router that does not answer: 502)."""
    nas, olt, radio = ids["nas"], ids["olt"], ids["radio"]
    return {"/devices/": 200, f"/devices/nas/{nas}": 200, f"/devices/nas/{nas}?range=7d": 200,
            f"/devices/nas/{ids['dead']}": 502, f"/devices/nas/{nas}/walled-garden": 200,
            f"/devices/nas/{nas}/logs": 200, f"/devices/nas/{nas}/query?menu=/ip/address": 200,
            f"/devices/olt/{olt}": 200, f"/devices/olt/{olt}/log": 200,
            f"/devices/olt/{olt}/vlans": 200, f"/noc/radios/{radio}": 200,
            f"/noc/radios/{radio}?range=7d": 200, "/topology/": 200,
            f"/topology/{ids['map']}": 200, "/noc/": 200}


@pytest.mark.parametrize("login", ["gadmin", "noc1"])
def test_every_device_page_is_in_bangla_for_a_bangla_login(world, auth, devices, login):
    auth.login(login)
    for path, status in pages(devices).items():
        resp = auth.get(path)
        assert resp.status_code == status, (path, resp.status_code)
        assert_all_bangla(resp.get_data(as_text=True), f"{login} {path}")


def test_the_router_page_says_it_all_in_bangla(world, auth, devices):
    auth.login("gadmin")
    page = main_text(auth.get(f"/devices/nas/{devices['nas']}").get_data(as_text=True))
    for said in ("রাউটার core1", "সিস্টেম", "বোর্ড", "সিপিইউ লোড", "৭%",
                 "২৫% ব্যবহৃত (২৫৬.০ MiB-এর মধ্যে ১৯২.০ MiB খালি)", "৯ দিন ০৩:০৪",
                 "এসএনএমপি অবস্থা", "চালু, শেষ যাচাই", "১ দিন ০০:০০", "রাউটারে প্রোফাইল পাঠান",
                 "কলার আইডি", "বিচ্ছিন্ন করুন", "এই গ্রাহককে খুঁজুন", "৬ ঘণ্টা", "৩০ দিন",
                 "ether1-এর ট্রাফিক", "আগত (সর্বোচ্চ ৮০.০ Mbit/s)",
                 "বহির্গামী (সর্বোচ্চ ১২.৫ Mbit/s)", "এই সময়সীমায় এখনো কোনো হার নেই"):
        assert said in page, said
    week = main_text(auth.get(f"/devices/nas/{devices['nas']}?range=7d")
                     .get_data(as_text=True))
    assert re.search(r"[০-৯]+ (জানু|ফেব|মার্চ|এপ্রি|মে|জুন|জুল|আগ|সেপ|অক্টো|নভে|ডিসে)", week)
    dead = main_text(auth.get(f"/devices/nas/{devices['dead']}").get_data(as_text=True))
    assert "রাউটারের এপিআই কোনো উত্তর দেয়নি।" in dead
    assert "এই রাউটারের সেটিংসে" in dead and "যাচাই করুন" in dead


def test_the_same_pages_stay_english_for_an_english_login(world, auth, devices):
    """The wrapped strings still read as before in English (tests/admin/test_devices.py holds
    the rest)."""
    world.dbs.execute(sa.update(StaffUser).where(StaffUser.login == "gadmin").values(lang="en"))
    world.dbs.commit()
    auth.login("gadmin")
    page = main_text(auth.get(f"/devices/nas/{devices['nas']}").get_data(as_text=True))
    for said in ("Router core1", "System", "RouterOS version", "25% used (192.0 MiB free of "
                 "256.0 MiB)", "9d 03:04", "SNMP status", "up, last poll", "Caller ID",
                 "Kick", "in (peak 80.0 Mbit/s)", "out (peak 12.5 Mbit/s)", "6h", "30d"):
        assert said in page, said
    assert not BENGALI.search(page)


@pytest.fixture
def phone_router(committed, ros):
    """A committed router for the live app: a Bangla-speaking NOC login, a session, traffic."""
    from radbill import db
    from tests.support.factories import make_isp, make_user
    with db.session_scope() as s:
        isp = make_isp(s)
        make_user(s, login="pnoc", role="noc", operator=isp.name, password="correct-horse",
                  lang="bn")
        nas = make(s, "nas", name="core-mirpur-section-10-1", ip="127.0.0.1",
                   secret="testing123", api_user="admin", api_password="secret",
                   api_port=ros.port)
        now = s.scalar(sa.select(sa.func.now()))
        s.add(DeviceStatus(kind="nas", device_id=nas.id, up=True, changed_at=now,
                           checked_at=now, sys_uptime=86400 * 100))
        for minutes in range(0, 240, 5):
            s.add(InterfaceSample(kind="nas", device_id=nas.id, if_index=1,
                                  if_name="sfp-sfpplus1-uplink", at=now - dt.timedelta(
                                      minutes=minutes), in_octets=0, out_octets=0,
                                  in_bps=800_000_000 + minutes * 1_000_000,
                                  out_bps=120_000_000))
        nas_id = nas.id
    ros.add("/ppp/active", name="customer-with-a-long-name-01", service="pppoe",
            address="10.0.0.5", **{"caller-id": "AA:BB:CC:00:11:22",
                                   "session-id": "0x81000001", "uptime": "1d2h3m"})
    return nas_id


@pytest.mark.browser
@pytest.mark.skipif(not shutil.which("chromedriver"), reason="no chromedriver")
def test_the_router_page_fits_a_390_px_phone_in_bangla(phone_router, live_admin,  # noqa: F811
                                                       browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    from tests.admin.test_browser import ARTIFACTS
    from tests.admin.test_design_browser import fits, viewport
    from tests.support.phone_pages import shoot_at_390
    live, b = live_admin, browser
    shoot_at_390(b, live, "pnoc", "correct-horse",  # it stays on the router's page, in Bangla
                 (("router-bn", f"/devices/nas/{phone_router}"),), "issue18")
    assert "রাউটার" in b.find_element(By.TAG_NAME, "h1").text
    main = b.find_element(By.TAG_NAME, "main").text
    assert "সিস্টেম" in main and "সক্রিয় পিপিপি সেশন" in main and "আগত (সর্বোচ্চ" in main
    screens = ARTIFACTS / "screens"
    # the whole page (sessions, traffic) in one picture
    viewport(b, 390, b.execute_script("return document.documentElement.scrollHeight"))
    fits(b, 390, "router-bn (whole page)")
    b.save_screenshot(str(screens / "issue18-router-bn-390-full.png"))

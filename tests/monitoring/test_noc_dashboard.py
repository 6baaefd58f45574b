"""The NOC dashboard (issue 18): the Zabbix emulator's problems are on it after one run of the
sync job and a resolved one is gone after the next; a reseller's NOC shows its subtree only;
the wall link works without a login, read-only, refreshes itself, and dies with its login;
a radio's page shows its signal and stations; rejects per minute are labelled on the ISP's
clock; the page in Bangla and at phone width."""
from __future__ import annotations

import datetime as dt
import re
import shutil
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from admin.noc import charts
from monitoring import noc_jobs
from radbill.models import RadPostAuth, StaffUser
from tests.admin.test_bangla_pages import assert_bangla
from tests.support.airos_emu import AirOsEmulator
from tests.support.factories import fn
from tests.support.zabbix_emu import ZabbixEmulator
from tests.admin.test_browser import browser, live_admin  # noqa: F401  (fixtures)

DAY = dt.date(2026, 12, 2)
DHAKA = ZoneInfo("Asia/Dhaka")
TOKEN = "c0ffee" * 8


@pytest.fixture
def zbx():
    with ZabbixEmulator(TOKEN) as z:
        z.add_host("10084", "Core router")
        z.add_host("10085", "OLT Mirpur", "2", "SNMP agent timeout")
        z.add_problem("501", "OLT Mirpur is unreachable", 5, "10085")
        z.add_problem("502", "High CPU on core", 2, "10084")
        yield z


def sync(dbs, zbx, **kw):
    fn(dbs, "zabbix.edit", sok="ok", name=kw.pop("name", "zbx"), url=f"{zbx.url}/zabbix",
       api_token=TOKEN, **kw)
    noc_jobs.zabbix_job(dbs, DAY)
    dbs.commit()


def test_problems_are_on_the_noc_after_one_sync_and_go_when_resolved(world, auth, zbx):
    sync(world.dbs, zbx, operator="isp")
    auth.login("noc1")
    resp = auth.get("/noc/")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "OLT Mirpur is unreachable" in page and "High CPU on core" in page
    assert "disaster" in page and "warning" in page and "OLT Mirpur" in page
    assert f'http-equiv="refresh" content="60"' in page and "<script" not in page
    assert page.index("OLT Mirpur is unreachable") < page.index("High CPU on core")
    zbx.resolve("501")
    noc_jobs.zabbix_job(world.dbs, DAY)
    world.dbs.commit()
    page = auth.get("/noc/").get_data(as_text=True)
    assert "OLT Mirpur is unreachable" not in page and "High CPU on core" in page


def test_the_severity_counts_take_every_problem_not_the_lists_page(world, auth, zbx):
    for i in range(120):  # more than the NOC's list shows (100)
        zbx.add_problem(str(1000 + i), f"Link {i} flapping", 3, "10084")
    sync(world.dbs, zbx, operator="isp")
    counts = {r["severity"]: r["problems"]
              for r in fn(world.dbs, "noc.problem_severity").rows}
    assert counts == {5: 1, 3: 120, 2: 1}
    assert [r["severity"] for r in fn(world.dbs, "noc.problem_severity").rows] == [5, 3, 2]
    auth.login("noc1")
    page = auth.get("/noc/").get_data(as_text=True)
    assert "average 120" in page  # the chart's label names every count
    auth.login("opera")
    assert "average 120" not in auth.get("/noc/").get_data(as_text=True)


def test_a_resellers_noc_shows_its_subtree_only(world, auth, zbx):
    sync(world.dbs, zbx, operator="isp")
    auth.login("opera")
    page = auth.get("/noc/").get_data(as_text=True)
    assert "High CPU on core" not in page and "OLT Mirpur" not in page
    assert "No problems" in page


def test_the_wall_needs_no_login_changes_nothing_and_ends_with_its_login(world, auth, client,
                                                                      app, zbx):
    sync(world.dbs, zbx, operator="isp")
    auth.login("noc1")
    auth.get("/noc/")
    made = auth.post("/noc/wall-link", {"days": "30"})
    url = re.search(r'id="wall-url" readonly value="([^"]+)"', made.get_data(as_text=True))[1]
    path = url.split("localhost", 1)[1]
    tv = app.test_client()
    resp = tv.get(path)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "High CPU on core" in page
    assert 'http-equiv="refresh" content="30"' in page and "<form" not in page
    assert resp.headers["Cache-Control"] == "no-store"
    assert tv.get(path[:-2] + ("AA" if not path.endswith("AA") else "BB")).status_code == 403
    assert tv.post(path).status_code in (400, 405)  # nothing to post to
    assert tv.get("/noc/").status_code in (302, 401)  # the wall is not a login
    world.dbs.execute(sa.update(StaffUser).where(StaffUser.login == "noc1").values(disabled=True))
    world.dbs.commit()
    assert tv.get(path).status_code == 403


def test_a_radio_page_shows_signal_and_stations(world, auth, tmp_path):
    with AirOsEmulator() as emu:
        agent = emu.snmpd(tmp_path)
        try:
            elid = fn(world.dbs, "radio.edit", sok="ok", name="ap-mirpur-1", kind="airmax",
                      host="127.0.0.1", https="no", http_port=emu.url.rsplit(":", 1)[1],
                      username="ubnt", password="airmax-pass", community="sector-ro",
                      snmp_port=str(agent.port), operator="isp").elid
            noc_jobs.radio_job(world.dbs, DAY)
            world.dbs.commit()
        finally:
            agent.stop()
    auth.login("noc1")
    page = auth.get(f"/noc/radios/{elid}").get_data(as_text=True)
    assert re.search(r'id="signal">-64 dBm', page) and re.search(r'id="noise">-92 dBm', page)
    assert 'id="stations-count">2<' in page
    assert "cpe-rahim" in page and "cpe-karim" in page and "10.20.0.12" in page
    assert page.count("<svg") >= 5 and "Signal and noise (dBm)" in page
    auth.logout()
    auth.login("opera")
    assert auth.get(f"/noc/radios/{elid}").status_code == 404


def test_rejects_per_minute_are_on_the_isps_clock(world, auth, app):
    at = dt.datetime.now(dt.timezone.utc).replace(second=30, microsecond=0) - \
        dt.timedelta(minutes=5)
    for reason in ("wrong password", "wrong password", "MAC not allowed"):
        world.dbs.add(RadPostAuth(username="alice", reply="Access-Reject", authdate=at,
                                  reason=reason))
    world.dbs.commit()
    app.config["TZ"] = DHAKA
    auth.login("gadmin")
    page = auth.get("/noc/").get_data(as_text=True)
    label = at.astimezone(DHAKA).strftime("%H:%M")
    assert f"{label} 3" in page  # the chart's title lists the minute, in Dhaka
    assert "wrong password: 2" in page and "MAC not allowed: 1" in page
    auth.logout()
    auth.login("operb")  # alice is opA's customer
    assert "wrong password" not in auth.get("/noc/").get_data(as_text=True)


def test_chart_labels_are_the_isps_wall_clock_on_any_day():
    rows = [{"minute": "2026-12-31T18:59:00+00:00", "rejects": 1},
            {"minute": "2026-12-31T19:00:00+00:00", "rejects": 4}]
    assert charts.local_points(rows, "minute", "rejects", DHAKA, "en") == \
        [("00:59", 1.0), ("01:00", 4.0)]
    hours = [{"hour": "2028-02-28T18:00:00+00:00", "sessions": 10}]
    assert charts.local_points(hours, "hour", "sessions", DHAKA, "bn", "%H:00") == \
        [("০০:00".replace("0", "০"), 10.0)]


def test_the_noc_in_bangla(world, auth, zbx):
    sync(world.dbs, zbx, operator="isp")
    auth.login("gadmin")
    page = auth.get("/noc/?lang=bn").get_data(as_text=True)
    assert '<html lang="bn">' in page
    assert_bangla(page, "/noc?lang=bn", {"OLT", "Mirpur", "CPU", "Core", "High", "core",
                                         "router", "NOC"})


@pytest.fixture
def phone_noc(committed, zbx):
    from radbill import db
    from radbill.models import Radio, RadioSample, RadioStation
    from tests.support.factories import make_isp, make_user
    with db.session_scope() as s:
        isp = make_isp(s)
        make_user(s, login="pnoc", role="noc", operator=isp.name, password="correct-horse",
                  lang="bn")
        fn(s, "zabbix.edit", sok="ok", name="zbx", url=f"{zbx.url}/zabbix", api_token=TOKEN)
        noc_jobs.zabbix_job(s, DAY)
        radio = Radio(operator_id=isp.id, name="ap-mirpur-sector-north-1", kind="airmax",
                      host="10.20.0.1", signal=-64, noise=-92, stations=1, up=True)
        s.add(radio)
        s.flush()
        now = dt.datetime.now(dt.timezone.utc)
        for i in range(48):
            s.add(RadioSample(radio_id=radio.id, at=now - dt.timedelta(minutes=30 * i),
                              signal=-60 - i % 7, noise=-92, ccq=90, snr=30, tx_rate=250000,
                              rx_rate=210000, cpu=20, memory=50, stations=1))
        s.add(RadioStation(radio_id=radio.id, mac="24:5A:4C:10:00:01",
                           name="cpe-a-very-long-station-name-on-the-roof", ip="10.20.0.11",
                           signal=-58, seen_at=now))
        return radio.id


@pytest.mark.browser
@pytest.mark.skipif(not shutil.which("chromedriver"), reason="no chromedriver")
def test_the_noc_fits_a_390_px_phone_in_bangla(phone_noc, live_admin, browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    from tests.admin.test_browser import ARTIFACTS, click, fill
    from tests.admin.test_design_browser import fits, viewport
    live, b = live_admin, browser
    screens = ARTIFACTS / "screens"
    screens.mkdir(parents=True, exist_ok=True)
    viewport(b, 390, 844)
    b.get(live + "/login")
    fill(b, login="pnoc", password="correct-horse")
    click(b, "submit")
    for name, path in (("noc", "/noc/"), ("radio", f"/noc/radios/{phone_noc}")):
        b.get(live + path)
        assert b.find_element(By.TAG_NAME, "h1").text
        fits(b, 390, name)
        b.save_screenshot(str(screens / f"issue18-{name}-390.png"))

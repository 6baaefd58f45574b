"""Cambium ePMP radios (issue 18): an emulated ePMP (its web UI's JSON API + a real snmpd with
CAMBIUM-PMP80211-MIB) feeds an AP's uplinks and stations and an SM's downlink; HTTP alone,
SNMP alone, both; a wrong password or busy web sessions fall back to SNMP and say so; an
unreachable radio is down with both reasons; every poll logs out and is audited; the samples
draw the page's graphs; a second reseller neither sees nor polls it; radio.edit refuses bad
input naming the field; the radio's page in Bangla at 390 px."""
from __future__ import annotations

import contextlib
import datetime as dt
import re
import shutil

import pytest
import sqlalchemy as sa

from monitoring import noc_jobs
from monitoring.radios import epmp
from radbill.functions.registry import AccessDenied, FuncError, NotFound
from radbill.models import AuditLog, Radio, RadioSample, RadioStation
from tests.admin.test_bangla_pages import assert_bangla
from tests.admin.test_browser import browser, live_admin  # noqa: F401  (fixtures)
from tests.support.epmp_emu import AP_MAC, EpmpEmulator
from tests.support.factories import fn

DAY = dt.date(2026, 12, 2)
PASSWORD, COMMUNITY = "epmp-pass", "epmp-ro"


@contextlib.contextmanager
def running(mode: str, tmp_path):
    """An emulated ePMP AP or SM with its snmpd (`emu.agent`), stopped afterwards."""
    emu = EpmpEmulator(mode).start()
    emu.agent = emu.snmpd(tmp_path)
    try:
        yield emu
    finally:
        emu.agent.stop()
        emu.stop()


@pytest.fixture
def ap(tmp_path):
    with running("ap", tmp_path) as emu:
        yield emu


@pytest.fixture
def sm(tmp_path):
    with running("sm", tmp_path) as emu:
        yield emu


def params(emu, **kw) -> dict:
    out = dict(name="ap-epmp-1", kind="epmp", host="127.0.0.1", https="no",
               http_port=emu.url.rsplit(":", 1)[1], username="admin", password=PASSWORD,
               community=COMMUNITY, snmp_port=str(emu.agent.port))
    out.update(kw)
    return {k: v for k, v in out.items() if v is not None}


def add_radio(session, emu, caller=None, **kw) -> int:
    from radbill.functions.caller import SYSTEM
    return fn(session, "radio.edit", caller or SYSTEM, sok="ok", **params(emu, **kw)).elid


def audits(session, func: str) -> list[AuditLog]:
    return list(session.scalars(sa.select(AuditLog).where(AuditLog.func == func)
                                .order_by(AuditLog.id)))


def test_an_epmp_ap_feeds_its_figures_stations_and_graphs(session, tree, ap):
    elid = add_radio(session, ap, operator="isp")
    assert noc_jobs.radio_job(session, DAY) == "polled 1, failed 0"
    radio = session.get(Radio, elid)
    assert radio.up is True and radio.last_error is None
    assert (radio.mode, radio.model, radio.firmware, radio.ssid, radio.frequency) == \
        ("ap", "ePMP 3000 (FCC)", "4.7.0.1", "mirpur-epmp-sector", 5745)
    # an AP's link figures are its SMs' uplinks as it hears them (the AP's own
    # cambiumSTADLRSSI "0" is not a signal); noise = RSSI - SNR; quality in the CCQ column
    assert (radio.signal, radio.noise, radio.snr, radio.ccq) == (-64, -93, 29, 90)
    assert (radio.tx_rate, radio.rx_rate) == (195000, 138500)  # mean DL/UL PHY rates
    assert (radio.cpu, radio.uptime, radio.stations) == (17, 345600, 2)
    assert radio.memory is not None and 0 <= radio.memory <= 100  # HTTP has none: SNMP's UCD
    stations = {s["name"]: s for s in fn(session, "radio_station", tree[5], radio=str(elid)).rows}
    karim = stations["cpe-karim"]
    assert (karim["mac"], karim["ip"], karim["signal"], karim["noise"], karim["ccq"]) == \
        ("00:04:56:AA:BB:02", "10.30.0.12", -71, -93, 81)
    assert (karim["tx_rate"], karim["rx_rate"], karim["distance"], karim["uptime"]) == \
        (130000, 104000, 3400, 4000)
    [sample] = fn(session, "radio_sample", tree[5], radio=str(elid)).rows
    assert (sample["signal"], sample["snr"], sample["cpu"], sample["stations"]) == (-64, 29, 17, 2)
    [audit] = audits(session, "radio_poll")
    assert audit.actor == "scheduler" and audit.object_type == "radio"
    assert audit.after["ok"] is True and audit.after["via"] == "http,snmp"
    # the radio's API as documented: log in, get_param act=status with the stok in the path and
    # the session's cookie, log out (ePMP allows five web sessions)
    assert ap.violations == [] and ap.sessions == {} and ap.logins == 1
    login, status, logout = ap.seen
    assert (login.path, login.form) == ("/cgi-bin/luci", {"username": "admin",
                                                          "password": PASSWORD})
    stok = re.fullmatch(r"/cgi-bin/luci/;stok=(\w+)/admin/get_param", status.path).group(1)
    assert status.form == {"act": "status"} and logout.path.endswith(f"{stok}/admin/logout")
    assert "sysauth_127.0.0.1_" in status.headers["Cookie"]
    # the next poll sees a station gone and a busier CPU: a second sample for the graphs
    ap.stations.pop()
    ap.cpu = 41.0
    fn(session, "radio.poll", tree[5], elid=str(elid))
    radio = session.get(Radio, elid)
    assert (radio.stations, radio.cpu, radio.signal) == (1, 41, -58)
    assert session.scalar(sa.select(sa.func.count()).select_from(RadioStation)) == 1
    cpus = [r["cpu"] for r in fn(session, "radio_sample", tree[5], radio=str(elid)).rows]
    assert cpus == [17, 41]
    [manual] = audits(session, "radio.poll")
    assert manual.actor == "noc" and manual.after["stations"] == 1
    assert ap.sessions == {} and ap.logins == 2


def test_an_epmp_sm_reports_its_downlink_and_its_ap(session, tree, sm):
    elid = add_radio(session, sm, name="sm-epmp-1", community="")
    fn(session, "radio.poll", elid=str(elid))
    radio = session.get(Radio, elid)
    assert radio.up is True and radio.last_error is None
    assert (radio.mode, radio.model, radio.ssid) == ("sm", "Force 300-16 (FCC)",
                                                     "mirpur-epmp-sector")
    assert (radio.signal, radio.snr, radio.noise, radio.ccq) == (-62, 31, -93, 94)
    assert (radio.tx_rate, radio.rx_rate, radio.memory) == (None, None, None)  # not reported
    [station] = session.scalars(sa.select(RadioStation)).all()
    assert (station.mac, station.name, station.signal, station.distance) == \
        (AP_MAC, "mirpur-epmp-sector", -62, 1800)
    [audit] = audits(session, "radio.poll")
    assert audit.after["via"] == "http"
    assert sm.violations == [] and sm.sessions == {}


@pytest.mark.parametrize("mode", ["ap", "sm"])
def test_snmp_alone_reads_the_cambium_mib(session, tree, tmp_path, mode):
    with running(mode, tmp_path) as emu:
        elid = add_radio(session, emu, username="", password="")
        fn(session, "radio.poll", elid=str(elid))
    radio = session.get(Radio, elid)
    assert radio.up is True and radio.last_error is None and radio.mode == mode
    assert radio.cpu == 17  # sysCPUUsage is in tenths of a percent over SNMP
    assert radio.uptime == 345600 and radio.frequency == 5745 and radio.firmware == "4.7.0.1"
    stations = {s.mac: s for s in session.scalars(sa.select(RadioStation))}
    if mode == "ap":
        assert (radio.signal, radio.noise, radio.snr, radio.ccq, radio.stations) == \
            (-64, -93, 29, 90, 2)
        assert radio.tx_rate == 195000 and radio.rx_rate is None  # no UL rate column in the MIB
        karim = stations["00:04:56:AA:BB:02"]
        assert (karim.name, karim.ip, karim.distance, karim.uptime) == \
            ("cpe-karim", "10.30.0.12", 3400, 4000)
    else:
        assert (radio.signal, radio.snr, radio.noise, radio.ccq) == (-62, 31, -93, 94)
        assert set(stations) == {AP_MAC}
    assert emu.seen == []  # no login given: the web API is not asked
    assert audits(session, "radio.poll")[0].after["via"] == "snmp"


def test_a_wrong_password_falls_back_to_snmp_and_says_so(session, tree, ap):
    elid = add_radio(session, ap, password="not-it")
    fn(session, "radio.poll", elid=str(elid))
    radio = session.get(Radio, elid)
    assert radio.up is True and radio.signal == -64 and radio.stations == 2
    assert "HTTP login refused" in radio.last_error
    assert ap.refused == 1 and ap.sessions == {}
    assert [s.path for s in ap.seen] == ["/cgi-bin/luci"]  # nothing asked after the refusal
    # without a community the radio is down, and says why
    web_only = add_radio(session, ap, name="ap-epmp-2", password="not-it", community="")
    fn(session, "radio.poll", elid=str(web_only))
    radio = session.get(Radio, web_only)
    assert radio.up is False and "login refused" in radio.last_error
    assert audits(session, "radio.poll")[-1].after == {"ok": False, "error": radio.last_error}


def test_busy_web_sessions_fall_back_to_snmp(session, tree, ap):
    ap.sessions = {f"other{i}": "x" for i in range(5)}  # cnMaestro and four browsers
    elid = add_radio(session, ap)
    fn(session, "radio.poll", elid=str(elid))
    radio = session.get(Radio, elid)
    assert radio.up is True and radio.signal == -64
    assert "web sessions are in use" in radio.last_error
    assert len(ap.sessions) == 5


def test_a_session_refused_after_login_is_an_error_not_figures(session, tree, ap):
    ap.expire_sessions = True  # get_param answers 200 {"msg": "auth_failed", "success": 0}
    elid = add_radio(session, ap, community="")
    fn(session, "radio.poll", elid=str(elid))
    radio = session.get(Radio, elid)
    assert radio.up is False and "get_param refused the session" in radio.last_error
    assert radio.signal is None and not session.scalars(sa.select(RadioSample)).all()
    assert [s.path.rsplit("/", 1)[-1] for s in ap.seen] == ["luci", "get_param", "logout"]


def test_an_unreachable_radio_is_down_with_both_reasons(session, tree, ap):
    elid = add_radio(session, ap)
    fn(session, "radio.poll", elid=str(elid))
    ap.agent.stop()
    ap.stop()
    fn(session, "radio.poll", elid=str(elid))
    radio = session.get(Radio, elid)
    assert radio.up is False
    assert "HTTP: cannot connect" in radio.last_error and "SNMP" in radio.last_error
    assert radio.signal == -64 and radio.last_ok_at < radio.last_poll_at  # the last good figures
    assert session.scalar(sa.select(sa.func.count()).select_from(RadioSample)) == 1
    first, second = audits(session, "radio.poll")
    assert first.after["ok"] is True and second.after["ok"] is False


def test_a_second_reseller_neither_sees_nor_polls_it(session, tree, ap):
    isp, _a, _b, ua, ub, noc = tree
    mine = add_radio(session, ap, ua, name="ap-a", host="10.20.0.5")
    assert [r["name"] for r in fn(session, "radio", ua).rows] == ["ap-a"]
    assert fn(session, "radio", ub).rows == []
    for func, key in (("radio.poll", "elid"), ("radio_sample", "radio"),
                      ("radio_station", "radio"), ("radio.edit", "elid")):
        with pytest.raises(NotFound):
            fn(session, func, ub, **{key: str(mine)})
    fn(session, "radio.delete", ub, elid=str(mine))  # deleting what one cannot see: nothing
    assert session.get(Radio, mine) is not None
    with pytest.raises(AccessDenied):
        add_radio(session, ap, ua, name="ap-b", host="10.20.0.6", operator="resB")
    with pytest.raises(FuncError) as err:  # a reseller's radio may not sit on loopback
        add_radio(session, ap, ua, name="ap-c")
    assert err.value.field == "host"
    assert audits(session, "radio.poll") == [] and ap.seen == []
    row = fn(session, "radio", noc, id=str(mine)).rows[0]
    assert row["kind"] == "epmp" and row["credentials_set"] == ["community", "password"]
    assert PASSWORD not in repr(row) and COMMUNITY not in repr(row)


@pytest.mark.parametrize("field,bad,why", [
    ("kind", "cambium", "one of"),
    ("host", "169.254.169.254", "link-local"),
    ("host", "a b", "host name"),
    ("http_port", "5432", "database"),
    ("snmp_port", "70000", ""),
    ("poll_interval", "10", ""),
    ("name", "ap epmp", ""),
    ("password", "", "password"),
])
def test_radio_edit_refuses_bad_epmp_input_naming_the_field(session, tree, ap, field, bad, why):
    with pytest.raises(FuncError) as err:
        add_radio(session, ap, **{field: bad})
    assert field in err.value.errors, err.value.errors
    assert why in err.value.errors[field]
    assert session.scalar(sa.select(sa.func.count()).select_from(Radio)) == 0
    assert not session.scalars(sa.select(AuditLog).where(AuditLog.object_type == "radio")).all()


def test_a_radio_needs_a_login_or_a_community(session, tree, ap):
    with pytest.raises(FuncError) as err:
        add_radio(session, ap, username="", password="", community="")
    assert err.value.field == "community"
    elid = add_radio(session, ap)
    for a in session.scalars(sa.select(AuditLog).where(AuditLog.object_type == "radio")):
        assert PASSWORD not in repr((a.before, a.after, a.request))
        assert COMMUNITY not in repr((a.before, a.after, a.request))
    assert PASSWORD not in repr(fn(session, "radio.edit", elid=str(elid)).values)


def test_the_status_parsers():
    assert epmp.seconds("0001:22:51:32") == 168692 and epmp.seconds("soon") is None
    assert epmp.mac("00-04-56-aa-bb-01") == "00:04:56:AA:BB:01"
    assert epmp.mac("Not Associated") is None
    assert epmp.kbits("86.7") == 86700 and epmp.kbits("N/A") is None
    # firmware that says "0" for an AP's downlink and lists no stations yet
    r = epmp.parse_status({"cambiumDeviceMode": "1", "cambiumSTADLRSSI": "0",
                           "cambiumAPNumberOfConnectedSTA": "0", "cambiumHWInfo": "53288",
                           "cambiumAPConnectedSTATable": [], "sysCPUUsage": "12.7"})
    assert (r.mode, r.signal, r.station_count, r.cpu, r.model) == \
        ("ap", None, 0, 13, "ePMP 4500 8x8 (FCC)")
    scanning = epmp.parse_status({"cambiumDeviceMode": "2", "cambiumSTADLRSSI": "0",
                                  "cambiumConnectedAPMACAddress": "", "cambiumSTAConnectedAP":
                                  "Scanning"})
    assert (scanning.mode, scanning.signal, scanning.ssid, scanning.stations) == \
        ("sm", None, None, [])
    rows = epmp.sta_rows({"1.1": "00:04:56:AA:BB:01", "4.1": "-58", "6.1": "35",
                          "28.1": "260", "1.2": "00:04:56:AA:BB:02", "99.1": "x"})
    assert rows == [{"connectedSTAMAC": "00:04:56:AA:BB:01", "connectedSTAULRSSI": "-58",
                     "connectedSTAULSNR": "35", "connectedSTADLRateMbps": "260"},
                    {"connectedSTAMAC": "00:04:56:AA:BB:02"}]


def test_the_epmp_page_shows_its_figures_inside_the_subtree_only(world, auth, tmp_path):
    with running("ap", tmp_path) as emu:
        elid = fn(world.dbs, "radio.edit", sok="ok", operator="isp",
                  **params(emu, name="ap-mirpur-epmp")).elid
        noc_jobs.radio_job(world.dbs, DAY)
        world.dbs.commit()
    auth.login("noc1")
    page = auth.get(f"/noc/radios/{elid}").get_data(as_text=True)
    assert 'id="signal">-64 dBm' in page and 'id="noise">-93 dBm' in page
    assert 'id="mode">AP<' in page and "TX quality" in page and "CCQ</td>" not in page
    assert 'id="stations-count">2<' in page and "cpe-karim" in page and "10.30.0.12" in page
    assert page.count("<svg") >= 5
    assert_bangla(auth.get(f"/noc/radios/{elid}?lang=bn").get_data(as_text=True),
                  "/noc/radios?lang=bn", {"SNR", "CPU", "MAC", "IP", "SSID", "AP"})
    auth.logout()
    auth.login("opera")  # a reseller under the ISP
    assert auth.get(f"/noc/radios/{elid}").status_code == 404
    resp = auth.post(f"/noc/radios/{elid}/poll", {}, follow_redirects=True)
    assert resp.status_code == 404 and "no radio" in resp.get_data(as_text=True)  # refused
    assert not audits(world.dbs, "radio.poll")


@pytest.fixture
def phone_epmp(committed, tmp_path):
    from radbill import db
    from tests.support.factories import make_isp, make_user
    with running("ap", tmp_path) as emu:
        with db.session_scope() as s:
            isp = make_isp(s)
            make_user(s, login="pepmp", role="noc", operator=isp.name, password="correct-horse",
                      lang="bn")
            elid = fn(s, "radio.edit", sok="ok", **params(
                emu, name="ap-mirpur-epmp-sector-north-1", operator=isp.name)).elid
            for signal, cpu in ((-58, 17.4), (-63, 35.0), (-60, 22.0)):
                emu.stations[0]["ul_rssi"], emu.cpu = signal, cpu
                fn(s, "radio.poll", elid=str(elid))
                s.execute(sa.update(RadioSample).values(at=RadioSample.at - dt.timedelta(hours=1)))
        return elid


@pytest.mark.browser
@pytest.mark.skipif(not shutil.which("chromedriver"), reason="no chromedriver")
def test_the_epmp_page_fits_a_390_px_phone_in_bangla(phone_epmp, live_admin,  # noqa: F811
                                                      browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    from tests.admin.test_browser import ARTIFACTS, click, fill
    from tests.admin.test_design_browser import fits, viewport
    b = browser
    screens = ARTIFACTS / "screens"
    screens.mkdir(parents=True, exist_ok=True)
    viewport(b, 390, 844)
    b.get(live_admin + "/login")
    fill(b, login="pepmp", password="correct-horse")
    click(b, "submit")
    b.get(f"{live_admin}/noc/radios/{phone_epmp}")
    assert b.find_element(By.TAG_NAME, "html").get_attribute("lang") == "bn"
    assert b.find_element(By.ID, "signal").text == "-৬৬ dBm"  # mean of -60 and -71
    assert "cpe-karim" in b.find_element(By.ID, "stations").text
    fits(b, 390, "the ePMP radio page")
    b.save_screenshot(str(screens / "issue18-epmp-radio-390.png"))
    b.execute_script("document.getElementById('stations').scrollIntoView()")
    b.save_screenshot(str(screens / "issue18-epmp-stations-390.png"))

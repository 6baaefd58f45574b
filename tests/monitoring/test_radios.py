"""Wireless radios (issue 18): an airMAX emulator (airOS 8 HTTP + a real snmpd with
UBNT-AirMAX-MIB) feeds signal, noise, CCQ, rates, CPU, memory and stations; each access is
audited; a wrong login falls back to SNMP and says so; the password and community are
write-only; a reseller sees only its own radios and may not aim one at loopback; a new radio
gets a ping check, gone with it."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from monitoring import noc_jobs
from monitoring.radios import airmax
from radbill.functions.registry import AccessDenied, FuncError, NotFound
from radbill.models import AuditLog, Check, Radio, RadioSample, RadioStation
from tests.support.airos_emu import AirOsEmulator
from tests.support.factories import fn

DAY = dt.date(2026, 12, 2)


@pytest.fixture
def radio_emu(tmp_path):
    with AirOsEmulator() as emu:
        agent = emu.snmpd(tmp_path)
        emu.agent = agent
        try:
            yield emu
        finally:
            agent.stop()


def add_radio(session, emu, caller=None, **kw):
    from radbill.functions.caller import SYSTEM
    port = int(emu.url.rsplit(":", 1)[1])
    params = dict(name="ap-mirpur-1", kind="airmax", host="127.0.0.1", https="no",
                  http_port=str(port), username="ubnt", password="airmax-pass",
                  community="sector-ro", snmp_port=str(emu.agent.port))
    params.update(kw)
    return fn(session, "radio.edit", caller or SYSTEM, sok="ok",
              **{k: v for k, v in params.items() if v is not None}).elid


def test_an_airmax_radio_feeds_signal_and_stations(session, tree, radio_emu):
    elid = add_radio(session, radio_emu, operator="isp")
    assert noc_jobs.radio_job(session, DAY) == "polled 1, failed 0"
    radio = session.get(Radio, elid)
    assert radio.up is True and radio.last_error is None
    # HTTP first: the AP's signal is its stations' mean, noise its floor, rates its capacity
    assert (radio.signal, radio.noise, radio.snr) == (-64, -92, 28)
    assert (radio.tx_rate, radio.rx_rate) == (250000, 210000)
    assert (radio.cpu, radio.memory, radio.uptime) == (23, 50, 345600)
    assert (radio.model, radio.firmware, radio.ssid, radio.frequency) == \
        ("NanoBeam 5AC", "v8.7.11", "mirpur-sector-1", 5180)
    assert radio.ccq == 91  # airOS 8 has no CCQ in status.cgi: SNMP's ubntWlStatCcq
    assert radio.stations == 2
    stations = {s["name"]: s for s in fn(session, "radio_station", tree[5], radio=str(elid)).rows}
    assert stations["cpe-karim"]["signal"] == -71 and stations["cpe-karim"]["ip"] == "10.20.0.12"
    assert stations["cpe-rahim"]["tx_rate"] == 173000
    [sample] = fn(session, "radio_sample", tree[5], radio=str(elid)).rows
    assert sample["signal"] == -64 and sample["stations"] == 2
    [audit] = session.scalars(sa.select(AuditLog).where(AuditLog.func == "radio_poll")).all()
    assert audit.actor == "scheduler" and audit.after["via"] == "http,snmp"
    assert radio_emu.violations == []
    # not due again until its interval is up
    assert noc_jobs.radio_job(session, DAY) == "polled 0, failed 0"
    radio_emu.stations.pop()
    fn(session, "radio.poll", tree[5], elid=str(elid))
    assert session.get(Radio, elid).stations == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(RadioStation)) == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(RadioSample)) == 2
    assert session.scalars(sa.select(AuditLog.actor).where(AuditLog.func == "radio.poll")).all() \
        == ["noc"]


def test_snmp_alone_reads_the_airmax_mib(session, tree, radio_emu):
    elid = add_radio(session, radio_emu, username="", password="")
    fn(session, "radio.poll", elid=str(elid))
    radio = session.get(Radio, elid)
    assert (radio.signal, radio.noise, radio.ccq, radio.snr) == (-61, -92, 91, 31)
    assert (radio.tx_rate, radio.rx_rate, radio.stations, radio.cpu) == (240000, 200000, 2, 23)
    assert 0 < radio.memory <= 100 and radio.uptime is not None  # the host's UCD, MIB-II
    macs = {s.mac: s for s in session.scalars(sa.select(RadioStation))}
    assert set(macs) == {"24:5A:4C:10:00:01", "24:5A:4C:10:00:02"}
    assert macs["24:5A:4C:10:00:02"].name == "cpe-karim" and macs["24:5A:4C:10:00:02"].ccq == 81
    assert not radio_emu.requests_to("/api/auth")


def test_a_wrong_login_falls_back_to_snmp_and_says_so(session, tree, radio_emu):
    elid = add_radio(session, radio_emu, password="wrong")
    fn(session, "radio.poll", elid=str(elid))
    radio = session.get(Radio, elid)
    assert radio.up is True and radio.signal == -61
    assert "login refused" in radio.last_error
    radio_emu.agent.stop()
    fn(session, "radio.poll", elid=str(elid))
    radio = session.get(Radio, elid)
    assert radio.up is False and "SNMP" in radio.last_error and radio.signal == -61


def test_parse_status_reads_airos6_too():
    r = airmax.parse_status({"host": {"devmodel": "NanoStation M5", "fwversion": "XW.v6.3.16",
                                      "uptime": 100, "cpuload": 7, "totalram": 100,
                                      "freeram": 25},
                             "wireless": {"mode": "sta", "essid": "x", "frequency": "5180 MHz",
                                          "signal": -66, "noisef": -96, "ccq": 987,
                                          "txrate": "150", "rxrate": "120", "count": 1}})
    assert (r.signal, r.noise, r.snr, r.ccq, r.tx_rate, r.rx_rate, r.memory, r.frequency) == \
        (-66, -96, 30, 98, 150000, 120000, 75, 5180)


def test_credentials_are_write_only_and_rights_hold(session, tree, radio_emu):
    isp, _a, _b, ua, ub, noc = tree
    with pytest.raises(FuncError) as err:
        add_radio(session, radio_emu, ua)
    assert err.value.field == "host" and "loopback" in err.value.errors["host"]
    for host, why in (("169.254.169.254", "link-local"), ("0.0.0.0", "link-local"),
                      ("a b", "host name")):
        with pytest.raises(FuncError) as err:
            add_radio(session, radio_emu, ua, name="x", host=host)
        assert err.value.field == "host" and why in err.value.errors["host"]
    with pytest.raises(FuncError) as err:
        add_radio(session, radio_emu, name="x", http_port="5432")
    assert err.value.field == "http_port"
    with pytest.raises(FuncError) as err:
        add_radio(session, radio_emu, name="x", username="", password="", community="")
    assert err.value.field == "community"
    mine = add_radio(session, radio_emu, ua, name="ap-a", host="10.20.0.1")
    row = fn(session, "radio", ua).rows[0]
    assert row["credentials_set"] == ["community", "password"]
    assert "airmax-pass" not in repr(row) and "sector-ro" not in repr(row)
    assert "airmax-pass" not in repr(fn(session, "radio.edit", ua, elid=str(mine)).values)
    for a in session.scalars(sa.select(AuditLog).where(AuditLog.object_type == "radio")):
        assert "airmax-pass" not in repr((a.before, a.after, a.request))
        assert "sector-ro" not in repr((a.before, a.after, a.request))
    assert fn(session, "radio", ub).rows == []
    with pytest.raises(NotFound):
        fn(session, "radio.poll", ub, elid=str(mine))
    with pytest.raises(NotFound):
        fn(session, "radio_station", ub, radio=str(mine))
    with pytest.raises(AccessDenied):
        add_radio(session, radio_emu, ua, name="ap-b", host="10.20.0.2", operator="resB")
    [check] = session.scalars(sa.select(Check).where(Check.device_kind == "radio")).all()
    assert (check.device_id, check.kind, check.target) == (mine, "ping", "10.20.0.1")
    fn(session, "radio.delete", ua, elid=str(mine))
    assert session.scalars(sa.select(Check).where(Check.device_kind == "radio")).all() == []

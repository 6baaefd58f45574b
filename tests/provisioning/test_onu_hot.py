"""An ONU running hot raises a staff alert (issue 18's loose ends): an OLT's optics pass over
the SSH OLT emulator (a VSOL transcript with one ONU's module at 78.4 °C) emits onu.hot for that
ONU only, routed to the staff alerts like device.down; the on-call login of the OLT's operator's
chain gets one SMS in its language (BulkSMSBD's emulator), another reseller's nobody; the next
sync the same day tells nobody again (the dedupe key: once per ONU a day, the ISP's date), the
next day does; the limit is the setting RADBILL_ONU_HOT_CELSIUS (default 70 °C), which the OLT
page marks with too."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from messaging import compose
from provisioning import jobs
from provisioning.olt import sync
from radbill import db, settings
from radbill.models import Event, Olt, Onu, Outbox
from tests.support.factories import fn, make_operator, make_user
from tests.support.messaging import fixtures
from tests.support.messaging.fixtures import add_gateway, drain
from tests.support.ssh_olt import TRANSCRIPTS, OltSshServer

pytestmark = pytest.mark.integration
bulksmsbd_emu = fixtures.bulksmsbd_emu  # fixture
HOT = ("EPON0/1:2   41.19", "EPON0/1:2   78.40")  # ONU 0/1:2's module temperature, in °C


@pytest.fixture
def hot_olt_server(tmp_path):
    """The VSOL transcript with ONU 0/1:2 at 78.40 °C; the others stay at 42.96 and 44.10."""
    text = (TRANSCRIPTS / "vsol.txt").read_text()
    assert HOT[0] in text
    path = tmp_path / "vsol-hot.txt"
    path.write_text(text.replace(*HOT))
    server = OltSshServer(str(path), users={"admin": "vsol-pw"}).start()
    yield server
    server.stop()


def add_olt(session, server, operator: str | None = None) -> Olt:
    fn(session, "olt.edit", sok="ok", name="olt-hot", brand="vsol", host="127.0.0.1",
       ssh_port=server.port, username="admin", password="vsol-pw",
       **({"operator": operator} if operator else {}))
    return session.scalars(sa.select(Olt).where(Olt.name == "olt-hot")).one()


def hot_events(session) -> list[Event]:
    session.flush()
    return list(session.scalars(sa.select(Event).where(Event.name == "onu.hot")
                                .order_by(Event.id)))


def test_a_hot_onu_is_told_once_a_day_and_the_cool_ones_never(session, hot_olt_server):
    make_operator(session, name="isp")
    make_operator(session, name="resA", parent="isp")
    olt = add_olt(session, hot_olt_server, operator="resA")
    [result] = fn(session, "olt.sync", elid=str(olt.id)).rows
    assert result["ok"] and result["optics"] is True and result["onus"] == 4
    [ev] = hot_events(session)
    onu = session.scalars(sa.select(Onu).where(Onu.olt_id == olt.id, Onu.port == "0/1",
                                               Onu.onu_id == 2)).one()
    assert onu.temperature == Decimal("78.40")
    assert ev.operator_id == olt.operator_id and ev.actor == "monitor"
    assert ev.data == {"olt_id": olt.id, "name": "olt-hot", "onu_id": onu.id, "target": "0/1:2",
                       "celsius": "78.40", "limit": 70, "mac": "98:2A:0A:A0:25:B9",
                       "serial": "98:2A:0A:A0:25:B9"}  # a VSOL EPON ONU's serial is its MAC
    day = dt.datetime.now(settings.get().tz).date().isoformat()
    assert ev.dedupe_key == f"onu.hot:{onu.id}:{day}"
    [alert] = session.scalars(sa.select(Outbox).where(Outbox.event_id == ev.id)).all()
    assert alert.kind == "alert"  # routed like device.down: the operator's staff
    assert compose.alert_title("onu.hot", "bn") == "একটি ওএনইউ অতিরিক্ত গরম হয়ে চলছে"
    assert compose.alert_title("onu.hot", "en") == "An ONU is running hot"

    # the next optics pass the same day reads it hot again: nobody is told twice
    olt.last_optics_at = None
    [again] = fn(session, "olt.sync", elid=str(olt.id)).rows
    assert again["optics"] is True and len(hot_events(session)) == 1
    # a pass without optics reads no temperatures: nothing to say
    [plain] = fn(session, "olt.sync", elid=str(olt.id)).rows
    assert plain["optics"] is False and len(hot_events(session)) == 1
    # the next day (the ISP's date) it is told again, once
    found = [sync.OnuInfo("0/1", 2, "online", temperature=Decimal("78.40"))]
    tomorrow = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
    assert sync.hot(session, olt, found, [onu.id], tomorrow) == 1
    assert sync.hot(session, olt, found, [onu.id], tomorrow) == 0
    assert len(hot_events(session)) == 2


def test_the_limit_is_a_setting_and_the_page_marks_the_same(session, hot_olt_server,
                                                           monkeypatch):
    monkeypatch.setenv("RADBILL_ONU_HOT_CELSIUS", "80")
    settings.get.cache_clear()
    try:
        olt = add_olt(session, hot_olt_server)
        fn(session, "olt.sync", elid=str(olt.id))
        assert hot_events(session) == []  # 78.40 is not above 80
        onu = session.scalars(sa.select(Onu).where(Onu.olt_id == olt.id, Onu.onu_id == 2,
                                                   Onu.port == "0/1")).one()
        found = [sync.OnuInfo("0/1", 2, "online", temperature=Decimal("80.00")),
                 sync.OnuInfo("0/1", 1, "online", temperature=None)]
        now = dt.datetime.now(dt.timezone.utc)
        assert sync.hot(session, olt, found, [onu.id, onu.id + 1000], now) == 0  # not above
        found[0] = sync.OnuInfo("0/1", 2, "online", temperature=Decimal("80.01"))
        assert sync.hot(session, olt, found, [onu.id, onu.id + 1000], now) == 1
        assert hot_events(session)[0].data["limit"] == 80
    finally:
        settings.get.cache_clear()


def test_the_olt_page_marks_hot_above_the_setting(world, auth, hot_olt_server, monkeypatch):
    olt = add_olt(world.dbs, hot_olt_server)
    fn(world.dbs, "olt.sync", elid=str(olt.id))
    world.dbs.commit()
    auth.login("noc1")
    page = auth.get(f"/devices/olt/{olt.id}").get_data(as_text=True)
    assert page.count('class="temp hot"') == 1 and 'title="over 70 °C"' in page
    monkeypatch.setenv("RADBILL_ONU_HOT_CELSIUS", "80")
    settings.get.cache_clear()
    try:
        page = auth.get(f"/devices/olt/{olt.id}").get_data(as_text=True)
        assert 'class="temp hot"' not in page and "78.4 °C" in page
    finally:
        settings.get.cache_clear()


@pytest.fixture
def desk(committed, bulksmsbd_emu, hot_olt_server):
    """The ISP with an SMS gateway; reseller A owns the hot OLT; on call: the ISP's NOC (in
    Bangla) and reseller B's operator, who must hear nothing of A's OLT."""
    with db.session_scope() as s:
        isp = make_operator(s, name="isp")
        make_operator(s, name="resA", parent="isp")
        make_operator(s, name="resB", parent="isp")
        add_gateway(s, isp.id, bulksmsbd_emu)
        make_user(s, login="duty", role="noc", operator="isp", mobile="01711000111",
                  on_call="yes", lang="bn")
        make_user(s, login="rb", role="operator", operator="resB", mobile="01911000555",
                  on_call="yes")
        add_olt(s, hot_olt_server, operator="resA")
    drain()
    bulksmsbd_emu.sent.clear()


def test_the_sync_job_alerts_the_on_call_staff_once(desk, bulksmsbd_emu):
    with db.session_scope() as s:
        [r] = jobs.sync_olts(s, force=True, timeout=3)
        assert r["ok"] and r["optics"] is True
    drain()
    [sms] = bulksmsbd_emu.sent
    assert sms["number"] == "8801711000111"  # the ISP's on-call NOC, not reseller B's login
    assert sms["message"].startswith("সতর্কবার্তা: একটি ওএনইউ অতিরিক্ত গরম হয়ে চলছে। "
                                     "name: olt-hot, target: 0/1:2, celsius: 78.40, limit: 70")
    with db.session_scope() as s:  # the next pass reads optics again, the same day
        s.execute(sa.update(Olt).values(last_optics_at=None))
        [r] = jobs.sync_olts(s, force=True, timeout=3)
        assert r["optics"] is True
    drain()
    assert len(bulksmsbd_emu.sent) == 1 and bulksmsbd_emu.violations == []

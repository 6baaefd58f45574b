"""The OLT page's tabs (issue 18): ONU temperatures with the hot ones marked, the VLANs from
the OLT's stored copy with a button that re-reads them, the log read from the device with
filters; another reseller's NOC gets nothing; Bangla; a 390 px phone."""
from __future__ import annotations

import datetime as dt
import html
import re
import shutil
from decimal import Decimal

import pytest
import sqlalchemy as sa

from radbill.models import Olt, Onu, StaffUser
from tests.admin.test_bangla_pages import assert_bangla
from tests.admin.test_browser import browser, live_admin  # noqa: F401  (fixtures)
from tests.support.admin_fixtures import PASSWORD
from tests.support.factories import fn, make_user

pytestmark = pytest.mark.integration


def text(resp) -> str:
    return html.unescape(resp.get_data(as_text=True))


def flashes(page: str) -> str:
    return " ".join(re.findall(r'class="flash [a-z]+">([^<]*)<', page))


def add_olt(dbs, vsol, **kw) -> Olt:
    fn(dbs, "olt.edit", sok="ok", name=kw.pop("name", "olt-north"), brand="vsol",
       host="127.0.0.1", ssh_port=vsol.port, username="admin", password="vsol-pw", **kw)
    olt = dbs.scalars(sa.select(Olt).order_by(Olt.id.desc())).first()
    dbs.commit()
    return olt


@pytest.fixture
def olt(world, vsol):
    return add_olt(world.dbs, vsol, operator="opA")


def test_onu_temperatures_are_shown_and_the_hot_ones_marked(world, auth, olt):
    world.dbs.add_all([
        Onu(olt_id=olt.id, port="0/1", onu_id=1, serial="VSOL0001", status="online",
            rx_power=Decimal("-17.12"), temperature=Decimal("42.96")),
        Onu(olt_id=olt.id, port="0/1", onu_id=2, serial="VSOL0002", status="online",
            rx_power=Decimal("-26.10"), temperature=Decimal("73.50")),
        Onu(olt_id=olt.id, port="0/1", onu_id=4, serial="VSOL0004", status="offline")])
    world.dbs.commit()
    auth.login("noc1")
    page = text(auth.get(f"/devices/olt/{olt.id}"))
    cool, hot, offline = re.findall(r"<tr><td>0/1</td>.*?</tr>", page.split('id="onus"')[1], re.S)
    assert '<td class="temp">43.0 °C</td>' in cool
    assert 'class="temp hot"' in hot and "73.5 °C ⚠" in hot and 'title="over 70 °C"' in hot
    assert "°C" not in offline
    tabs = page.split('id="olt-tabs"')[1].split("</ul>")[0]
    assert f'href="/devices/olt/{olt.id}/log"' in tabs
    assert f'href="/devices/olt/{olt.id}/vlans"' in tabs


def test_vlans_come_from_the_stored_copy_and_the_button_reads_them_again(world, auth, olt, vsol):
    auth.login("noc1")
    page = text(auth.get(f"/devices/olt/{olt.id}/vlans"))
    assert "Not read from the OLT yet." in page and "No VLANs known yet." in page
    assert "show vlan" not in vsol.commands
    assert auth.client.post(f"/devices/olt/{olt.id}/vlans/refresh").status_code == 400  # no token
    resp = auth.post(f"/devices/olt/{olt.id}/vlans/refresh", {})
    assert resp.status_code == 302 and vsol.commands.count("show vlan") == 1
    page = text(auth.get(f"/devices/olt/{olt.id}/vlans"))
    assert "olt-north: 3 VLANs read" in flashes(page)
    rows = page.split('id="olt-vlans"')[1].split("</table>")[0]
    assert "<td>100</td><td>internet</td>" in rows and "ge0/1, epon0/1, epon0/2" in rows
    assert "Last read from the OLT:" in page
    for _ in range(3):
        auth.get(f"/devices/olt/{olt.id}/vlans")
    assert vsol.commands.count("show vlan") == 1  # page views never ask the OLT


def test_the_log_tab_reads_the_olt_with_filters(world, auth, olt, vsol):
    auth.login("noc1")
    page = text(auth.get(f"/devices/olt/{olt.id}/log?severity=warning"))
    rows = page.split('id="olt-log"')[1].split("</table>")[0]
    assert re.findall(r'class="sev-(\w+)"', rows) == ["critical", "warning"]
    assert "EPON0/1 LOS: no optical signal on the PON port" in rows
    page = text(auth.get(f"/devices/olt/{olt.id}/log?q=registered&severity=bogus"))
    assert len(re.findall(r'class="sev-', page)) == 2  # an unknown severity is ignored
    fn(world.dbs, "olt.edit", elid=olt.id, sok="ok", password="wrong")  # stored encrypted
    world.dbs.commit()
    resp = auth.get(f"/devices/olt/{olt.id}/log")
    assert resp.status_code == 502 and "rejected" in text(resp).split('id="log-error"')[1]


def test_another_resellers_noc_gets_none_of_it(world, auth, olt, vsol):
    make_user(world.dbs, login="nocb", role="noc", operator="opB", password=PASSWORD)
    world.dbs.commit()
    auth.login("nocb")
    for path in (f"/devices/olt/{olt.id}", f"/devices/olt/{olt.id}/log",
                 f"/devices/olt/{olt.id}/vlans"):
        assert auth.get(path).status_code == 404, path
    auth.get("/devices/")
    assert auth.post(f"/devices/olt/{olt.id}/vlans/refresh", {}).status_code in (302, 404)
    assert vsol.commands == []
    auth.login("opera")  # a role without device rights
    assert auth.get(f"/devices/olt/{olt.id}/log").status_code == 403


def test_the_olt_pages_in_bangla(world, auth, olt, vsol):
    world.dbs.add(Onu(olt_id=olt.id, port="0/1", onu_id=2, serial="VSOL0002", status="online",
                      temperature=Decimal("73.50")))
    world.dbs.execute(sa.update(StaffUser).where(StaffUser.login == "noc1").values(lang="bn"))
    world.dbs.commit()
    auth.login("noc1")
    fn(world.dbs, "olt.vlans", elid=olt.id, refresh="yes", sok="ok")
    world.dbs.commit()
    allowed = {"OLT", "ONU", "MAC", "olt", "north", "vsol", "dBm", "VSOL0002", "default",
               "internet", "iptv", "EPON", "ONU", "LOS", "registered", "deregistered", "user",
               "admin", "logged", "in", "from", "dying-gasp", "no", "optical", "signal",
               "on", "the", "PON", "port"}
    for path in ("", "/vlans", "/log"):
        page = auth.get(f"/devices/olt/{olt.id}{path}?lang=bn").get_data(as_text=True)
        assert '<html lang="bn">' in page
        assert_bangla(page, f"olt{path}", allowed)
    assert "তাপমাত্রা" in auth.get(f"/devices/olt/{olt.id}").get_data(as_text=True)


@pytest.fixture
def phone_olt(committed, vsol):
    from radbill import db
    from tests.support.factories import make_isp
    with db.session_scope() as s:
        make_isp(s)
        make_user(s, login="polt", role="noc", password=PASSWORD, lang="bn")
        fn(s, "olt.edit", sok="ok", name="olt-mirpur-section-10-rooftop", brand="vsol",
           host="127.0.0.1", ssh_port=vsol.port, username="admin", password="vsol-pw")
        olt = s.scalars(sa.select(Olt)).one()
        fn(s, "olt.sync", elid=olt.id)
        s.execute(sa.update(Onu).where(Onu.olt_id == olt.id, Onu.onu_id == 2)
                  .values(temperature=Decimal("74.20"),
                          description="a-very-long-description-of-the-subscriber-house-12b"))
        s.execute(sa.update(Onu).where(Onu.olt_id == olt.id).values(
            last_seen_at=dt.datetime(2026, 11, 21, 4, 0, tzinfo=dt.timezone.utc)))
        return olt.id


@pytest.mark.browser
@pytest.mark.skipif(not shutil.which("chromedriver"), reason="no chromedriver")
def test_the_olt_pages_fit_a_390_px_phone_in_bangla(phone_olt, live_admin, browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    from tests.support.phone_pages import shoot_at_390
    live, b = live_admin, browser
    pages = (("olt", ""), ("olt-vlans", "/vlans"), ("olt-log", "/log"))
    shoot_at_390(b, live, "polt", PASSWORD, tuple(
        (name, f"/devices/olt/{phone_olt}{path}") for name, path in pages), "issue18")
    for _name, path in pages:
        b.get(f"{live}/devices/olt/{phone_olt}{path}")
        assert "ওএলটি" in b.find_element(By.TAG_NAME, "h1").text

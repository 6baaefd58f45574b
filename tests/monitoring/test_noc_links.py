"""The NOC dashboard and the topology maps link to each other (issue 18's loose ends): the NOC
names each device down with a link to its own page (a router's, an OLT's, a radio's) and links
to the topology maps; the maps link back to the NOC. A role that may not open a router's or an
OLT's page gets no link to one, and the wall (no login) gets no links at all."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from radbill.models import DeviceStatus, Olt, Radio
from tests.support.factories import fn, make

pytestmark = pytest.mark.integration


@pytest.fixture
def down(world):
    """A router, an OLT and a radio of the ISP, all down, and a map."""
    dbs = world.dbs
    nas = make(dbs, "nas", name="edge9", ip="127.0.0.9", secret="testing123")
    fn(dbs, "olt.edit", sok="ok", name="olt-south", brand="vsol", host="127.0.0.10",
       username="admin", password="vsol-pw")
    olt = dbs.scalars(sa.select(Olt).where(Olt.name == "olt-south")).one()
    now = dbs.scalar(sa.select(sa.func.now()))
    dbs.execute(sa.delete(DeviceStatus))
    dbs.add_all([DeviceStatus(kind="nas", device_id=nas.id, up=False, changed_at=now,
                              checked_at=now),
                 DeviceStatus(kind="olt", device_id=olt.id, up=False, changed_at=now,
                              checked_at=now)])
    radio = Radio(operator_id=world.isp.id, name="ap-south", kind="airmax", host="10.20.0.9",
                  up=False, last_poll_at=now)
    dbs.add(radio)
    dbs.flush()
    m = fn(dbs, "topology.edit", sok="ok", name="South", operator="isp").elid
    dbs.commit()
    return {"nas": nas.id, "olt": olt.id, "radio": radio.id, "map": m}


def down_panel(page: str) -> str:
    return page.split('id="devices-down"')[1].split("</section>")[0]


def test_the_noc_links_each_device_down_to_its_page_and_to_the_maps(world, auth, down):
    auth.login("noc1")
    page = auth.get("/noc/").get_data(as_text=True)
    panel = down_panel(page)
    assert f'<a href="/devices/nas/{down["nas"]}">edge9</a>' in panel
    assert f'<a href="/devices/olt/{down["olt"]}">olt-south</a>' in panel
    assert f'<a href="/noc/radios/{down["radio"]}">ap-south</a>' in panel
    assert 'id="down-topology"' in panel and 'id="noc-topology"' not in panel
    assert re.search(r'<a href="/topology/" id="noc-topology">', page)
    assert re.search(r'<a href="/devices/" id="noc-devices">', page)
    # each link opens that device's page (the router's says its API is not set up: a 400)
    for href, name in re.findall(r'href="(/(?:devices|noc/radios)/[^"]*)">([^<]+)<', panel):
        resp = auth.get(href)
        h1 = resp.get_data(as_text=True).split("<h1>")[1].split("</h1>")[0]
        assert resp.status_code in (200, 400) and name in h1, (href, resp.status_code)
    assert auth.get("/topology/").status_code == 200


def test_the_maps_link_back_to_the_noc(world, auth, down):
    auth.login("noc1")
    for path in ("/topology/", f"/topology/{down['map']}"):
        page = auth.get(path).get_data(as_text=True)
        assert re.search(r'<a href="/noc/" id="to-noc">', page), path
    auth.get(f"/topology/{down['map']}")
    assert auth.get("/noc/").status_code == 200


def test_a_role_without_device_pages_gets_no_links_to_them(world, auth, down):
    """A reseller's operator sees the NOC (its own radios) and the maps, but may open no
    router's or OLT's page: no link to one."""
    auth.login("opera")
    page = auth.get("/noc/").get_data(as_text=True)
    assert "/devices/" not in page and 'id="noc-devices"' not in page
    assert re.search(r'<a href="/topology/" id="noc-topology">', page)
    assert 'id="to-noc"' in auth.get("/topology/").get_data(as_text=True)


def test_the_wall_links_nowhere(world, auth, app, down):
    auth.login("noc1")
    auth.get("/noc/")
    made = auth.post("/noc/wall-link", {"days": "1"}).get_data(as_text=True)
    url = re.search(r'id="wall-url" readonly value="([^"]+)"', made)[1]
    assert '<p><a href="/noc/">Back to the NOC</a></p>' in made
    wall = app.test_client().get(url.split("localhost", 1)[1]).get_data(as_text=True)
    assert "edge9" in down_panel(wall) and "<a " not in wall

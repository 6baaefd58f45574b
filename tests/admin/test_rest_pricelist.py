"""func=pricelist on /billmgr (issue 15): the seed's own Perl, PHP and Python examples read the
tariffs under doc/elem/name; today they do."""
from __future__ import annotations

from xml.dom import minidom

from tests.support.admin_fixtures import PASSWORD
from tests.support.factories import make_package


def test_the_seeds_python_example_reads_the_tariffs(world, client):
    make_package(world.dbs, name="fibre50", price="1200")
    world.dbs.commit()
    resp = client.get("/billmgr", query_string={"authinfo": f"opera:{PASSWORD}",
                                                "out": "xml", "func": "pricelist"})
    assert resp.status_code == 200
    doc = minidom.parseString(resp.get_data())
    names = [name.firstChild.nodeValue for node in doc.getElementsByTagName("elem")
             for name in node.getElementsByTagName("name")]
    assert {"home10", "fibre50"} <= set(names)
    root = doc.documentElement  # the Perl example: findnodes("elem/name") under the root
    assert root.tagName == "doc" and all(e.parentNode is root for e in
                                         doc.getElementsByTagName("elem"))


def test_pricelist_as_json_has_name_and_price(world, client):
    resp = client.get("/billmgr", query_string={"authinfo": f"opera:{PASSWORD}",
                                                "out": "JSONdata", "func": "pricelist"})
    rows = {r["name"]: r for r in resp.get_json()}
    assert rows["home10"]["price"] == "500.00" and rows["home10"]["rate_down"] == "10M"
    assert "wholesale_price" not in rows["home10"]
    resp = client.get("/billmgr", query_string={"authinfo": f"opera:{PASSWORD}",
                                                "out": "json", "func": "pricelist"})
    assert resp.status_code == 200 and "doc" in resp.get_json()


def test_pricelist_hides_money_from_noc(world, client):
    resp = client.get("/billmgr", query_string={"authinfo": f"noc1:{PASSWORD}",
                                                "out": "JSONdata", "func": "pricelist"})
    assert resp.status_code == 200
    row = {r["name"]: r for r in resp.get_json()}["home10"]
    assert "price" not in row and row["rate_down"] == "10M"

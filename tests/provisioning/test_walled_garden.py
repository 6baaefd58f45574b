"""The hotspot walled garden (issue 14): hosts listed per operator in radbill, plus the portal's
and the payment gateways' by themselves, pushed to MikroTik routers as /ip hotspot walled-garden
entries commented `radbill` (a dry run first). The real routeros-api client against the
wire-protocol emulator; the staff pages through the Flask client."""
from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa

from radbill import settings
from radbill.functions.caller import SYSTEM
from radbill.functions.registry import AccessDenied, FuncError, NotFound
from radbill.models import AuditLog, WalledGardenHost
from provisioning.walled_garden import walled_garden_for
from rating import gateways
from tests.support.factories import caller_of, fn, make, make_isp, make_operator, make_user

pytestmark = pytest.mark.integration
WG = "/ip/hotspot/walled-garden"
PORTAL = "portal.isp.example"


@pytest.fixture
def public_url(monkeypatch):
    monkeypatch.setenv("RADBILL_PUBLIC_URL", f"https://{PORTAL}")
    settings.get.cache_clear()
    yield
    monkeypatch.undo()
    settings.get.cache_clear()


@pytest.fixture
def tenants(session, ros, public_url):
    """An ISP with an SSLCommerz live account; reseller A with bKash sandbox, reseller B with
    aamarPay at its own address and a router of its own."""
    isp = make_isp(session)
    make_operator(session, name="resA", parent=isp.name)
    make_operator(session, name="resB", parent=isp.name)
    fn(session, "gateway.edit", sok="ok", name="ssl", kind="sslcommerz", mode="live",
       operator=isp.name, store_id="isp01", store_passwd="isp01@ssl")
    fn(session, "gateway.edit", sok="ok", name="bk", kind="bkash", operator="resA",
       app_key="a", app_secret="b", username="c", password="d")
    fn(session, "gateway.edit", sok="ok", name="ap", kind="aamarpay", operator="resB",
       base_url="https://pay.resb.example", store_id="resb", signature_key="k-1234")
    staff = {name: caller_of(session, make_user(session, login=name, role=role, operator=op))
             for name, role, op in (("opA", "operator", "resA"), ("opB", "operator", "resB"),
                                    ("nocB", "noc", "resB"), ("nocA", "noc", "resA"))}
    make(session, "nas", name="coreB", ip="127.0.0.1", secret="testing123", api_user="admin",
         api_password="secret", api_port=ros.port, operator="resB")
    fn(session, "walled_garden.edit", sok="ok", host="dns.isp.example", note="the ISP's",
       operator=isp.name)
    return isp, staff


def hosts(rows) -> dict[str, str]:
    return {r["host"]: r.get("source") or r.get("action") for r in rows}


def changes_sent(ros) -> list[list[str]]:
    return [w for w in ros.commands if w[0].rsplit("/", 1)[-1] in ("add", "set", "remove")]


ISP_AUTO = {PORTAL, "securepay.sslcommerz.com"}
A_AUTO = {"tokenized.sandbox.bka.sh", "sandbox.payment.bkash.com"}
B_AUTO = {"pay.resb.example"}


def test_edit_list_delete_with_the_host_checked(session, tenants):
    _, staff = tenants
    op = staff["opA"]
    made = fn(session, "walled_garden.edit", op, sok="ok", host=" Help.ResA.Example ",
              note="help desk")
    row = session.get(WalledGardenHost, made.elid)
    assert row.host == "help.resa.example" and row.note == "help desk"
    fn(session, "walled_garden.edit", op, sok="ok", host="*.cdn.resa.example")
    fn(session, "walled_garden.edit", op, sok="ok", host="203.0.113.7")
    for bad in ("not a host!", "*.com", "1.2.3", "127.0.0.1", "a..b", "-x.example", "é.example",
                "x" * 254, "*.*.resa.example"):
        with pytest.raises(FuncError) as err:
            fn(session, "walled_garden.edit", op, sok="ok", host=bad)
        assert "host" in err.value.errors, bad
    with pytest.raises(FuncError) as err:
        fn(session, "walled_garden.edit", op, sok="ok", host="HELP.resa.example")
    assert err.value.errors == {"host": "'help.resa.example' is already listed"}

    listed = fn(session, "walled_garden", op)
    assert listed.columns == ["host", "note", "operator", "source", "id"]
    got = {r["host"]: (r["source"], r["operator"]) for r in listed.rows}
    assert got["help.resa.example"] == ("staff", "resA")
    assert got["dns.isp.example"][0] == "staff"  # the ISP's row reaches its routers too
    assert got[PORTAL] == ("auto", None) and got["sandbox.payment.bkash.com"] == ("auto", "resA")
    assert set(got) == {"help.resa.example", "*.cdn.resa.example", "203.0.113.7",
                        "dns.isp.example"} | ISP_AUTO | A_AUTO
    assert all(r["id"] is None for r in listed.rows if r["source"] == "auto")
    assert [r["host"] for r in fn(session, "walled_garden", op, q="resa").rows] == \
        ["*.cdn.resa.example", "help.resa.example"]
    assert fn(session, "walled_garden", op, per_page="2", page="2").total == len(got)

    fn(session, "walled_garden.edit", op, sok="ok", elid="help.resa.example", note="")
    assert session.get(WalledGardenHost, made.elid).note == ""
    with pytest.raises(AccessDenied):  # the ISP's own row: seen, not theirs to change
        fn(session, "walled_garden.delete", op, elid="dns.isp.example")
    fn(session, "walled_garden.delete", op, elid="help.resa.example")
    assert session.get(WalledGardenHost, made.elid) is None
    audit = session.scalars(sa.select(AuditLog.func).where(
        AuditLog.object_type == "walled_garden")).all()
    assert audit.count("walled_garden.edit") == 5 and audit.count("walled_garden.delete") == 1


def test_a_second_reseller_neither_sees_nor_edits_the_firsts(session, tenants):
    _, staff = tenants
    a, b = staff["opA"], staff["opB"]
    mine = fn(session, "walled_garden.edit", a, sok="ok", host="help.resa.example").elid
    seen = hosts(fn(session, "walled_garden", b).rows)
    assert "help.resa.example" not in seen and not A_AUTO & set(seen)
    assert set(seen) == {"dns.isp.example"} | ISP_AUTO | B_AUTO
    with pytest.raises(NotFound):
        fn(session, "walled_garden.edit", b, elid=str(mine))
    with pytest.raises(NotFound):
        fn(session, "walled_garden.edit", b, sok="ok", elid="help.resa.example", note="mine now")
    fn(session, "walled_garden.delete", b, elid=str(mine))  # nothing of theirs matched
    assert session.get(WalledGardenHost, mine) is not None
    with pytest.raises(AccessDenied):
        fn(session, "walled_garden.edit", b, sok="ok", host="x.resb.example", operator="resA")
    # the same host is B's own to list; by host, B's own row is found before the ISP's
    fn(session, "walled_garden.edit", b, sok="ok", host="help.resa.example")
    fn(session, "walled_garden.edit", b, sok="ok", host="dns.isp.example", note="B's too")
    fn(session, "walled_garden.delete", b, elid="dns.isp.example")
    left = session.scalars(sa.select(WalledGardenHost).where(
        WalledGardenHost.host == "dns.isp.example")).all()
    assert [r.note for r in left] == ["the ISP's"]
    fn(session, "walled_garden.delete", SYSTEM, elid="DNS.isp.example")
    assert session.scalars(sa.select(WalledGardenHost).where(
        WalledGardenHost.host == "dns.isp.example")).all() == []
    with pytest.raises(AccessDenied):  # the NOC reads the list but edits nothing
        fn(session, "walled_garden.edit", staff["nocB"], sok="ok", host="y.resb.example")


def test_the_dry_run_lists_the_routers_line_and_changes_nothing(session, tenants, ros):
    _, staff = tenants
    fn(session, "walled_garden.edit", staff["opA"], sok="ok", host="help.resa.example")
    fn(session, "walled_garden.edit", staff["opB"], sok="ok", host="help.resb.example")
    before = session.scalar(sa.select(sa.func.count()).select_from(AuditLog))
    plan = fn(session, "router.push_walled_garden", staff["nocB"], elid="coreB")
    assert plan.columns == ["host", "action"]
    assert hosts(plan.rows) == {h: "add" for h in {"help.resb.example", "dns.isp.example"}
                                | ISP_AUTO | B_AUTO}
    assert [r["host"] for r in plan.rows] == sorted(r["host"] for r in plan.rows)
    assert changes_sent(ros) == [] and ros.rows(WG) == []
    assert any(w[0] == f"{WG}/print" and "?comment=radbill" in w for w in ros.commands)
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == before
    # a sub-reseller of B logs its customers in through B's router: its hosts go there too
    make_operator(session, name="subB", parent="resB", level="sub")
    fn(session, "walled_garden.edit", sok="ok", host="help.subb.example", operator="subB")
    plan = fn(session, "router.push_walled_garden", staff["nocB"], elid="coreB")
    assert hosts(plan.rows)["help.subb.example"] == "add"
    assert "help.resa.example" not in hosts(plan.rows)
    # a shared router (no operator) gets every operator's hosts
    shared = make(session, "nas", name="shared", ip="127.0.0.2", secret="testing123",
                  api_user="admin", api_password="secret", api_port=ros.port)
    everyone = {e.host: e.source for e in walled_garden_for(session, shared)}
    assert everyone == {"help.resa.example": "staff", "help.resb.example": "staff",
                        "help.subb.example": "staff", "dns.isp.example": "staff"} | {h: "auto" for h in
                                                       A_AUTO | B_AUTO | ISP_AUTO}
    # a reseller's NOC may not push onto a router it does not own
    with pytest.raises(AccessDenied, match="only its owner pushes the walled garden"):
        fn(session, "router.push_walled_garden", staff["nocA"], elid="shared")
    assert changes_sent(ros) == []


def test_the_push_adds_and_removes_only_ours(session, tenants, ros):
    _, staff = tenants
    foreign = ros.add(WG, **{"dst-host": "bank.example", "action": "allow", "comment": "theirs"})
    untagged = ros.add(WG, **{"dst-host": "old.example", "action": "allow"})
    ros.add(WG, **{"dst-host": "old.example", "action": "allow", "comment": "radbill"})
    ros.add(WG, **{"dst-host": PORTAL, "action": "allow", "comment": "radbill"})
    ros.add(WG, **{"dst-host": "dns.isp.example", "action": "deny", "comment": "radbill"})
    noc = staff["nocB"]
    plan = hosts(fn(session, "router.push_walled_garden", noc, elid="coreB").rows)
    assert plan == {"old.example": "remove", PORTAL: "unchanged", "dns.isp.example": "update",
                    "securepay.sslcommerz.com": "add", "pay.resb.example": "add"}
    assert changes_sent(ros) == []

    done = hosts(fn(session, "router.push_walled_garden", noc, elid="coreB", sok="ok").rows)
    assert done == {"old.example": "removed", PORTAL: "unchanged", "dns.isp.example": "updated",
                    "securepay.sslcommerz.com": "added", "pay.resb.example": "added"}
    rows = ros.rows(WG)
    ours = {r["dst-host"]: r for r in rows if r.get("comment") == "radbill"}
    assert set(ours) == {PORTAL, "dns.isp.example", "securepay.sslcommerz.com",
                         "pay.resb.example"}
    assert all(r["action"] == "allow" for r in ours.values())
    others = [r for r in rows if r.get("comment") != "radbill"]
    assert [r[".id"] for r in others] == [foreign, untagged]  # the router's own, untouched
    assert not [w for w in changes_sent(ros) if f"=.id={foreign}" in w or f"=.id={untagged}" in w]
    audit = session.scalars(sa.select(AuditLog).where(
        AuditLog.func == "router.push_walled_garden")).one()
    assert {r["host"]: r["action"] for r in audit.after["walled_garden"]} == {
        "old.example": "removed", "dns.isp.example": "updated",
        "securepay.sslcommerz.com": "added", "pay.resb.example": "added"}

    sent = len(changes_sent(ros))
    again = fn(session, "router.push_walled_garden", noc, elid="coreB", sok="ok").rows
    assert {r["action"] for r in again} == {"unchanged"} and len(again) == 4
    assert len(changes_sent(ros)) == sent


def test_a_router_that_refuses_the_login_says_so(session, tenants, ros):
    fn(session, "nas.edit", sok="ok", elid="coreB", api_password="wrong")
    with pytest.raises(FuncError) as err:
        fn(session, "router.push_walled_garden", elid="coreB", sok="ok")
    assert err.value.status == 502 and err.value.field == "api_user"
    assert "login as 'admin' was rejected" in err.value.message
    assert changes_sent(ros) == []


def test_each_driver_names_its_hosted_pages_hosts():
    bkash = gateways.driver_class("bkash")
    live = gateways.Config("bkash", "live", bkash.URLS["live"], {})
    assert bkash.hosts(live) == ["tokenized.pay.bka.sh", "payment.bkash.com"]
    ssl = gateways.driver_class("sslcommerz")
    assert ssl.hosts(gateways.Config("sslcommerz", "sandbox", ssl.URLS["sandbox"], {})) == \
        ["sandbox.sslcommerz.com"]
    nagad = gateways.driver_class("nagad")  # a port in the address is no part of the host
    assert nagad.hosts(gateways.Config("nagad", "sandbox", nagad.URLS["sandbox"], {})) == \
        ["sandbox.mynagad.com"]


# -- the staff pages ------------------------------------------------------------------------------
def page_text(resp) -> str:
    return html.unescape(resp.get_data(as_text=True))


@pytest.fixture
def garden_nas(world, ros):
    n = make(world.dbs, "nas", name="core1", ip="127.0.0.1", secret="testing123",
             api_user="admin", api_password="secret", api_port=ros.port)
    fn(world.dbs, "walled_garden.edit", SYSTEM, sok="ok", host="help.isp.example", operator="isp")
    world.dbs.commit()
    return n


def test_the_router_page_offers_a_dry_run_then_a_confirmed_push(world, auth, garden_nas, ros):
    nas = garden_nas
    ros.add(WG, **{"dst-host": "bank.example", "action": "allow", "comment": "theirs"})
    auth.login("noc1")
    router = page_text(auth.get(f"/devices/nas/{nas.id}"))
    assert f'href="/devices/nas/{nas.id}/walled-garden"' in router and 'id="push-garden"' in router
    plan = auth.get(f"/devices/nas/{nas.id}/walled-garden")
    shown = page_text(plan)
    assert plan.status_code == 200 and "nothing has changed on the router yet" in shown
    table = shown.split('id="garden-plan"')[1].split("</table>")[0]
    assert re.search(r"<td>help\.isp\.example</td><td>add</td>", table)
    assert "bank.example" not in table and changes_sent(ros) == []
    assert 'id="garden-confirm"' in shown
    forged = auth.client.post(f"/devices/nas/{nas.id}/walled-garden", data={})
    assert forged.status_code == 400 and changes_sent(ros) == []
    # through the generic pages a GET with sok=ok only asks first
    asked = auth.get(f"/billmgr?func=router.push_walled_garden&elid={nas.id}&sok=ok")
    assert asked.status_code == 200 and 'id="confirm-form"' in page_text(asked)
    assert changes_sent(ros) == []
    done = auth.post(f"/devices/nas/{nas.id}/walled-garden", {})
    assert done.status_code == 302 and done.location.endswith(f"/devices/nas/{nas.id}")
    assert "help.isp.example" in {r["dst-host"] for r in ros.rows(WG)}
    assert len(ros.rows(WG)) == 1 + len(fn(world.dbs, "router.push_walled_garden",
                                           elid=str(nas.id)).rows)
    said = page_text(auth.get(f"/devices/nas/{nas.id}"))
    assert "Router core1 updated" in said and "Added: " in said
    again = page_text(auth.get(f"/devices/nas/{nas.id}/walled-garden"))
    assert 'id="garden-same"' in again and 'id="garden-confirm"' not in again


def test_the_walled_garden_list_is_in_the_network_menu(world, auth, garden_nas):
    auth.login("opera")
    home = page_text(auth.get("/"))
    assert 'href="/billmgr?func=walled_garden"' in home
    page = auth.get("/billmgr?func=walled_garden")
    assert page.status_code == 200
    shown = page_text(page)
    assert "help.isp.example" in shown and 'id="list-walled_garden"' in shown
    auth.login("cards1")  # a card distributor has no network pages
    assert 'func=walled_garden"' not in page_text(auth.get("/"))

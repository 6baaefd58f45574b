"""Every page, as every role: what each sees, what it may change, and what it may not reach."""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from radbill.models import Customer, Operator, RadAcct, RadPostAuth

ROLES = ["root1", "gadmin", "opera", "suba", "mgr", "noc1", "cards1"]


def menu_links(html: str) -> list[str]:
    nav = html.split("<nav>")[1].split("</nav>")[0]
    return [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"', nav)]


@pytest.mark.parametrize("login", ROLES)
def test_every_menu_page_opens_for_every_role(world, auth, login):
    auth.login(login)
    home = auth.get("/")
    assert home.status_code == 200
    for link in menu_links(home.get_data(as_text=True)):
        resp = auth.get(link)
        assert resp.status_code == 200, (login, link, resp.status_code)


def test_the_noc_sees_devices_and_sessions_but_no_money(world, auth):
    auth.login("noc1")
    links = menu_links(auth.get("/").get_data(as_text=True))
    assert "/billmgr?func=nas" in links and "/billmgr?func=customer" in links
    funcs = [link.split("func=")[-1] for link in links]
    assert not any(w in f for f in funcs for w in ("payment", "bill", "journal", "ledger", "card"))
    assert auth.get("/billmgr?func=payment").status_code == 403
    page = auth.get("/billmgr?func=customer").get_data(as_text=True)
    assert "alice" in page and "advance_balance" not in page
    assert "Collected today" not in auth.get("/").get_data(as_text=True)
    header = auth.get("/export.csv?func=customer").get_data(as_text=True).splitlines()[0]
    assert "advance_balance" not in header


def test_a_manager_sees_only_assigned_customers_and_only_collects(world, auth):
    auth.login("mgr")
    page = auth.get("/billmgr?func=customer").get_data(as_text=True)
    assert "alice" in page and "amos" not in page
    assert auth.get(f"/customers/{world.cust_a2.id}").status_code == 404
    mine = auth.get(f"/customers/{world.cust_a.id}").get_data(as_text=True)
    assert 'id="record-payment"' in mine
    assert "act-suspend" not in mine and "Change package" not in mine
    assert auth.get(f"/billmgr?func=customer.edit&elid={world.cust_a.id}").status_code == 403


def test_another_operators_customer_by_id_is_404(world, auth):
    auth.login("opera")
    assert auth.get(f"/customers/{world.cust_b.id}").status_code == 404
    assert auth.get(f"/billmgr?func=customer.edit&elid={world.cust_b.id}").status_code == 404
    assert auth.get(f"/customers/{world.cust_a.id}").status_code == 200


def test_a_card_distributor_has_no_customer_list(world, auth):
    auth.login("cards1")
    links = menu_links(auth.get("/").get_data(as_text=True))
    assert "/billmgr?func=customer" not in links
    assert auth.get("/billmgr?func=customer").status_code == 403


def test_create_customer_with_field_errors_then_success(world, auth, dbs):
    auth.login("opera")
    form = auth.get("/billmgr?func=customer.edit")
    assert form.status_code == 200 and 'name="username"' in form.get_data(as_text=True)
    bad = auth.post("/billmgr", {"func": "customer.edit", "sok": "ok", "username": "carol",
                                 "password": "pw", "package": "home10", "mobile": "not-a-phone"})
    assert bad.status_code == 400
    assert re.search(r'id="e-mobile">[^<]*not a phone number', bad.get_data(as_text=True))
    good = auth.post("/billmgr", {"func": "customer.edit", "sok": "ok", "username": "carol",
                                  "password": "pw", "package": "home10", "mobile": "01711000009"})
    assert good.status_code == 302 and "/customers/" in good.location
    c = dbs.scalars(sa.select(Customer).where(Customer.username == "carol")).one()
    assert c.operator_id == world.op_a.id


def test_edit_sends_only_what_changed(world, auth, dbs, caplog):
    import logging
    auth.login("opera")
    page = auth.get(f"/billmgr?func=customer.edit&elid={world.cust_a.id}").get_data(as_text=True)
    orig = re.search(r'name="_orig" value="([^"]+)"', page).group(1).replace("&#34;", '"')
    fields = dict(re.findall(r'<input id="f-(\w+)" name="\w+" type="text" value="([^"]*)"', page))
    fields.update(func="customer.edit", sok="ok", elid=str(world.cust_a.id), _orig=orig,
                  name="Alice B")
    with caplog.at_level(logging.INFO, logger="radbill.requests"):
        resp = auth.post("/billmgr", fields)
    assert resp.status_code == 302
    line = [r.getMessage() for r in caplog.records if "customer.edit" in r.getMessage()][-1]
    assert line.endswith(f"'func=customer.edit&name=Alice+B&elid={world.cust_a.id}&sok=ok'")


def test_status_actions_mac_bind_and_package_change(world, auth, dbs):
    from tests.support.factories import make_package
    make_package(dbs, name="home20", rate_down="20M")
    dbs.commit()
    auth.login("opera")
    page = auth.get(f"/customers/{world.cust_a.id}").get_data(as_text=True)
    assert "act-suspend" in page
    back = f"/customers/{world.cust_a.id}"
    assert auth.post("/billmgr", {"func": "customer.suspend", "elid": world.cust_a.id,
                                  "back": back}).location == back
    dbs.expire_all()
    assert dbs.get(Customer, world.cust_a.id).status == "suspended"
    auth.post("/billmgr", {"func": "customer.resume", "elid": world.cust_a.id, "back": back})
    auth.post("/billmgr", {"func": "customer.edit", "sok": "ok", "elid": world.cust_a.id,
                           "mac": "aa-bb-cc-dd-ee-ff", "_orig": '{"mac": ""}'})
    auth.post("/billmgr", {"func": "customer.edit", "sok": "ok", "elid": world.cust_a.id,
                           "package": "home20"})
    dbs.expire_all()
    c = dbs.get(Customer, world.cust_a.id)
    assert (c.status, c.mac, c.package.name) == ("active", "AA:BB:CC:DD:EE:FF", "home20")
    trail = auth.get(back).get_data(as_text=True)
    assert "customer.suspend" in trail and "customer.resume" in trail  # the audit trail
    assert "customer.suspend" in auth.get("/logs/suspensions").get_data(as_text=True)


def test_delete_and_restore_from_the_list(world, auth, dbs):
    auth.login("opera")
    auth.get("/billmgr?func=customer")
    auth.post("/billmgr", {"func": "customer.delete", "elid": [world.cust_a.id, world.cust_a2.id]})
    dbs.expire_all()
    assert dbs.get(Customer, world.cust_a.id).deleted_at is not None
    deleted = auth.get("/billmgr?func=customer&deleted=1").get_data(as_text=True)
    assert "alice" in deleted
    auth.post("/billmgr", {"func": "customer.restore", "elid": world.cust_a.id})
    dbs.expire_all()
    assert dbs.get(Customer, world.cust_a.id).deleted_at is None


def test_search_filters_and_pagination(world, auth):
    auth.login("opera")
    assert "alice" in auth.get("/billmgr?func=customer&q=0171100000").get_data(as_text=True)
    page = auth.get("/billmgr?func=customer&q=amo").get_data(as_text=True)
    assert "amos" in page and ">alice<" not in page
    one = auth.get("/billmgr?func=customer&per_page=1").get_data(as_text=True)
    assert "next &rarr;" in one and "page 1 of 2" in one
    assert "amos" not in auth.get("/billmgr?func=customer&status=suspended").get_data(as_text=True)


def test_online_status_sessions_and_times_in_the_isp_zone(world, app, auth, dbs):
    app.config["TZ"] = ZoneInfo("Asia/Dhaka")
    start = dt.datetime(2026, 1, 1, 0, 0, tzinfo=dt.timezone.utc)
    dbs.add(RadAcct(acctsessionid="s1", acctuniqueid="u1", username="alice",
                    nasipaddress="10.0.0.1",
                    acctstarttime=start, acctinputoctets=1000, acctoutputoctets=5000,
                    framedipaddress="100.64.0.9"))
    dbs.commit()
    auth.login("opera")
    page = auth.get(f"/customers/{world.cust_a.id}").get_data(as_text=True)
    assert 'id="online-state">online' in page
    assert "2026-01-01 06:00" in page and "100.64.0.9" in page
    assert '<span class="dot on"' in auth.get("/billmgr?func=customer").get_data(as_text=True)
    assert re.search(r">1</a></b>", auth.get("/").get_data(as_text=True))
    assert "<svg" in page  # the usage graph


def test_csv_export_of_a_list(world, auth):
    auth.login("opera")
    csv_text = auth.get("/export.csv?func=customer&q=a").get_data(as_text=True)
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("id,username") and len(lines) == 3


def test_logs_audit_authentication_and_logins(world, auth, dbs):
    dbs.add(RadPostAuth(username="alice", reply="Access-Reject", reason="bad password"))
    dbs.add(RadPostAuth(username="bob", reply="Access-Accept"))
    dbs.commit()
    auth.login("operb", "wrong")
    auth.login("opera")
    mine = auth.get(f"/customers/{world.cust_a.id}").get_data(as_text=True)
    assert "Access-Reject" in mine.split('id="authlog"')[1] and "bad password" in mine
    authlog = auth.get("/billmgr?func=authlog").get_data(as_text=True)
    assert "Access-Reject" in authlog and ">bob<" not in authlog
    audit = auth.get("/billmgr?func=audit").get_data(as_text=True)
    assert "customer.edit" in audit
    auth.logout()
    auth.login("gadmin")
    logins = auth.get("/logs/logins?failed=1").get_data(as_text=True)
    assert "operb" in logins and "bad password" in logins


def test_operators_create_sub_operator_and_suspend_it(world, auth, dbs):
    auth.login("opera")
    resp = auth.post("/billmgr", {"func": "operator.edit", "sok": "ok", "name": "subA2",
                                  "parent": "opA"})
    assert resp.status_code == 302
    sub = dbs.scalars(sa.select(Operator).where(Operator.name == "subA2")).one()
    assert sub.level == "sub"
    auth.post("/billmgr", {"func": "operator.edit", "sok": "ok", "elid": sub.id,
                           "status": "suspended",
                           "credit_limit": "500"})
    dbs.expire_all()
    op = dbs.get(Operator, sub.id)
    assert (op.status, str(op.credit_limit)) == ("suspended", "500.00")


@pytest.mark.parametrize("func", ["package", "billing_profile", "pool", "nas", "operator", "user",
                                  "zone"])
def test_catalog_and_network_pages_have_list_and_form(world, auth, func):
    auth.login("gadmin")
    assert auth.get(f"/billmgr?func={func}").status_code == 200
    assert auth.get(f"/billmgr?func={func}.edit").status_code == 200


def test_forms_show_choices_and_references(world, auth):
    auth.login("gadmin")
    page = auth.get("/billmgr?func=customer.edit").get_data(as_text=True)
    assert '<select id="f-service"' in page and '<option value="hotspot">hotspot</option>' in page
    assert '<option value="home10">' in page  # the package suggestions


def test_customer_import_dry_run_and_all_or_nothing(world, auth, dbs):
    auth.login("opera")
    template = auth.get("/customers/import/template.csv").get_data(as_text=True)
    assert template.startswith("username,password,")
    csv_bad = ("login,pass,plan,phone\n"
               "imp1,pw1,home10,01711000101\n"
               "imp2,pw2,home10,bad-phone\n"
               "imp1,pw3,home10,01711000103\n")
    page = auth.post("/customers/import", {"csv": csv_bad})
    html = page.get_data(as_text=True)
    assert '<option selected>username</option>' in html
    assert '<option selected>mobile</option>' in html
    mapping = {"col0": "username", "col1": "password", "col2": "package", "col3": "mobile"}
    dry = auth.post("/customers/import", {"csv": csv_bad, "mode": "dry",
                                          **mapping}).get_data(as_text=True)
    assert "2 of 3 rows have errors" in dry
    assert "<td>3</td><td>mobile</td>" in dry and "<td>4</td><td>username</td>" in dry
    failed = auth.post("/customers/import", {"csv": csv_bad, "mode": "commit", **mapping})
    assert failed.status_code == 400
    assert dbs.scalar(sa.select(sa.func.count()).where(Customer.username.like("imp%"))) == 0
    good = csv_bad.replace("bad-phone", "01711000102").replace("imp1,pw3", "imp3,pw3")
    done = auth.post("/customers/import", {"csv": good, "mode": "commit", **mapping})
    assert "Imported 3 customers" in done.get_data(as_text=True)
    assert dbs.scalar(sa.select(sa.func.count()).where(Customer.username.like("imp%"))) == 3


def test_pages_show_their_api_call(world, auth):
    auth.login("opera")
    page = auth.get("/billmgr?func=customer&q=al").get_data(as_text=True)
    assert "/billmgr?func=customer&amp;q=al&amp;out=xml" in page


def test_per_device_functions_are_row_links_not_menus(world, auth, dbs):
    from tests.support.factories import make
    from radbill.functions.registry import load_all
    if "router.status" not in load_all():
        pytest.skip("provisioning not installed")
    make(dbs, "nas", name="core1", ip="10.0.0.1", secret="testing123")
    dbs.commit()
    auth.login("noc1")
    home = auth.get("/").get_data(as_text=True)
    assert "func=router.status" not in home  # it needs a router: no menu entry
    page = auth.get("/billmgr?func=nas").get_data(as_text=True)
    assert re.search(r'href="/billmgr\?func=router.status&amp;elid=\d+"', page)


def test_functions_registered_later_get_pages(world, auth, monkeypatch):
    from radbill.functions.registry import REGISTRY, ListResult, Param, function
    monkeypatch.setattr("radbill.functions.registry.REGISTRY", dict(REGISTRY))
    import radbill.functions.registry as registry
    function("widget", kind="list", roles=("operator",), params=(Param("colour"),))(
        lambda call: ListResult([{"id": 1, "name": "sprocket", "colour": call.get("colour")}], 1,
                                1, 50,
                                ["id", "name", "colour"]))
    assert "widget" in registry.REGISTRY
    auth.login("opera")
    assert "/billmgr?func=widget" in auth.get("/").get_data(as_text=True)
    page = auth.get("/billmgr?func=widget&colour=red").get_data(as_text=True)
    assert "sprocket" in page and re.search(r"<td[^>]*>red</td>", page)


def test_sessions_list_for_the_noc_and_scoped_for_resellers(world, auth, dbs):
    dbs.add(RadAcct(acctsessionid="s1", acctuniqueid="u1", username="alice",
                    nasipaddress="10.0.0.1",
                    acctstarttime=dt.datetime.now(dt.timezone.utc), framedipaddress="100.64.0.9"))
    dbs.add(RadAcct(acctsessionid="s2", acctuniqueid="u2", username="bob", nasipaddress="10.0.0.1",
                    acctstarttime=dt.datetime.now(dt.timezone.utc),
                    acctstoptime=dt.datetime.now(dt.timezone.utc)))
    dbs.commit()
    auth.login("noc1")
    online = auth.get("/billmgr?func=session&online=on").get_data(as_text=True)
    assert "alice" in online and ">bob<" not in online and "100.64.0.9" in online
    assert '<meta http-equiv="refresh" content="60">' in online  # a wall display
    assert ">bob<" in auth.get("/billmgr?func=session").get_data(as_text=True)
    auth.logout()
    auth.login("operb")
    assert "alice" not in auth.get("/billmgr?func=session").get_data(as_text=True)


def test_form_times_are_in_the_isp_zone(world, app, auth, monkeypatch):
    import dataclasses

    from radbill import settings
    dhaka = dataclasses.replace(settings.get(), time_zone="Asia/Dhaka")
    monkeypatch.setattr(settings, "get", lambda: dhaka)  # the kernel reads typed times in it too
    app.config["TZ"] = dhaka.tz
    auth.login("opera")
    auth.post("/billmgr", {"func": "customer.edit", "sok": "ok", "elid": world.cust_a.id,
                           "expires": "2026-12-31 18:00"})
    page = auth.get(f"/billmgr?func=customer.edit&elid={world.cust_a.id}").get_data(as_text=True)
    assert 'value="2026-12-31 18:00"' in page


def test_list_filters_offer_the_choices(world, auth):
    auth.login("opera")
    page = auth.get("/billmgr?func=customer&status=active").get_data(as_text=True)
    assert '<select name="status">' in page
    assert '<option value="active" selected>active</option>' in page
    assert '<option value="suspended">suspended</option>' in page and '<select name="service">' in page


def test_audit_shows_before_and_after(world, auth):
    auth.login("opera")
    auth.post("/billmgr", {"func": "customer.edit", "sok": "ok", "elid": world.cust_a.id,
                           "name": "Alice Z"})
    page = auth.get("/billmgr?func=audit&object_type=customer").get_data(as_text=True)
    assert re.search(r"<b>Name</b>: Alice A &rarr; Alice Z", page)  # labels, not column names
    assert f"func=customer.edit&amp;name=Alice+Z&amp;elid={world.cust_a.id}&amp;sok=ok" in page


def test_a_reseller_resets_a_lost_phone_from_the_staff_list(world, auth, dbs):
    from radbill.models import StaffUser
    world.sub.totp_secret, world.sub.totp_enabled = "JBSWY3DPEHPK3PXP", True
    dbs.commit()
    auth.login("opera")
    page = auth.get("/billmgr?func=user").get_data(as_text=True)
    assert 'value="user.totp_reset"' in page
    auth.post("/billmgr", {"func": "user.totp_reset", "elid": world.sub.id})
    dbs.expire_all()
    assert dbs.get(StaffUser, world.sub.id).totp_enabled is False
    # the group admin above is outside opera's subtree: not found, as any other operator's object
    assert auth.post("/billmgr", {"func": "user.totp_reset",
                                  "elid": world.group_admin.id}).status_code == 404


def test_every_sort_link_works(world, auth):
    auth.login("opera")
    page = auth.get("/billmgr?func=customer").get_data(as_text=True)
    links = re.findall(r'href="(/billmgr\?func=customer&amp;sort=[^"]+)"', page)
    assert links and not any("sort=package" in link for link in links)  # not a column
    for link in links:
        assert auth.get(link.replace("&amp;", "&")).status_code == 200


BOUNDARIES = {  # page -> the roles (logins) that may open it; every other role gets 403
    "/billmgr?func=audit": {"root1", "gadmin", "opera", "suba"},
    "/billmgr?func=customer": {"root1", "gadmin", "opera", "suba", "mgr", "noc1"},
    "/billmgr?func=customer.edit": {"root1", "gadmin", "opera", "suba"},
    "/billmgr?func=user": {"root1", "gadmin", "opera", "suba"},
    "/billmgr?func=session": {"root1", "gadmin", "opera", "suba", "mgr", "noc1"},
    "/customers/import": {"root1", "gadmin", "opera", "suba"},
    "/logs/logins": {"root1", "gadmin", "opera", "suba"},
    "/logs/suspensions": {"root1", "gadmin", "opera", "suba"},
}


@pytest.mark.parametrize("login", ROLES)
def test_role_boundaries(world, auth, login):
    auth.login(login)
    for path, allowed in BOUNDARIES.items():
        status = auth.get(path).status_code
        assert status == (200 if login in allowed else 403), (login, path, status)


def test_a_sub_operator_sees_only_its_own_subtree(world, auth, dbs):
    auth.login("suba")
    assert "alice" not in auth.get("/billmgr?func=customer").get_data(as_text=True)
    resp = auth.post("/billmgr", {"func": "customer.edit", "sok": "ok", "username": "subcust",
                                  "password": "pw", "package": "home10"})
    assert resp.status_code == 302
    assert dbs.scalars(sa.select(Customer).where(Customer.username == "subcust")).one() \
        .operator_id == world.sub_a.id
    assert auth.get(f"/customers/{world.cust_a.id}").status_code == 404
    auth.logout()
    auth.login("opera")  # the operator above sees its sub-operator's customers
    assert "subcust" in auth.get("/billmgr?func=customer").get_data(as_text=True)


def test_functions_for_customers_only_are_no_staff_pages(world, auth, monkeypatch):
    from radbill.functions.registry import REGISTRY, ListResult, function
    monkeypatch.setattr("radbill.functions.registry.REGISTRY", dict(REGISTRY))
    function("mybills", kind="list", roles=("customer",))(lambda call: ListResult([], 0))
    auth.login("root1")
    assert "func=mybills" not in auth.get("/").get_data(as_text=True)


def test_search_by_mac_and_ip(world, auth, dbs):
    from tests.support.factories import make_customer
    from tests.support.factories import caller_of
    make_customer(dbs, caller_of(dbs, world.operator_b), username="statik", package="home10",
                  service="static", static_ip="10.20.30.40")
    dbs.commit()
    auth.login("operb")
    assert "bob" in auth.get("/billmgr?func=customer&q=aa:bb:cc:00").get_data(as_text=True)
    page = auth.get("/billmgr?func=customer&q=10.20.30").get_data(as_text=True)
    assert "statik" in page and ">bob<" not in page


def test_the_noc_dashboard_counts_devices_down(world, auth, dbs):
    from tests.support.factories import make
    from radbill.functions.registry import load_all
    if "device" not in load_all():
        pytest.skip("provisioning not installed")
    make(dbs, "nas", name="core1", ip="10.0.0.1", secret="testing123")
    dbs.commit()
    auth.login("noc1")
    assert re.search(r'id="devices-down"><a href="[^"]+">0</a></b> of 1',
                     auth.get("/").get_data(as_text=True))
    auth.logout()
    auth.login("opera")  # not a device role: no card
    assert 'id="devices-down"' not in auth.get("/").get_data(as_text=True)


def test_suspension_log_includes_the_scheduler(world, auth, dbs):
    from radbill import lifecycle
    lifecycle.apply(dbs, [world.cust_a.id], "suspended", "unpaid",
                    lifecycle.Actor("scheduler", "job.suspension"))
    dbs.commit()
    auth.login("opera")
    page = auth.get("/logs/suspensions").get_data(as_text=True)
    assert "job.suspension" in page and "unpaid" in page
    assert re.search(r">active</span> &rarr; <span[^>]*>suspended<", page)  # as badges
    page = auth.get("/logs/suspensions?reason=manual").get_data(as_text=True)
    assert "job.suspension" not in page
    assert "is not a date" in auth.get("/logs/suspensions?since=yesterday").get_data(as_text=True)
    auth.logout()
    auth.login("operb")  # another reseller sees none of it
    assert "alice" not in auth.get("/logs/suspensions").get_data(as_text=True)

"""The function layer in-process: validation, the operator tree, audit and outbox."""
import pytest
import sqlalchemy as sa

from tests.support.factories import (caller_of, fn, make_customer, make_operator, make_package, make_user)
from radbill.functions.registry import FuncError
from radbill.models import AuditLog, Customer, Outbox


@pytest.fixture
def tree(session):
    """ISP -> resellers A and B (A has sub-operator A1), a login per node, a package each."""
    isp = make_operator(session, name="ISP")
    a = make_operator(session, name="A", parent="ISP")
    b = make_operator(session, name="B", parent="ISP")
    a1 = make_operator(session, name="A1", parent="A")
    users = {
        "isp": make_user(session, login="boss", role="group_admin", operator="ISP"),
        "a": make_user(session, login="anna", role="operator", operator="A"),
        "b": make_user(session, login="ben", role="operator", operator="B"),
        "a1": make_user(session, login="sam", role="sub_operator", operator="A1"),
        "noc": make_user(session, login="nina", role="noc", operator="ISP"),
        "mgr": make_user(session, login="mike", role="manager", operator="A"),
    }
    pkg = make_package(session, name="Home")
    callers = {k: caller_of(session, u) for k, u in users.items()}
    return {"isp": isp, "a": a, "b": b, "a1": a1, "pkg": pkg, "as": callers}


def test_operators_form_a_three_level_tree(session, tree):
    assert (tree["isp"].level, tree["a"].level, tree["a1"].level) == ("group", "operator", "sub")
    assert tree["a1"].path == f"/{tree['isp'].id}/{tree['a'].id}/{tree['a1'].id}/"
    with pytest.raises(FuncError, match="sub-operator cannot have operators"):
        make_operator(session, name="A1x", parent="A1")


def test_an_operator_sees_and_changes_only_its_subtree(session, tree):
    anna, ben = tree["as"]["a"], tree["as"]["b"]
    mine = make_customer(session, anna, username="a-cust", package="Home")
    sub = make_customer(session, tree["as"]["a1"], username="a1-cust", package="Home")
    theirs = make_customer(session, ben, username="b-cust", package="Home")
    assert mine.operator_id == tree["a"].id and sub.operator_id == tree["a1"].id
    listed = {r["username"] for r in fn(session, "customer", anna).rows}
    assert listed == {"a-cust", "a1-cust"}
    # another operator's customer by id is "not found", not "forbidden": nothing leaks
    with pytest.raises(FuncError) as err:
        fn(session, "customer.edit", anna, elid=theirs.id, sok="ok", name="hijack")
    assert err.value.status == 404
    with pytest.raises(FuncError) as err:
        fn(session, "customer.suspend", anna, elid="b-cust")
    assert err.value.status == 404
    with pytest.raises(FuncError) as err:
        make_customer(session, anna, username="sneaky", package="Home", operator="B")
    assert err.value.status == 403 and err.value.field == "operator"
    assert session.scalar(sa.select(sa.func.count()).select_from(Customer)
                          .where(Customer.username == "sneaky")) == 0
    assert session.get(Customer, theirs.id).name is None


def test_a_sub_operator_cannot_reach_up_or_sideways(session, tree):
    sam = tree["as"]["a1"]
    make_customer(session, tree["as"]["a"], username="a-cust", package="Home")
    assert fn(session, "customer", sam).rows == []
    with pytest.raises(FuncError) as err:
        fn(session, "operator.edit", sam, sok="ok", name="mine")
    assert err.value.status == 403  # sub-operators may not create operators at all


def test_roles_limit_what_staff_may_call(session, tree):
    nina, mike = tree["as"]["noc"], tree["as"]["mgr"]
    c = make_customer(session, tree["as"]["a"], username="a-cust", package="Home")
    assert [r["username"] for r in fn(session, "customer", nina).rows] == ["a-cust"]
    with pytest.raises(FuncError) as err:
        fn(session, "customer.suspend", nina, elid=c.id)
    assert err.value.status == 403
    # a manager sees only the customers assigned to it
    assert fn(session, "customer", mike).rows == []
    fn(session, "customer.edit", tree["as"]["a"], elid=c.id, sok="ok", manager="mike")
    assert [r["username"] for r in fn(session, "customer", mike).rows] == ["a-cust"]


def test_staff_cannot_grant_a_role_above_their_own(session, tree):
    with pytest.raises(FuncError, match="may not grant the group_admin role"):
        make_user(session, tree["as"]["a"], login="up", role="group_admin", operator="A")
    with pytest.raises(FuncError, match="belongs to a sub-level operator"):
        make_user(session, tree["as"]["a"], login="wrong", role="sub_operator", operator="A")
    u = make_user(session, tree["as"]["a"], login="newsub", role="sub_operator", operator="A1")
    assert u.password_hash.startswith("scrypt:") and "correct-horse" not in u.password_hash


def test_a_package_must_be_offered_to_the_customers_operator(session, tree):
    make_package(session, tree["as"]["b"], name="B-only")
    with pytest.raises(FuncError) as err:
        make_customer(session, tree["as"]["a"], username="x", package="B-only")
    assert err.value.field == "package"


def test_every_change_is_audited_with_before_and_after(session, tree):
    c = make_customer(session, tree["as"]["a"], username="aud", package="Home", name="Old")
    fn(session, "customer.edit", tree["as"]["a"], elid="aud", sok="ok", name="New", password="pw2")
    rows = session.scalars(sa.select(AuditLog).where(AuditLog.object_type == "customer",
                                                     AuditLog.object_id == c.id)
                           .order_by(AuditLog.id)).all()
    assert [r.func for r in rows] == ["customer.edit", "customer.edit"]
    assert rows[1].actor == "anna" and rows[1].before["name"] == "Old" and rows[1].after["name"] == "New"
    assert rows[1].after["password"] == "***" and "pw2" not in rows[1].request


def test_suspend_resume_delete_restore_queue_disconnects(session, tree):
    anna = tree["as"]["a"]
    c = make_customer(session, anna, username="life", package="Home")
    fn(session, "customer.suspend", anna, elid="life", reason="unpaid")
    assert (c.status, c.status_reason) == ("suspended", "unpaid")
    with pytest.raises(FuncError, match="is suspended; cannot suspend"):
        fn(session, "customer.suspend", anna, elid="life")
    fn(session, "customer.resume", anna, elid="life")
    fn(session, "customer.delete", anna, elid="life")
    assert c.deleted_at is not None
    assert fn(session, "customer", anna).rows == []
    assert [r["username"] for r in fn(session, "customer", anna, deleted="1").rows] == ["life"]
    fn(session, "customer.restore", anna, elid="life")
    session.refresh(c)
    assert c.deleted_at is None
    kinds = session.execute(sa.select(Outbox.kind, Outbox.payload["event"].astext)
                            .where(Outbox.customer_id == c.id, Outbox.kind == "disconnect")
                            .order_by(Outbox.id)).all()
    assert [k[1] for k in kinds] == ["customer.suspended", "customer.activated",
                                     "customer.deleted"]


def test_customer_validation_names_each_field(session, tree):
    with pytest.raises(FuncError) as err:
        make_customer(session, username="bad name!", package="Home", mobile="call me",
                      service="static", mac="00:11")
    assert set(err.value.errors) >= {"username", "mobile", "mac"}
    with pytest.raises(FuncError) as err:
        make_customer(session, username="st", package="Home", service="static")
    assert err.value.field == "static_ip"
    make_customer(session, username="st1", package="Home", service="static", static_ip="10.9.0.5")
    with pytest.raises(FuncError, match="10.9.0.5 belongs to 'st1'"):
        make_customer(session, username="st2", package="Home", service="static", static_ip="10.9.0.5")


def test_hash_only_customers_keep_no_cleartext(session, tree):
    c = make_customer(session, username="hashy", package="Home", password="password", hash_only="on")
    assert c.password is None and c.nt_hash == "8846F7EAEE8FB117AD06BDD830B7586C"


def test_pools_refuse_overlaps_and_a_second_walled_garden(session):
    fn(session, "pool.edit", sok="ok", name="main", cidr="10.10.0.0/16")
    fn(session, "pool.edit", sok="ok", name="garden", cidr="10.99.0.0/24", suspended="on")
    with pytest.raises(FuncError, match="overlaps pool 'main'"):
        fn(session, "pool.edit", sok="ok", name="inner", cidr="10.10.5.0/24")
    with pytest.raises(FuncError, match="already the IPv4 suspension pool"):
        fn(session, "pool.edit", sok="ok", name="garden2", cidr="10.98.0.0/24", suspended="on")
    with pytest.raises(FuncError, match="not an IPv4 network"):
        fn(session, "pool.edit", sok="ok", name="bad", cidr="10.1.2.3/16")


def test_nas_edit_writes_freeradius_nas_table(session):
    fn(session, "nas.edit", sok="ok", name="core1", ip="192.0.2.1", secret="testing123", coa_port="3799")
    row = session.execute(sa.text("select nasname, shortname, secret, type from nas")).one()
    assert tuple(row) == ("192.0.2.1", "core1", "testing123", "mikrotik")
    with pytest.raises(FuncError, match="already NAS 'core1'"):
        fn(session, "nas.edit", sok="ok", name="core2", ip="192.0.2.1", secret="testing123")
    form = fn(session, "nas.edit", elid="core1").values
    assert form["ip"] == "192.0.2.1" and "secret" not in form


def test_package_rules_are_checked_together(session):
    with pytest.raises(FuncError) as err:
        make_package(session, name="Capped", data_cap="50G")
    assert err.value.field == "fup_rate_down"
    with pytest.raises(FuncError) as err:
        make_package(session, name="Burst", burst_down="5M", burst_up="10M")
    assert err.value.field == "burst_down"
    p = make_package(session, name="Fair", data_cap="50G", fup_rate_down="2M", fup_rate_up="1M",
                     burst_down="20M", burst_up="10M", burst_threshold_down="8M",
                     burst_threshold_up="4M", burst_time="16")
    assert p.data_cap == 50 * 2**30 and p.fup_rate_down == 2_000_000


def test_a_hotspot_package_has_time_and_data_limits_per_cycle(session):
    """Issue 14: time_limit as 90m/5h/1d or seconds, data_limit as data_cap, hotspot yes/no,
    validity by name; each bad value refused naming its field; the list shows 5 h, 2 GB."""
    p = make_package(session, name="Day", time_limit="5h", data_limit="2G", hotspot="yes",
                     validity_days="daily")
    assert (p.time_limit, p.data_limit, p.hotspot, p.validity_days) == (5 * 3600, 2 * 2**30,
                                                                         True, 1)
    row = next(r for r in fn(session, "package", q="Day").rows if r["name"] == "Day")
    assert (row["time_limit"], row["data_limit"], row["hotspot"]) == ("5 h", "2 GB", True)
    form = fn(session, "package.edit", elid=str(p.id)).values
    fn(session, "package.edit", sok="ok", elid=str(p.id), time_limit=form["time_limit"],
       data_limit=form["data_limit"])  # what the form shows reads back the same
    session.refresh(p)
    assert (p.time_limit, p.data_limit) == (5 * 3600, 2 * 2**30)
    for value, seconds in (("90m", 5400), ("1d", 86400), ("3600", 3600), ("1d 12h", 129600)):
        fn(session, "package.edit", sok="ok", elid=str(p.id), time_limit=value)
        session.refresh(p)
        assert p.time_limit == seconds
    weekly = make_package(session, name="Week", validity_days="weekly", time_limit="10h")
    assert (weekly.validity_days, weekly.hotspot, weekly.data_limit) == (7, False, None)
    assert make_package(session, name="Month", validity_days="Monthly").validity_days == 30
    fn(session, "package.edit", sok="ok", elid=str(p.id), time_limit="", data_limit="",
       hotspot="no")  # cleared: unlimited
    session.refresh(p)
    assert (p.time_limit, p.data_limit, p.hotspot) == (None, None, False)
    with pytest.raises(FuncError) as err:
        make_package(session, name="Bad", time_limit="0", data_limit="-2G", hotspot="maybe",
                     validity_days="fortnightly")
    assert err.value.errors == {
        "time_limit": "must be above zero",
        "data_limit": "'-2G' is not a size like 500M, 50G or 1T",
        "hotspot": "'maybe' is not on/off",
        "validity_days": "'fortnightly' is not a number of days, nor daily, weekly or monthly"}
    with pytest.raises(FuncError) as err:
        make_package(session, name="Bad", time_limit="5 hours")
    assert err.value.field == "time_limit" and "90m, 5h or 1d" in err.value.errors["time_limit"]
    with pytest.raises(FuncError) as err:
        make_package(session, name="Bad", time_limit="99999d")
    assert err.value.errors == {"time_limit": "must be at most 3660 d"}


def test_lists_paginate_and_search(session, tree):
    for i in range(7):
        make_customer(session, username=f"page{i}", package="Home", mobile=f"+8801700000{i:03d}")
    res = fn(session, "customer", q="page", per_page="3", page="3")
    assert res.total == 7 and [r["username"] for r in res.rows] == ["page6"]
    assert [r["username"] for r in fn(session, "customer", q="+880170000000").rows][:1] == ["page0"]
    with pytest.raises(FuncError):
        fn(session, "customer", per_page="0")


def test_nas_list_and_audit_carry_radbills_settings(session, tree):
    anna = tree["as"]["a"]
    fn(session, "nas.edit", anna, sok="ok", name="a-edge", ip="192.0.2.9", secret="testing123",
       coa_port="1700", snmp_port="1161")
    [row] = fn(session, "nas", anna, q="a-edge").rows
    assert (row["coa_port"], row["snmp_port"], row["operator_id"]) == (1700, 1161, tree["a"].id)
    entry = session.scalars(sa.select(AuditLog).where(
        AuditLog.func == "nas.edit", AuditLog.object_type == "nas")).one()  # (and its check's)
    assert entry.operator_id == tree["a"].id and entry.after["secret"] == "***"
    assert fn(session, "nas", tree["as"]["b"], q="a-edge").rows == []


def test_an_api_clients_scopes_name_the_functions_it_may_call(session):
    """customer:read reads customers and nothing else; a write needs customer:write."""
    from dataclasses import replace

    from radbill.functions.caller import SYSTEM
    from radbill.functions.registry import AccessDenied, call
    from tests.support.factories import make_customer
    make_customer(session, username="scoped")
    reader = replace(SYSTEM, scopes=frozenset({"customer:read"}), channel="api")
    assert call(session, reader, "customer", {"search": "scoped"}).total == 1
    with pytest.raises(AccessDenied, match="customer:write"):
        call(session, reader, "customer.edit", {"username": "x2", "sok": "ok"})
    with pytest.raises(AccessDenied, match="package:read"):
        call(session, reader, "package", {})
    writer = replace(SYSTEM, scopes=frozenset({"customer:*"}), channel="api")
    assert call(session, writer, "customer", {}).total >= 1


def test_staff_put_a_package_on_sale_online(session):
    """package.edit sets the self-care flags the portal reads (issue 14)."""
    from tests.support.factories import make_package
    from radbill.models import Package
    make_package(session, name="Web10", online="yes", auto_approve="yes")
    p = session.scalars(sa.select(Package).where(Package.name == "Web10")).one()
    assert (p.online, p.auto_approve, p.change_approval) == (True, True, False)
    fn(session, "package.edit", elid="Web10", sok="ok", change_approval="yes", online="no")
    session.refresh(p)
    assert (p.online, p.change_approval) == (False, True)

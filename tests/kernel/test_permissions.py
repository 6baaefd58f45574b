"""Special permissions (issue 19): one function granted to a staff login beyond its role, or
revoked from it below its role; enforced by the registry for every way a login comes in (the
registry here; pages, /billmgr and `radbill call su=` below), shown in the menus; nobody hands
out what they cannot do themselves, nor changes a login they do not manage."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from admin import menus
from radbill.functions.auth import caller_for
from radbill.functions.registry import AccessDenied, FuncError, call
from radbill.models import AuditLog, Event, StaffPermission, StaffUser
from tests.support.factories import caller_of, fn, make_customer, make_isp, make_operator, \
    make_package, make_user


@pytest.fixture
def tree(session):
    """An ISP with a group admin, two resellers (each an operator login), a manager and a NOC
    login under reseller A, a card distributor under B."""
    isp = make_isp(session)
    for name in ("resA", "resB"):
        make_operator(session, name=name, parent=isp.name)
    users = {
        "gadmin": make_user(session, login="gadmin", role="group_admin", operator=isp.name),
        "opa": make_user(session, login="opa", role="operator", operator="resA"),
        "opb": make_user(session, login="opb", role="operator", operator="resB"),
        "mgr": make_user(session, login="mgr", role="manager", operator="resA"),
        "noca": make_user(session, login="noca", role="noc", operator="resA"),
        "cardsb": make_user(session, login="cardsb", role="card_distributor", operator="resB"),
    }
    make_package(session, name="Home")
    make_customer(session, caller_of(session, users["opa"]), username="alice", package="Home")
    return users


def as_(session, tree, login):
    """The login as a Caller, built afresh (as every request builds it) with its permissions."""
    session.expire_all()
    return caller_for(session, session.get(StaffUser, tree[login].id))


def menu_funcs(caller) -> set[str]:
    return {item.func for _section, items in menus.menu(caller) for item in items if item.func}


def refused(session, caller, name, **params) -> FuncError:
    with pytest.raises(FuncError) as err:
        call(session, caller, name, {k: str(v) for k, v in params.items()})
    return err.value


def test_a_grant_makes_the_function_callable_and_puts_it_in_the_menu(session, tree):
    mgr = as_(session, tree, "mgr")
    assert "user" not in menu_funcs(mgr)
    assert isinstance(refused(session, mgr, "user"), AccessDenied)
    fn(session, "permission.edit", as_(session, tree, "opa"), sok="ok", user="mgr", func="user",
       grant="yes")
    mgr = as_(session, tree, "mgr")
    assert "user" in mgr.granted and "user" in menu_funcs(mgr)
    logins = {r["login"] for r in call(session, mgr, "user", {}).rows}
    assert "mgr" in logins and "opb" not in logins  # still inside the login's own subtree
    # the list shows it to who manages the login, with who granted it
    rows = fn(session, "permission", as_(session, tree, "opa")).rows
    assert [(r["login"], r["func"], r["access"], r["granted_by"]) for r in rows] == [
        ("mgr", "user", "granted", "opa")]


def test_a_revocation_takes_the_function_and_its_page_away(session, tree):
    assert "customer" in menu_funcs(as_(session, tree, "mgr"))
    fn(session, "permission.edit", as_(session, tree, "opa"), sok="ok", user="mgr",
       func="customer", revoke="yes")
    mgr = as_(session, tree, "mgr")
    assert "customer" not in menu_funcs(mgr)
    err = refused(session, mgr, "customer")
    assert err.status == 403 and "revoked" in err.message
    # deleting the permission gives the role's function back
    pid = fn(session, "permission", as_(session, tree, "opa")).rows[0]["id"]
    fn(session, "permission.delete", as_(session, tree, "opa"), elid=pid)
    mgr = as_(session, tree, "mgr")
    assert not mgr.revoked and "customer" in menu_funcs(mgr)
    call(session, mgr, "customer", {})  # allowed again (a manager sees its own customers)


def test_grant_no_revokes_and_a_second_grant_changes_the_same_row(session, tree):
    opa = as_(session, tree, "opa")
    fn(session, "permission.edit", opa, sok="ok", user="mgr", func="bill", grant="no")
    assert "bill" in as_(session, tree, "mgr").revoked
    fn(session, "permission.edit", opa, sok="ok", user="mgr", func="bill", grant="yes")
    mgr = as_(session, tree, "mgr")
    assert "bill" not in mgr.revoked and "bill" in mgr.granted
    assert session.scalar(sa.select(sa.func.count()).select_from(StaffPermission)) == 1
    form = fn(session, "permission.edit", opa, user="mgr", func="bill")
    assert form.values == {"user": "mgr", "func": "bill", "grant": "yes"}


def test_no_escalation_only_what_the_granter_has_to_those_it_manages(session, tree):
    opa = as_(session, tree, "opa")
    # an operator cannot hand out what operators may not do (olt is the group's and the NOC's)
    err = refused(session, opa, "permission.edit", sok="ok", user="mgr", func="olt",
                  grant="yes")
    assert err.status == 403 and "func" in err.errors
    # nor grant itself anything, nor change a login of its own rank or above
    for target in ("opa", "gadmin"):
        err = refused(session, opa, "permission.edit", sok="ok", user=target,
                      func="customer.edit", grant="yes")
        assert "user" in err.errors and err.status in (403, 404), err.message
    # a grant made by the group admin does not let the manager pass it on: it manages nobody
    fn(session, "permission.edit", as_(session, tree, "gadmin"), sok="ok", user="mgr",
       func="permission.edit", grant="yes")
    err = refused(session, as_(session, tree, "mgr"), "permission.edit", sok="ok", user="noca",
                  func="customer", revoke="yes")
    assert "user" in err.errors  # noca is no lower than a manager
    # nothing was written by any refusal
    assert session.scalar(sa.select(sa.func.count()).select_from(StaffPermission)) == 1


def test_a_second_reseller_cannot_grant_on_another_s_login(session, tree):
    opb = as_(session, tree, "opb")
    for ref in ("mgr", str(tree["mgr"].id)):
        err = refused(session, opb, "permission.edit", sok="ok", user=ref, func="customer",
                      grant="yes")
        assert err.status == 404 and "user" in err.errors
        assert "resA" not in err.message
    fn(session, "permission.edit", as_(session, tree, "opa"), sok="ok", user="mgr",
       func="user", grant="yes")
    pid = fn(session, "permission", as_(session, tree, "opa")).rows[0]["id"]
    assert fn(session, "permission", opb).rows == []  # another's grant is not even listed
    fn(session, "permission.delete", opb, elid=pid)  # deleting nothing of its own succeeds...
    assert session.get(StaffPermission, pid) is not None  # ...and leaves A's grant alone


def test_money_stays_refused_to_roles_that_see_none(session, tree):
    err = refused(session, as_(session, tree, "gadmin"), "permission.edit", sok="ok",
                  user="noca", func="payment", grant="yes")
    assert "func" in err.errors and "money" in err.errors["func"]
    # even a grant written past the function: the registry refuses money to the noc role
    session.add(StaffPermission(user_id=tree["noca"].id, func="payment", allow=True))
    session.flush()
    err = refused(session, as_(session, tree, "noca"), "payment")
    assert err.status == 403 and "money" in err.message


def test_only_staff_functions_and_only_to_staff_below_admin(session, tree):
    admin = make_user(session, login="root2", role="admin",
                      operator=session.get(StaffUser, tree["gadmin"].id).operator.name)
    gadmin = as_(session, tree, "gadmin")
    for func, why in (("portal.status", "not a staff function"),
                      ("payment.confirm", "not a staff function"),
                      ("no.such", "no function")):
        err = refused(session, gadmin, "permission.edit", sok="ok", user="mgr", func=func,
                      grant="yes")
        assert why in err.errors["func"], err.errors
    err = refused(session, caller_of(session, admin), "permission.edit", sok="ok", user="root2",
                  func="customer", revoke="yes")
    assert "user" in err.errors
    err = refused(session, gadmin, "permission.edit", sok="ok", user="mgr", func="customer")
    assert "grant" in err.errors  # neither grant nor revoke
    err = refused(session, gadmin, "permission.edit", sok="ok", user="mgr", func="customer",
                  grant="yes", revoke="yes")
    assert "revoke" in err.errors


def test_a_change_is_audited_and_announced(session, tree):
    fn(session, "permission.edit", as_(session, tree, "gadmin"), sok="ok", user="mgr",
       func="user", grant="yes")
    session.flush()
    row = session.scalars(sa.select(AuditLog).where(AuditLog.object_type == "permission")).one()
    assert (row.actor, row.object_name, row.after) == ("gadmin", "mgr:user",
                                                       {"func": "user", "access": "granted"})
    ev = session.scalars(sa.select(Event).where(Event.name == "permission.changed")).one()
    assert ev.data == {"user_id": tree["mgr"].id, "login": "mgr", "permission": "user",
                       "access": "granted"}
    assert ev.operator_id == tree["mgr"].operator_id and ev.actor == "gadmin"


def test_the_permission_list_is_only_for_those_who_manage_staff(session, tree):
    err = refused(session, as_(session, tree, "mgr"), "permission")
    assert err.status == 403


# -- the ways in: pages, /billmgr, the command line --------------------------------------------
def test_pages_and_billmgr_follow_the_grant_and_the_revocation(world, auth, client, dbs):
    """The admin pages (cookie login) and /billmgr (authinfo) as the manager of the admin
    tests' world, before and after its operator grants `user` and revokes `customer`."""
    from tests.support.admin_fixtures import PASSWORD
    auth.login("mgr")
    home = auth.get("/").get_data(as_text=True)
    assert "/billmgr?func=customer" in home and "/billmgr?func=user\"" not in home
    assert auth.get("/billmgr?func=user").status_code == 403
    opa = caller_of(dbs, world.operator_a)
    fn(dbs, "permission.edit", opa, sok="ok", user="mgr", func="user", grant="yes")
    fn(dbs, "permission.edit", opa, sok="ok", user="mgr", func="customer", revoke="yes")
    dbs.commit()
    home = auth.get("/").get_data(as_text=True)
    assert "/billmgr?func=user\"" in home and "/billmgr?func=customer\"" not in home
    assert auth.get("/billmgr?func=user").status_code == 200
    assert auth.get("/billmgr?func=customer").status_code == 403
    api = client.post("/billmgr", data={"func": "customer", "out": "json",
                                        "authinfo": f"mgr:{PASSWORD}"},
                      environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert api.status_code == 403 and "revoked" in api.get_data(as_text=True)
    api = client.post("/billmgr", data={"func": "user", "out": "json",
                                        "authinfo": f"mgr:{PASSWORD}"},
                      environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert api.status_code == 200, api.get_data(as_text=True)


def test_the_command_line_as_su_follows_them(cli, committed):
    from radbill import db
    with db.session_factory()() as s, s.begin():
        make_isp(s)
        make_operator(s, name="resA", parent=s.execute(sa.text(
            "select name from operators where parent_id is null")).scalar())
        make_user(s, login="opa", role="operator", operator="resA")
        make_user(s, login="mgr", role="manager", operator="resA")
    assert cli("call", "user", "su=mgr").returncode == 1
    r = cli("call", "permission.edit", "su=opa", "sok=ok", "user=mgr", "func=user", "grant=yes")
    assert r.returncode == 0, r.stderr
    r = cli("call", "user", "su=mgr", "out=json")
    assert r.returncode == 0, r.stderr
    assert {row["login"] for row in json.loads(r.stdout)["doc"]["elem"]} >= {"mgr", "opa"}
    r = cli("call", "permission.edit", "su=opa", "sok=ok", "user=mgr", "func=user", "grant=no")
    assert r.returncode == 0, r.stderr
    r = cli("call", "user", "su=mgr", "out=json")
    assert r.returncode == 1 and "revoked" in r.stderr

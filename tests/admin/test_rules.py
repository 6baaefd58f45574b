"""Rules declared in the registry and enforced by registry.call for every caller: money
visibility, whether a function changes anything, two-factor policy, lockouts, CSV import."""
from __future__ import annotations

import json

import pyotp
import pytest

from tests.support.rating_factories import pins
import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill import lockout
from radbill.functions.caller import SYSTEM
from radbill.functions.registry import (AccessDenied, FuncError, ListResult, call, load_all,
                                        no_money_message)
from radbill.models import Customer, Operator, StaffUser
from radbill.models.web import LoginAttempt
from tests.conftest import radbill_cli
from tests.support.admin_fixtures import PASSWORD
from tests.support.factories import caller_of, fn, make_customer, make_operator, make_package, \
    make_user

# the old substring detector (admin/menus.py before), kept only here to catch a forgotten money=
MONEY_WORDS = ("bill", "payment", "invoice", "journal", "ledger", "expense", "fund", "card",
               "price", "balance", "amount", "credit", "commission", "vat", "cash", "total",
               "paid", "due")
# names the detector matches that are not money, and why
NOT_MONEY = {"kind": "credit/debit is how an operator pays, declared with its limit anyway"}


def looks_like_money(name: str) -> bool:
    return any(w in name.lower() for w in MONEY_WORDS)


def api(client, method="get", **params):
    if method == "get":
        return client.get("/billmgr", query_string=params)
    return client.post("/billmgr", data=params)


# -- 1. money ---------------------------------------------------------------------------------
def test_every_function_that_looks_like_money_declares_it(session):
    registry = load_all()
    missing = []
    for name, f in sorted(registry.items()):
        names = {p.name for p in f.params}
        if f.kind == "list" and not any(p.required for p in f.params):
            with session.begin_nested() as sp:
                result = call(session, SYSTEM, name, {})
                sp.rollback()
            if isinstance(result, ListResult):
                names |= set(result.columns)
        if looks_like_money(name) and not f.money_declared:
            missing.append(f"{name} (its name)")
        for col in sorted(names):
            if looks_like_money(col) and not f.money and col not in f.money_fields \
                    and col not in NOT_MONEY:
                missing.append(f"{name}.{col}")
    assert missing == [], "declare money= on these functions: " + ", ".join(missing)


def test_the_noc_gets_one_refusal_for_money_by_page_api_and_cli(world, auth, client):
    message = no_money_message("noc", "billing_profile")
    with pytest.raises(AccessDenied) as exc:
        call(world.dbs, caller_of(world.dbs, world.noc), "billing_profile", {})
    assert exc.value.message == message
    auth.login("noc1")
    page = auth.get("/billmgr?func=billing_profile")
    assert page.status_code == 403 and message in page.get_data(as_text=True)
    doc = auth.get("/billmgr?func=billing_profile&out=JSONdata")
    assert doc.status_code == 403 and message in doc.get_data(as_text=True)
    assert "discount_value" not in doc.get_data(as_text=True)
    menu = auth.get("/").get_data(as_text=True)
    assert "func=billing_profile" not in menu and "func=payment" not in menu


def test_the_noc_never_sees_money_columns_by_page_or_api(world, auth):
    auth.login("noc1")
    rows = json.loads(auth.get("/billmgr?func=customer&out=JSONdata").get_data(as_text=True))
    rows = rows if isinstance(rows, list) else rows.get("elem", rows)
    assert rows and all("advance_balance" not in r for r in rows)
    assert any(r.get("username") == "alice" for r in rows)
    page = auth.get("/billmgr?func=customer").get_data(as_text=True)
    assert "alice" in page and "advance_balance" not in page.lower().replace(" ", "_")
    packages = auth.get("/billmgr?func=package&out=JSONdata").get_data(as_text=True)
    assert "home10" in packages and "price" not in packages
    csv = auth.get("/export.csv?func=customer").get_data(as_text=True)
    assert "alice" in csv and "advance_balance" not in csv
    # a reseller still sees them
    auth.logout()
    auth.login("opera")
    assert "advance_balance" in auth.get("/billmgr?func=customer&out=JSONdata").get_data(as_text=True)


def committed_world(engine):
    with Session(engine) as s:
        make_operator(s, name="isp")
        noc = make_user(s, login="noc9", role="noc", operator="isp")
        make_package(s, name="home10")
        make_customer(s, username="alice", package="home10", operator="isp",
                      custom_price="450")
        s.commit()
        return noc


def test_the_noc_gets_the_same_refusal_and_no_money_columns_from_the_cli(committed):
    committed_world(committed)
    r = radbill_cli("call", "billing_profile", "su=noc9")
    assert r.returncode == 1 and no_money_message("noc", "billing_profile") in r.stderr
    r = radbill_cli("call", "customer", "su=noc9", "out=json")
    assert r.returncode == 0, r.stderr
    assert "alice" in r.stdout and "advance_balance" not in r.stdout
    r = radbill_cli("call", "customer", "out=json")  # the administrator sees it
    assert "advance_balance" in r.stdout


# -- 2. changes -------------------------------------------------------------------------------
@pytest.mark.parametrize("query", ["func=router.import&sok=ok", "func=router.push_profiles"])
def test_a_cookie_get_never_changes_anything(world, auth, dbs, query):
    nas = fn(dbs, "nas.edit", sok="ok", name="r1", ip="192.0.2.10", secret="s3cret",
             api_user="u", api_password="p")
    dbs.commit()
    auth.login("gadmin")
    before = dbs.scalar(sa.select(sa.func.count()).select_from(Customer))
    resp = auth.get(f"/billmgr?{query}&elid={nas.elid}&out=xml")
    assert resp.status_code == 403 and "changes data" in resp.get_data(as_text=True)
    page = auth.get(f"/billmgr?{query}&elid={nas.elid}")  # the page asks to confirm by POST
    assert page.status_code == 200 and 'id="confirm"' in page.get_data(as_text=True)
    dbs.expire_all()
    assert dbs.scalar(sa.select(sa.func.count()).select_from(Customer)) == before


def test_the_registry_refuses_a_change_from_a_channel_that_may_not(world, dbs):
    caller = caller_of(dbs, world.operator_a).via("web", False)
    with pytest.raises(AccessDenied, match="changes data"):
        call(dbs, caller, "zone.edit", {"sok": "ok", "name": "z1"})
    assert call(dbs, caller, "zone", {}).rows is not None  # reading is fine
    assert call(dbs, caller, "zone.edit", {}).values == {}  # so is opening a form


# -- 3. two-factor ----------------------------------------------------------------------------
def test_totp_reset_is_refused_where_the_operator_requires_two_factor(world, dbs):
    user = dbs.get(StaffUser, world.operator_a.id)
    user.totp_secret, user.totp_enabled = pyotp.random_base32(), True
    dbs.get(Operator, world.op_a.id).require_2fa = True
    dbs.flush()
    for who in (world.operator_a, world.group_admin):
        with pytest.raises(AccessDenied, match="requires two-factor"):
            call(dbs, caller_of(dbs, who), "user.totp_reset", {"elid": "opera"})
    assert dbs.get(StaffUser, world.operator_a.id).totp_enabled


def test_totp_enrolment_works_over_the_api(world, client, dbs):
    auth = f"opera:{PASSWORD}"
    form = json.loads(api(client, func="me.totp", authinfo=auth, out="JSONdata").get_data(as_text=True))
    secret = form["secret"]
    resp = api(client, "post", func="me.totp", authinfo=auth, out="JSONdata", sok="ok",
               secret=secret, totp=pyotp.TOTP(secret).now())
    assert resp.status_code == 200, resp.get_data(as_text=True)
    dbs.expire_all()
    assert dbs.get(StaffUser, world.operator_a.id).totp_enabled


# -- 4. lockouts ------------------------------------------------------------------------------
@pytest.fixture
def cards(world, dbs):
    fn(dbs, "card.generate", count="1", amount="100", batch="r1", operator="opA")
    pin = pins(dbs, "r1")[0]
    dbs.commit()
    return pin


def portal_caller(dbs, username):
    from customers.functions.portal import customer_caller
    c = dbs.scalars(sa.select(Customer).where(Customer.username == username)).one()
    return customer_caller(dbs, c, "198.51.100.7").via("portal", True)


def test_portal_recharge_throttles_pin_guessing_for_every_caller(world, dbs, cards):
    alice = portal_caller(dbs, "alice")
    for _ in range(lockout.limit()):
        with pytest.raises(FuncError) as exc:
            call(dbs, alice, "portal.recharge", {"pin": "12345678901234"})
        assert exc.value.keep
    for _ in range(3):  # refused while blocked, even the right PIN, and that does not count
        with pytest.raises(FuncError, match="too many wrong PINs"):
            call(dbs, alice, "portal.recharge", {"pin": cards})
    assert lockout.failures(dbs, "pin", login="customer:alice") == lockout.limit()
    # amos is someone else: not blocked
    with pytest.raises(FuncError, match="no such card"):
        call(dbs, portal_caller(dbs, "amos"), "portal.recharge", {"pin": "12345678901234"})


def test_payment_edit_throttles_card_pins_per_caller_and_per_customer(world, dbs, cards):
    distributor = caller_of(dbs, world.cards)
    for i in range(lockout.limit()):  # one distributor guessing over two customers
        with pytest.raises(FuncError):
            call(dbs, distributor, "payment.edit", {"sok": "ok", "method": "card",
                                                    "customer": ("alice", "amos")[i % 2],
                                                    "pin": f"9999000{i}"})
    with pytest.raises(FuncError, match="too many wrong PINs"):  # per caller
        call(dbs, distributor, "payment.edit", {"sok": "ok", "method": "card",
                                                "customer": "amos", "pin": cards})
    # alice was guessed at by the distributor only (limit+1)//2 times: not yet blocked for others
    op = caller_of(dbs, world.operator_a)
    for i in range(lockout.limit()):
        try:
            call(dbs, op, "payment.edit", {"sok": "ok", "method": "card", "customer": "alice",
                                           "pin": f"8888000{i}"})
        except FuncError:
            pass
    with pytest.raises(FuncError, match="too many wrong PINs"):  # per customer, any caller
        call(dbs, caller_of(dbs, world.group_admin), "payment.edit",
             {"sok": "ok", "method": "card", "customer": "alice", "pin": cards})


def test_the_cli_keeps_the_record_of_a_wrong_pin(committed):
    committed_world(committed)
    r = radbill_cli("call", "payment.edit", "sok=ok", "method=card", "customer=alice",
                    "pin=12345678")
    assert r.returncode == 1
    with committed.connect() as conn:
        reasons = conn.execute(sa.select(LoginAttempt.reason)).scalars().all()
    assert reasons.count(lockout.PIN_FAILURE) >= 1


def test_wrong_pins_on_the_portal_never_lock_staff_logins(world, auth, client, dbs, cards):
    env = {"REMOTE_ADDR": "127.0.0.1"}
    from tests.portal.test_portal import token
    client.post("/portal/login", data={"username": "alice", "password": "s3cret",
                                       "csrf_token": token(client)}, environ_base=env)
    for _ in range(11):
        client.post("/portal/recharge", data={"pin": "12345678901234",
                                              "csrf_token": token(client, "/portal/")},
                    environ_base=env)
    for i in range(5):  # a few staff failures from the same address too
        auth.login(f"nobody{i}", "guess")
    assert auth.login("root1").status_code == 302


def test_a_refusal_while_blocked_does_not_extend_the_block(dbs):
    for _ in range(3):
        lockout.record(dbs, "portal", "zed", False, "bad password", "203.0.113.5")
    assert lockout.blocked(dbs, "portal", "zed", 3)
    for _ in range(5):
        lockout.record(dbs, "portal", "zed", False, "locked", "203.0.113.5")
    assert lockout.failures(dbs, "portal", login="zed") == 3
    assert not lockout.address_blocked(dbs, "web", "203.0.113.5", 1)  # another channel's


# -- 5. CSV import ----------------------------------------------------------------------------
CSV_BAD = ("login,pass,plan,phone\n"
           "imp1,pw1,home10,01711000101\n"
           "imp2,pw2,home10,bad-phone\n")


def test_customer_import_as_a_function_all_or_nothing_with_row_numbers(world, dbs):
    op = caller_of(dbs, world.operator_a)
    with pytest.raises(FuncError) as exc:
        call(dbs, op, "customer.import", {"file": CSV_BAD})
    assert "row 3: mobile" in exc.value.errors and "1 of 2 rows" in exc.value.message
    assert dbs.scalar(sa.select(sa.func.count()).where(Customer.username.like("imp%"))) == 0
    good = CSV_BAD.replace("bad-phone", "01711000102")
    dry = call(dbs, op, "customer.import", {"file": good, "dry_run": "yes"})
    assert dry.extra["created"] == 2 and not dry.extra["committed"]
    assert dbs.scalar(sa.select(sa.func.count()).where(Customer.username.like("imp%"))) == 0
    done = call(dbs, op, "customer.import", {"file": good, "mapping": "login:username,pass:password,"
                                             "plan:package,3:mobile"})
    assert done.extra["committed"]
    assert dbs.scalar(sa.select(sa.func.count()).where(Customer.username.like("imp%"))) == 2


def test_customer_import_from_the_cli(committed, tmp_path):
    committed_world(committed)
    good = CSV_BAD.replace("bad-phone", "01711000102")
    r = radbill_cli("call", "customer.import", f"file={CSV_BAD}", "out=json")
    assert r.returncode == 1 and "row 3: mobile" in r.stderr
    r = radbill_cli("call", "customer.import", f"file={good}", "dry_run=yes")
    assert r.returncode == 0, r.stderr
    r = radbill_cli("call", "customer.import", f"file={good}")
    assert r.returncode == 0, r.stderr
    with committed.connect() as conn:
        assert conn.execute(sa.text("select count(*) from customers where username like 'imp%'")
                            ).scalar() == 2

"""Provisioning keys (issue 19): a parent issues a one-time key (kept hashed, shown once); a new
operator registers under that parent with it and gets its first login; a used, revoked or
expired key is refused, and of two registrations racing with one key exactly one wins;
wrong keys lock the address out."""
from __future__ import annotations

import datetime as dt
import hashlib
import threading
from decimal import Decimal as D

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill.functions.auth import check_password
from radbill.functions.caller import Caller
from radbill.functions.registry import AccessDenied, FuncError, NotFound, call
from radbill.models import AuditLog, Event, Operator, ProvisioningKey, StaffUser
from radbill.models.web import LoginAttempt
from tests.support.factories import caller_of, fn, make_operator, make_user


def visitor(ip: str = "198.51.100.7") -> Caller:
    return Caller(login="register:visitor", role="visitor", operator_path="/-/", ip=ip,
                  channel="web")


def signup(session, key: str, ip: str = "198.51.100.7", **kw):
    params = {"key": key, "name": "Mirpur Net", "phone": "+8801711000055",
              "email": "owner@mirpur.example", "address": "Mirpur 10, Dhaka",
              "contact": "Karim", "login": "karim", "password": "correct-horse", **kw}
    return call(session, visitor(ip), "operator_signup", {k: v for k, v in params.items()
                                                            if v is not None})


@pytest.fixture
def tree(session):
    make_operator(session, name="isp19k")
    make_operator(session, name="opA19k", parent="isp19k", kind="credit")
    make_operator(session, name="opB19k", parent="isp19k")
    anna = caller_of(session, make_user(session, login="anna19k", role="operator",
                                        operator="opA19k"))
    ben = caller_of(session, make_user(session, login="ben19k", role="operator",
                                       operator="opB19k"))
    return anna, ben


def test_a_key_registers_an_operator_under_its_parent_once(session, tree):
    anna, _ben = tree
    issued = fn(session, "provisioning_key.edit", anna, sok="ok", kind="debit",
                credit_limit="1500", note="for Karim")
    key = issued.extra["secret"]
    row = session.get(ProvisioningKey, issued.elid)
    # hashed at rest: the digest, a hint of 8 characters, never the key itself
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert row.hint == key[:8] and len(key) > 30
    stored = " ".join(str(v) for v in session.execute(
        sa.text("select * from provisioning_keys")).one())
    assert key not in stored and key[8:] not in stored
    logged = " ".join(str(a.request) + str(a.after) for a in session.scalars(sa.select(AuditLog)))
    logged += " ".join(str(e.data) for e in session.scalars(sa.select(Event)))
    assert key not in logged
    listed = fn(session, "provisioning_key", anna).rows
    assert [(r["hint"], r["state"], r["level"]) for r in listed] == [(key[:8], "unused", "sub")]
    assert "secret" not in listed[0] and "key_hash" not in listed[0]

    done = signup(session, key)
    op = session.get(Operator, done.elid)
    parent = session.scalars(sa.select(Operator).where(Operator.name == "opA19k")).one()
    assert (op.name, op.parent_id, op.level, op.kind, op.credit_limit) == \
        ("Mirpur Net", parent.id, "sub", "debit", D("1500.00"))
    assert op.path == f"{parent.path}{op.id}/" and op.phone == "+8801711000055"
    user = session.scalars(sa.select(StaffUser).where(StaffUser.login == "karim")).one()
    assert (user.role, user.operator_id, user.name) == ("sub_operator", op.id, "Karim")
    assert check_password(user, "correct-horse")
    session.refresh(row)
    assert row.used_at is not None and row.new_operator_id == op.id and row.new_login == "karim"
    assert row.used_ip == "198.51.100.7"
    # made through operator.edit and user.edit, audited as the key standing for the parent
    funcs = {a.func: a.actor for a in session.scalars(sa.select(AuditLog).where(
        AuditLog.func.in_(("operator.edit", "user.edit", "operator_signup"))))}
    assert funcs == {"operator.edit": f"provisioning_key:{row.id}",
                     "user.edit": f"provisioning_key:{row.id}",
                     "operator_signup": "register:visitor"}
    used = session.scalars(sa.select(Event).where(Event.name == "provisioning_key.used")).one()
    assert used.data == {"key_id": row.id, "new_operator_id": op.id, "name": "Mirpur Net",
                         "login": "karim"}
    assert [r["state"] for r in fn(session, "provisioning_key", anna).rows] == ["used"]
    # the new operator's login works as its parent's sub-operator: it sees only its own node
    karim = caller_of(session, user)
    assert [r["name"] for r in fn(session, "operator", karim).rows] == ["Mirpur Net"]

    with pytest.raises(FuncError) as err:  # a replay
        signup(session, key, name="Mirpur Net 2", login="karim2")
    assert err.value.field == "key" and "already been used" in err.value.message
    assert session.scalar(sa.select(sa.func.count()).select_from(Operator).where(
        Operator.name == "Mirpur Net 2")) == 0
    with pytest.raises(FuncError) as err:  # nor revoked after use
        fn(session, "provisioning_key.revoke", anna, elid=str(row.id))
    assert err.value.field == "elid"


def test_expired_and_revoked_keys_are_refused(session, tree):
    anna, _ = tree
    old = fn(session, "provisioning_key.edit", anna, sok="ok")
    session.get(ProvisioningKey, old.elid).expires_at = \
        dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
    session.flush()
    with pytest.raises(FuncError) as err:
        signup(session, old.extra["secret"])
    assert err.value.field == "key" and "expired" in err.value.message
    gone = fn(session, "provisioning_key.edit", anna, sok="ok")
    fn(session, "provisioning_key.revoke", anna, elid=str(gone.elid))
    with pytest.raises(FuncError) as err:
        signup(session, gone.extra["secret"])
    assert err.value.field == "key" and "revoked" in err.value.message
    assert session.scalar(sa.select(sa.func.count()).select_from(Operator).where(
        Operator.name == "Mirpur Net")) == 0
    assert [e for e in session.scalars(sa.select(Event.name).where(
        Event.name.like("provisioning_key.%")))] == ["provisioning_key.issued"] * 2 + \
        ["provisioning_key.revoked"]


def test_bad_fields_name_themselves_and_leave_the_key_unused(session, tree):
    anna, _ = tree
    key = fn(session, "provisioning_key.edit", anna, sok="ok").extra["secret"]
    make_user(session, login="taken19k", role="operator", operator="opA19k")
    for params, field in (({"password": "short"}, "password"), ({"login": "taken19k"}, "login"),
                          ({"name": "opB19k"}, "name"), ({"login": "no spaces"}, "login"),
                          ({"email": "not-mail"}, "email"), ({"name": ""}, "name"),
                          ({"lang": "fr"}, "lang")):
        with pytest.raises(FuncError) as err:
            signup(session, key, **params)
        assert field in err.value.errors, (params, err.value.errors)
        assert not err.value.keep  # the key was right: no failure counted
    row = session.scalars(sa.select(ProvisioningKey)).one()
    assert row.used_at is None
    assert session.scalar(sa.select(sa.func.count()).select_from(Operator).where(
        Operator.name == "Mirpur Net")) == 0
    # a wrong key with bad fields: every field named at once, and the key counted as a failure
    with pytest.raises(FuncError) as err:
        signup(session, "rbp-wrong", password="short")
    assert {"key", "password"} <= set(err.value.errors) and err.value.keep


def test_wrong_keys_lock_the_address_out(session, tree):
    anna, _ = tree
    key = fn(session, "provisioning_key.edit", anna, sok="ok").extra["secret"]
    for n in range(5):  # RADBILL_LOCKOUT_AFTER, default 5
        with pytest.raises(FuncError) as err:
            signup(session, f"rbp-guess{n}", ip="203.0.113.9")
        assert err.value.status == 403 and err.value.keep
    with pytest.raises(FuncError) as err:  # even the right key, from that address
        signup(session, key, ip="203.0.113.9")
    assert err.value.status == 429 and err.value.field == "key"
    assert signup(session, key, ip="203.0.113.10").elid  # another address is not locked
    reasons = session.scalars(sa.select(LoginAttempt.reason).where(
        LoginAttempt.ip == "203.0.113.9").order_by(LoginAttempt.id)).all()
    assert reasons == ["bad provisioning key"] * 5 + ["register blocked"]
    # staff logins from that address are not locked by it (a counter of its own)
    from radbill import lockout
    assert lockout.failures(session, "web", ip="203.0.113.9") == 0


def test_a_second_reseller_neither_sees_nor_revokes_nor_issues_for_another(session, tree):
    anna, ben = tree
    mine = fn(session, "provisioning_key.edit", anna, sok="ok")
    assert fn(session, "provisioning_key", ben).rows == []
    with pytest.raises(NotFound):
        fn(session, "provisioning_key.revoke", ben, elid=str(mine.elid))
    with pytest.raises(NotFound):
        fn(session, "provisioning_key.edit", ben, sok="ok", elid=str(mine.elid), note="x")
    with pytest.raises(AccessDenied) as err:
        fn(session, "provisioning_key.edit", anna, sok="ok", operator="opB19k")
    assert err.value.field == "operator"
    sub = make_operator(session, name="subA19k", parent="opA19k")
    with pytest.raises(FuncError) as err:  # nobody registers under a sub-operator
        fn(session, "provisioning_key.edit", anna, sok="ok", operator=sub.name)
    assert err.value.field == "operator"
    sue = caller_of(session, make_user(session, login="sue19k", role="sub_operator",
                                       operator="subA19k"))
    with pytest.raises(AccessDenied):
        fn(session, "provisioning_key.edit", sue, sok="ok")
    assert session.get(ProvisioningKey, mine.elid).revoked_at is None


@pytest.mark.parametrize("params,field", [
    ({"expires": "2020-01-01"}, "expires"),
    ({"expires": "2099-01-01"}, "expires"),
    ({"expires": "soon"}, "expires"),
    ({"kind": "barter"}, "kind"),
    ({"credit_limit": "-5"}, "credit_limit"),
    ({"credit_limit": "1e30"}, "credit_limit"),
    ({"note": "n" * 301}, "note"),
])
def test_issuing_with_bad_input_names_the_field(session, tree, params, field):
    anna, _ = tree
    with pytest.raises(FuncError) as err:
        fn(session, "provisioning_key.edit", anna, sok="ok", **params)
    assert field in err.value.errors, err.value.errors
    assert session.scalar(sa.select(sa.func.count()).select_from(ProvisioningKey)) == 0


def test_two_registrations_racing_with_one_key_make_one_operator(committed):
    """Two connections use one key at once: the second waits on the key's row, then finds it
    used; exactly one operator and one login are made."""
    with Session(committed) as s:
        make_operator(s, name="isp19r")
        make_operator(s, name="opA19r", parent="isp19r")
        anna = caller_of(s, make_user(s, login="anna19r", role="operator", operator="opA19r"))
        key = fn(s, "provisioning_key.edit", anna, sok="ok").extra["secret"]
        s.commit()
    first, second = Session(committed), Session(committed)
    outcome = {}
    try:
        won = signup(first, key, name="Racer One", login="racer1")  # holds the key's row lock
        assert won.elid

        def other():
            try:
                signup(second, key, name="Racer Two", login="racer2", ip="198.51.100.8")
                second.commit()
                outcome["second"] = "registered"
            except FuncError as exc:
                second.commit()  # the refusal's failure row (keep)
                outcome["second"] = exc.message
        t = threading.Thread(target=other)
        t.start()
        t.join(1.0)
        assert t.is_alive(), "the second registration did not wait for the first"
        first.commit()
        t.join(30)
        assert not t.is_alive()
    finally:
        first.close()
        second.close()
    assert "already been used" in outcome["second"]
    with Session(committed) as s:
        names = s.scalars(sa.select(Operator.name).where(Operator.name.like("Racer%"))).all()
        logins = s.scalars(sa.select(StaffUser.login).where(StaffUser.login.like("racer%"))).all()
        assert (names, logins) == (["Racer One"], ["racer1"])
        assert s.scalars(sa.select(ProvisioningKey.new_login)).all() == ["racer1"]

"""Sign-up from the portal (issue 14, customers/functions/signups.py): the code arrives at the SMS
emulator, the mobile is confirmed, staff approve (a customer with a new PPPoE login, its username
and password sent by SMS) or reject; duplicate mobile and NID refused naming the field; the OTP
rate limit per address; a wrong code; auto-approve; log in with a code; a reseller sees only its
subtree's sign-ups; profile edit with a code to the new number."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from customers.functions.signups import visitor
from customers.functions.portal import customer_caller
from radbill.functions.caller import SYSTEM, Caller
from radbill.functions.registry import FuncError, call
from radbill.models import Customer, Operator, Package
from radbill.models.selfcare import Signup
from tests.support.factories import fn, make_customer, make_operator, make_package
from tests.support.messaging.fixtures import add_gateway, bulksmsbd_emu, drain  # noqa: F401

IP = "198.51.100.20"


def world(s, emu):
    isp = make_operator(s, name="isp")
    res = make_operator(s, name="resA", parent="isp")
    add_gateway(s, isp.id, emu)
    home = make_package(s, name="Home", operator="isp")
    fast = make_package(s, name="Fast", operator="isp")
    hidden = make_package(s, name="Hidden", operator="isp")
    for p in (home, fast):
        p.online = True
    fast.auto_approve = True
    fn(s, "zone.edit", sok="ok", name="north", operator="isp")
    fn(s, "zone.edit", sok="ok", name="south", operator="resA")
    s.flush()
    return isp, res, hidden


def form(**kw):
    base = {"zone": "north", "package": "Home", "name": "Rahim Uddin", "mobile": "01711000001",
            "address": "House 1, Road 2, Dhaka", "national_id": "1234567890", "lang": "en"}
    base.update(kw)
    return base


def codes(emu, number="8801711000001") -> list[str]:
    found = []
    for m in emu.sent:
        text = m.get("message") or m.get("msg") or m.get("sms") or ""
        to = str(m.get("number") or m.get("msisdn") or m.get("to") or "")
        if number[-10:] in to and (c := re.search(r"\b(\d{6})\b", text)):
            found.append(c.group(1))
    return found


def texts(emu) -> list[str]:
    return [str(m.get("message") or m.get("msg") or m.get("sms") or "") for m in emu.sent]


def test_sign_up_confirm_approve(factory, bulksmsbd_emu):
    with factory.begin() as s:
        world(s, bulksmsbd_emu)
    with factory.begin() as s:
        ok = call(s, visitor(IP), "portal.signup", form())
        sid = ok.extra and ok.elid
        row = s.get(Signup, sid)
        assert (row.status, row.verified_at, row.mobile, row.ip) == ("pending", None,
                                                                    "+8801711000001", IP)
    drain()
    [code] = codes(bulksmsbd_emu)
    with factory.begin() as s, pytest.raises(FuncError) as exc:  # staff cannot approve it yet
        call(s, SYSTEM, "signup.approve", {"elid": str(sid)})
    assert "not confirmed" in exc.value.message
    wrong = "000000" if code != "000000" else "111111"
    with factory.begin() as s, pytest.raises(FuncError) as exc:
        call(s, visitor(IP), "portal.signup_verify", {"elid": str(sid), "code": wrong})
    assert exc.value.field == "code" and "is wrong" in exc.value.message
    with factory.begin() as s:
        ok = call(s, visitor(IP), "portal.signup_verify", {"elid": str(sid), "code": code})
        assert ok.extra == {"verified": True, "approved": False, "customer": None}
    with factory.begin() as s:
        listed = call(s, SYSTEM, "signup", {"status": "pending"}).rows
        assert [r["id"] for r in listed] == [sid]
        ok = call(s, SYSTEM, "signup.approve", {"elid": str(sid)})
        c = s.get(Customer, ok.extra["customer"])
        assert re.fullmatch(r"rahim\d{4}", c.username) and c.status == "active"
        assert (c.national_id, c.mobile, c.package.name, c.zone.name) == (
            "1234567890", "+8801711000001", "Home", "north")
        username, password = c.username, c.password
        assert s.get(Signup, sid).status == "approved"
    drain()
    sms = [t for t in texts(bulksmsbd_emu) if "approved" in t]
    assert len(sms) == 1 and f"Username: {username} Password: {password}" in sms[0]
    # one message: the approval's carries the welcome (customer.created adds none)
    assert not [t for t in texts(bulksmsbd_emu) if "is ready" in t]
    # the same mobile or NID again: refused, naming the field
    with factory.begin() as s, pytest.raises(FuncError) as exc:
        call(s, visitor(IP), "portal.signup", form(mobile="+880 1711-000001"))
    assert "already has an account" in exc.value.errors["mobile"]
    assert "already has an account" in exc.value.errors["national_id"]


def test_duplicates_rate_limit_auto_approve_and_reject(factory, bulksmsbd_emu):
    with factory.begin() as s:
        _, _, hidden = world(s, bulksmsbd_emu)
    with factory.begin() as s, pytest.raises(FuncError) as exc:
        call(s, visitor(IP), "portal.signup", form(package="Hidden", national_id="12345",
                                                   mobile="0123"))
    assert set(exc.value.errors) >= {"national_id", "mobile"}
    with factory.begin() as s, pytest.raises(FuncError) as exc:
        call(s, visitor(IP), "portal.signup", form(package="Hidden"))
    assert exc.value.field == "package"
    with factory.begin() as s:
        first = call(s, visitor(IP), "portal.signup", form()).elid
    drain()
    [code] = codes(bulksmsbd_emu)
    with factory.begin() as s:
        call(s, visitor(IP), "portal.signup_verify", {"elid": str(first), "code": code})
    with factory.begin() as s, pytest.raises(FuncError) as exc:  # the NID is waiting already
        call(s, visitor(IP), "portal.signup", form(mobile="01711000002"))
    assert "waiting for approval" in exc.value.errors["national_id"]
    with factory.begin() as s:  # rejected: told why
        call(s, SYSTEM, "signup.reject", {"elid": str(first), "reason": "outside coverage"})
    drain()
    assert any("not approved (outside coverage)" in t for t in texts(bulksmsbd_emu))
    # auto-approve: the account is made the moment the code is right
    with factory.begin() as s:
        sid = call(s, visitor(IP), "portal.signup",
                   form(package="Fast", mobile="01711000003", national_id="1234567890123")).elid
    drain()
    [code] = codes(bulksmsbd_emu, "8801711000003")
    with factory.begin() as s:
        ok = call(s, visitor(IP), "portal.signup_verify", {"elid": str(sid), "code": code})
        assert ok.extra["approved"] is True and ok.extra["customer"]
        assert s.get(Signup, sid).decided_by == "auto"
    # one address asking for too many codes is refused, saying the wait
    with pytest.raises(FuncError) as exc:
        for i in range(12):
            with factory.begin() as s:
                call(s, visitor("203.0.113.9"), "portal.signup",
                     form(mobile=f"017120001{i:02d}", national_id=f"99999999{i:02d}"))
    assert exc.value.status == 429 and "your address" in exc.value.message


def test_a_reseller_sees_its_own_signups(factory, bulksmsbd_emu):
    with factory.begin() as s:
        isp, res, _ = world(s, bulksmsbd_emu)
        res_path = s.get(Operator, res.id).path
    with factory.begin() as s:
        a = call(s, visitor(IP), "portal.signup", form()).elid
        b = call(s, visitor(IP), "portal.signup",
                 form(zone="south", mobile="01711000005", national_id="5555555555")).elid
    staff = Caller(login="resa-staff", role="operator", operator_id=res.id,
                   operator_path=res_path)
    with factory.begin() as s:
        assert [r["id"] for r in call(s, staff, "signup", {}).rows] == [b]
        assert {r["id"] for r in call(s, SYSTEM, "signup", {}).rows} == {a, b}
        with pytest.raises(FuncError):
            call(s, staff, "signup.approve", {"elid": str(a)})


def test_otp_login_and_profile(factory, bulksmsbd_emu):
    with factory.begin() as s:
        world(s, bulksmsbd_emu)
        make_customer(s, username="karim", mobile="01711000007", package="Home", operator="isp")
    with factory.begin() as s, pytest.raises(FuncError) as exc:
        call(s, visitor(IP), "portal.otp_login", {"mobile": "01711000099"})
    assert exc.value.field == "mobile"
    with factory.begin() as s:
        call(s, visitor(IP), "portal.otp_login", {"mobile": "01711000007"})
    drain()
    [code] = codes(bulksmsbd_emu, "8801711000007")
    wrong = "000000" if code != "000000" else "111111"
    with factory.begin() as s, pytest.raises(FuncError) as exc:
        call(s, visitor(IP), "portal.otp_login", {"mobile": "01711000007", "code": wrong})
    assert exc.value.field == "code"
    with factory.begin() as s:
        ok = call(s, visitor(IP), "portal.otp_login", {"mobile": "01711000007", "code": code})
        assert ok.extra["username"] == "karim"
    # profile: e-mail and address at once; a new mobile only with the code sent to it
    with factory.begin() as s:
        karim = s.scalars(sa.select(Customer).where(Customer.username == "karim")).one()
        me = customer_caller(s, karim, IP)
        ok = call(s, me, "portal.profile", {"sok": "ok", "email": "k@example.com",
                                             "address": "Road 9", "mobile": "01711000008"})
        assert ok.extra["code_sent_to"] and ok.extra["mobile"] == "+8801711000007"
        assert ok.extra["email"] == "k@example.com"
    drain()
    [code] = codes(bulksmsbd_emu, "8801711000008")
    with factory.begin() as s:
        karim = s.scalars(sa.select(Customer).where(Customer.username == "karim")).one()
        ok = call(s, customer_caller(s, karim, IP), "portal.profile",
                  {"sok": "ok", "mobile": "01711000008", "code": code})
        assert ok.extra["mobile"] == "+8801711000008"


def test_staff_record_a_national_id_once_per_live_customer(session):
    from tests.support.factories import make_customer
    make_customer(session, username="nid1", national_id="1234567890")
    with pytest.raises(FuncError) as exc:
        make_customer(session, username="nid2", national_id="1234-567-890")
    assert exc.value.errors == {"national_id": "is taken"}
    with pytest.raises(FuncError) as exc:
        make_customer(session, username="nid3", national_id="12345")
    assert "10, 13 or 17 digits" in exc.value.errors["national_id"]

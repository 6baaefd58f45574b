"""Access-Requests against a real FreeRADIUS running radius_module, data made through radbill."""
from __future__ import annotations

import datetime as dt
import hashlib
import socket
import time

import pytest
import sqlalchemy as sa
from pyrad import packet
from pyrad.client import Timeout
from sqlalchemy.orm import Session

from tests.support.factories import fn, make, make_customer, make_operator, make_package
from tests.support.radius_helpers import (auth, code_name, eventually, message,
                            mschapv2_attributes, radclient, reply_pairs)

pytestmark = pytest.mark.integration

HOME = [("Acct-Interim-Interval", "300"), ("Framed-Pool", "main"),
        ("Mikrotik-Rate-Limit", "5M/10M")]


@pytest.fixture
def db(committed):
    with Session(committed, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def world(db, server):
    """A shared NAS (us), pools, the Home package and alice; waits until the server has them."""
    fn(db, "nas.edit", sok="ok", name="lo", ip="127.0.0.1", secret="testing123")
    make(db, "pool", name="main", cidr="100.64.0.0/16")
    make(db, "pool", name="walled", cidr="10.255.0.0/16", suspended="on")
    make(db, "pool", name="slow", cidr="100.65.0.0/16")
    make_package(db, name="Home", rate_down="10M", rate_up="5M", pool="main")
    make_customer(db, username="alice", password="alice-pw", package="Home")
    db.commit()
    assert eventually(lambda: auth(server, "alice", "alice-pw")[0] == "Access-Accept")
    return db


def chap(server, user, password):
    c = server.client()
    req = c.CreateAuthPacket(code=packet.AccessRequest, User_Name=user)
    challenge, ident = bytes(range(16)), 7
    req["CHAP-Challenge"] = challenge
    req["CHAP-Password"] = bytes([ident]) + hashlib.md5(bytes([ident]) + password.encode()
                                                         + challenge).digest()
    reply = c.SendPacket(req)
    return code_name(reply.code), reply_pairs(reply)


def mschap(server, user, password):
    c = server.client()
    req = c.CreateAuthPacket(code=packet.AccessRequest, User_Name=user)
    for name, value in mschapv2_attributes(user, password).items():
        req[name] = value
    reply = c.SendPacket(req)
    return code_name(reply.code), reply.keys()


def test_pap_chap_and_mschapv2_with_pyrad(server, world):
    assert auth(server, "alice", "alice-pw") == ("Access-Accept", HOME)
    assert auth(server, "alice", "nope") == ("Access-Reject", [("Reply-Message", "wrong password")])
    assert chap(server, "alice", "alice-pw") == ("Access-Accept", HOME)
    assert chap(server, "alice", "nope")[0] == "Access-Reject"
    code, keys = mschap(server, "alice", "alice-pw")
    assert code == "Access-Accept" and "MS-CHAP2-Success" in keys
    assert mschap(server, "alice", "nope")[0] == "Access-Reject"


def test_pap_chap_and_mschapv2_with_radclient(server, world):
    assert radclient(server, "auth", {"User-Name": "alice", "User-Password": "alice-pw"}) == \
        ("Access-Accept", HOME)
    assert radclient(server, "auth", {"User-Name": "alice", "User-Password": "x"})[0] == \
        "Access-Reject"
    assert radclient(server, "auth", {"User-Name": "alice", "CHAP-Password": "alice-pw"}) == \
        ("Access-Accept", HOME)
    assert radclient(server, "auth", {"User-Name": "alice", "CHAP-Password": "x"})[0] == \
        "Access-Reject"
    ms = {"User-Name": "alice", **mschapv2_attributes("alice", "alice-pw")}
    assert radclient(server, "auth", ms)[0] == "Access-Accept"
    ms = {"User-Name": "alice", **mschapv2_attributes("alice", "wrong")}
    assert radclient(server, "auth", ms)[0] == "Access-Reject"


def test_hash_only_customer_pap_and_mschapv2_work_chap_is_refused(server, world):
    make_customer(world, username="hashed", password="h-pw", hash_only="on", package="Home")
    world.commit()
    assert eventually(lambda: auth(server, "hashed", "h-pw")[0] == "Access-Accept")
    assert auth(server, "hashed", "bad")[0] == "Access-Reject"
    assert mschap(server, "hashed", "h-pw")[0] == "Access-Accept"
    code, pairs = chap(server, "hashed", "h-pw")
    assert code == "Access-Reject" and "CHAP needs the clear-text password" in message(pairs)


def test_rejects_say_why(server, world):
    make_customer(world, username="gone", password="pw", package="Home")
    make_customer(world, username="off", password="pw", package="Home")
    fn(world, "customer.delete", elid="gone")
    fn(world, "customer.disable", elid="off")
    world.commit()
    assert eventually(lambda: "deleted" in message(auth(server, "gone", "pw")[1]))
    assert auth(server, "gone", "pw") == ("Access-Reject", [("Reply-Message", "account deleted")])
    assert auth(server, "off", "pw") == ("Access-Reject", [("Reply-Message", "account disabled")])
    assert auth(server, "nobody", "pw") == ("Access-Reject",
                                            [("Reply-Message", "unknown user 'nobody'")])


def test_mac_binding_ranks_below_a_wrong_password(server, world):
    fn(world, "customer.edit", elid="alice", sok="ok", mac="AA:BB:CC:DD:EE:FF")
    world.commit()
    right, wrong = "aa-bb-cc-dd-ee-ff", "11:22:33:44:55:66"
    assert eventually(lambda: auth(server, "alice", "alice-pw", Calling_Station_Id=wrong)[0]
                      == "Access-Reject")
    assert auth(server, "alice", "alice-pw", Calling_Station_Id=right) == ("Access-Accept", HOME)
    assert message(auth(server, "alice", "alice-pw", Calling_Station_Id=wrong)[1]) == \
        f"MAC address {wrong} is not the one bound to this account"
    assert message(auth(server, "alice", "bad", Calling_Station_Id=wrong)[1]) == "wrong password"


def test_nas_of_another_operator_is_refused(server, world):
    a = make_operator(world, name="A", parent=None)
    b = make_operator(world, name="B", parent=a.name)
    c = make_operator(world, name="C", parent=a.name)
    make_customer(world, username="bcust", password="pw", package="Home", operator=b.name)
    make_customer(world, username="ccust", password="pw", package="Home", operator=c.name)
    nas = world.execute(sa.text("select id from nas where nasname = '127.0.0.1'")).scalar()
    fn(world, "nas.edit", elid=nas, sok="ok", operator=b.name)
    world.commit()
    assert eventually(lambda: message(auth(server, "ccust", "pw")[1]) ==
                      "NAS 127.0.0.1 does not serve this customer's operator")
    assert auth(server, "bcust", "pw")[0] == "Access-Accept"


def test_simultaneous_use_counts_open_sessions(server, world):
    c = server.client()
    start = c.CreateAcctPacket(User_Name="alice", Acct_Status_Type="Start", Acct_Session_Id="s-1",
                               NAS_IP_Address="127.0.0.1")
    assert c.SendPacket(start).code == packet.AccountingResponse
    assert eventually(lambda: auth(server, "alice", "alice-pw")[0] == "Access-Reject")
    code, pairs = auth(server, "alice", "alice-pw")
    assert message(pairs) == "already 1 session(s) online; the package allows 1"
    stop = c.CreateAcctPacket(User_Name="alice", Acct_Status_Type="Stop", Acct_Session_Id="s-1",
                              NAS_IP_Address="127.0.0.1", Acct_Session_Time=5)
    assert c.SendPacket(stop).code == packet.AccountingResponse
    assert eventually(lambda: auth(server, "alice", "alice-pw")[0] == "Access-Accept")


WALLED = [("Acct-Interim-Interval", "300"), ("Framed-Pool", "walled"),
          ("Mikrotik-Address-List", "radbill-suspended"), ("Session-Timeout", "300")]


def test_suspended_and_expired_land_in_the_walled_garden(server, world):
    past = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)).isoformat(timespec="seconds")
    make_customer(world, username="late", password="pw", package="Home", expires=past)
    fn(world, "customer.suspend", elid="alice")
    world.commit()
    assert eventually(lambda: auth(server, "alice", "alice-pw") == ("Access-Accept", WALLED))
    assert auth(server, "late", "pw") == ("Access-Accept", WALLED)


def test_over_the_cap_gets_the_fup_rate_and_pool(server, world):
    make_package(world, name="Capped", rate_down="10M", rate_up="5M", pool="main", data_cap="1G",
                 fup_rate_down="1M", fup_rate_up="512k", fup_pool="slow")
    make_customer(world, username="heavy", password="pw", package="Capped")
    world.execute(sa.text("update customers set status = 'fup' where username = 'heavy'"))
    world.commit()
    assert eventually(lambda: auth(server, "heavy", "pw") == ("Access-Accept", [
        ("Acct-Interim-Interval", "300"), ("Framed-Pool", "slow"),
        ("Mikrotik-Rate-Limit", "512k/1M")]))


def test_static_ip_burst_expiry_and_reply_tables(server, world):
    make_package(world, name="Burst", rate_down="10M", rate_up="5M", burst_down="20M",
                 burst_up="8M", burst_threshold_down="8M", burst_threshold_up="4M", burst_time=16)
    soon = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)).isoformat(timespec="seconds")
    make_customer(world, username="shop", password="pw", package="Burst", service="static",
                  static_ip="100.66.0.9", expires=soon)
    world.execute(sa.text("insert into radreply (username, attribute, op, value) values "
                          "('shop', 'Idle-Timeout', ':=', '600')"))
    world.execute(sa.text("insert into radusergroup (username, groupname, priority) values "
                          "('shop', 'biz', 1)"))
    world.execute(sa.text("insert into radgroupreply (groupname, attribute, op, value) values "
                          "('biz', 'Idle-Timeout', '=', '900'), ('biz', 'Class', '=', 'biz')"))
    world.commit()
    assert eventually(lambda: dict(auth(server, "shop", "pw")[1]).get("Class") == "biz")
    code, pairs = auth(server, "shop", "pw")
    timeout = int(dict(pairs).pop("Session-Timeout"))
    assert 3590 <= timeout <= 3600
    assert [p for p in pairs if p[0] != "Session-Timeout"] == [
        ("Acct-Interim-Interval", "300"), ("Class", "biz"),
        ("Framed-IP-Address", "100.66.0.9"), ("Idle-Timeout", "600"),
        ("Mikrotik-Rate-Limit", "5M/10M 8M/20M 4M/8M 16/16")]


def test_a_change_through_radbill_is_seen_within_a_second(server, world):
    for action, expect in (("customer.suspend", WALLED), ("customer.resume", HOME)):
        fn(world, action, elid="alice")
        world.commit()
        committed_at = time.monotonic()
        assert eventually(lambda: auth(server, "alice", "alice-pw") == ("Access-Accept", expect),
                          timeout=1.0, every=0.005)
        assert time.monotonic() - committed_at < 1.0


def test_post_auth_logs_every_answer_with_its_reason(server, world):
    auth(server, "alice", "bad")
    auth(server, "odd\tname\\", "x")  # COPY's special characters survive the log
    auth(server, "ghost", "x")
    assert eventually(lambda: world.execute(sa.text(
        "select count(*) from radpostauth where username = 'ghost'")).scalar())
    rows = world.execute(sa.text("select username, reply, reason from radpostauth "
                                 "order by id")).all()
    assert ("alice", "Access-Accept", "active") in rows
    assert ("alice", "Access-Reject", "wrong password") in rows
    assert ("ghost", "Access-Reject", "unknown user 'ghost'") in rows
    assert ("odd\tname\\", "Access-Reject", "unknown user 'odd\\tname\\\\'") in rows
    assert eventually(lambda: world.execute(sa.text(
        "select s.last_seen_at from customer_last_seen s join customers c "
        "on c.id = s.customer_id where c.username = 'alice'")).scalar())


def test_malformed_and_unexpected_requests_never_crash_the_server(server, world):
    assert auth(server, None, "pw") == ("Access-Reject",
                                        [("Reply-Message", "no User-Name in the request")])
    with pytest.raises(Timeout):  # an address that is no NAS gets no answer at all
        auth(server, "alice", "alice-pw", source="127.0.0.2", timeout=0.5)
    with pytest.raises(Timeout):  # a wrong secret fails the authenticator check
        c = server.client(secret=b"not-the-secret", timeout=0.5)
        c.SendPacket(c.CreateAcctPacket(User_Name="alice", Acct_Status_Type="Start",
                                        Acct_Session_Id="x"))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for junk in (b"", b"\x01", b"\x01\x02\x00\x14" + b"\0" * 16 + b"\x01\xff", b"\xff" * 4096):
            s.sendto(junk, ("127.0.0.1", server.auth_port))
            s.sendto(junk, ("127.0.0.1", server.acct_port))
    assert auth(server, "alice", "alice-pw") == ("Access-Accept", HOME)
    assert server.alive()


def test_a_pap_accept_is_decided_and_logged_once_in_authorize(server, world):
    """authorize checks a PAP password itself and answers an accept whole (Auth-Type Accept: no
    pap, no second Python call in post-auth): the same answers rlm_pap gives, byte for byte,
    and one log row an answer, accept or reject, whichever path the request took."""
    odd = "pä ss|wörd'\\=1"
    make_customer(world, username="odd", password=odd, package="Home")
    make_customer(world, username="late", password="pw", package="Home",
                  expires=(dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1))
                  .isoformat(timespec="seconds"))
    world.commit()
    assert eventually(lambda: auth(server, "odd", odd)[0] == "Access-Accept")
    auth(server, "mark", "x")  # the rows before it are flushed with it or before it

    def mark():
        return world.execute(sa.text(
            "select max(id) from radpostauth where username = 'mark'")).scalar()
    assert eventually(mark)
    after = mark()
    answers = [
        (("odd", odd), ("Access-Accept", HOME), "active"),
        (("odd", odd[:-1]), ("Access-Reject", [("Reply-Message", "wrong password")]),
         "wrong password"),
        (("odd", odd + " "), ("Access-Reject", [("Reply-Message", "wrong password")]),
         "wrong password"),
        (("odd", odd.upper()), ("Access-Reject", [("Reply-Message", "wrong password")]),
         "wrong password"),
        (("late", "pw"), ("Access-Accept", WALLED), "expired"),
        (("late", "px"), ("Access-Reject", [("Reply-Message", "wrong password")]),
         "wrong password"),
    ]
    for (user, password), answer, _ in answers:
        assert auth(server, user, password) == answer, (user, password)
    assert chap(server, "odd", odd) == ("Access-Accept", HOME)  # CHAP still goes through chap
    assert mschap(server, "odd", odd)[0] == "Access-Accept"
    expected = [(user, answer[0], reason) for (user, _), answer, reason in answers] + \
        [("odd", "Access-Accept", "active")] * 2
    assert eventually(lambda: world.execute(sa.text(
        "select count(*) from radpostauth where id > :a"), {"a": after}).scalar() >= len(expected))
    time.sleep(0.5)  # a second row for any answer would have been flushed by now
    rows = world.execute(sa.text("select username, reply, reason from radpostauth "
                                 "where id > :a order by id"), {"a": after}).all()
    assert [tuple(r) for r in rows] == expected

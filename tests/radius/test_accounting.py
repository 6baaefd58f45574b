"""Accounting-Requests against a real FreeRADIUS: radacct with stock semantics, usage counters,
the fair-usage crossing and its single CoA."""
from __future__ import annotations

import datetime as dt

import psycopg
import pytest
import sqlalchemy as sa
from pyrad import packet
from pyrad.client import Timeout
from sqlalchemy.orm import Session

from tests.support.factories import fn, make, make_customer, make_package
from radbill import radiusconf, settings
from tests.support.radius_helpers import RadiusServer, applied, eventually, radclient

pytestmark = pytest.mark.integration
GIB = 2**30


@pytest.fixture
def db(committed, server):
    with Session(committed, expire_on_commit=False) as s:
        fn(s, "nas.edit", sok="ok", name="lo", ip="127.0.0.1", secret="testing123")
        make(s, "pool", name="slow", cidr="100.65.0.0/16")
        make_package(s, name="Capped", rate_down="10M", rate_up="5M", data_cap="1G",
                     fup_rate_down="1M", fup_rate_up="512k", fup_pool="slow")
        make_customer(s, username="bob", password="pw", package="Capped")
        s.commit()
        yield s


class Nas:
    """One NAS talking accounting: every packet must be answered (i.e. committed)."""

    def __init__(self, server: RadiusServer) -> None:
        self.client = server.client()

    def send(self, status: str, session: str = "sess-1", user: str = "bob", **attrs) -> None:
        pkt = self.client.CreateAcctPacket(User_Name=user, Acct_Status_Type=status,
                                           Acct_Session_Id=session, NAS_IP_Address="127.0.0.1")
        for name, value in attrs.items():
            if isinstance(name, str) and name.isdigit():  # one the test dictionary lacks
                pkt[int(name)] = [value]
            else:
                pkt[name.replace("_", "-")] = value
        assert self.client.SendPacket(pkt).code == packet.AccountingResponse
        applied()

    def usage(self, octets_in: int, octets_out: int, seconds: int) -> dict:
        return {"Acct_Input_Octets": octets_in % 2**32, "Acct_Input_Gigawords": octets_in >> 32,
                "Acct_Output_Octets": octets_out % 2**32,
                "Acct_Output_Gigawords": octets_out >> 32, "Acct_Session_Time": seconds}


def radacct(db, session="sess-1"):
    return db.execute(sa.text(
        "select acctinputoctets, acctoutputoctets, acctsessiontime, acctstoptime is not null, "
        "acctterminatecause from radacct where acctsessionid = :s"), {"s": session}).one()


def drained(db) -> None:
    """Wait for the module's thread to turn acknowledged records into radacct and counters
    (every 0.2 s): an empty inbox means the drain that took them committed, log and counters
    in the same transaction (radius_acct_log is never seen with rows)."""
    applied()


def counters(db):
    drained(db)
    return db.execute(sa.text("select bytes_in, bytes_out, session_time from usage_counters")).one()


def test_start_interim_stop_fill_radacct_and_grow_the_counter_by_deltas(server, db):
    nas = Nas(server)
    nas.send("Start", Framed_IP_Address="100.65.0.7")
    assert radacct(db) == (0, 0, 0, False, None)
    nas.send("Interim-Update", **nas.usage(1000, 5000, 60))
    nas.send("Interim-Update", **nas.usage(3000, 9000, 120))
    assert counters(db) == (3000, 9000, 120)
    nas.send("Stop", Acct_Terminate_Cause="User-Request", **nas.usage(4000, 10000, 130))
    assert radacct(db) == (4000, 10000, 130, True, "User-Request")
    assert counters(db) == (4000, 10000, 130)
    uid = db.execute(sa.text("select acctuniqueid from radacct")).scalar()
    assert len(uid) == 32  # md5 from the stock acct_unique policy


def test_gigawords_carry_octets_beyond_4_gib(server, db):
    nas = Nas(server)
    nas.send("Start")
    nas.send("Interim-Update", **nas.usage(5 * 2**32 + 7, 2**32 - 1, 60))
    assert radacct(db)[:2] == (5 * 2**32 + 7, 2**32 - 1)
    assert counters(db)[:2] == (5 * 2**32 + 7, 2**32 - 1)


def test_retransmitted_interim_and_late_packets_add_nothing(server, db):
    nas = Nas(server)
    nas.send("Start")
    for _ in range(3):  # the NAS resends (a new Id each time) when our answer was lost
        nas.send("Interim-Update", **nas.usage(100, 200, 10))
    assert counters(db) == (100, 200, 10)
    nas.send("Interim-Update", **nas.usage(50, 100, 5))  # an older one, delivered late
    assert counters(db) == (100, 200, 10)
    assert radacct(db)[:3] == (100, 200, 10)


def test_stop_before_interim_keeps_the_session_closed(server, db):
    nas = Nas(server)
    nas.send("Stop", **nas.usage(700, 800, 90))  # Start and Interim lost or still in flight
    assert radacct(db) == (700, 800, 90, True, None)
    nas.send("Interim-Update", **nas.usage(300, 400, 40))
    nas.send("Start")
    assert radacct(db) == (700, 800, 90, True, None)
    assert counters(db) == (700, 800, 90)


def test_accounting_on_closes_the_nas_sessions(server, db):
    nas = Nas(server)
    nas.send("Start", session="a")
    nas.send("Start", session="b")
    nas.send("Accounting-On", session="", user="")
    rows = db.execute(sa.text("select acctstoptime is not null, acctterminatecause from radacct"
                              " where username = 'bob'")).all()
    assert rows == [(True, "NAS-Reboot")] * 2


def test_radclient_accounting_is_acknowledged(server, db):
    code, _ = radclient(server, "acct", {"User-Name": "bob", "Acct-Status-Type": "Start",
                                         "Acct-Session-Id": "rc-1", "NAS-IP-Address": "127.0.0.1"})
    assert code == "Accounting-Response"
    applied()
    assert radacct(db, "rc-1")[3] is False


def test_crossing_the_cap_mid_session_queues_exactly_one_coa(server, db):
    nas = Nas(server)
    nas.send("Start", Framed_IP_Address="100.65.0.7")
    nas.send("Interim-Update", **nas.usage(GIB // 4, GIB // 2, 60))
    drained(db)
    assert db.execute(sa.text("select status from customers")).scalar() == "active"
    nas.send("Interim-Update", **nas.usage(GIB // 4, GIB, 120))  # 1.25 GiB > 1 GiB
    nas.send("Interim-Update", **nas.usage(GIB // 4, GIB, 120))  # retransmit
    nas.send("Interim-Update", **nas.usage(GIB, 2 * GIB, 180))  # still over
    nas.send("Stop", **nas.usage(GIB, 2 * GIB, 200))
    drained(db)
    assert db.execute(sa.text("select status from customers")).scalar() == "fup"
    # the lifecycle's rows: one event, one audit row, one status-log row, and the event's
    # consumers: exactly one CoA and one notice
    events = db.execute(sa.text("select name, actor, data from events where name like "
                                "'customer.fup%'")).all()
    assert [(e.name, e.actor, e.data) for e in events] == [
        ("customer.fup_reached", "radius",
         {"username": "bob", "from": "active", "to": "fup", "reason": "data_cap"})]
    audit = db.execute(sa.text("select func, before, after from audit_log "
                               "where func = 'radius.accounting'")).all()
    assert len(audit) == 1 and audit[0].before["status"] == "active" \
        and audit[0].after["status"] == "fup"
    assert [(r["to_state"], r["reason"]) for r in fn(db, "suspension").rows] == \
        [("fup", "data_cap")]
    out = db.execute(sa.text("select kind, payload from outbox where payload->>'event' "
                             "<> 'customer.created' order by id")).all()  # not the welcome
    assert [(o.kind, o.payload["event"]) for o in out] == [
        ("coa", "customer.fup_reached"), ("notify", "customer.fup_reached")]
    # what the worker sends: the package's FUP rate, worked out from the event
    from provisioning import worker
    from radbill.models import Outbox
    assert worker.event_attributes(db, db.get(Outbox, db.execute(sa.text(
        "select id from outbox where kind = 'coa'")).scalar())) == \
        {"Mikrotik-Rate-Limit": "512k/1M"}
    # and the next login is throttled
    c = server.client()
    req = c.CreateAuthPacket(code=packet.AccessRequest, User_Name="bob")
    req["User-Password"] = req.PwCrypt("pw")
    throttled = lambda r: r.get("Mikrotik-Rate-Limit") == ["512k/1M"]  # noqa: E731
    reply = eventually(lambda: throttled(r := c.SendPacket(req)) and r)
    assert reply and reply["Framed-Pool"] == ["slow"]
    # the cycle ends: full speed again, through the lifecycle, with one Disconnect
    from rating import jobs
    cycle = db.execute(sa.text("select cycle_start from customers")).scalar()
    assert jobs.fup_reset(db, cycle + dt.timedelta(days=30)).endswith("1 customers back from FUP")
    db.commit()
    assert db.execute(sa.text("select status from customers")).scalar() == "active"
    reset = db.execute(sa.text("select data from events where name = 'customer.fup_reset'")).all()
    assert [r.data for r in reset] == [{"username": "bob", "from": "fup", "to": "active",
                                        "reason": "new_cycle"}]
    assert db.execute(sa.text("select count(*) from outbox where kind = 'disconnect' and "
                              "payload->>'event' = 'customer.fup_reset'")).scalar() == 1
    def login():  # a new packet each time: FreeRADIUS answers a repeated one from its cache
        fresh = c.CreateAuthPacket(code=packet.AccessRequest, User_Name="bob")
        fresh["User-Password"] = fresh.PwCrypt("pw")
        return c.SendPacket(fresh)
    assert eventually(lambda: not throttled(login()))


def test_odd_accounting_requests_are_answered_and_change_nothing_they_should_not(server, db):
    nas = Nas(server)
    c = nas.client
    bare = c.CreateAcctPacket(Acct_Status_Type="Start", Acct_Session_Id="anon",
                              NAS_IP_Address="127.0.0.1")  # no User-Name at all
    assert c.SendPacket(bare).code == packet.AccountingResponse
    odd = c.CreateAcctPacket(User_Name="bob", Acct_Session_Id="odd", NAS_IP_Address="127.0.0.1")
    odd["Acct-Status-Type"] = 15  # Failed: recorded by nobody, still acknowledged
    assert c.SendPacket(odd).code == packet.AccountingResponse
    nas.send("Interim-Update", user="stranger", session="x", **nas.usage(10, 10, 1))
    drained(db)
    assert db.execute(sa.text("select count(*) from usage_counters")).scalar() == 0
    assert radacct(db, "x")[:2] == (10, 10)
    assert server.alive()


def test_the_response_waits_for_the_commit(server, db):
    """RFC 2866: answer only what is stored. While the record cannot be written (into
    accounting's inbox), nothing is acknowledged; the NAS's retransmission is then recorded
    once."""
    c = server.client(timeout=0.7, retries=1)
    start = c.CreateAcctPacket(User_Name="bob", Acct_Status_Type="Start", Acct_Session_Id="w1",
                               NAS_IP_Address="127.0.0.1")
    with psycopg.connect(radiusconf.conninfo(settings.get().psycopg_dsn)) as blocker:
        blocker.execute("LOCK TABLE radius_acct_inbox IN ACCESS EXCLUSIVE MODE")
        with pytest.raises(Timeout):
            c.SendPacket(start)
    Nas(server).send("Start", session="w1")
    assert db.execute(sa.text("select count(*) from radacct where acctsessionid = 'w1'")
                      ).scalar() == 1


def test_acct_unique_session_id_is_what_the_stock_policy_makes(server, db):
    """The drain makes Acct-Unique-Session-Id (radbill_acct_unique) as FreeRADIUS' stock
    policy.d/accounting does in every request: the same ids, written here from the stock
    policy's text (this test passes against that policy too). A Class "ai:<32 hex digits>" (its
    hex of either case, its "ai:" lower case only) names the session with those digits;
    otherwise the user, session, NAS address (IPv6 first), NAS-Identifier, NAS-Port-Id and
    NAS-Port do, as the NAS sent them (rlm_sql's escaping undone)."""
    import hashlib

    def md5(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()

    import ipaddress

    nas = Nas(server)
    digits = "0123456789abcdefABCDEF0123456789"
    port_id, ipv6 = "87", "95"  # NAS-Port-Id, NAS-IPv6-Address (raw: not in pyrad's dictionary)
    cases = {
        "plain": ({"NAS_Identifier": "bras 1", "NAS_Port": 7, port_id: b"ether1"},
                  md5("bob,plain,127.0.0.1,bras 1,ether1,7")),
        "class": ({"Class": b"ai:" + digits.encode() + b"-rest", "NAS_Port": 7},
                  md5(f"{digits},class")),
        "upper": ({"Class": b"AI:" + digits.encode()}, md5("bob,upper,127.0.0.1,,,")),
        "short": ({"Class": b"ai:" + digits[:31].encode() + b"g"}, md5("bob,short,127.0.0.1,,,")),
        "v6": ({ipv6: ipaddress.IPv6Address("2001:db8::1").packed, "NAS_Port": 3},
               md5("bob,v6,2001:db8::1,,,3")),
        # rlm_sql writes these bytes escaped (=27, =3D, =5C, =7C): the id is of the bytes as
        # sent ('|' also separates the fields of the inbox's INSERT)
        "esc": ({"user": "o'b=r y\\z|", "NAS_Identifier": "br=as'1|", port_id: b"e\\1|"},
                md5("o'b=r y\\z|,esc,127.0.0.1,br=as'1|,e\\1|,")),
        "utf": ({"user": "ünï@dom"}, md5("ünï@dom,utf,127.0.0.1,,,")),
    }
    for session, (attrs, _) in cases.items():
        attrs = dict(attrs)
        nas.send("Start", session=session, user=attrs.pop("user", "bob"), **attrs)
    got = dict(db.execute(sa.text(
        "select acctsessionid, acctuniqueid from radacct where acctsessionid = any(:s)"),
        {"s": list(cases)}).all())
    assert got == {session: expected for session, (_, expected) in cases.items()}


def test_the_module_vacuums_the_inbox_as_it_drains(server, db):
    """The inbox is a queue: between autovacuum's visits (about a minute) inserts could not
    reuse the space of drained rows and every drain scanned a growing heap. The module's thread
    vacuums it every 2 s (SKIP_LOCKED, without the truncation's exclusive lock)."""
    def vacuums() -> int:
        db.execute(sa.text("select pg_stat_clear_snapshot()"))
        return db.execute(sa.text("select vacuum_count from pg_stat_user_tables "
                                  "where relname = 'radius_acct_inbox'")).scalar()
    before = vacuums()
    Nas(server).send("Start", session="vac")
    assert eventually(lambda: vacuums() > before, timeout=8, every=0.2)

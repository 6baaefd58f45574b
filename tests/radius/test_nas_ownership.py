"""NAS ownership in accounting (issue 10, Tenancy): a NAS is the client it really is (source
address and secret), and a NAS registered to reseller B cannot open, close or charge reseller
A's sessions. Real pyrad packets from two NAS clients (different addresses and secrets) to a
real FreeRADIUS; plus the Event-Timestamp clamp (issue 10, Bad input)."""
from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from pyrad import packet
from sqlalchemy.orm import Session

from tests.support.factories import fn, make_customer, make_isp, make_operator, make_package
from tests.support.radius_helpers import RadiusServer, applied, eventually

pytestmark = pytest.mark.integration
A_NAS, B_NAS, SHARED_NAS = "127.0.0.1", "127.0.0.2", "127.0.0.3"
SECRETS = {A_NAS: "testing123", B_NAS: "b-secret-9", SHARED_NAS: "shared-secret"}


@pytest.fixture
def db(committed, server):
    """Resellers A and B under the ISP, each with its NAS and a customer; the ISP's shared NAS."""
    with Session(committed, expire_on_commit=False) as s:
        isp = make_isp(s)
        make_operator(s, name="resA", parent=isp.name)
        make_operator(s, name="resB", parent=isp.name)
        fn(s, "nas.edit", sok="ok", name="nas-a", ip=A_NAS, secret=SECRETS[A_NAS], operator="resA")
        fn(s, "nas.edit", sok="ok", name="nas-b", ip=B_NAS, secret=SECRETS[B_NAS], operator="resB")
        fn(s, "nas.edit", sok="ok", name="shared", ip=SHARED_NAS, secret=SECRETS[SHARED_NAS])
        pkg = make_package(s, name="Home")
        make_customer(s, username="acust", password="pw", package=pkg.name, operator="resA")
        make_customer(s, username="bcust", password="pw", package=pkg.name, operator="resB")
        s.commit()
        yield s


class Nas:
    """One NAS client: its own source address and secret; every packet must be answered."""

    def __init__(self, server: RadiusServer, source: str) -> None:
        self.client = server.client(source, SECRETS[source].encode())

    def send(self, status: str, session: str = "s1", user: str = "acust",
             claims: str = A_NAS, **attrs) -> None:
        pkt = self.client.CreateAcctPacket(Acct_Status_Type=status, Acct_Session_Id=session,
                                           NAS_IP_Address=claims)
        if user:
            pkt["User-Name"] = user
        for name, value in attrs.items():
            pkt[name.replace("_", "-")] = value
        assert self.client.SendPacket(pkt).code == packet.AccountingResponse
        applied()


def sessions(db) -> list[tuple]:
    db.rollback()
    return db.execute(sa.text(
        "select username, acctsessionid, host(nasipaddress), acctstoptime is null, "
        "acctinputoctets, acctoutputoctets from radacct order by radacctid")).all()


def usage(db) -> dict[str, tuple]:
    assert eventually(lambda: db.execute(sa.text(
        "select count(*) = 0 from radius_acct_log")).scalar())
    return {r[0]: (r[1], r[2]) for r in db.execute(sa.text(
        "select c.username, u.bytes_in, u.bytes_out from usage_counters u "
        "join customers c on c.id = u.customer_id"))}


def refusals(db) -> list[str]:
    return db.execute(sa.text("select reason from radpostauth where reply = 'Accounting-Refused'"
                              " order by id")).scalars().all()


def test_accounting_on_from_b_claiming_a_s_address_closes_nothing_of_a(server, db):
    a, b = Nas(server, A_NAS), Nas(server, B_NAS)
    for i in range(3):
        a.send("Start", session=f"a{i}")
    b.send("Start", session="b0", user="bcust", claims=B_NAS)
    b.send("Accounting-On", session="", user="", claims=A_NAS)  # lies about who it is
    assert sessions(db) == [("acust", f"a{i}", A_NAS, True, 0, 0) for i in range(3)] + \
        [("bcust", "b0", B_NAS, False, 0, 0)]  # only B's own session closed
    a.send("Accounting-On", session="", user="")
    assert [r[3] for r in sessions(db)] == [False] * 4


def test_b_s_nas_cannot_open_charge_or_close_a_s_customer(server, db):
    a, b = Nas(server, A_NAS), Nas(server, B_NAS)
    a.send("Start", session="real", Acct_Input_Octets=0)
    a.send("Interim-Update", session="real", Acct_Input_Octets=100, Acct_Output_Octets=200)
    assert usage(db) == {"acust": (100, 200)}
    # B's NAS posts a whole session for A's customer, and then a Stop for A's real session
    # (the same User-Name, Acct-Session-Id and claimed NAS-IP-Address: the same unique id)
    b.send("Start", session="fake")
    b.send("Interim-Update", session="fake", Acct_Input_Octets=777777, Acct_Output_Octets=777777)
    b.send("Stop", session="fake", Acct_Input_Octets=777777, Acct_Output_Octets=777777)
    b.send("Stop", session="real", Acct_Input_Octets=777777, Acct_Output_Octets=777777,
           Acct_Terminate_Cause=6)  # Admin-Reset
    assert sessions(db) == [("acust", "real", A_NAS, True, 100, 200)]
    assert usage(db) == {"acust": (100, 200)}
    assert refusals(db) == [
        f"{status} from NAS {B_NAS} not recorded: this NAS does not serve the customer's operator"
        for status in ("Start", "Interim-Update", "Stop", "Stop")]
    # A's staff read the refusals in the auth log (the customer is theirs)
    assert {r["reply"] for r in fn(db, "authlog", reply="Accounting-Refused").rows} == \
        {"Accounting-Refused"}
    # B's NAS still accounts for B's customer, recorded under the address it really has
    b.send("Start", session="own", user="bcust", claims="10.9.9.9")
    b.send("Stop", session="own", user="bcust", claims="10.9.9.9", Acct_Input_Octets=5,
           Acct_Output_Octets=6)
    assert sessions(db)[-1] == ("bcust", "own", B_NAS, False, 5, 6)
    assert usage(db) == {"acust": (100, 200), "bcust": (5, 6)}


def test_a_session_is_closed_only_by_the_nas_that_opened_it(server, db):
    """The ISP's shared NAS serves everyone, but A's session on A's NAS is still not its to
    close: a packet reproducing the unique id from another client is acknowledged, not used."""
    a, shared = Nas(server, A_NAS), Nas(server, SHARED_NAS)
    a.send("Start", session="x1")
    shared.send("Stop", session="x1", Acct_Input_Octets=999, Acct_Output_Octets=999)
    shared.send("Interim-Update", session="x1", Acct_Input_Octets=999, Acct_Output_Octets=999)
    assert sessions(db) == [("acust", "x1", A_NAS, True, 0, 0)]
    assert refusals(db)[-1] == (f"Interim-Update from NAS {SHARED_NAS} not recorded: "
                                "the session belongs to another NAS")
    # a session of its own on the shared NAS is recorded as usual
    shared.send("Start", session="x2", user="bcust", claims=SHARED_NAS)
    assert sessions(db)[-1] == ("bcust", "x2", SHARED_NAS, True, 0, 0)


def test_an_event_timestamp_far_from_now_is_clamped(server, db):
    a = Nas(server, A_NAS)
    a.send("Start", session="future", Event_Timestamp=0xFFFFFFFF)
    a.send("Start", session="epoch", Event_Timestamp=1)
    a.send("Start", session="late", Event_Timestamp=int(time.time()) - 3600)  # buffered: kept
    db.rollback()
    starts = dict(db.execute(sa.text(
        "select acctsessionid, extract(epoch from clock_timestamp() - acctstarttime) "
        "from radacct")).all())
    assert abs(starts["future"]) < 60 and abs(starts["epoch"]) < 60
    assert 3540 < starts["late"] < 3660
    a.send("Accounting-On", session="", user="")
    assert [r[3] for r in sessions(db)] == [False] * 3  # 2106 no longer outlives a reboot


def test_a_nas_cannot_name_another_through_the_proxy_s_attribute(server, db):
    """Radbill-NAS-Address (224) is believed only from radbill's own proxy: B's NAS putting A's
    address in it is still B (the policy removes it), so A's customer is refused and B's
    session is recorded under B's own address."""
    b = Nas(server, B_NAS)
    forged = {"224": [bytes(map(int, A_NAS.split(".")))]}

    def send(status: str, session: str, user: str) -> None:
        pkt = b.client.CreateAcctPacket(Acct_Status_Type=status, Acct_Session_Id=session,
                                        NAS_IP_Address=A_NAS, User_Name=user)
        pkt[224] = forged["224"]
        assert b.client.SendPacket(pkt).code == packet.AccountingResponse
        applied()

    send("Start", "forged-a", "acust")
    send("Start", "forged-b", "bcust")
    assert [(r[0], r[1], r[2]) for r in sessions(db)] == [("bcust", "forged-b", B_NAS)]
    assert refusals(db) == [
        f"Start from NAS {B_NAS} not recorded: this NAS does not serve the customer's operator"]

"""The outbox worker against a pyrad NAS simulator and a local SMTP server (real packets, real
mail through the operator's e-mail gateway, messaging/)."""
from __future__ import annotations

import datetime as dt
import json
import threading
import time

import pytest
import sqlalchemy as sa

from tests.support.factories import make, make_customer
from provisioning import worker
from tests.support import outbox_rows as outbox
from radbill.models import Message, MessageGateway, Outbox, RadAcct
from tests.support.messaging import channel_fixtures
from tests.support.messaging.channel_fixtures import add_channel_gateway

mail_server = channel_fixtures.mail_server  # fixtures

pytestmark = pytest.mark.integration


@pytest.fixture
def nas(coa_nas):
    return coa_nas


@pytest.fixture
def router(factory, nas):
    with factory.begin() as s:
        make(s, "nas", name="core1", ip="127.0.0.1", secret="testing123", coa_port=str(nas.port))
    return nas


def fast(**kw) -> worker.Policy:
    return worker.Policy(**{"base_delay": 0, "coa_timeout": 0.3, "coa_retries": 1, **kw})


def online(s, username: str, sid: str, ip: str = "10.0.0.5", nas_ip: str = "127.0.0.1") -> None:
    s.add(RadAcct(acctsessionid=sid, acctuniqueid=f"u-{sid}", username=username,
                  nasipaddress=nas_ip, framedipaddress=ip,
                  acctstarttime=dt.datetime.now(dt.timezone.utc)))


def events(factory) -> list[Outbox]:
    """The outbox rows a test wrote: without the welcome notices (customer.created) that
    making its customers queued."""
    with factory() as s:
        return [r for r in s.scalars(sa.select(Outbox).order_by(Outbox.id))
                if not (r.kind == "notify"
                        and (r.payload or {}).get("event") == "customer.created")]


def test_suspend_disconnects_the_live_session(factory, router):
    router.add_session("81a00001", "alice", "10.0.0.5")
    with factory.begin() as s:
        c = make_customer(s, username="alice")
        online(s, "alice", "81a00001")
        outbox.disconnect(s, c.id, "alice", "suspend")
    assert worker.drain(factory, fast()) == 2  # the Disconnect and alice's welcome notice
    [ev] = events(factory)
    assert ev.status == "done" and ev.attempts == 1
    sent = router.received[0]
    assert sent["kind"] == "disconnect"
    assert (sent["User-Name"], sent["Acct-Session-Id"], sent["Framed-IP-Address"]) == \
        (["alice"], ["81a00001"], ["10.0.0.5"])
    assert json.loads(ev.result)["sessions"]["127.0.0.1/81a00001"]["reply"] == "ACK"
    assert "81a00001" not in router.sessions


def test_fup_coa_carries_the_new_rate_limit(factory, router):
    router.add_session("81a00002", "bob", "10.0.0.6")
    with factory.begin() as s:
        c = make_customer(s, username="bob")
        outbox.enqueue(s, "coa", c.id, {"username": "bob", "acctsessionid": "81a00002",
                                        "nasipaddress": "127.0.0.1", "framedipaddress": "10.0.0.6",
                                        "Mikrotik-Rate-Limit": "1M/2M"})
    worker.drain(factory, fast())
    assert events(factory)[0].status == "done"
    assert router.sessions["81a00002"]["rate"] == "1M/2M"


def test_nak_session_not_found_closes_the_stale_session(factory, router):
    with factory.begin() as s:
        c = make_customer(s, username="carol")
        online(s, "carol", "81a00003")
        outbox.disconnect(s, c.id, "carol", "package changed")
    worker.drain(factory, fast())
    [ev] = events(factory)
    assert ev.status == "done"
    entry = json.loads(ev.result)["sessions"]["127.0.0.1/81a00003"]
    assert entry["error_cause"] == 503 and entry["stale_closed"] == 1
    with factory() as s:
        row = s.scalars(sa.select(RadAcct).where(RadAcct.acctsessionid == "81a00003")).one()
        assert row.acctstoptime is not None and row.acctterminatecause == "Stale-Session"


def test_silent_nas_is_retried_then_given_up_with_a_reason(factory, router):
    router.force = ("silent", None)
    with factory.begin() as s:
        c = make_customer(s, username="dave")
        online(s, "dave", "81a00004")
        outbox.disconnect(s, c.id, "dave", "suspend")
    policy = fast(max_attempts=2, base_delay=60)
    worker.drain(factory, policy)
    [ev] = events(factory)
    assert ev.status == "pending" and ev.attempts == 1 and "no disconnect reply" in ev.last_error
    assert ev.next_attempt_at > dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=50)
    assert worker.drain(factory, policy) == 0  # not due yet
    with factory.begin() as s:
        s.execute(sa.update(Outbox).values(next_attempt_at=sa.func.now()))
    worker.drain(factory, policy)
    [ev] = events(factory)
    assert ev.status == "failed" and ev.last_error.startswith("gave up after 2 attempts")
    with factory() as s:  # the session was not confirmed gone, so it stays open
        assert s.scalar(sa.select(RadAcct.acctstoptime).where(RadAcct.acctsessionid == "81a00004")) is None


def test_other_nak_is_recorded_and_retried(factory, router):
    router.force = ("nak", 506)
    with factory.begin() as s:
        c = make_customer(s, username="erin")
        online(s, "erin", "81a00005")
        outbox.disconnect(s, c.id, "erin", "suspend")
    worker.drain(factory, fast(base_delay=60))
    [ev] = events(factory)
    assert ev.status == "pending" and "NAK 506 Resources Unavailable" in ev.last_error


def test_offline_subscriber_needs_no_packet(factory, router):
    with factory.begin() as s:
        c = make_customer(s, username="frank")
        outbox.disconnect(s, c.id, "frank", "suspend")
    worker.drain(factory, fast())
    [ev] = events(factory)
    assert ev.status == "done" and json.loads(ev.result)["note"] == "no open session"
    assert router.received == []


def test_two_workers_never_send_an_event_twice(factory, router):
    router.delay = 0.02
    with factory.begin() as s:
        pkg = make(s, "package", name="p20", rate_down="10M", rate_up="5M", price="1")
        for i in range(20):
            c = make_customer(s, username=f"w{i}", package=pkg.name)
            router.add_session(f"s{i}", f"w{i}")
            online(s, f"w{i}", f"s{i}", ip=None)
            outbox.disconnect(s, c.id, f"w{i}", "suspend")
    counts = []
    threads = [threading.Thread(target=lambda: counts.append(worker.drain(factory, fast())))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(counts) == 40 and all(c > 0 for c in counts)  # 20 Disconnects, 20 welcomes
    sids = [r["Acct-Session-Id"][0] for r in router.received]
    assert sorted(sids) == sorted(f"s{i}" for i in range(20))  # each exactly once
    assert {e.status for e in events(factory)} == {"done"}


def test_worker_wakes_on_notify(factory, router):
    router.add_session("81a00006", "gina", "10.0.0.9")
    stop = threading.Event()
    t = threading.Thread(target=worker.run, args=(factory, fast(), stop, 30.0))
    t.start()
    try:
        time.sleep(0.5)
        with factory.begin() as s:
            c = make_customer(s, username="gina")
            online(s, "gina", "81a00006", ip="10.0.0.9")
            outbox.disconnect(s, c.id, "gina", "suspend")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and events(factory)[0].status != "done":
            time.sleep(0.1)
        assert events(factory)[0].status == "done"
    finally:
        stop.set()
        t.join(10)


def notice_rows(factory, event: str) -> list[Outbox]:
    return [e for e in events(factory) if e.kind == "notify"
            and (e.payload or {}).get("event") == event]


def test_suspension_notice_is_emailed(factory, mail_server):
    with factory.begin() as s:
        c = make_customer(s, username="hank", email="hank@example.net", name="Hank")
        add_channel_gateway(s, c.operator_id, mail_server)
        outbox.notify(s, c.id, "customer.suspended", reason="expired")
    worker.drain_all(factory, fast())
    [ev] = notice_rows(factory, "customer.suspended")
    assert ev.status == "done"
    [mid] = json.loads(ev.result)["messages"]
    with factory() as s:
        msg = s.get(Message, mid)
        assert (msg.status, msg.channel, msg.recipient) == ("sent", "email", "hank@example.net")
    [mail] = [m for m in mail_server.messages if m["Message-ID"].strip("<>") == msg.gateway_ref]
    assert mail.envelope_to == ["hank@example.net"]
    assert mail["From"] == "Net ISP <billing@isp.example>"
    assert mail["Subject"] == msg.subject and "suspended" in msg.subject
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text.rstrip("\n") == msg.body
    assert "Hank" in text and "suspended" in text and "expired" in text


def test_mail_server_down_keeps_the_notice_queued(factory, mail_server):
    from tests.support.nas_sim import free_udp_port
    with factory.begin() as s:
        c = make_customer(s, username="ivy", email="ivy@example.net")
        gw = add_channel_gateway(s, c.operator_id, mail_server, config={"port": free_udp_port()})
        outbox.notify(s, c.id, "customer.activated")
    worker.drain_all(factory, fast())
    [ev] = notice_rows(factory, "customer.activated")
    assert ev.status == "done"          # composed; the message waits for the server
    [mid] = json.loads(ev.result)["messages"]
    with factory() as s:
        msg = s.get(Message, mid)
        assert msg.status == "queued" and msg.attempts == 1 and "SMTP" in msg.reason
        assert s.get(MessageGateway, gw.id).last_error is None
    assert mail_server.messages == []


def test_worker_command_once(cli, router):
    router.add_session("81a00007", "jack")
    from radbill import db
    with db.session_scope() as s:
        c = make_customer(s, username="jack")
        online(s, "jack", "81a00007", ip=None)
        outbox.disconnect(s, c.id, "jack", "suspend")
    r = cli("worker", "--once", "--coa-timeout", "1")
    assert r.returncode == 0, r.stderr
    assert "2 events handled" in r.stdout  # the Disconnect and jack's welcome notice
    assert router.received[0]["Acct-Session-Id"] == ["81a00007"]


def test_unknown_attribute_fails_at_once_with_the_reason(factory, router):
    router.add_session("81a00008", "kate")
    with factory.begin() as s:
        c = make_customer(s, username="kate")
        online(s, "kate", "81a00008", ip=None)
        outbox.enqueue(s, "coa", c.id, {"attributes": {"Mikrotik-Bogus-Limit": "1M"}})
    worker.drain(factory, fast())
    [ev] = events(factory)  # the username came from the customer row
    assert ev.status == "failed" and ev.attempts == 1
    assert "cannot send Mikrotik-Bogus-Limit='1M'" in ev.last_error
    assert router.received == []


def test_worker_process_drains_and_stops_on_sigterm(cli, router):
    import os
    import signal
    import subprocess
    from tests.conftest import ROOT
    from radbill import db
    router.add_session("81a00009", "liam")
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "radbill"), "worker", "--poll", "1",
                             "--coa-timeout", "1"], env=os.environ.copy(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        with db.session_scope() as s:
            c = make_customer(s, username="liam")
            online(s, "liam", "81a00009", ip=None)
            outbox.disconnect(s, c.id, "liam", "suspend")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and "81a00009" in router.sessions:
            time.sleep(0.1)
        assert "81a00009" not in router.sessions
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=15)
    assert proc.returncode == 0, out


def test_worker_survives_the_database_being_away(monkeypatch, caplog):
    import dataclasses
    from radbill import settings
    bad = dataclasses.replace(settings.get(), database_url="postgresql+psycopg://x:y@/nodb?host=/nonexistent")
    monkeypatch.setattr(settings, "get", lambda: bad)
    stop = threading.Event()
    t = threading.Thread(target=worker.run, args=(None, fast(), stop, 0.2))
    t.start()
    time.sleep(0.7)
    stop.set()
    t.join(5)
    assert not t.is_alive()
    assert "database unavailable" in caplog.text


def test_staff_see_what_failed_and_retry_it(factory, router):
    from tests.support.factories import fn, make_isp
    from radbill.functions.caller import Caller
    router.force = ("silent", None)
    router.add_session("81a0000a", "mona")
    with factory.begin() as s:
        c = make_customer(s, username="mona")
        online(s, "mona", "81a0000a", ip=None)
        outbox.disconnect(s, c.id, "mona", "suspend")
        other = make_isp(s)
    worker.drain(factory, fast(max_attempts=1))
    with factory.begin() as s:
        [row] = fn(s, "outbox", status="failed").rows
        assert (row["username"], row["kind"], row["attempts"]) == ("mona", "disconnect", 1)
        assert "gave up after 1 attempts" in row["last_error"]
        stranger = Caller(login="op9", role="operator", operator_id=other.id,
                          operator_path=other.path)
        assert fn(s, "outbox", stranger).rows == []  # not their customer
        from radbill.functions.registry import FuncError
        with pytest.raises(FuncError, match="no such event"):
            fn(s, "outbox.retry", stranger, elid=row["id"])
    router.force = None
    with factory.begin() as s:
        fn(s, "outbox.retry", elid=row["id"])
    worker.drain(factory, fast())
    [ev] = events(factory)
    assert ev.status == "done" and ev.attempts == 1 and "81a0000a" not in router.sessions

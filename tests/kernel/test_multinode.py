"""Several nodes (issue 16, HACKING.md "Several nodes") on this machine as separate processes:
two RADIUS nodes (FreeRADIUS with radbill's module) behind a FreeRADIUS proxy (auth
load-balance, accounting fail-over), two schedulers, two outbox workers, two admin processes
(gunicorn) reading reports from a streaming replica made with pg_basebackup, and the test
database's PostgreSQL as the primary. Real packets (pyrad and radclient) from a NAS at
127.0.0.2; the proxy talks to the nodes from 127.0.0.5."""
from __future__ import annotations

import collections
import csv
import io
import os
import re
import signal
import threading
import time
from contextlib import ExitStack

import pytest
import requests
import sqlalchemy as sa
from pyrad import packet

from radbill import db
from tests.conftest import wipe
from tests.support import cluster
from tests.support.factories import fn, make_customer, make_isp, make_package, make_user
from tests.support.gunicorn import gunicorn
from tests.support.nas_sim import NasSimulator
from tests.support.radius_helpers import applied, auth, radclient

pytestmark = pytest.mark.integration
NAS = "127.0.0.2"  # pyrad's NAS (and its CoA listener); radclient's is 127.0.0.1
STAFF, STAFF_PASSWORD = "mnstaff", "Multi-Node-Pass-7"
JOBS = ("otp_purge", "api_request_purge")
SCHEDULE = "otp_purge=cron second=*/2; api_request_purge=interval seconds=2"
OUTBOX_CUSTOMERS = 12


@pytest.fixture(scope="module")
def world(database_url, tmp_path_factory):
    base = tmp_path_factory.mktemp("multinode")
    sim = NasSimulator(address=NAS).start()
    with db.session_scope() as s:
        isp = make_isp(s)
        fn(s, "nas.edit", sok="ok", name="nas-pyrad", ip=NAS, secret="testing123",
           coa_port=sim.port)
        fn(s, "nas.edit", sok="ok", name="nas-radclient", ip="127.0.0.1", secret="testing123")
        pkg = make_package(s, name="Home")
        for name, password in [("mn1", "first-pass"), ("acct1", "pw"), ("auth1", "pw")] + \
                [(f"out{i}", "pw") for i in range(OUTBOX_CUSTOMERS)]:
            make_customer(s, username=name, password=password, package=pkg.name,
                          operator=isp.name)
        make_user(s, login=STAFF, role="group_admin", operator=isp.name,
                  password=STAFF_PASSWORD)
    replica = cluster.Replica(database_url)
    with ExitStack() as stack:
        stack.callback(sim.stop)
        stack.callback(replica.stop)
        started = time.monotonic()
        procs = {}
        for i in (1, 2):
            procs[f"scheduler{i}"] = cluster.radbill(
                f"scheduler{i}", ["scheduler"], base / f"scheduler{i}.log",
                {"RADBILL_JOB_SCHEDULE": SCHEDULE})
            procs[f"worker{i}"] = cluster.radbill(
                f"worker{i}", ["worker", "--poll", "0.2"], base / f"worker{i}.log")
        for p in procs.values():
            stack.callback(p.stop)
        nodes = [cluster.node(base / "node1"), cluster.node(base / "node2")]
        for n in nodes:
            stack.callback(n.stop)
        # the base backup (the whole cluster: its size decides) while the rest starts
        starting = [threading.Thread(target=job) for job in (replica.start, *(n.start
                                                                            for n in nodes))]
        for t in starting:
            t.start()
        env = {"RADBILL_REPLICA_URL": replica.url}  # connected to on first use
        admins = [stack.enter_context(gunicorn(env=env))[0] for _ in (1, 2)]
        for t in starting:
            t.join()
        assert all(n.alive() for n in nodes) and (replica.data / "postmaster.pid").exists()
        proxy = cluster.Proxy(base / "proxy", nodes, "load-balance", "fail-over").start()
        stack.callback(proxy.stop)
        for name in ("scheduler1", "scheduler2"):
            procs[name].wait_for("scheduler: ")
        print(f"\nmultinode: up in {time.monotonic() - started:.1f} s "
              f"(pg_basebackup {replica.seconds:.1f} s)")
        yield {"nodes": nodes, "proxy": proxy, "procs": procs, "sim": sim,
               "replica": replica, "admins": admins}
        for n in nodes:
            if n.alive():
                assert n.stop() == 0, n.output()[-3000:]
        assert proxy.stop() == 0, proxy.output()[-3000:]
    wipe(db.engine(database_url))


def accepted(server, user, password, source=NAS) -> bool:
    try:
        return auth(server, user, password, source=source, timeout=0.5)[0] == "Access-Accept"
    except Exception:  # pyrad's Timeout
        return False


def seen_within(servers, check, limit: float) -> dict[str, float]:
    """Poll `check(server)` on every server at once; seconds until each said yes."""
    took: dict[str, float] = {}
    start = time.monotonic()

    def poll(name, server):
        while time.monotonic() - start < limit + 2:
            if check(server):
                took[name] = time.monotonic() - start
                return
            time.sleep(0.01)

    threads = [threading.Thread(target=poll, args=item) for item in servers.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return took


def call(name: str, **params) -> None:
    with db.session_scope() as s:
        fn(s, name, **params)


def test_a_change_reaches_both_nodes_within_a_second(world):
    proxy, (node1, node2) = world["proxy"], world["nodes"]
    targets = {"proxy": proxy, "node1": node1, "node2": node2}
    for name, server in targets.items():
        assert accepted(server, "mn1", "first-pass"), name
    # through the proxy, spread over both nodes: each believes the NAS address it forwards
    assert all(accepted(proxy, "mn1", "first-pass") for _ in range(10))
    assert radclient(proxy, "auth", {"User-Name": "mn1", "User-Password": "first-pass"})[0] \
        == "Access-Accept"

    call("customer.edit", sok="ok", elid="mn1", password="second-pass")
    took = seen_within(targets, lambda srv: accepted(srv, "mn1", "second-pass"), 1.0)
    print(f"new password accepted after {took}")
    assert set(took) == set(targets) and max(took.values()) < 1.0, took
    assert not any(accepted(srv, "mn1", "first-pass") for srv in targets.values())
    assert radclient(proxy, "auth", {"User-Name": "mn1", "User-Password": "second-pass"})[0] \
        == "Access-Accept"

    call("customer.disable", elid="mn1")
    took = seen_within(targets, lambda srv: not accepted(srv, "mn1", "second-pass"), 1.0)
    print(f"disabled customer rejected after {took}")
    assert set(took) == set(targets) and max(took.values()) < 1.0, took
    code, pairs = auth(proxy, "mn1", "second-pass", source=NAS)
    assert code == "Access-Reject" and dict(pairs).get("Reply-Message"), pairs


JOB_LINE = re.compile(r"radbill\.jobs INFO (\w+) \[([^\]]+)\]: (.*)")


def firings(log: str) -> dict[str, dict[str, bool]]:
    """job -> slot -> whether this scheduler ran it (False: it skipped it)."""
    out: dict[str, dict[str, bool]] = collections.defaultdict(dict)
    for job, slot, rest in JOB_LINE.findall(log):
        out[job][slot] = not rest.startswith("skipped, another scheduler")
    return out


def test_each_job_runs_once_per_schedule_with_two_schedulers(world):
    procs = world["procs"]
    deadline = time.monotonic() + 20
    while True:
        logs = [firings(procs[f"scheduler{i}"].output()) for i in (1, 2)]
        both = {job: set(logs[0][job]) & set(logs[1][job]) for job in JOBS}
        if all(len(slots) >= 4 for slots in both.values()) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    for job in JOBS:
        # both schedulers fired the same slots (interval jobs too: one phase for all)...
        assert len(both[job]) >= 4, (job, logs)
        # ...and each slot ran exactly once, whichever scheduler got it
        ran = collections.Counter(slot for log in logs for slot, did in log[job].items() if did)
        assert all(n == 1 for n in ran.values()), (job, ran)
        assert all(ran[slot] == 1 for slot in both[job]), (job, logs)
        print(f"{job}: {len(both[job])} firings by both schedulers, each run once "
              f"(scheduler1 ran {sum(logs[0][job].values())}, "
              f"scheduler2 {sum(logs[1][job].values())})")
    assert all(procs[f"scheduler{i}"].alive() for i in (1, 2))


def acct(server, session_id: str, user: str, status: str = "Start", timeout: float = 1.0,
         retries: int = 1) -> bool:
    c = cluster.client(server, NAS, timeout=timeout, retries=retries)
    pkt = c.CreateAcctPacket(User_Name=user, Acct_Status_Type=status,
                             Acct_Session_Id=session_id, NAS_IP_Address=NAS,
                             Framed_IP_Address="10.9.0.1")
    try:
        return c.SendPacket(pkt).code == packet.AccountingResponse
    except Exception:  # pyrad's Timeout: not acknowledged
        return False


def test_each_outbox_event_is_sent_once_with_two_workers(world):
    proxy, sim = world["proxy"], world["sim"]
    users = [f"out{i}" for i in range(OUTBOX_CUSTOMERS)]
    for user in users:  # sessions opened through the proxy: radacct names the NAS, not it
        assert acct(proxy, f"sess-{user}", user)
        sim.add_session(f"sess-{user}", user)
    applied()
    with db.session_scope() as s:
        assert set(s.execute(sa.text(
            "select distinct host(nasipaddress) from radacct where username like 'out%'"
        )).scalars()) == {NAS}
    sim.delay = 0.05  # a NAS that takes a moment, so both workers have work at once
    call("customer.suspend", elid=",".join(users))

    def pending() -> int:
        with db.session_scope() as s:
            return s.scalar(sa.text("select count(*) from outbox where kind = 'disconnect' "
                                    "and status <> 'done'"))
    deadline = time.monotonic() + 20
    while pending() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert pending() == 0
    time.sleep(0.5)  # a second send, if there were one, would arrive now
    sent = collections.Counter(
        (r["User-Name"][0], r["Acct-Session-Id"][0]) for r in sim.received
        if r["kind"] == "disconnect")
    assert sent == {(u, f"sess-{u}"): 1 for u in users}, sent
    with db.session_scope() as s:
        attempts = s.execute(sa.text(
            "select o.attempts from outbox o join customers c on c.id = o.customer_id "
            "where o.kind = 'disconnect' and c.username like 'out%'")).scalars().all()
    assert attempts == [1] * len(users)
    assert not sim.sessions
    # what each worker says it sent: together every event, no event twice, both took part
    took = [set(re.findall(r"outbox (\d+): disconnect .* -> ", world["procs"][f"worker{i}"]
                           .output())) for i in (1, 2)]
    print(f"Disconnects sent by worker1: {len(took[0])}, worker2: {len(took[1])}")
    assert len(took[0] | took[1]) >= len(users) and not took[0] & took[1], took
    assert took[0] and took[1], took
    assert all(world["procs"][f"worker{i}"].alive() for i in (1, 2))


def staff_session(base: str) -> requests.Session:
    web = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', web.get(base + "/login").text)
    resp = web.post(base + "/login", data={"csrf_token": token.group(1), "login": STAFF,
                                           "password": STAFF_PASSWORD, "next": "/"})
    assert resp.ok and "/login" not in resp.url, resp.text[:500]
    return web


LIVE = ("active", "suspended", "disabled", "fup")  # a job may move one to another, not add one


def live_count(base: str) -> int:
    rows = requests.get(base + "/billmgr", params={
        "func": "report.customers", "out": "JSONdata",
        "authinfo": f"{STAFF}:{STAFF_PASSWORD}"}, timeout=10).json()
    return sum(int(r["customers"]) for r in rows if r["metric"] in LIVE)


def exported(web: requests.Session, base: str, func: str) -> list[dict]:
    resp = web.get(base + "/export.csv", params={"func": func}, timeout=30)
    assert resp.ok, resp.text[:500]
    return list(csv.DictReader(io.StringIO(resp.text)))


def test_reports_and_exports_read_from_the_replica(world):
    replica, admins = world["replica"], world["admins"]
    webs = [staff_session(base) for base in admins]
    with replica.connect() as rep:
        assert rep.execute("select pg_is_in_recovery()").fetchone() == (True,)
        with db.session_scope() as s:
            lsn = s.scalar(sa.text("select pg_current_wal_lsn()::text"))
        wait_for_replay(rep, lsn)
        before = live_count(admins[0])
        assert before == live_count(admins[1]) > 0
        rep.execute("select pg_wal_replay_pause()")
        try:
            # a write through an admin process goes to the primary...
            resp = requests.post(admins[1] + "/billmgr", data={
                "func": "customer.edit", "sok": "ok", "out": "JSONdata", "username": "late1",
                "password": "pw", "package": "Home", "authinfo": f"{STAFF}:{STAFF_PASSWORD}"},
                timeout=10)
            assert resp.ok, resp.text[:500]
            with db.session_scope() as s:
                assert s.scalar(sa.text("select count(*) from customers where username = "
                                        "'late1'")) == 1
                lsn = s.scalar(sa.text("select pg_current_wal_lsn()::text"))
            # ...while the report pages and exports, read from the paused replica, lack it
            for base, web in zip(admins, webs):
                assert live_count(base) == before
                assert "late1" not in {r["username"] for r in exported(web, base, "customer")}
                metrics = {r["metric"]: r["customers"]
                           for r in exported(web, base, "report.customers")}
                assert sum(int(metrics[m]) for m in LIVE) == before
        finally:
            rep.execute("select pg_wal_replay_resume()")
        wait_for_replay(rep, lsn)
        for base, web in zip(admins, webs):
            assert live_count(base) == before + 1
            assert "late1" in {r["username"] for r in exported(web, base, "customer")}
        # the admins' own connections to the replica (their reporting engine)
        readers = rep.execute("select count(*) from pg_stat_activity where usename = 'radbill'"
                              " and datname = current_database()").fetchone()[0]
        assert readers >= 2


def wait_for_replay(rep, lsn: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not rep.execute("select pg_last_wal_replay_lsn() >= %s::pg_lsn", (lsn,)).fetchone()[0]:
        assert time.monotonic() < deadline, "the replica did not replay in time"
        time.sleep(0.02)


def test_killing_a_node_loses_no_acknowledged_accounting(world):
    proxy, (node1, node2) = world["proxy"], world["nodes"]
    acked: list[tuple[str, float]] = []
    stop = threading.Event()
    kill_at: list[float] = []

    def sender(k: int) -> None:
        n = 0
        while not stop.is_set():
            sid = f"kill-{k}-{n}"
            n += 1
            # a NAS retransmits an unanswered record; the proxy hands it to a live node
            if acct(proxy, sid, "acct1", timeout=1.0, retries=10):
                acked.append((sid, time.monotonic()))

    answers: list[tuple[int, float]] = []

    def login() -> None:  # a NAS authenticating through the proxy meanwhile (retransmitting)
        c = cluster.client(proxy, NAS, timeout=1.0, retries=10)
        while not stop.is_set():
            req = c.CreateAuthPacket(code=packet.AccessRequest, User_Name="auth1")
            req["User-Password"] = req.PwCrypt("pw")
            try:
                answers.append((c.SendPacket(req).code, time.monotonic()))
            except Exception:  # pyrad's Timeout
                answers.append((0, time.monotonic()))
            time.sleep(0.05)

    threads = [threading.Thread(target=sender, args=(k,)) for k in range(4)]
    threads.append(threading.Thread(target=login))
    for t in threads:
        t.start()
    time.sleep(2)
    kill_at.append(time.monotonic())
    os.killpg(node1.proc.pid, signal.SIGKILL)  # the fail-over pool's first node: every record
    node1.proc.wait()
    time.sleep(8)
    stop.set()
    for t in threads:
        t.join(30)
    before = [sid for sid, at in acked if at < kill_at[0]]
    after = [sid for sid, at in acked if at >= kill_at[0]]
    applied()  # node1's last records, if its drain died with it, node2 applies
    with db.session_scope() as s:
        stored = set(s.execute(sa.text(
            "select acctsessionid from radacct where username = 'acct1' "
            "and nasipaddress = :nas"), {"nas": NAS}).scalars())
    missing = [sid for sid, _ in acked if sid not in stored]
    gap = max((b - a for (_, a), (_, b) in zip(sorted(acked, key=lambda x: x[1]),
                                               sorted(acked, key=lambda x: x[1])[1:])),
              default=0)
    print(f"accounting through the proxy: {len(before)} acknowledged before the kill, "
          f"{len(after)} after; longest pause {gap:.1f} s; missing {missing}")
    assert before and len(after) > 10, (len(before), len(after))
    assert not missing
    # and authentication went on: the login the dead node held is refused when its
    # response_window ends (the node is a zombie then); every later one goes to node2
    codes = collections.Counter(code for code, _ in answers)
    print(f"logins through the proxy meanwhile: {dict(codes)} (2 accept, 3 reject, 0 none)")
    refused = [at - kill_at[0] for code, at in answers if code != packet.AccessAccept]
    assert len(refused) <= 5 and all(0 < t < 6 for t in refused), (refused, codes)
    assert sum(1 for code, at in answers
               if code == packet.AccessAccept and at > kill_at[0] + 6) > 5
    assert node2.alive()

"""Issue 17's Done when, at test size: "package.replace over 20,000 customers runs as a job with
progress, each customer audited, CoA sent to the online ones only, and a restart mid-way
finishes without doing anyone twice" -- here 2,000 customers (`radbill bench bulk --customers
20000` runs the full size), 100 of them online at a NAS simulator.

A real `radbill worker` runs the task and is killed with SIGKILL once about half are moved (in
the middle of a step: its transaction is lost); the dead runner's heartbeat is aged by
tasks.STALE (as test_broadcast_kill does) and a second worker takes the task over and finishes.
Then every customer is on the new package with exactly one audit row and one
customer.package_changed event, the NAS got exactly one CoA per online customer (none for the
others), spaced by the per-NAS pace (RADBILL_COA_PER_NAS_PER_SECOND)."""
from __future__ import annotations

import collections
import datetime as dt
import os
import signal
import subprocess
import time

import pytest
import sqlalchemy as sa

from provisioning import worker
from radbill import tasks
from radbill.functions.caller import SYSTEM
from radbill.functions.registry import call
from radbill.models import AuditLog, Customer, Event, Outbox, Package, RadAcct, Task
from tests.conftest import ROOT
from tests.messaging.test_broadcast import bulk_customers
from tests.support.factories import make, make_operator, make_package

pytestmark = pytest.mark.integration

N, ONLINE, RATE = 2_000, 100, 10  # 100 ms apart: well over the gap the work alone leaves


def start_worker(log_path, env):
    log = open(log_path, "ab")
    return subprocess.Popen([str(ROOT / ".venv" / "bin" / "radbill"), "worker", "--poll", "0.5"],
                            stdout=log, stderr=subprocess.STDOUT, env=env), log


def stop(proc, log, sig=signal.SIGTERM):
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
    log.close()


def test_pacer_spaces_requests_per_nas():
    now = [0.0]
    slept = []
    pacer = worker.NasPacer(clock=lambda: now[0], sleep=lambda s: slept.append(s))
    waits = [pacer.wait("10.0.0.1", 10) for _ in range(3)] + [pacer.wait("10.0.0.2", 10)]
    assert waits == [0.0, 0.1, 0.2, 0.0]  # another NAS does not wait for the first
    now[0] = 5.0
    assert pacer.wait("10.0.0.1", 10) == 0.0 and pacer.wait("10.0.0.1", 0) == 0.0


@pytest.mark.timeout(600)
def test_package_replace_of_2000_survives_a_killed_worker_and_coas_only_the_online(
        factory, coa_nas, tmp_path):
    with factory.begin() as s:
        op = make_operator(s, name="isp")
        home = make_package(s, name="Home", price="500", rate_down="10M", rate_up="5M")
        gold = make_package(s, name="Gold", price="900", rate_down="20M", rate_up="10M")
        make(s, "nas", name="core1", ip="127.0.0.1", secret="testing123",
             coa_port=str(coa_nas.port))
        bulk_customers(s, op.id, home.id, N, prefix="pr")
        now = dt.datetime.now(dt.timezone.utc)
        # the online ones side by side: their CoAs come one after another out of the outbox,
        # so only the pace (not the offline customers' rows between) spaces them
        for i in range(1, ONLINE + 1):
            name = f"pr{i:06d}"
            s.add(RadAcct(acctsessionid=f"s{i}", acctuniqueid=f"u-s{i}", username=name,
                          nasipaddress="127.0.0.1", framedipaddress=f"100.64.0.{i}",
                          acctstarttime=now))
            coa_nas.add_session(f"s{i}", name, f"100.64.0.{i}")
        gold_id = gold.id
    with factory.begin() as s:
        pv = call(s, SYSTEM, "package.replace", {"from": "Home", "to": "Gold"}).values
        assert (pv["matched"], pv["online"], pv["confirm_needed"]) == (N, ONLINE, True)
        ok = call(s, SYSTEM, "package.replace", {"from": "Home", "to": "Gold", "sok": "ok",
                                                 "confirm": str(N)})
        tid = ok.extra["task"]

    env = {**os.environ, "RADBILL_COA_PER_NAS_PER_SECOND": str(RATE)}
    logs = tmp_path / "worker.log"
    t0 = time.monotonic()
    first, log1 = start_worker(logs, env)
    progress = []
    try:
        while True:
            with factory() as s:
                row = call(s, SYSTEM, "task", {"elid": str(tid)}).rows[0]
            progress.append(row["progress"])
            if row["done"] >= N // 2:
                break
            assert first.poll() is None, logs.read_text()[-3000:]
            assert time.monotonic() - t0 < 240, f"only {row['done']} moved in 240 s"
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        stop(first, log1, signal.SIGKILL)
    with factory.begin() as s:
        task = s.get(Task, tid)
        at_kill = (task.status, task.done)
        # what the dead runner committed is exactly the progress it committed with it
        moved = s.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(
            AuditLog.func == "package.replace", AuditLog.object_type == "customer"))
        assert moved == task.done, (moved, task.done)
        # the dead runner's heartbeat, aged as the clock would
        s.execute(sa.update(Task).where(Task.id == tid, Task.heartbeat_at.is_not(None))
                  .values(heartbeat_at=Task.heartbeat_at - tasks.STALE))
    assert at_kill[0] == "running" and N // 2 <= at_kill[1] < N, at_kill

    second, log2 = start_worker(logs, env)
    try:
        while True:
            with factory() as s:
                task = s.get(Task, tid)
                pending = s.scalar(sa.select(sa.func.count()).select_from(Outbox).where(
                    Outbox.kind == "coa", Outbox.status == "pending"))
            if task.status != "running" and task.status != "queued" and not pending:
                break
            assert second.poll() is None, logs.read_text()[-3000:]
            assert time.monotonic() - t0 < 480, (task.status, task.done, pending)
            time.sleep(0.3)
    finally:
        stop(second, log2)
    took = time.monotonic() - t0

    with factory() as s:
        task = s.get(Task, tid)
        assert (task.status, task.done, task.failed, task.total) == ("done", N, 0, N), task.note
        assert task.attempts == 2  # taken over once
        assert s.scalar(sa.select(sa.func.count()).select_from(Customer).where(
            Customer.package_id != gold_id)) == 0
        audited = collections.Counter(s.scalars(sa.select(AuditLog.object_id).where(
            AuditLog.func == "package.replace", AuditLog.object_type == "customer")))
        assert len(audited) == N and set(audited.values()) == {1}
        changed = collections.Counter(s.scalars(sa.select(Event.customer_id).where(
            Event.name == "customer.package_changed")))
        assert len(changed) == N and set(changed.values()) == {1}
        assert s.get(Package, gold_id).name == "Gold"
    coas = [r for r in coa_nas.received if r["kind"] == "coa"]
    per_user = collections.Counter(r["User-Name"][0] for r in coas)
    assert len(per_user) == ONLINE and set(per_user.values()) == {1}
    assert {r["Mikrotik-Rate-Limit"][0] for r in coas} == {"10M/20M"}
    at = sorted(r["at"] for r in coas)
    gaps = [b - a for a, b in zip(at, at[1:])]
    assert min(gaps) >= 0.8 / RATE, min(gaps)  # paced: never a burst at the NAS
    print(f"\n{N} customers in {took:.1f} s with a kill at {at_kill[1]}; progress seen "
          f"{progress[::max(1, len(progress) // 8)]}; CoAs {len(coas)}, "
          f"smallest gap {min(gaps) * 1000:.1f} ms")

"""`radbill bench bulk --customers N`: package.replace over N customers (issue 17's 20,000).

On its own database (radbill_bench_bulk): N customers on package Home (COPY), 5% of them online
at a NAS simulator (tests/support/nas_sim.py, real CoA packets). Then, timed:
  1. the preview (count, online, a sample moved and undone) and the start of the task;
  2. the task's steps (radbill/tasks.run_due, as the worker runs them) until half are moved;
     the runner is then taken for dead (its heartbeat aged by tasks.STALE) and a new run takes
     the task over and finishes it -- the per-customer cost is the task's time over N;
  3. the outbox the moves queued (provisioning/worker.drain): a CoA to each online customer,
     paced per NAS (RADBILL_COA_PER_NAS_PER_SECOND), nothing to the others.
Checks at the end: everyone moved, audited and announced exactly once, one CoA per online one.
"""
from __future__ import annotations

import collections
import datetime as dt
import time

import sqlalchemy as sa

from benchmarks import scratch
from radbill import db, migrate, settings, tasks
from radbill.functions.caller import SYSTEM
from radbill.functions.registry import call
from radbill.models import AuditLog, Event, Outbox, RadAcct, Task
from radbill.nthash import nt_hash

DB_NAME = "radbill_bench_bulk"
ONLINE_EVERY = 20


def seed(factory, n: int, nas_port: int) -> list[tuple[str, str, str]]:
    """N customers of Home, every ONLINE_EVERY-th with an open session; the sessions."""
    from tests.support.factories import make, make_operator, make_package
    sessions = []
    with factory.begin() as s:
        op = make_operator(s, name="isp")
        home = make_package(s, name="Home", price="500")
        make_package(s, name="Gold", price="900", rate_down="20M", rate_up="10M")
        make(s, "nas", name="core1", ip="127.0.0.1", secret="testing123", coa_port=str(nas_port))
        raw = s.connection().connection.driver_connection
        hashed = nt_hash("s3cret")
        with raw.cursor() as cur, cur.copy("COPY customers (username, password, nt_hash, "
                                           "operator_id, package_id) FROM STDIN") as cp:
            for i in range(1, n + 1):
                cp.write_row((f"bk{i:06d}", "s3cret", hashed, op.id, home.id))
        now = dt.datetime.now(dt.timezone.utc)
        for i in range(ONLINE_EVERY, n + 1, ONLINE_EVERY):
            sid, name = f"s{i}", f"bk{i:06d}"
            ip = f"100.{64 + i // 65536}.{i // 256 % 256}.{i % 256}"
            s.add(RadAcct(acctsessionid=sid, acctuniqueid=f"u-{sid}", username=name,
                          nasipaddress="127.0.0.1", framedipaddress=ip, acctstarttime=now))
            sessions.append((sid, name, ip))
    return sessions


def run(args) -> int:
    import sys
    sys.path.insert(0, str(settings.PROJECT_ROOT))  # the NAS simulator and factories in tests/
    from provisioning import worker
    from tests.support.nas_sim import NasSimulator
    n = args.customers
    url = scratch.url_of(DB_NAME)
    print(f"bulk bench: database {DB_NAME}, package.replace over {n:,} customers", flush=True)
    scratch.recreate(url)
    nas = NasSimulator(secret="testing123").start()
    try:
        migrate.upgrade(url)
        factory = db.session_factory(url)
        t0 = time.perf_counter()
        sessions = seed(factory, n, nas.port)
        for sid, name, ip in sessions:
            nas.add_session(sid, name, ip)
        print(f"  seeded in {time.perf_counter() - t0:.1f} s ({len(sessions):,} online)")

        t0 = time.perf_counter()
        with factory.begin() as s:
            pv = call(s, SYSTEM, "package.replace", {"from": "Home", "to": "Gold"}).values
        preview = time.perf_counter() - t0
        t0 = time.perf_counter()
        with factory.begin() as s:
            tid = call(s, SYSTEM, "package.replace", {"from": "Home", "to": "Gold", "sok": "ok",
                                                      "confirm": str(pv["matched"])}).elid
        started = time.perf_counter() - t0
        print(f"  preview {preview * 1000:.0f} ms ({pv['matched']:,} customers, {pv['online']:,}"
              f" online); start {started * 1000:.0f} ms")

        t0 = time.perf_counter()
        while True:  # the first runner, until half are moved
            tasks.run_due(factory, budget=0.5)
            with factory() as s:
                task = s.get(Task, tid)
                if task.done + task.failed >= n // 2:
                    break
        half = time.perf_counter() - t0
        with factory.begin() as s:  # it dies: its heartbeat goes stale
            s.execute(sa.update(Task).where(Task.id == tid).values(
                heartbeat_at=sa.func.now() - tasks.STALE - dt.timedelta(seconds=1)))
        t1 = time.perf_counter()
        while tasks.run_due(factory):
            pass
        rest = time.perf_counter() - t1
        took = half + rest
        with factory() as s:
            task = s.get(Task, tid)
            print(f"  task {task.status}: {task.done:,} moved, {task.failed:,} refused in "
                  f"{took:.1f} s ({took / n * 1000:.2f} ms a customer; taken over at "
                  f"{n // 2:,}, attempts {task.attempts})")

        t0 = time.perf_counter()
        handled = worker.drain(factory, worker.Policy(), limit=10 * n)
        sent = time.perf_counter() - t0
        coas = [r for r in nas.received if r["kind"] == "coa"]
        rate = settings.get().coa_per_nas_per_second
        print(f"  outbox: {handled:,} rows in {sent:.1f} s; {len(coas):,} CoAs to the NAS "
              f"(paced at {rate}/s)")

        with factory() as s:
            audited = collections.Counter(s.scalars(sa.select(AuditLog.object_id).where(
                AuditLog.func == "package.replace", AuditLog.object_type == "customer")))
            changed = collections.Counter(s.scalars(sa.select(Event.customer_id).where(
                Event.name == "customer.package_changed")))
            pending = s.scalar(sa.select(sa.func.count()).select_from(Outbox).where(
                Outbox.kind == "coa", Outbox.status != "done"))
        per_user = collections.Counter(r["User-Name"][0] for r in coas)
        ok = (task.status == "done" and task.done == n and len(audited) == n
              and set(audited.values()) == {1} and len(changed) == n
              and set(changed.values()) == {1} and len(per_user) == len(sessions)
              and set(per_user.values()) <= {1} and pending == 0)
        print(f"\nradbill bench bulk: {n:,} customers moved in {took:.1f} s "
              f"({took / n * 1000:.2f} ms each), {len(coas):,} CoAs in {sent:.1f} s; "
              f"each once: {'OK' if ok else 'NO'}")
        return 0 if ok else 1
    finally:
        nas.stop()
        if not args.keep:
            scratch.drop(url)

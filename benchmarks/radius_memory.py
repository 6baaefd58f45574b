"""`radbill bench radius-memory`: what radius_module's in-process state costs (issue 16).

A throwaway database seeded as `radbill bench radius` seeds it (N customers on one package, two
radreply rows each), then per round: FreeRADIUS started with our configuration (time to "Ready
to process requests"), its VmRSS/VmHWM once ready, a full reload of every table the state is
built from (the 300 s resync: one `reload` notice per table on `radbill_radius`, applied in one
batch) and VmRSS/VmHWM after it, then PAP Access-Requests for `--seconds`. Medians of the rounds.
"""
from __future__ import annotations

import json
import os
import re
import statistics
import time
from pathlib import Path

import psycopg

from benchmarks.radius import SECRET, admin, bench_url, conninfo, seed, start, stop
from benchmarks.radius_load import PapRequests, drive
from radbill import migrate, settings

# every table radius_module.sync.Sync.full_load reads
TABLES = ("operators", "nas", "packages", "customers", "radreply", "radusergroup",
          "radgroupreply", "radacct")
ROUNDS = 3
LOADED = re.compile(r"radbill sync: loaded \d+ customers in ([0-9.]+)s")


def status(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM (kB) of a process."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settle(pid: int, idle: float = 0.05, every: float = 0.5, limit: float = 300) -> float:
    """Wait until the process uses under `idle` CPU seconds in `every` seconds; the time it took."""
    started = time.monotonic()
    before = cpu_seconds(pid)
    while time.monotonic() - started < limit:
        time.sleep(every)
        now = cpu_seconds(pid)
        if now - before < idle:
            return time.monotonic() - started - every
        before = now
    return float("nan")


def reload_all(url: str) -> None:
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        with conn.transaction():  # delivered together, so the sync applies them in one batch
            for table in TABLES:
                conn.execute("SELECT pg_notify('radbill_radius', %s)",
                             (json.dumps({"t": table, "reload": True}),))


def one_round(url: str, users, base: Path, seconds: float) -> dict:
    started = time.monotonic()
    proc, auth_port, _ = start("radiusd.conf", base, url)
    out: dict = {"ready_s": time.monotonic() - started}
    try:
        pid = proc.pid
        # CPU seconds FreeRADIUS spent getting ready: what the load costs, barely moved by
        # other load on the machine (unlike ready_s)
        out["ready_cpu_s"] = cpu_seconds(pid)
        loaded = LOADED.findall((base / "stdout.log").read_text())
        out["load_s"] = float(loaded[0]) if loaded else None
        settle(pid)
        out["ready"] = status(pid)
        reload_all(url)
        time.sleep(0.2)
        out["reload_s"] = settle(pid)
        out["reloaded"] = status(pid)
        reload_all(url)  # a second one: where the resident memory settles
        time.sleep(0.2)
        settle(pid)
        out["reloaded2"] = status(pid)
        if seconds > 0:
            res = drive(auth_port, PapRequests(users, SECRET.encode()), seconds,
                        cpu=lambda: (cpu_seconds(pid), 0.0, 0.0))
            out["auth_rate"] = res.rate
            out["auth_cpu_us"] = res.radius_us  # FreeRADIUS CPU a request: steadier than the rate
            out["auth_p99"] = res.percentile(0.99)
            out["accepts"] = res.codes.get(2, 0)
            out["answers"] = len(res.latencies)
            out["after_load"] = status(pid)
    finally:
        stop(proc)
    return out


def report(n: int, rounds: list[dict]) -> None:
    med = lambda f: statistics.median(f(r) for r in rounds)  # noqa: E731
    rss, hwm = med(lambda r: r["ready"]["VmRSS"]), med(lambda r: r["ready"]["VmHWM"])
    rss2, hwm2 = med(lambda r: r["reloaded"]["VmRSS"]), med(lambda r: r["reloaded"]["VmHWM"])
    print(f"\nradbill bench radius-memory: {n:,} customers, median of {len(rounds)} rounds")
    readies = ", ".join(f"{r['ready_s']:.2f}" for r in rounds)
    print(f"  ready in {med(lambda r: r['ready_s']):.2f} s (rounds: {readies}); the module's load "
          f"{med(lambda r: r['load_s'] or 0):.2f} s; FreeRADIUS CPU at ready "
          f"{med(lambda r: r['ready_cpu_s']):.2f} s")
    print(f"  after ready:  VmRSS {rss / 1024:8.1f} MB  VmHWM {hwm / 1024:8.1f} MB  "
          f"= {rss * 1024 / n:7.0f} B a customer (RSS)")
    print(f"  full reload in {med(lambda r: r['reload_s']):.2f} s; after it: VmRSS "
          f"{rss2 / 1024:8.1f} MB  VmHWM {hwm2 / 1024:8.1f} MB ({hwm2 / rss:.2f}x the ready RSS)")
    if "reloaded2" in rounds[0]:
        print(f"  after a second reload: VmRSS "
              f"{med(lambda r: r['reloaded2']['VmRSS']) / 1024:8.1f} MB  VmHWM "
              f"{med(lambda r: r['reloaded2']['VmHWM']) / 1024:8.1f} MB")
    if "auth_rate" in rounds[0]:
        rates = ", ".join(f"{r['auth_rate']:,.0f}" for r in rounds)
        print(f"  Access-Request (PAP): {med(lambda r: r['auth_rate']):,.0f}/s "
              f"(rounds: {rates}), FreeRADIUS CPU {med(lambda r: r['auth_cpu_us']):.1f} us a "
              f"request, p99 "
              f"{med(lambda r: r['auth_p99']):.2f} ms, accepts "
              f"{rounds[0]['accepts']:,} of {rounds[0]['answers']:,}; VmRSS after "
              f"{med(lambda r: r['after_load']['VmRSS']) / 1024:.1f} MB")
    print("  raw: " + json.dumps(rounds))


def run(args) -> int:
    """RADBILL_BENCH_DATABASE names a database an earlier run kept (--keep) to measure again."""
    s = settings.get()
    reuse = os.environ.get("RADBILL_BENCH_DATABASE")
    name = reuse or f"radbill_bench_mem_{os.getpid()}"
    url = bench_url(s.database_url, name)
    base = Path(s.var_dir) / "bench-radius-memory"
    if not reuse:
        admin(url, f'CREATE DATABASE "{name}"')
    try:
        if reuse:
            with psycopg.connect(conninfo(url)) as conn:
                users = [(u, p) for u, p in conn.execute(
                    "SELECT username, password FROM customers ORDER BY id")]
        else:
            migrate.upgrade(url)
            started = time.monotonic()
            users = seed(url, args.customers)
            print(f"seeded {len(users):,} customers in {time.monotonic() - started:.1f} s")
        rounds = []
        for _ in range(int(os.environ.get("RADBILL_BENCH_ROUNDS", ROUNDS))):
            rounds.append(one_round(url, users, base, args.seconds))
            print(f"  round: {json.dumps(rounds[-1])}", flush=True)
        report(len(users), rounds)
    finally:
        if args.keep or reuse:
            print(f"kept database {name}")
        else:
            from radbill import db
            db.engine(url).dispose()
            admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0

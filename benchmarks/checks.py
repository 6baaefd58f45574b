"""`radbill bench checks --checks 500 [--seconds 180] [--keep]`: status checks at scale (issue 18).

On its own database (radbill_bench_checks): N checks at a 60 s interval against local targets
(60 % HTTP on 4 local servers with a body match, 30 % TCP on 10 listeners, 10 % ICMP echo to
127.0.0.1), all made at once so every minute they are due in the same 10-second slot (the worst
case). The `checks` job is fired like the scheduler does (every 10 s on the grid, through
radbill.jobs.run: its advisory lock, one transaction a pass) for --seconds (at least 130).
Prints runs done vs. due, the lag of the slowest check (how late after its due time it started;
target under 5 s), each pass's length, and the CPU this process used (probes, pool, writes).
"""
from __future__ import annotations

import datetime as dt
import resource
import time

import sqlalchemy as sa

from benchmarks import scratch
from radbill import db, jobs, migrate
from radbill.functions.caller import SYSTEM
from radbill.functions.registry import call

DB_NAME = "radbill_bench_checks"


def make_checks(url: str, n: int, web: list, tcp: list) -> None:
    with db.session_scope(url) as s:
        for i in range(n):
            share = i % 10
            if share < 6:
                w = web[i % len(web)]
                params = {"kind": "http", "target": w.url, "expect_body": "systems go"}
            elif share < 9:
                params = {"kind": "tcp", "target": f"127.0.0.1:{tcp[i % len(tcp)].port}"}
            else:
                params = {"kind": "ping", "target": "127.0.0.1"}
            call(s, SYSTEM, "check.edit", {"sok": "ok", "name": f"bench {i:04d}",
                                           "interval": "60", "public": "yes",
                                           "component": params["kind"], **params})


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def fire(url: str, seconds: float) -> list[tuple[float, str]]:
    """Run the job at each 10-second grid time for `seconds`, as the scheduler would."""
    passes = []
    end = time.time() + seconds
    while True:
        now = time.time()
        nxt = now - now % 10 + 10
        if nxt > end:
            return passes
        time.sleep(nxt - now)
        t0 = time.perf_counter()
        result = jobs.run("checks", url=url)
        passes.append((time.perf_counter() - t0, result or "skipped"))


def run(args) -> int:
    import logging

    from tests.support.check_targets import HttpTarget, TcpTarget
    logging.getLogger("radbill.jobs").setLevel(logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    n = args.checks
    seconds = max(args.seconds, 130.0)
    url = scratch.url_of(DB_NAME)
    print(f"checks bench: database {DB_NAME}, {n} checks every 60 s, {seconds:.0f} s", flush=True)
    scratch.recreate(url)
    web = [HttpTarget().__enter__() for _ in range(4)]
    tcp = [TcpTarget().__enter__() for _ in range(10)]
    try:
        migrate.upgrade(url)
        make_checks(url, n, web, tcp)
        c0, w0 = cpu(), time.perf_counter()
        passes = fire(url, seconds)
        used, wall = cpu() - c0, time.perf_counter() - w0
        with db.engine(url).connect() as conn:
            stats = conn.execute(sa.text(
                "SELECT count(*), count(*) FILTER (WHERE NOT ok), max(lag_ms),"
                " percentile_cont(0.99) WITHIN GROUP (ORDER BY lag_ms),"
                " percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM check_results")).one()
            per_check = conn.execute(sa.text(
                "SELECT min(c), max(c) FROM (SELECT count(*) c FROM check_results"
                " GROUP BY check_id) x")).one()
            errors = conn.execute(sa.text(
                "SELECT error, count(*) FROM check_results WHERE NOT ok GROUP BY 1"
                " ORDER BY 2 DESC LIMIT 3")).all()
        runs, failed, worst, p99, median_ms = stats
        expected = n * (int(seconds // 60) + (1 if seconds % 60 else 0))
        busy = [p for p in passes if "checks run" in p[1] and not p[1].startswith("0 ")]
        print(f"\nradbill bench checks: {n} checks, {len(passes)} passes in {wall:.0f} s")
        print(f"  runs {runs} (about {expected} due), failed {failed}; per check "
              f"{per_check[0]}..{per_check[1]}; median response {median_ms or 0:.0f} ms")
        for error, count in errors:
            print(f"    {count} x {error}")
        print(f"  busy passes: {', '.join(f'{t:.1f} s' for t, _ in busy)}")
        print(f"  lag of the slowest check: {worst / 1000:.2f} s (p99 {p99 / 1000:.2f} s); "
              f"target under 5 s: {'OK' if worst < 5000 else 'OVER'}")
        print(f"  CPU of this process: {used:.1f} s over {wall:.0f} s "
              f"({100 * used / wall:.1f} % of one core; {used / max(runs, 1) * 1000:.1f} ms a run)")
        return 0 if worst < 5000 and failed == 0 else 1
    finally:
        for t in web + tcp:
            t.__exit__(None, None, None)
        if not args.keep:
            scratch.drop(url)

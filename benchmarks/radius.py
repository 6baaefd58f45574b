"""`radbill bench radius`: radbill's FreeRADIUS against stock rlm_sql, same database, same users.

One run: a throwaway database seeded with N customers (and radcheck/radreply for the same
users, which is what stock rlm_sql reads), then for each stack a FreeRADIUS on free ports loaded
by radius_load's generator with PAP Access-Requests and then Start/Interim/Stop accounting.
Prints throughput, p50/p99 latency and ours/stock.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from radbill import migrate, radiusconf, settings
from benchmarks.radius_load import (AcctRequests, PapRequests, Result, drive)

SECRET = "bench-secret"
STACKS = (("radbill", "radiusd.conf"), ("stock", "stock.conf"))


def conninfo(sqlalchemy_url: str) -> str:
    return radiusconf.conninfo(sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://", 1))


def bench_url(base: str, name: str) -> str:
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def admin(url: str, sql: str) -> None:
    with psycopg.connect(conninfo(bench_url(url, "postgres")), autocommit=True) as conn:
        conn.execute(sql)


def copy_rows(conn: psycopg.Connection, sql: str, rows) -> None:
    with conn.cursor().copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def seed(url: str, n: int) -> list[tuple[str, str]]:
    """N active customers on one package, and the same users in radcheck/radreply (COPY)."""
    users = [(f"u{i:07d}", f"pw{i}") for i in range(n)]
    with psycopg.connect(conninfo(url)) as conn:
        op = conn.execute("INSERT INTO operators (name, level, path) VALUES ('bench', 'group', '')"
                          " RETURNING id").fetchone()[0]
        conn.execute("UPDATE operators SET path = '/' || id || '/' WHERE id = %s", (op,))
        pool = conn.execute("INSERT INTO ip_pools (name, cidr) VALUES ('main', '100.64.0.0/10')"
                            " RETURNING id").fetchone()[0]
        pkg = conn.execute(
            "INSERT INTO packages (name, rate_down, rate_up, price, data_cap, fup_rate_down,"
            " fup_rate_up, pool_id, sim_use) VALUES ('bench', 10000000, 5000000, 0,"
            " 107374182400, 1000000, 512000, %s, 100) RETURNING id", (pool,)).fetchone()[0]
        conn.execute("INSERT INTO nas (nasname, shortname, secret) "
                     "VALUES ('127.0.0.1', 'bench', %s)", (SECRET,))
        copy_rows(conn, "COPY customers (username, password, operator_id, package_id) FROM STDIN",
                  ((u, p, op, pkg) for u, p in users))
        copy_rows(conn, "COPY radcheck (username, attribute, op, value) FROM STDIN",
                  ((u, "Cleartext-Password", ":=", p) for u, p in users))
        replies = (("Mikrotik-Rate-Limit", "5M/10M"), ("Framed-Pool", "main"))
        copy_rows(conn, "COPY radreply (username, attribute, op, value) FROM STDIN",
                  ((u, a, ":=", v) for u, _ in users for a, v in replies))
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return users


def reset(url: str) -> None:
    """Start from empty logs (radacct, radpostauth, counters) and analysed tables."""
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        conn.execute("TRUNCATE radacct, radpostauth, usage_counters, outbox, radius_acct_log "
                     "RESTART IDENTITY")
        conn.execute("UPDATE customers SET status = 'active', last_seen_at = NULL")
        conn.execute("VACUUM ANALYZE customers, radacct, radpostauth, usage_counters")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(template: str, directory: Path, url: str) -> tuple[subprocess.Popen, int, int]:
    auth, acct = free_port(), free_port()
    s = settings.from_env({"RADBILL_DATABASE_URL": url})
    radiusconf.render(s, directory, template, auth_port=auth, acct_port=acct,
                      listen_addr="127.0.0.1", secret=SECRET, reject_delay=0)
    log = open(directory / "stdout.log", "w")
    proc = subprocess.Popen(radiusconf.argv(directory), stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while "Ready to process requests" not in (directory / "stdout.log").read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            raise RuntimeError(f"{template}: FreeRADIUS did not start; see {directory}/stdout.log")
        time.sleep(0.1)
    return proc, auth, acct


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def cpu_meter(url: str, pid: int):
    """CPU seconds so far of FreeRADIUS (all threads) plus the PostgreSQL backends of the
    benchmark database, read from /proc (we run as root, so the backends are readable)."""
    tick = os.sysconf("SC_CLK_TCK")
    conn = psycopg.connect(conninfo(url), autocommit=True)

    def ticks(p: int) -> int:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            return int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            return 0

    def total() -> tuple[float, float, float]:
        """FreeRADIUS, all backends, and the backends of radius_module's own thread (the ones
        without rlm_sql's application_name)."""
        rows = conn.execute(
            "SELECT pid, application_name LIKE 'FreeRADIUS%' FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchall()
        return (ticks(pid) / tick, sum(ticks(p) for p, _ in rows) / tick,
                sum(ticks(p) for p, sql in rows if not sql) / tick)
    return total, conn


ROUNDS = 3  # phases alternate between the stacks; medians damp other load on the machine


def measure(url: str, users, seconds: float, base: Path) -> dict:
    """Both servers up at once; each round runs auth then accounting on ours, then on stock."""
    servers, meters = {}, {}
    generators = {stack: AcctRequests([u for u, _ in users], SECRET.encode(), stack[:1])
                  for stack, _ in STACKS}
    results: dict = {stack: {"auth": [], "acct": []} for stack, _ in STACKS}
    try:
        for stack, template in STACKS:
            servers[stack] = start(template, base / stack, url)
            meters[stack] = cpu_meter(url, servers[stack][0].pid)
        for _ in range(ROUNDS):
            for kind in ("auth", "acct"):
                for stack, _ in STACKS:
                    _, auth_port, acct_port = servers[stack]
                    build = PapRequests(users, SECRET.encode()) if kind == "auth" \
                        else generators[stack]
                    port = auth_port if kind == "auth" else acct_port
                    results[stack][kind].append(drive(port, build, seconds,
                                                      cpu=meters[stack][0]))
    finally:
        for stack in servers:
            meters[stack][1].close()
            stop(servers[stack][0])
    with psycopg.connect(conninfo(url)) as conn:
        for stack, _ in STACKS:
            results[stack]["radacct"] = conn.execute(
                "SELECT count(*), count(acctstoptime) FROM radacct WHERE acctsessionid LIKE %s",
                (stack[:1] + "%",)).fetchone()
    return results


def median(runs: list[Result]) -> Result:
    return sorted(runs, key=lambda r: r.rate)[len(runs) // 2]


def line(label: str, r: Result) -> str:
    return (f"  {label:<22} {r.rate:>10,.0f}/s   p50 {r.percentile(0.5):6.2f} ms   "
            f"p99 {r.percentile(0.99):7.2f} ms   lost {r.lost}\n"
            f"  {'':<22} server CPU {r.cpu_us:6.1f} us/req"
            f" (FreeRADIUS {r.radius_us:.1f}, PostgreSQL {r.cpu_us - r.radius_us:.1f}, of which"
            f" for radius_module's thread {r.module_us:.1f})")


def report(n: int, seconds: float, results: dict) -> None:
    print(f"\nradbill bench radius: {n:,} customers, {ROUNDS} rounds of {seconds:.0f} s per phase,"
          f" 128 requests in flight; the median round of each")
    for name, res in results.items():
        auth, acct = median(res["auth"]), median(res["acct"])
        print(f"{name}:")
        print(line("Access-Request (PAP)", auth))
        print(f"  {'':<22} all rounds {', '.join(f'{r.rate:,.0f}' for r in res['auth'])}/s; "
              f"accepts {auth.codes.get(2, 0):,} of {len(auth.latencies):,}")
        print(line("Accounting (S/I/S)", acct))
        print(f"  {'':<22} all rounds {', '.join(f'{r.rate:,.0f}' for r in res['acct'])}/s; "
              f"acknowledged start/interim/stop {acct.acked}; radacct rows "
              f"{res['radacct'][0]:,}, closed {res['radacct'][1]:,}")
    ours, stock = results["radbill"], results["stock"]
    for kind, label in (("auth", "Access-Request"), ("acct", "Accounting")):
        a, b = median(ours[kind]), median(stock[kind])
        print(f"ratio ours/stock {label:<15} throughput {a.rate / b.rate:5.2f}x   "
              f"p99 {a.percentile(0.99):.2f} vs {b.percentile(0.99):.2f} ms   "
              f"server CPU per request {a.cpu_us / b.cpu_us:5.2f}x")


def run(args) -> int:
    s = settings.get()
    name = f"radbill_bench_{os.getpid()}"
    url = bench_url(s.database_url, name)
    base = Path(s.var_dir) / "bench-radius"
    admin(url, f'CREATE DATABASE "{name}"')
    try:
        migrate.upgrade(url)
        started = time.monotonic()
        users = seed(url, args.customers)
        print(f"seeded {len(users):,} customers in {time.monotonic() - started:.1f} s")
        reset(url)
        report(len(users), args.seconds, measure(url, users, args.seconds, base))
    finally:
        if args.keep:
            print(f"kept database {name}")
        else:
            from radbill import db
            db.engine(url).dispose()
            admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0

"""`radbill bench radius`: radbill's FreeRADIUS against stock rlm_sql, same database, same users.

One run: a throwaway database seeded with N customers (and radcheck/radreply for the same
users), with Debian's own schema.sql in a schema `stock` holding the same users: the stock
stacks run there, as stock FreeRADIUS does on its own tables (its writers need radacct's
UNIQUE (acctuniqueid), which ours, partitioned by month, cannot keep). Then three FreeRADIUS
servers on free ports: ours, stock rlm_sql as Debian ships it (post-auth logged to radpostauth)
and stock without post-auth logging (the leanest stock setup). Phases (`--phases`, default all):
- auth, acct: radius_load's generator keeps 128 PAP Access-Requests, then Start/Interim/Stop
  accounting, in flight; rounds alternate between the stacks, the median round is reported;
- storm: a NAS reboot storm, 20,000 Starts and 20,000 Access-Requests (distinct sessions and
  users) paced evenly over 10 s, retransmitted like a NAS (2 s timeout, 3 tries); sent,
  answered, lost, p50/p99 from the first transmission, and the radacct rows that arrived;
- memory: ours with 0 customers (before seeding) for the module's share of resident memory,
  and the peak while the module reloads everything (as its 300 s resync does).
Start-up (to the module's first full load and to "Ready to process requests") and resident
memory are printed for every stack whatever the phases.
"""
from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from radbill import migrate, radiusconf, settings
from benchmarks.radius_load import AcctRequests, PapRequests, drive
from benchmarks.radius_storm import StormAuth, StormStarts, Stream, drive_storm

SECRET = "bench-secret"
# name, template, letter of its accounting sessions (lower case: the S/I/S rounds, upper: storm)
STACKS = (("radbill", "radiusd.conf", "r"), ("stock", "stock.conf", "s"),
          ("stock-lean", "stock-lean.conf", "l"))
PHASES = ("auth", "acct", "storm", "memory")
STORM, STORM_SECONDS, STORM_TIMEOUT, STORM_TRIES = 20_000, 10.0, 2.0, 3
# every table radius_module.sync.Sync.full_load reads
FULL_LOAD = ("operators", "nas", "packages", "customers", "radreply", "radusergroup",
             "radgroupreply", "radacct")
# the stock stacks' tables: Debian's own schema, as a stock installation has it
STOCK_SCHEMA = "stock"
STOCK_SCHEMA_SQL = radiusconf.STOCK_QUERIES.with_name("schema.sql")
LOADED = re.compile(r"radbill sync: loaded (\d+) customers in ([\d.]+) ?s")


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


def seed(url: str, n: int, stock: bool = False) -> list[tuple[str, str]]:
    """N active customers on one package, and the same users in radcheck/radreply (COPY);
    with `stock`, Debian's schema in the schema `stock` with the same users."""
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
        replies = (("Mikrotik-Rate-Limit", "5M/10M"), ("Framed-Pool", "main"))
        for schema in ("public", STOCK_SCHEMA) if stock else ("public",):
            if schema != "public":
                conn.execute(f"CREATE SCHEMA {schema}")
                conn.execute(f"SET LOCAL search_path = {schema}")
                conn.execute(STOCK_SCHEMA_SQL.read_text())
            copy_rows(conn, f"COPY {schema}.radcheck (username, attribute, op, value) FROM STDIN",
                      ((u, "Cleartext-Password", ":=", p) for u, p in users))
            copy_rows(conn, f"COPY {schema}.radreply (username, attribute, op, value) FROM STDIN",
                      ((u, a, ":=", v) for u, _ in users for a, v in replies))
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return users


# Every stack's radacct starts with this history (an ISP's radacct is never empty): one closed
# session per customer, begun in the last day, and an open one for every other customer (online
# now, as many are). On an empty, freshly analysed radacct the planner believes, for as long as
# the benchmark lasts, that the table holds nothing, and picks plans no installation would run:
# ours read every session begun in the same second, stock's every open session; history of
# closed sessions alone did the second to stock (whose updates ask for AcctStopTime IS NULL).
HISTORY = """
INSERT INTO {table} (acctsessionid, acctuniqueid, username, nasipaddress, nasportid,
    nasporttype, acctstarttime, acctupdatetime, acctstoptime, acctsessiontime, acctauthentic,
    acctinputoctets, acctoutputoctets, calledstationid, callingstationid, acctterminatecause,
    servicetype, framedprotocol, framedipaddress)
SELECT 'h' || c.id || o, md5('history' || c.id || o), c.username, '127.0.0.1', '1', 'Ethernet',
       st, st + interval '600 s', CASE WHEN o = 'c' THEN st + interval '600 s' END, 600,
       'RADIUS', 1000000 * (c.id % 97), 9000000 * (c.id % 89), 'bench', '00:00:00:00:00:01',
       CASE WHEN o = 'c' THEN 'User-Request' END, 'Framed-User', 'PPP',
       '100.64.0.0'::inet + c.id
  FROM (SELECT id, username, now() - interval '1 day' + (id % 80000) * interval '1 s' AS st
          FROM public.customers) c,
       LATERAL (VALUES ('c'), ('o')) v(o)
 WHERE o = 'c' OR c.id % 2 = 0
"""


def reset(url: str) -> None:
    """Start from the same history (HISTORY), empty post-auth logs and counters, and analysed
    tables."""
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        if conn.execute("SELECT to_regclass(%s)", (f"{STOCK_SCHEMA}.radacct",)).fetchone()[0]:
            conn.execute(f"TRUNCATE {STOCK_SCHEMA}.radacct, {STOCK_SCHEMA}.radpostauth "
                         "RESTART IDENTITY")
            conn.execute(HISTORY.format(table=f"{STOCK_SCHEMA}.radacct"))
            conn.execute(f"VACUUM ANALYZE {STOCK_SCHEMA}.radacct, {STOCK_SCHEMA}.radpostauth,"
                         f" {STOCK_SCHEMA}.radcheck, {STOCK_SCHEMA}.radreply")
        conn.execute("TRUNCATE radacct, radpostauth, usage_counters, outbox, radius_acct_log, "
                     "customer_last_seen RESTART IDENTITY")
        conn.execute(HISTORY.format(table="radacct"))
        conn.execute("INSERT INTO radacct_keys (acctuniqueid, acctstarttime) "
                     "SELECT acctuniqueid, acctstarttime FROM radacct")
        # only the rows that need it: an UPDATE of over 1,000 rows changing nothing costs the
        # radius notice trigger a quadratic search for a real change (minutes at 100,000)
        conn.execute("UPDATE customers SET status = 'active' WHERE status <> 'active'")
        conn.execute("VACUUM ANALYZE customers, radacct, radacct_keys, radpostauth, "
                     "usage_counters, customer_last_seen")


def checkpoint(url: str) -> None:
    """CHECKPOINT (the role has pg_checkpoint, scripts/setup), so that no round runs inside one
    the previous round or the seeding set off: during a checkpoint every first change to a page
    writes the whole page to the WAL, and one stack's round paid for that and another's not."""
    try:
        with psycopg.connect(conninfo(url), autocommit=True) as conn:
            conn.execute("CHECKPOINT")
    except psycopg.errors.InsufficientPrivilege:
        print("(no CHECKPOINT before the rounds: run scripts/setup, which grants pg_checkpoint)")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settle(pid: int, idle: float = 0.05, every: float = 0.5, limit: float = 60) -> None:
    """Wait until the process uses under `idle` CPU seconds in `every` seconds."""
    deadline, before = time.monotonic() + limit, cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(every)
        now = cpu_seconds(pid)
        if now - before < idle:
            return
        before = now


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    proc: subprocess.Popen
    auth: int
    acct: int
    log: Path
    ready_s: float = 0.0  # Popen to "Ready to process requests"
    loaded_s: float | None = None  # Popen to the module's first "loaded N customers" line
    load_s: float | None = None  # that load's own duration, as the module logged it
    memory: dict[str, dict[str, int]] = field(default_factory=dict)  # moment -> VmRSS, VmHWM (kB)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def loads(self) -> list[tuple[int, float]]:
        """Every full load the module logged so far: (customers, seconds)."""
        return [(int(m[1]), float(m[2])) for m in LOADED.finditer(self.log.read_text())]


def start(template: str, directory: Path, url: str) -> tuple[subprocess.Popen, int, int]:
    """FreeRADIUS with `template` on free ports, once ready: (process, auth port, acct port)."""
    server = launch(template, directory, url)
    return server.proc, server.auth, server.acct


def stock_url(url: str) -> str:
    """`url` with Debian's schema first on the search path."""
    return make_url(url).update_query_dict({"options": f"-csearch_path={STOCK_SCHEMA}"}) \
        .render_as_string(hide_password=False)


def radacct(stack: str) -> str:
    return f"{STOCK_SCHEMA}.radacct" if stack.startswith("stock") else "radacct"


def launch(template: str, directory: Path, url: str) -> Server:
    """As `start`, timing the start-up and reading the memory once ready (a stock template
    runs on the schema `stock` when there is one)."""
    auth, acct = free_port(), free_port()
    if template.startswith("stock"):
        with psycopg.connect(conninfo(url)) as conn:
            if conn.execute("SELECT to_regclass(%s)", (f"{STOCK_SCHEMA}.radacct",)).fetchone()[0]:
                url = stock_url(url)
    s = settings.from_env({"RADBILL_DATABASE_URL": url})
    radiusconf.render(s, directory, template, auth_port=auth, acct_port=acct,
                      listen_addr="127.0.0.1", secret=SECRET, reject_delay=0)
    if template.startswith("stock") and not (directory / "queries.conf").exists():
        shutil.copyfile(radiusconf.STOCK_QUERIES, directory / "queries.conf")
    path = directory / "stdout.log"
    log = open(path, "w")
    began = time.monotonic()
    proc = subprocess.Popen(radiusconf.argv(directory), stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    server = Server(proc, auth, acct, path)
    deadline = began + 300
    while True:
        text = path.read_text()
        if server.loaded_s is None and (m := LOADED.search(text)):
            server.loaded_s, server.load_s = time.monotonic() - began, float(m[2])
        if "Ready to process requests" in text:
            server.ready_s = time.monotonic() - began
            break
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            raise RuntimeError(f"{template}: FreeRADIUS did not start; see {path}")
        time.sleep(0.02)
    settle(proc.pid, limit=10)
    server.memory["started"] = memory(proc.pid)
    return server


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def memory(pid: int) -> dict[str, int]:
    """VmRSS (resident now, every thread of the process) and VmHWM (its peak), in kB."""
    out = {}
    for row in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = row.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon"):
            out[key] = int(value.split()[0])
    return out


def cpu_meter(url: str, pid: int):
    """CPU seconds so far of FreeRADIUS (all threads) plus the PostgreSQL backends of the
    benchmark database, read from /proc (we run as root, so the backends are readable). The
    other stacks' backends are counted too, but they idle while this one is measured."""
    tick = os.sysconf("SC_CLK_TCK")
    conn = psycopg.connect(conninfo(url), autocommit=True)

    def ticks(p: int) -> int:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            return int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            return 0

    seen: dict[int, tuple[int, bool]] = {}  # backend -> its last ticks, rlm_sql's or not

    def total() -> tuple[float, float, float]:
        """FreeRADIUS, all backends, and the backends of radius_module's own thread (the ones
        without rlm_sql's application_name). A backend that ended (rlm_sql's pool closes idle
        connections) keeps its last count, so no total ever goes down."""
        rows = conn.execute(
            "SELECT pid, application_name LIKE 'FreeRADIUS%' FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchall()
        for p, sql in rows:
            seen[p] = (max(ticks(p), seen.get(p, (0, sql))[0]), sql)
        return (ticks(pid) / tick, sum(n for n, _ in seen.values()) / tick,
                sum(n for n, sql in seen.values() if not sql) / tick)
    return total, conn


ROUNDS = 3  # phases alternate between the stacks; medians damp other load on the machine


def storm_users(users: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], list[str]]:
    """STORM users dialling in and STORM others starting sessions (distinct users while the
    customers suffice), in a fixed shuffled order."""
    n = len(users)
    order = list(range(2 * STORM))
    random.Random(3).shuffle(order)
    auth = [users[i % n] for i in order[:STORM]]
    starts = [users[i % n][0] for i in order[STORM:]]
    return auth, starts


def run_storm(url: str, server: Server, auth_users, start_users, letter: str,
              table: str) -> dict:
    prefix = letter.upper()
    streams = [Stream("Access-Request", server.auth, StormAuth(auth_users, SECRET.encode()),
                      SECRET.encode()),
               Stream("Accounting Start", server.acct,
                      StormStarts(start_users, SECRET.encode(), prefix), SECRET.encode())]
    checkpoint(url)
    auth, starts = drive_storm(streams, STORM_SECONDS, STORM_TIMEOUT, STORM_TRIES)
    # requests given up on may still wait in the server: count radacct once it has gone quiet,
    # and leave the next stack an idle machine
    settle(server.pid)
    applied(url)
    with psycopg.connect(conninfo(url)) as conn:
        rows = conn.execute(f"SELECT count(*) FROM {table} WHERE acctsessionid LIKE %s",
                            (prefix + "%",)).fetchone()[0]
    return {"auth": auth, "starts": starts, "radacct": rows}


def applied(url: str, limit: float = 120) -> None:
    """Wait until ours has applied every acknowledged record (radius_acct_inbox is empty: the
    drain works in PostgreSQL, where `settle` does not see it)."""
    deadline = time.monotonic() + limit
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        while conn.execute("SELECT EXISTS (SELECT FROM radius_acct_inbox)").fetchone()[0]:
            if time.monotonic() > deadline:
                raise RuntimeError(f"radius_acct_inbox not drained after {limit:.0f} s")
            time.sleep(0.1)


def resync_peak(url: str, server: Server) -> dict:
    """Make the module reload everything, as its 300 s resync does, and sample VmRSS meanwhile.

    Ending the module's listening connection is the trigger: its thread then reconnects and
    runs the same full load (sync.py: "reloads everything when the listener dies"). VmHWM is
    reset first (/proc/PID/clear_refs, 5), so afterwards it holds the peak of the reload."""
    before, loads = memory(server.pid), len(server.loads())
    try:
        Path(f"/proc/{server.pid}/clear_refs").write_text("5")
        hwm_reset = True
    except OSError:
        hwm_reset = False
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        ended = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND query ILIKE 'LISTEN%'").fetchone()[0]
        if not ended:  # no listener to end: one `reload` notice per table, in one batch
            with conn.transaction():
                for table in FULL_LOAD:
                    conn.execute("SELECT pg_notify('radbill_radius', %s)",
                                 (json.dumps({"t": table, "reload": True}),))
    began, peak = time.monotonic(), before["VmRSS"]
    deadline, last_cpu, quiet = began + 300, cpu_seconds(server.pid), 0
    while time.monotonic() < deadline:
        if ended and len(server.loads()) > loads:
            break
        if not ended:  # no log line to wait for: until the process idles for 0.5 s
            now_cpu = cpu_seconds(server.pid)
            quiet = quiet + 1 if now_cpu - last_cpu < 0.002 else 0
            last_cpu = now_cpu
            if quiet >= 50 and time.monotonic() - began > 1:
                break
        peak = max(peak, memory(server.pid)["VmRSS"])
        time.sleep(0.01)
    took = time.monotonic() - began
    for _ in range(50):  # the old tables are freed after the load: sample a little longer
        peak = max(peak, memory(server.pid)["VmRSS"])
        time.sleep(0.01)
    after = memory(server.pid)
    logged = server.loads()[loads:]
    return {"before": before, "after": after, "sampled_peak": peak,
            "hwm": after["VmHWM"] if hwm_reset else None, "seconds": took,
            "load_s": logged[0][1] if logged else None, "done": bool(logged) or not ended,
            "how": "listener ended" if ended else "reload notices"}


def baseline(url: str, base: Path) -> dict:
    """Ours against the migrated but empty database: what the process holds for 0 customers."""
    server = launch("radiusd.conf", base / "radbill-empty", url)
    try:
        time.sleep(1)
        return {"memory": memory(server.pid), "ready_s": server.ready_s}
    finally:
        stop(server.proc)


def measure(url: str, users, seconds: float, base: Path, phases: set[str]) -> dict:
    """All servers up at once; each round runs auth then accounting on each stack in turn."""
    servers: dict[str, Server] = {}
    meters = {}
    generators = {stack: AcctRequests([u for u, _ in users], SECRET.encode(), letter)
                  for stack, _, letter in STACKS}
    results: dict = {stack: {"auth": [], "acct": []} for stack, _, _ in STACKS}
    kinds = [k for k in ("auth", "acct") if k in phases]
    try:
        for stack, template, _ in STACKS:
            servers[stack] = launch(template, base / stack, url)
            meters[stack] = cpu_meter(url, servers[stack].pid)
        for _ in range(ROUNDS if kinds else 0):
            for kind in kinds:
                for stack, _, _ in STACKS:
                    server = servers[stack]
                    build = PapRequests(users, SECRET.encode()) if kind == "auth" \
                        else generators[stack]
                    port = server.auth if kind == "auth" else server.acct
                    checkpoint(url)
                    results[stack][kind].append(drive(port, build, seconds,
                                                      cpu=meters[stack][0]))
                    # what ours left in the inbox is applied before the next stack's round,
                    # not during it
                    applied(url)
                    settle(server.pid, limit=10)
        if "storm" in phases:
            auth_users, start_users = storm_users(users)
            for stack, _, letter in STACKS:
                results[stack]["storm"] = run_storm(url, servers[stack], auth_users,
                                                    start_users, letter, radacct(stack))
        applied(url)  # while ours still runs: its drain moves the last records into radacct
        for stack in servers:
            servers[stack].memory["after load"] = memory(servers[stack].pid)
        if "memory" in phases:
            results["radbill"]["resync"] = resync_peak(url, servers["radbill"])
    finally:
        for stack in servers:
            meters[stack][1].close()
            stop(servers[stack].proc)
    with psycopg.connect(conninfo(url)) as conn:
        for stack, _, letter in STACKS:
            results[stack]["radacct"] = conn.execute(
                f"SELECT count(*), count(acctstoptime) FROM {radacct(stack)} "
                "WHERE acctsessionid LIKE %s", (letter + "%",)).fetchone()
            results[stack]["server"] = servers[stack]
    return results


def run(args) -> int:
    phases = set((getattr(args, "phases", None) or os.environ.get("RADBILL_BENCH_PHASES")
                  or ",".join(PHASES)).split(","))
    if phases - set(PHASES):
        raise SystemExit(f"--phases: unknown {', '.join(sorted(phases - set(PHASES)))}; "
                         f"known: {','.join(PHASES)}")
    s = settings.get()
    name = f"radbill_bench_{os.getpid()}"
    url = bench_url(s.database_url, name)
    base = Path(s.var_dir) / "bench-radius"
    admin(url, f'CREATE DATABASE "{name}"')
    try:
        migrate.upgrade(url)
        empty = baseline(url, base) if "memory" in phases else None
        started = time.monotonic()
        users = seed(url, args.customers, stock=True)
        print(f"seeded {len(users):,} customers in {time.monotonic() - started:.1f} s")
        reset(url)
        results = measure(url, users, args.seconds, base, phases)
        from benchmarks.radius_report import report
        report(len(users), args.seconds, results, phases, empty)
    finally:
        if args.keep:
            print(f"kept database {name}")
        else:
            from radbill import db
            db.engine(url).dispose()
            admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0

"""`radbill bench radacct --customers N [--rows R]`: radacct's readers at ~1M rows and at R.

Issue 16: an ISP writes tens of millions of radacct rows a year; what reads radacct must not
slow down with its age. On its own database (radbill_bench_radacct), the admin bench's data
(benchmarks/admin.py `load`: N customers, bills, payments, up to 10 sessions each over the
last 30 days, 60% online: ~10 rows a customer), then each reader is timed; then closed
sessions of the 12 months before fill radacct up to R rows (each month COPYed into a table of
its own and attached as a partition) and each is timed again:

- customer page: GET /customers/<id> (its sessions, usage by day), p50/p95
- online list: GET /billmgr?func=session&online=on, p50/p95
- usage rollup: 2,000 open sessions move on, then rating.usage.rollup (incremental), median
- stale-session job: 1,000 open sessions fall silent, then rating.usage.close_stale, median
- ONU mapping: provisioning.olt.sync.map_customers over an OLT of 500 ONUs, median

Prints both figures and their ratio (target: within 2x).
"""
from __future__ import annotations

import datetime as dt
import random
import statistics
import time

import sqlalchemy as sa

from benchmarks import admin as ab
from benchmarks import scratch
from radbill import archive, db, migrate

DB_NAME = "radbill_bench_radacct"
ROUNDS = 5
ONUS = 500


def url_of() -> str:
    return scratch.url_of(DB_NAME)


def pages(app, n: int, seconds: float) -> dict[str, tuple[float, float]]:
    client = ab.client_for(app, "benchadmin")
    rnd = random.Random(3)
    out = {}
    for name, paths in (("customer page", [f"/customers/{rnd.randrange(1, n + 1)}"
                                           for _ in range(100)]),
                        ("online list", ["/billmgr?func=session&online=on"])):
        times = ab.measure(client, paths, seconds)
        out[name] = (statistics.median(times), statistics.quantiles(times, n=20)[18])
    return out


def timed(url: str, prepare, work, commit: bool) -> float:
    """Median milliseconds of `work(session)` over ROUNDS, after `prepare(session)` each time;
    rolled back unless `commit`."""
    factory = db.session_factory(url)
    times = []
    for _ in range(ROUNDS):
        with factory() as s:
            prepare(s)
            s.commit()
            t0 = time.perf_counter()
            work(s)
            times.append((time.perf_counter() - t0) * 1000)
            s.commit() if commit else s.rollback()
    return statistics.median(times)


def jobs(url: str, olt: int) -> dict[str, float]:
    from provisioning.olt.sync import map_customers
    from rating.usage import close_stale, rollup
    rnd = random.Random(4)

    def move_on(s):
        s.execute(sa.text(
            "UPDATE radacct SET acctupdatetime = now(), acctinputoctets = acctinputoctets + 1000"
            " WHERE (radacctid, acctstarttime) IN (SELECT radacctid, acctstarttime FROM radacct"
            " WHERE acctstoptime IS NULL ORDER BY random() LIMIT 2000)"))

    def fall_silent(s):
        s.execute(sa.text(
            "UPDATE radacct SET acctupdatetime = now() - interval '2 hours'"
            " WHERE (radacctid, acctstarttime) IN (SELECT radacctid, acctstarttime FROM radacct"
            f" WHERE acctstoptime IS NULL AND username > 'user{rnd.randrange(90000):06d}'"
            " LIMIT 1000)"))

    factory = db.session_factory(url)
    with factory() as s:  # the first run aggregates everything and sets the watermark
        rollup(s)
        s.commit()
    return {
        "usage rollup": timed(url, move_on, rollup, commit=True),
        "stale-session job": timed(url, fall_silent, close_stale, commit=False),
        "ONU mapping": timed(url, lambda s: None, lambda s: map_customers(s, olt), commit=False),
    }


def olt_with_onus(url: str, n: int) -> int:
    """An OLT whose ONUs carry the MACs recent sessions were dialled from."""
    with db.engine(url).begin() as conn:
        olt = conn.scalar(sa.text(
            "INSERT INTO olts (name, brand, host) VALUES ('bench', 'vsol', '192.0.2.9') "
            "RETURNING id"))
        users = [f"user{i:06d}" for i in random.Random(5).sample(range(1, n + 1), ONUS)]
        conn.execute(sa.text(
            "UPDATE radacct r SET callingstationid = c.mac FROM customers c "
            "WHERE c.username = r.username AND r.username = ANY(:u)"), {"u": users})
        conn.execute(sa.text(
            "INSERT INTO onus (olt_id, port, onu_id, mac) SELECT :o, '0/1/' || (k / 64), k % 64,"
            " c.mac FROM customers c JOIN unnest(CAST(:u AS text[])) WITH ORDINALITY AS x(u, k)"
            " ON c.username = x.u"), {"o": olt, "u": users})
        # the online sessions speak every interim interval, as a live NAS's do (the loader
        # leaves their update time empty, which would make every one of them stale)
        conn.execute(sa.text(
            "UPDATE radacct SET acctupdatetime = now() - random() * interval '4 minutes',"
            " acctinterval = 300 WHERE acctstoptime IS NULL"))
    return olt


def grow(url: str, n: int, rows: int) -> int:
    """Closed sessions in the 12 months before the oldest month radacct has, until it holds
    `rows`. Each month is COPYed into a table of its own and then attached as radacct's
    partition (its indexes built by a sort, not row by row: a 9,000,000-row COPY through the
    partitioned table's ten indexes ran at ~10 MB/s of random writes here). Returns the rows
    added."""
    with db.engine(url).connect() as conn:
        have = conn.scalar(sa.text("SELECT count(*) FROM radacct"))
        oldest = min(p.month for p in archive.partitions(conn) if p.month)
    extra = max(rows - have, 0)
    rnd = random.Random(6)
    cols = ("acctsessionid", "acctuniqueid", "username", "nasipaddress", "acctstarttime",
            "acctstoptime", "acctinputoctets", "acctoutputoctets")
    done = 0
    for back in range(12, 0, -1):
        month = archive.add_months(oldest, -back)
        nxt = archive.add_months(month, 1)
        lo = dt.datetime(month.year, month.month, 1, tzinfo=dt.timezone.utc)
        span = int((dt.datetime(nxt.year, nxt.month, 1, tzinfo=dt.timezone.utc) - lo)
                   .total_seconds())
        count = extra // 12 + (1 if back <= extra % 12 else 0)
        name = f"radacct_{month:%Y_%m}"

        def sessions(first=done, count=count, lo=lo, span=span):
            for k in range(first, first + count):
                start = lo + dt.timedelta(seconds=rnd.randrange(span))
                yield (f"g{k}", f"g-{k}", f"user{rnd.randrange(1, n + 1):06d}", "10.0.0.1",
                       start, start + dt.timedelta(seconds=rnd.randrange(600, 86400)),
                       rnd.randrange(10 ** 9), rnd.randrange(10 ** 10))
        raw = db.engine(url).raw_connection()
        try:
            cur = raw.cursor()
            cur.execute(f"CREATE TABLE {name} (LIKE radacct INCLUDING DEFAULTS "
                        "INCLUDING CONSTRAINTS) WITH (fillfactor = 90)")
            ab.copy(cur, name, cols, sessions())
            cur.execute(f"ALTER TABLE radacct ATTACH PARTITION {name} FOR VALUES FROM "
                        f"('{lo.isoformat()}') TO ('{nxt:%Y-%m-%d} 00:00:00+00')")
            raw.commit()
        finally:
            raw.close()
        done += count
        print(f"    {name}: {count:,} rows", flush=True)
    raw = db.engine(url).raw_connection()
    try:
        raw.driver_connection.autocommit = True
        raw.driver_connection.execute("VACUUM ANALYZE radacct")
        raw.driver_connection.autocommit = False
    finally:
        raw.close()
    return extra


def measure_all(app, url: str, n: int, olt: int, seconds: float) -> dict[str, str | float]:
    out: dict = {}
    for name, (p50, p95) in pages(app, n, seconds).items():
        out[name] = p95
        print(f"    {name:<20} p50 {p50:8.1f} ms  p95 {p95:8.1f} ms", flush=True)
    for name, ms in jobs(url, olt).items():
        out[name] = ms
        print(f"    {name:<20} median {ms:8.1f} ms", flush=True)
    return out


def run(args) -> int:
    import logging

    from admin import create_app
    logging.getLogger("radbill.requests").setLevel(logging.WARNING)
    n, rows = args.customers, args.rows
    url = url_of()
    print(f"radacct bench: database {DB_NAME}, {n:,} customers, then {rows:,} radacct rows",
          flush=True)
    scratch.recreate(url)
    try:
        t0 = time.perf_counter()
        migrate.upgrade(url)
        with db.engine(url).begin() as conn:
            archive.ensure_partitions(conn, dt.date.today(),
                                      since=dt.date.today() - dt.timedelta(days=40))
        counts = ab.load(url, n)
        olt = olt_with_onus(url, n)
        print(f"  loaded in {time.perf_counter() - t0:.0f} s: {counts['radacct']:,} radacct rows",
              flush=True)
        app = create_app({"SESSION_FACTORY": db.session_factory(url), "SECRET_KEY": "bench"})
        print(f"  at {counts['radacct']:,} rows:")
        small = measure_all(app, url, n, olt, args.seconds)
        t0 = time.perf_counter()
        added = grow(url, n, rows)
        with db.engine(url).connect() as conn:
            total = conn.scalar(sa.text("SELECT count(*) FROM radacct"))
            months = len(archive.partitions(conn))
        print(f"  added {added:,} rows in {time.perf_counter() - t0:.0f} s; at {total:,} rows"
              f" in {months} partitions:")
        big = measure_all(app, url, n, olt, args.seconds)
        print(f"\nradbill bench radacct: {counts['radacct']:,} -> {total:,} rows "
              f"(p95 for pages, median for jobs; ms)")
        worst = 0.0
        for name in small:
            ratio = big[name] / small[name] if small[name] else float("inf")
            worst = max(worst, ratio)
            print(f"  {name:<20} {small[name]:9.1f} {big[name]:9.1f}   {ratio:5.2f}x")
        verdict = "OK" if worst <= 2 else "OVER"
        print(f"  worst ratio {worst:.2f}x (target within 2x): {verdict}")
        return 0 if worst <= 2 else 1
    finally:
        if not args.keep:
            scratch.drop(url)

"""`radbill bench admin --customers N`: server time of the admin's hot pages at N customers.

On its own database (radbill_bench_admin), loaded with COPY: p50/p95 of the customer list, a
search by mobile, a customer page and the same list over the func API, through the Flask test
client (server time only, no network), as the system administrator and as one reseller.
"""
from __future__ import annotations

import io
import random
import re
import statistics
import time

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from radbill import db, migrate, settings

DB_NAME = "radbill_bench_admin"
PASSWORD = "bench-password"
OPERATORS = 20
TARGET_MS = 150.0


def bench_url() -> str:
    url = make_url(settings.get().database_url)
    return url.set(database=DB_NAME).render_as_string(hide_password=False)


def recreate(url: str) -> None:
    server = make_url(url).set(database="postgres").render_as_string(hide_password=False)
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{DB_NAME}"'))
    admin.dispose()


def drop(url: str) -> None:
    db.engine(url).dispose()
    server = make_url(url).set(database="postgres").render_as_string(hide_password=False)
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
    admin.dispose()


def copy(cur, table: str, columns: tuple[str, ...], rows) -> None:
    """COPY rows in (tab-separated; \\N is NULL) - 100k customers load in seconds."""
    buf = io.StringIO()
    for row in rows:
        buf.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
    buf.seek(0)
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
        while chunk := buf.read(1 << 20):
            cp.write(chunk)


def load(url: str, n: int) -> dict:
    """Operators, one package, N customers (10% online, 3 past sessions each) and two logins."""
    from radbill.functions.auth import hash_password
    rnd = random.Random(1)
    raw = db.engine(url).raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("INSERT INTO operators (name, level, path) VALUES ('isp', 'group', '/1/')")
        copy(cur, "operators", ("name", "parent_id", "level", "path"),
             ((f"reseller{i}", 1, "operator", f"/1/{i + 1}/") for i in range(1, OPERATORS + 1)))
        cur.execute("SELECT setval('operators_id_seq', (SELECT max(id) FROM operators))")
        cur.execute("INSERT INTO packages (name, rate_down, rate_up, price) "
                    "VALUES ('home10', 10000000, 5000000, 500)")
        statuses = ["active"] * 17 + ["suspended", "disabled", "fup"]
        copy(cur, "customers", ("username", "password", "name", "mobile", "mac", "status",
                                "operator_id", "package_id", "expires_at"),
             ((f"user{i:06d}", "pw", f"Customer {i}", f"01{7 + i % 3}{i:08d}",
               ":".join(f"{(i >> s) & 255:02X}" for s in (40, 32, 24, 16, 8, 0)),
               statuses[i % len(statuses)], 2 + i % OPERATORS, 1,
               f"2026-{1 + i % 12:02d}-15 00:00:00+00") for i in range(1, n + 1)))
        copy(cur, "radacct", ("acctsessionid", "acctuniqueid", "username", "nasipaddress",
                              "acctstarttime", "acctstoptime", "acctinputoctets",
                              "acctoutputoctets"),
             ((f"s{i}-{k}", f"u{i}-{k}", f"user{i:06d}", "10.0.0.1",
               f"2026-11-{1 + k * 5:02d} 10:00:00+00",
               None if k == 2 and i % 10 == 0 else f"2026-11-{2 + k * 5:02d} 10:00:00+00",
               rnd.randrange(10 ** 9), rnd.randrange(10 ** 10))
              for i in range(1, n + 1) for k in range(3)))
        cur.execute("INSERT INTO staff_users (login, password_hash, role, operator_id) VALUES "
                    "('benchadmin', %s, 'admin', 1), ('benchreseller', %s, 'operator', 2)",
                    (hash_password(PASSWORD), hash_password(PASSWORD)))
        cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    return {"customers": n}


def client_for(app, login: str):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    resp = client.post("/login", data={"login": login, "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 302, "benchmark login failed"
    return client


def measure(client, paths, seconds: float) -> list[float]:
    """Milliseconds per request, cycling through `paths` for `seconds` (at least 20 requests)."""
    times: list[float] = []
    deadline = time.perf_counter() + seconds
    i = 0
    while time.perf_counter() < deadline or len(times) < 20:
        path = paths[i % len(paths)]
        t0 = time.perf_counter()
        resp = client.get(path)
        times.append((time.perf_counter() - t0) * 1000)
        if resp.status_code != 200:
            raise RuntimeError(f"{path}: HTTP {resp.status_code}")
        i += 1
    return times


def cases(n: int, rnd: random.Random) -> dict[str, list[str]]:
    ids = [rnd.randrange(1, n + 1) for _ in range(200)]
    return {
        "customer list": ["/billmgr?func=customer"] +
                         [f"/billmgr?func=customer&page={rnd.randrange(1, 50)}" for _ in range(20)],
        "search by mobile": [f"/billmgr?func=customer&q=01{7 + i % 3}{i:08d}" for i in ids],
        "customer page": [f"/customers/{i}" for i in ids],
        "list via API": ["/billmgr?func=customer&out=xml"],
        "dashboard": ["/"],
        "online sessions": ["/billmgr?func=session&online=on"],
    }


def once(client, n: int) -> None:
    """Whole-table work, timed once: CSV export of every customer, a 1,000-row import dry run."""
    t0 = time.perf_counter()
    resp = client.get("/export.csv?func=customer")
    rows = resp.get_data(as_text=True).count("\n") - 1
    print(f"  export.csv of all customers: {rows:,} rows in {time.perf_counter() - t0:.2f}s")
    page = client.get("/customers/import").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    csv_text = "username,password,package,mobile\n" + "".join(
        f"imp{i:05d},pw{i},home10,0199{i:07d}\n" for i in range(1000))
    t0 = time.perf_counter()
    resp = client.post("/customers/import", data={
        "csv": csv_text, "mode": "dry", "col0": "username", "col1": "password",
        "col2": "package", "col3": "mobile", "csrf_token": token})
    assert "would import" in resp.get_data(as_text=True), "import dry run failed"
    print(f"  import dry run of 1,000 rows: {time.perf_counter() - t0:.2f}s")


def run(args) -> int:
    import logging

    from admin import create_app
    # one log line per request is noise here
    logging.getLogger("radbill.requests").setLevel(logging.WARNING)
    n, seconds = args.customers, args.seconds
    url = bench_url()
    print(f"admin bench: database {DB_NAME}, {n:,} customers", flush=True)
    recreate(url)
    try:
        t0 = time.perf_counter()
        migrate.upgrade(url)
        load(url, n)
        print(f"  loaded in {time.perf_counter() - t0:.1f}s", flush=True)
        app = create_app({"SESSION_FACTORY": db.session_factory(url), "SECRET_KEY": "bench"})
        worst = 0.0
        for login in ("benchadmin", "benchreseller"):
            client = client_for(app, login)
            for name, paths in cases(n, random.Random(2)).items():
                if login == "benchreseller" and name == "customer page":
                    # a reseller's own customers: operator 2 owns ids with i % OPERATORS == 0
                    paths = [f"/customers/{i * OPERATORS}"
                             for i in range(1, min(n // OPERATORS, 200))]
                times = measure(client, paths, seconds)
                p50 = statistics.median(times)
                p95 = statistics.quantiles(times, n=20)[18]
                worst = max(worst, p95)
                print(f"  {login:<14} {name:<17} n={len(times):<5} "
                      f"p50={p50:7.1f} ms  p95={p95:7.1f} ms",
                      flush=True)
        once(client_for(app, "benchadmin"), n)
        verdict = "OK" if worst < TARGET_MS else "OVER"
        print(f"  worst p95 {worst:.1f} ms (target {TARGET_MS:.0f} ms): {verdict}")
        return 0 if worst < TARGET_MS else 1
    finally:
        if not args.keep:
            drop(url)

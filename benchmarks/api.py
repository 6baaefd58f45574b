"""`radbill bench api --customers N`: p50/p95 of the REST API's customer search at N customers.

On its own database (radbill_bench_api), loaded with COPY: 20 resellers under the ISP, one
package, N customers (E.164 mobiles, as customer.edit stores them). Times, through the WSGI app
in-process (the Flask test client: server time, no network), `GET /api/v1/customers?search=`
with a common username prefix (thousands of matches: a page of 50 and the total), a whole
mobile number, a mobile's last digits, and the first page with no search, as a client of the
ISP (every customer) and of one reseller (N/20), each with a static bearer token.

Also the other design -- every page counting all its matches (`?total=true`) -- and a walk of
every row by cursor (keyset: the last page costs what the first does).

Figures at 100,000 customers (2 shared CPUs, p95 ms, 2026-12-02): ISP client first page 25.9,
common prefix 33.8, whole mobile 27.1, mobile's last 6 25.2, name 27.9; reseller 26.6, 32.3,
25.6, 25.6, 45.8. Counted: ISP first page 168.9, common prefix 309.6. Before the keyset and the
per-branch search (offset pages, a count on each): first page 387, common prefix 675, name 550.
"""
from __future__ import annotations

import random
import statistics
import time


from benchmarks import scratch
from benchmarks.scratch import drop, recreate  # noqa: F401  (run() uses them)
from radbill import db, migrate

DB_NAME = "radbill_bench_api"
OPERATORS = 20
TARGET_MS = 50.0


def bench_url() -> str:
    return scratch.url_of(DB_NAME)


def mobile(i: int) -> str:
    return f"+8801{7 + i % 3}{i:08d}"


def load(url: str, n: int) -> dict[str, str]:
    """Operators, a package, N customers; two API clients (the ISP's, reseller 2's): tokens."""
    from admin.rest.auth import new_secret, static_token
    from benchmarks.admin import copy, customer_address, customer_name
    from radbill.functions.auth import digest
    raw = db.engine(url).raw_connection()
    tokens = {}
    try:
        cur = raw.cursor()
        cur.execute("INSERT INTO operators (name, level, path) VALUES ('isp', 'group', '/1/')")
        copy(cur, "operators", ("name", "parent_id", "level", "path"),
             ((f"reseller{i}", 1, "operator", f"/1/{i + 1}/") for i in range(1, OPERATORS + 1)))
        cur.execute("SELECT setval('operators_id_seq', (SELECT max(id) FROM operators))")
        cur.execute("INSERT INTO packages (name, rate_down, rate_up, price) "
                    "VALUES ('home10', 10000000, 5000000, 500)")
        copy(cur, "customers", ("username", "password", "name", "mobile", "status",
                                "operator_id", "package_id", "address"),
             ((f"user{i:06d}", "pw", customer_name(i), mobile(i), "active",
               2 + i % OPERATORS, 1, customer_address(i)) for i in range(1, n + 1)))
        for who, op, role in (("isp", 1, "group_admin"), ("reseller", 2, "operator")):
            key, secret = new_secret()
            cur.execute("INSERT INTO api_clients (name, operator_id, role, scopes, key, "
                        "secret_hash, rate_limit) VALUES (%s, %s, %s, %s, %s, %s, 100000)",
                        (f"bench-{who}", op, role, ["customer:read"], key, digest(secret)))
            tokens[who] = static_token(key, secret)
        cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    return tokens


def cases(n: int, own) -> dict[str, list[str]]:
    from benchmarks.admin import customer_name
    rnd = random.Random(3)
    mine = [i for i in range(1, n + 1) if own(i)]
    picks = [rnd.choice(mine) for _ in range(200)]
    base = "/api/v1/customers"
    return {
        "first page": [base],
        "search: common prefix": [f"{base}?search=user0{d}" for d in range(10)],
        "search: whole mobile": [f"{base}?search=01{7 + i % 3}{i:08d}" for i in picks],
        "search: mobile's last 6": [f"{base}?search={i % 1_000_000:06d}" for i in picks],
        "search: name": [f"{base}?search={customer_name(i).split()[0].lower()}" for i in picks[:20]],
        # the other design: every page also counts every match (what ?total=true asks for)
        "first page, counted": [f"{base}?total=true"],
        "common prefix, counted": [f"{base}?search=user0{d}&total=true" for d in range(10)],
    }


def walk_all(client, token: str, limit: int = 500) -> tuple[int, float, float]:
    """Every customer the client sees by cursor: rows, seconds, and the last page's ms (keyset:
    as cheap as the first; an offset would pay for every row before it)."""
    headers = {"Authorization": f"Bearer {token}"}
    rows, cursor, last = 0, None, 0.0
    t0 = time.perf_counter()
    while True:
        t = time.perf_counter()
        query = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/v1/customers", headers=headers, query_string=query).get_json()
        last = (time.perf_counter() - t) * 1000
        rows += len(body["data"])
        cursor = body["next_cursor"]
        if cursor is None:
            return rows, time.perf_counter() - t0, last


def measure(client, token: str, paths: list[str], seconds: float) -> list[float]:
    """Milliseconds per request, cycling through `paths` for `seconds` (at least 20)."""
    headers = {"Authorization": f"Bearer {token}"}
    times: list[float] = []
    deadline = time.perf_counter() + seconds
    i = 0
    while time.perf_counter() < deadline or len(times) < 20:
        path = paths[i % len(paths)]
        t0 = time.perf_counter()
        resp = client.get(path, headers=headers)
        times.append((time.perf_counter() - t0) * 1000)
        if resp.status_code != 200:
            raise RuntimeError(f"{path}: HTTP {resp.status_code} {resp.get_data(as_text=True)}")
        i += 1
    return times


def run(args) -> int:
    from admin import create_app
    n, seconds = args.customers, args.seconds
    url = bench_url()
    print(f"api bench: database {DB_NAME}, {n:,} customers", flush=True)
    recreate(url)
    try:
        t0 = time.perf_counter()
        migrate.upgrade(url)
        tokens = load(url, n)
        print(f"  loaded in {time.perf_counter() - t0:.1f}s", flush=True)
        app = create_app({"SESSION_FACTORY": db.session_factory(url), "SECRET_KEY": "bench",
                          "API_RATE_PER_IP": 10**6})
        client = app.test_client()
        worst = 0.0
        for who, own in (("isp", lambda i: True),
                         ("reseller", lambda i: 2 + i % OPERATORS == 2)):
            for name, paths in cases(n, own).items():
                times = measure(client, tokens[who], paths, seconds)
                p50, p95 = statistics.median(times), statistics.quantiles(times, n=20)[18]
                if name.startswith("search"):
                    worst = max(worst, p95)
                print(f"  {who:<9} {name:<26} n={len(times):<5} p50={p50:6.1f} ms  "
                      f"p95={p95:6.1f} ms", flush=True)
            rows, secs, last = walk_all(client, tokens[who])
            print(f"  {who:<9} {'every row by cursor':<26} {rows:,} rows in {secs:.1f} s, "
                  f"last page of 500 {last:.1f} ms", flush=True)
        verdict = "OK" if worst < TARGET_MS else "OVER"
        print(f"  worst search p95 {worst:.1f} ms (target {TARGET_MS:.0f} ms): {verdict}")
        return 0 if worst < TARGET_MS else 1
    finally:
        from admin.rest import requestlog
        try:  # the request log's rows go before the database does
            requestlog.buffer(app).flush()
        except Exception:  # noqa: BLE001  (the app may not exist: loading failed)
            pass
        if not args.keep:
            drop(url)

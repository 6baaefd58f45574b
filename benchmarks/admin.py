"""`radbill bench admin --customers N`: server time of the admin's hot pages at N customers.

On its own database (radbill_bench_admin), loaded with COPY (see `load`: 6 monthly bills per
customer, a payment per paid one, up to 10 radacct sessions per customer over 30 days, 60%
online): p50/p95 of the customer list, searches (by mobile, by name, collect.find by a word in
an address), a customer page, the same list over the func API, the owner's dashboard and each of
its report.* functions (also on the last day of last month: a full month of payments), through
the Flask test client (server time only, no network), as the system administrator and as one
reseller (5,000 customers).

Figures at 100,000 customers (600,000 bills, 480,000 payments, 960,000 radacct rows; 2 shared
CPUs, another job running, so before and after were measured alternately on one database; ms):

                                    before p50/p95      after p50/p95    (migration 0010 and
  dashboard, system admin       494/625   438/552     212/265   177/265   the report.aging and
  dashboard, reseller           252/392   223/262     133/204   110/148   report.online rewrites)
  report.aging, admin            86/102    80/101      62/82     42/52
  report.online, admin          282/341   251/322      60/88     38/46
  report.online, reseller       120/153   128/160     119/195    84/112
  collect.find, rare address    266/392   205/248      93/151    77/94    (admin; pg_trgm)
  collect.find, no match        210/283   224/279      87/116    83/121   (admin)
  collect.find, no match        ~20/~30                ~20/~30            (reseller: unchanged)
  collect.find, common word     102/134   115/144     136/219   115/133   (admin)
  collect.find, common word      23/29     22/30      111/208   107/151   (reseller: slower)

The reseller's "common word" is a word common elsewhere but absent from their subtree: the
statistics the new expression indexes bring make the planner read customers in order, hoping for
20 rows soon, instead of the subtree's 5,000 (collect.find's query, not the index). The search's
remaining admin time is its exact-name probe walking the username order (~45 ms). A customer
page is ~400 ms at this volume: its bill and payment lists filter `CAST(customer_id AS TEXT)`
(Entity.filter), which no index serves.
"""
from __future__ import annotations

import datetime as dt
import io
import random
import re
import statistics
import time


from benchmarks import scratch
from benchmarks.scratch import drop, recreate  # noqa: F401  (run() uses them)
from radbill import db, migrate

DB_NAME = "radbill_bench_admin"
PASSWORD = "bench-password"
OPERATORS = 20
TARGET_MS = 150.0


def bench_url() -> str:
    return scratch.url_of(DB_NAME)


def copy(cur, table: str, columns: tuple[str, ...], rows) -> None:
    """COPY rows in (tab-separated; \\N is NULL) - 100k customers load in seconds."""
    buf = io.StringIO()
    for row in rows:
        buf.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
    buf.seek(0)
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
        while chunk := buf.read(1 << 20):
            cp.write(chunk)


FIRST = ("Md", "Abdul", "Rahim", "Karim", "Nasrin", "Fatema", "Jamal", "Shirin", "Habib", "Rina",
         "Sohel", "Taslima", "Anwar", "Moni", "Rafiq", "Salma", "Kamal", "Lipi", "Jahid", "Ruma")
LAST = ("Hossain", "Rahman", "Islam", "Ahmed", "Uddin", "Begum", "Akter", "Chowdhury", "Sarkar",
        "Miah", "Khan", "Sheikh", "Talukder", "Bhuiyan", "Mollah")
AREAS = ("Mirpur", "Uttara", "Dhanmondi", "Mohammadpur", "Banani", "Badda", "Rampura",
         "Jatrabari", "Khilgaon", "Shyamoli", "Bashundhara", "Motijheel")
MONTHS = 6  # monthly bills per customer, this month included
# of each month's bills (this month first), the share still open: this month's are mostly unpaid
# (a bill whose payment day, within 20 days of its issue, is still to come is open too)
OPEN_SHARE = (0.30, 0.12, 0.05, 0.03, 0.02, 0.015)
SESSIONS = 10  # radacct rows per customer over the last 30 days at most
ONLINE = 0.6  # of customers, online now (their last session open)
PRICE = 500


def month_start(day: dt.date, back: int) -> dt.date:
    m = day.year * 12 + day.month - 1 - back
    return dt.date(m // 12, m % 12 + 1, 1)


def customer_name(i: int) -> str:
    return f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]}"


def customer_address(i: int) -> str:
    return f"House {i}, Road {i % 37 + 1}, {AREAS[i % len(AREAS)]}"


def load(url: str, n: int) -> dict:
    """Operators, one package, N customers with names and addresses, two logins; MONTHS monthly
    bills per customer (OPEN_SHARE of each month still open, a tenth of those part-paid), a
    payment for each paid part (cash, card, online, advance; 1% reversed) within 20 days of its
    issue, and up to SESSIONS radacct rows per customer over the last 30 days (ONLINE of them
    online now); all dated from today. Early in a month "this month" is short: the dashboard's
    parts are also timed on the last month's last day (DASHBOARD_PARTS' `date=`)."""
    from radbill.functions.auth import hash_password
    from rating.terms import midnight, today
    rnd = random.Random(1)
    now = dt.datetime.now(dt.timezone.utc)
    on = today()
    raw = db.engine(url).raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("INSERT INTO operators (name, level, path) VALUES ('isp', 'group', '/1/')")
        copy(cur, "operators", ("name", "parent_id", "level", "path"),
             ((f"reseller{i}", 1, "operator", f"/1/{i + 1}/") for i in range(1, OPERATORS + 1)))
        cur.execute("SELECT setval('operators_id_seq', (SELECT max(id) FROM operators))")
        cur.execute("INSERT INTO packages (name, rate_down, rate_up, price) "
                    f"VALUES ('home10', 10000000, 5000000, {PRICE})")
        statuses = ["active"] * 17 + ["suspended", "disabled", "fup"]
        copy(cur, "customers", ("username", "password", "name", "mobile", "mac", "status",
                                "operator_id", "package_id", "expires_at", "address"),
             ((f"user{i:06d}", "pw", customer_name(i), f"01{7 + i % 3}{i:08d}",
               ":".join(f"{(i >> s) & 255:02X}" for s in (40, 32, 24, 16, 8, 0)),
               statuses[i % len(statuses)], 2 + i % OPERATORS, 1,
               now + dt.timedelta(days=rnd.randrange(-40, 30), seconds=rnd.randrange(86400)),
               customer_address(i)) for i in range(1, n + 1)))
        cur.execute("INSERT INTO staff_users (login, password_hash, role, operator_id) VALUES "
                    "('benchadmin', %s, 'admin', 1), ('benchreseller', %s, 'operator', 2)",
                    (hash_password(PASSWORD), hash_password(PASSWORD)))
        cur.execute("SELECT id FROM staff_users WHERE login IN ('benchadmin', 'benchreseller')")
        collectors = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT id, operator_id FROM customers ORDER BY id")
        customers = cur.fetchall()
        bills, payments = [], []
        for cid, op in customers:
            for back in range(MONTHS):
                start = month_start(on, back)
                due = start + dt.timedelta(days=7)
                # paid (from its issue on) unless it is among the month's open share, or its
                # payment day is still to come
                at = midnight(start) + dt.timedelta(seconds=rnd.randrange(20 * 86400))
                paid = PRICE if rnd.random() >= OPEN_SHARE[back] and at < now else 0
                if not paid and at < now and rnd.random() < 0.1:
                    paid = 200
                bills.append((cid, op, "period", start, start, start, due, PRICE, PRICE, paid,
                              "paid" if paid == PRICE else "open"))
                if paid:
                    method = rnd.choice(("cash", "cash", "cash", "card", "online", "online",
                                         "advance"))
                    reversed_ = rnd.random() < 0.01
                    payments.append((cid, op, method, paid, paid, 0,
                                     rnd.choice(collectors) if method == "cash" else None,
                                     "reversed" if reversed_ else "completed", at,
                                     at + dt.timedelta(hours=1) if reversed_ else None))
        copy(cur, "bills", ("customer_id", "operator_id", "kind", "period_start", "service_from",
                            "issued_on", "due_date", "subtotal", "total", "paid", "status"),
             bills)
        payments.sort(key=lambda p: p[8])  # taken in time order, as a live system's are
        copy(cur, "payments", ("customer_id", "operator_id", "method", "amount", "applied",
                               "to_advance", "collected_by", "status", "received_at",
                               "reversed_at"), payments)
        counts = {"bills": len(bills), "payments": len(payments)}
        del bills, payments

        def sessions():
            """Back to back from 30 days ago, an hour to 6 days each; the last one open for
            ONLINE of customers, else stopped some time before now."""
            for i in range(1, n + 1):
                t = now - dt.timedelta(days=30, seconds=rnd.randrange(86400))
                online = rnd.random() < ONLINE
                for k in range(SESSIONS):
                    stop = t + dt.timedelta(seconds=rnd.randrange(3600, 6 * 86400))
                    last = k == SESSIONS - 1 or stop >= now - dt.timedelta(minutes=10)
                    if last:
                        left = (now - t).total_seconds() - 600
                        stop = None if online else t + dt.timedelta(
                            seconds=rnd.randrange(60, max(int(left), 61)))
                    yield (f"s{i}-{k}", f"u{i}-{k}", f"user{i:06d}", "10.0.0.1", t, stop,
                           rnd.randrange(10 ** 9), rnd.randrange(10 ** 10))
                    if last:
                        break
                    t = stop + dt.timedelta(seconds=rnd.randrange(60, 3600))
        copy(cur, "radacct", ("acctsessionid", "acctuniqueid", "username", "nasipaddress",
                              "acctstarttime", "acctstoptime", "acctinputoctets",
                              "acctoutputoctets"), sessions())
        cur.execute("SELECT count(*) FROM radacct")
        counts["radacct"] = cur.fetchone()[0]
        raw.commit()
        # as autovacuum leaves a live system: statistics and visibility maps up to date
        raw.driver_connection.autocommit = True
        raw.driver_connection.execute("VACUUM ANALYZE")
        raw.driver_connection.autocommit = False
    finally:
        raw.close()
    return {"customers": n, **counts}


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


# the dashboard's parts, each as its function over /billmgr: where the page's time goes
DASHBOARD_PARTS = ("report.aging", "report.collections&by=all&period=today",
                   "report.collections&by=all&period=month", "report.customers",
                   "report.online", "report.expiring", "report.daily",
                   # a full month: its last day (the loader fills the months before this one)
                   "report.collections&by=all&period=month&date={eom}",
                   "report.daily&date={eom}")


def cases(n: int, rnd: random.Random, own=lambda i: True) -> dict[str, list[str]]:
    """name -> paths; `own(i)`: whether customer i is the caller's (searches for a rare address
    look for the caller's own customers: another's would be a miss)."""
    ids = [rnd.randrange(1, n + 1) for _ in range(200)]
    mine = [i for i in range(1, n + 1) if own(i)]
    rare = [rnd.choice(mine) for _ in range(100)]
    out = {
        "customer list": ["/billmgr?func=customer"] +
                         [f"/billmgr?func=customer&page={rnd.randrange(1, 50)}" for _ in range(20)],
        "search by mobile": [f"/billmgr?func=customer&q=01{7 + i % 3}{i:08d}" for i in ids],
        "search by name": [f"/billmgr?func=customer&q={FIRST[i % len(FIRST)].lower()}+"
                           f"{LAST[i % len(LAST)][:3].lower()}" for i in ids],
        "customer page": [f"/customers/{i}" for i in ids],
        "list via API": ["/billmgr?func=customer&out=xml"],
        "dashboard": ["/"],
        "online sessions": ["/billmgr?func=session&online=on"],
        # collect.find by a word inside an address: one house (rare), an area no one lives in
        # (a miss reads every candidate), a common area (stops at 20)
        "find: address": [f"/billmgr?func=collect.find&q=house+{i}%2C" for i in rare],
        "find: no match": ["/billmgr?func=collect.find&q=gulshan",
                           "/billmgr?func=collect.find&q=road+99"],
        "find: common": [f"/billmgr?func=collect.find&q={a.lower()}" for a in AREAS],
    }
    from rating.terms import today
    eom = (today().replace(day=1) - dt.timedelta(days=1)).isoformat()
    for part in DASHBOARD_PARTS:
        func, *args = part.split("&")
        label = func + "".join("/" + a.split("=")[1] for a in args if not a.startswith("by="))
        out["  " + label.replace("{eom}", "month end")] = [f"/billmgr?func={part}".format(eom=eom)]
    return out


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


def timings(app, n: int, seconds: float, only: str = "") -> float:
    """Print p50/p95 of every case (those whose name contains `only`) for both logins; the
    worst p95."""
    worst = 0.0
    for login in ("benchadmin", "benchreseller"):
        client = client_for(app, login)
        own = (lambda i: True) if login == "benchadmin" else \
            (lambda i: (2 + i % OPERATORS) == 2)
        for name, paths in cases(n, random.Random(2), own).items():
            if only not in name:
                continue
            if login == "benchreseller" and name == "customer page":
                # a reseller's own customers: operator 2 owns ids with i % OPERATORS == 0
                paths = [f"/customers/{i * OPERATORS}"
                         for i in range(1, min(n // OPERATORS, 200))]
            times = measure(client, paths, seconds)
            p50 = statistics.median(times)
            p95 = statistics.quantiles(times, n=20)[18]
            worst = max(worst, p95)
            print(f"  {login:<14} {name:<30} n={len(times):<5} "
                  f"p50={p50:7.1f} ms  p95={p95:7.1f} ms", flush=True)
    return worst


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
        counts = load(url, n)
        print(f"  loaded in {time.perf_counter() - t0:.1f}s: " +
              ", ".join(f"{v:,} {k}" for k, v in counts.items()), flush=True)
        app = create_app({"SESSION_FACTORY": db.session_factory(url), "SECRET_KEY": "bench"})
        worst = timings(app, n, seconds)
        once(client_for(app, "benchadmin"), n)
        verdict = "OK" if worst < TARGET_MS else "OVER"
        print(f"  worst p95 {worst:.1f} ms (target {TARGET_MS:.0f} ms): {verdict}")
        return 0 if worst < TARGET_MS else 1
    finally:
        if not args.keep:
            drop(url)

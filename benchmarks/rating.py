"""`radbill bench rating --customers N`: time a full monthly billing run for N customers and
the usage rollup over 1,000,000 radacct rows, on a database of its own (loaded with COPY)."""
from __future__ import annotations

import datetime as dt
import random
import time

import psycopg
import sqlalchemy as sa

from radbill import db, migrate, settings

RADACCT_ROWS = 1_000_000
BILL_DAY = dt.date(2026, 11, 1)


def _urls() -> tuple[str, str, str]:
    base = settings.get().database_url
    name = "radbill_bench_rating"
    head, _, tail = base.partition("@/")
    dbname, sep, query = tail.partition("?")
    url = f"{head}@/{name}{sep}{query}"
    return url, f"{head}@/postgres{sep}{query}", name


def _recreate(admin_url: str, name: str, drop_only: bool = False) -> None:
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for attempt in range(30):
            try:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                break
            except sa.exc.ProgrammingError:
                # an autovacuum worker (a superuser's) is in it: FORCE may not end it; it ends
                # on its own within moments
                if attempt == 29:
                    raise
                time.sleep(1)
        if not drop_only:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def _load(url: str, customers: int) -> None:
    """Operators, packages, a profile, customers and radacct, with COPY."""
    rnd = random.Random(42)
    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn) as conn:
        conn.execute("insert into operators (id, name, level, path, vat_percent) "
                     "values (1, 'isp', 'group', '/1/', 5)")
        conn.execute("insert into billing_profiles (id, name, due_day, discount_kind,"
                     " discount_value) values (1, 'monthly', 1, 'percent', 5)")
        for i in range(1, 6):
            conn.execute("insert into packages (id, name, rate_down, rate_up, price) "
                         "values (%s, %s, 10000000, 5000000, %s)", (i, f"pkg{i}", 300 + 200 * i))
        joined = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
        # every 10th joined mid-month (pro-rated), every 50th has a custom price, every 20th
        # keeps an advance balance the run auto-debits
        with conn.cursor().copy("COPY customers (username, password, operator_id, package_id, "
                                "billing_profile_id, created_at, custom_price, advance_balance)"
                                " FROM STDIN") as cp:
            for i in range(customers):
                late = joined + dt.timedelta(days=300 + i % 20) if i % 10 == 0 else joined
                cp.write_row((f"u{i}", "pw", 1, 1 + i % 5, 1, late, 450 if i % 50 == 0 else None,
                              2000 if i % 20 == 7 else 0))
        start = dt.datetime(2026, 10, 15, tzinfo=dt.timezone.utc)
        with conn.cursor().copy("COPY radacct (acctsessionid, acctuniqueid, username, nasipaddress,"
                                " acctstarttime, acctupdatetime, acctstoptime, acctsessiontime,"
                                " acctinputoctets, acctoutputoctets) FROM STDIN") as cp:
            for i in range(RADACCT_ROWS):
                t0 = start + dt.timedelta(seconds=rnd.randrange(30 * 86400))
                secs = rnd.randrange(60, 20000)
                t1 = t0 + dt.timedelta(seconds=secs)
                cp.write_row((f"s{i}", f"a{i}", f"u{rnd.randrange(customers)}", "10.0.0.1", t0, t1,
                              t1, secs, rnd.randrange(10**8), rnd.randrange(10**9)))
        conn.execute("select setval('operators_id_seq', 10), setval('packages_id_seq', 10), "
                     "setval('billing_profiles_id_seq', 10)")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def _timed(label: str, unit: str, count: int, fn, tries: int = 1) -> float:
    """Run `fn` `tries` times; print the best and the median (the machine may be shared)."""
    times = []
    for _ in range(tries):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    best, median = min(times), sorted(times)[len(times) // 2]
    extra = f"  (median of {tries}: {median:.2f} s)" if tries > 1 else ""
    print(f"{label:<36} {best:7.2f} s  {count:>9,} {unit}  {count / best:>11,.0f} {unit}/s{extra}",
          flush=True)
    return best


# The first wave's suspension statement (status, a hand-written audit row and two hand-built
# outbox rows), kept here only as the baseline the lifecycle's form is measured against.
FIRST_WAVE_SUSPEND_SQL = """
WITH overdue AS (SELECT DISTINCT customer_id FROM (%s) o
), upd AS (
    UPDATE customers c SET status = 'suspended', status_reason = :reason, updated_at = now()
    FROM overdue WHERE c.id = overdue.customer_id
    RETURNING c.id, c.username, c.operator_id
), audited AS (
    INSERT INTO audit_log (actor, func, object_type, object_id, object_name, operator_id, after)
    SELECT 'scheduler', 'job.suspension', 'customer', id, username, operator_id,
           jsonb_build_object('status', 'suspended', 'status_reason', :reason) FROM upd
), dis AS (
    INSERT INTO outbox (kind, customer_id, payload)
    SELECT 'disconnect', id, jsonb_build_object('username', username, 'reason', :reason) FROM upd
), note AS (
    INSERT INTO outbox (kind, customer_id, payload)
    SELECT 'notify', id, jsonb_build_object('event', 'suspended', 'reason', :reason) FROM upd
)
SELECT count(*) FROM upd
"""


# The first wave's billing statement (before the bill.created events), verbatim, kept only as
# the baseline the current statement is measured against.
FIRST_WAVE_GENERATE_SQL = """
WITH cand AS (
    SELECT c.id AS customer_id, c.operator_id,
           CASE WHEN bp.term = 'daily' THEN coalesce(c.custom_price, p.price) / p.validity_days
                ELSE coalesce(c.custom_price, p.price) END AS base,
           bp.term, bp.discount_kind, bp.discount_value, o.vat_percent,
           CASE WHEN bp.term = 'daily' THEN CAST(:on AS date)
                WHEN extract(day FROM CAST(:on AS date)) >= bp.due_day
                THEN CAST(date_trunc('month', CAST(:on AS date)) AS date) + bp.due_day - 1
                ELSE CAST(date_trunc('month', CAST(:on AS date)) - interval '1 month' AS date)
                     + bp.due_day - 1 END AS period_start,
           CAST(c.created_at AT TIME ZONE :tz AS date) AS created_on
    FROM customers c
    JOIN billing_profiles bp ON bp.id = c.billing_profile_id
    JOIN packages p ON p.id = c.package_id
    JOIN operators o ON o.id = c.operator_id
    WHERE c.deleted_at IS NULL AND c.status IN ('active', 'fup') AND bp.term <> 'free'
      AND (bp.auto_bill OR NOT :auto_only)
      AND (CAST(:path AS text) IS NULL OR o.path LIKE CAST(:path AS text) || '%')
      AND (CAST(:ids AS int[]) IS NULL OR c.id = ANY(CAST(:ids AS int[])))
), per AS (
    SELECT *, CASE WHEN term = 'daily' THEN period_start + 1
                   ELSE CAST(period_start + interval '1 month' AS date) END AS period_end
    FROM cand
), svc AS (
    SELECT *, greatest(period_start, created_on) AS service_from FROM per
    WHERE created_on < period_end
      -- skip the billed cheaply; ON CONFLICT below still decides under concurrency
      AND NOT EXISTS (SELECT 1 FROM bills b WHERE b.customer_id = per.customer_id
                      AND b.kind = 'period' AND b.period_start = per.period_start)
), amt AS (
    SELECT *, CASE WHEN service_from > period_start
                   THEN round(base * (period_end - service_from) / (period_end - period_start), 2)
                   ELSE round(base, 2) END AS gross
    FROM svc
), disc AS (
    SELECT *, CASE discount_kind WHEN 'percent' THEN round(gross * discount_value / 100, 2)
                                 WHEN 'fixed' THEN least(round(discount_value, 2), gross)
                                 ELSE 0 END AS discount
    FROM amt
), priced AS (
    SELECT *, round((gross - discount) * vat_percent / 100, 2) AS vat FROM disc
), ins AS (
    INSERT INTO bills (customer_id, operator_id, kind, period_start, service_from, service_to,
                       issued_on, due_date, subtotal, discount, vat_percent, vat, total, paid,
                       status)
    SELECT customer_id, operator_id, 'period', period_start, service_from, period_end,
           CAST(:on AS date), service_from, gross, discount, vat_percent, vat,
           gross - discount + vat, 0,
           CAST(CASE WHEN gross - discount + vat = 0 THEN 'paid' ELSE 'open' END AS bill_status)
    FROM priced
    ON CONFLICT (customer_id, period_start) WHERE kind = 'period' DO NOTHING
    RETURNING id, customer_id, operator_id, period_start, service_from, service_to,
              subtotal, vat, total
), lines AS (
    INSERT INTO bill_lines (bill_id, description, amount)
    SELECT ins.id, p.name || ', ' || ins.service_from || ' to ' || (ins.service_to - 1)
           || CASE WHEN ins.service_from > ins.period_start
                   THEN ' (' || (ins.service_to - ins.service_from) || ' of '
                        || (ins.service_to - ins.period_start) || ' days)' ELSE '' END,
           ins.subtotal
    FROM ins JOIN customers c ON c.id = ins.customer_id JOIN packages p ON p.id = c.package_id
)
-- per operator: what was billed, and the wholesale its renewals cost (a customer's first
-- period was paid for when it was activated)
SELECT ins.operator_id, count(*) AS n, sum(ins.total) AS total, sum(ins.total - ins.vat) AS net,
       sum(ins.vat) AS vat,
       coalesce(sum(p.wholesale_price) FILTER (WHERE o.parent_id IS NOT NULL AND EXISTS (
           SELECT 1 FROM bills pb WHERE pb.customer_id = ins.customer_id AND pb.kind = 'period'
             AND pb.period_start < ins.period_start)), 0) AS wholesale,
       min(o.parent_id) AS parent_id
FROM ins JOIN customers c ON c.id = ins.customer_id JOIN packages p ON p.id = c.package_id
JOIN operators o ON o.id = ins.operator_id
GROUP BY ins.operator_id
"""


def first_wave_billing(session, on: dt.date) -> None:
    """The first wave's run: its statement, each operator's summary rows booked as it booked
    them (renewals' wholesale unchecked), the auto-debit."""
    from rating import ledger, resellers
    from rating.auto_debit import debit_advances
    rows = session.execute(sa.text(FIRST_WAVE_GENERATE_SQL), {
        "on": on, "tz": settings.get().time_zone, "auto_only": True, "path": None, "ids": None,
        "actor": "scheduler"}).all()
    for operator_id, n, total, net, vat, wholesale, parent_id in rows:
        ledger.post(session, "billing_run", f"billing run of {on}: {n} bills",
                    ledger.bill_legs(operator_id, total, net, vat), operator_id=operator_id)
        if wholesale:
            ledger.post(session, "activation", f"billing run of {on}: wholesale for renewals",
                        resellers.activation_legs(operator_id, parent_id, wholesale),
                        operator_id=operator_id)
    if sum(r[1] for r in rows) > 1000:
        session.execute(sa.text("ANALYZE bills"))
    debit_advances(session, on, None, None)


def first_wave_suspension(session, on: dt.date) -> None:
    """The first wave's job: lock the candidates, then its one statement."""
    from rating import jobs
    now = jobs.validity_moment(on)  # the candidates (jobs.OVERDUE) judge validity at it
    session.execute(sa.text(jobs.LOCK_OVERDUE_SQL), {"today": on, "now": now})
    session.execute(sa.text(FIRST_WAVE_SUSPEND_SQL % jobs.OVERDUE),
                    {"today": on, "now": now, "reason": "unpaid"})


def _versus(label: str, unit: str, count: int, ours, baseline, tries: int = 3) -> None:
    """Time both, best of `tries`, and print the ratio. Each rolled-back run leaves the next
    one a table of dead rows to step over, so the very first run is the fastest: both are
    warmed up once untimed, then take turns going first."""
    times: dict[str, list[float]] = {"ours": [], "baseline": []}
    ours(), baseline()
    for i in range(tries):
        pair = (("baseline", baseline), ("ours", ours))
        for key, fn in (pair if i % 2 else pair[::-1]):
            t0 = time.perf_counter()
            fn()
            times[key].append(time.perf_counter() - t0)
    a, b = min(times["ours"]), min(times["baseline"])
    print(f"{label:<36} {a:7.2f} s  {count:>9,} {unit}  first-wave form {b:.2f} s  "
          f"ratio {a / b:.2f}x  (best of {tries}, rolled back)", flush=True)


def run(args) -> int:
    from rating import billing_run, jobs, usage
    url, admin_url, name = _urls()
    n = args.customers
    print(f"rating benchmark: {n:,} customers, {RADACCT_ROWS:,} radacct rows, database {name}")
    _recreate(admin_url, name)
    try:
        migrate.upgrade(url)
        t0 = time.perf_counter()
        _load(url, n)
        print(f"{'load (COPY) and analyze':<36} {time.perf_counter() - t0:7.2f} s")
        factory = db.session_factory(url)

        def rehearsal(work):
            """Do the work in a transaction that is rolled back, so it can be timed again."""
            def go():
                with factory() as s:
                    work(s)
                    s.rollback()
            return go

        def committed(work):
            def go():
                with db.session_scope(url) as s:
                    print(f"  ({work(s)})", flush=True)
            return go

        bill = lambda s: billing_run.generate(s, BILL_DAY)  # noqa: E731

        def first_wave_bill(s):
            first_wave_billing(s, BILL_DAY)
        _versus("monthly billing run (with events)", "bills", n, rehearsal(bill),
                rehearsal(first_wave_bill), tries=4)
        _timed("monthly billing run (rolled back)", "bills", n, rehearsal(bill), tries=3)
        _timed("monthly billing run (committed)", "bills", n, committed(bill))
        _timed("billing run again (bills nobody)", "customers", n, committed(bill))
        late = BILL_DAY + dt.timedelta(days=40)
        _versus("suspension run (lifecycle, events)", "customers", n,
                rehearsal(lambda s: jobs.suspension(s, late)),
                rehearsal(lambda s: first_wave_suspension(s, late)), tries=4)
        _timed("usage rollup, first (rolled back)", "radacct rows", RADACCT_ROWS,
               rehearsal(usage.rollup), tries=3)
        _timed("usage rollup, first (committed)", "radacct rows", RADACCT_ROWS,
               committed(usage.rollup))
        _timed("usage rollup again (incremental)", "radacct rows", RADACCT_ROWS,
               committed(usage.rollup))
        with db.engine(url).connect() as conn:
            bills, total = conn.execute(sa.text("select count(*), sum(total) from bills")).one()
            days = conn.scalar(sa.text("select count(*) from usage_daily"))
            bad = conn.scalar(sa.text("select count(*) from (select transaction_id from"
                                      " ledger_entries group by 1 having sum(amount) <> 0) x"))
        print(f"check: {bills:,} bills totalling {total}, {days:,} usage_daily rows, "
              f"{bad} unbalanced ledger transactions")
    finally:
        db.engine(url).dispose()
        if not args.keep:
            _recreate(admin_url, name, drop_only=True)
    return 0

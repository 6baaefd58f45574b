"""radbill bench custom-fields (issue 17): custom field search and unique checks at --customers
(default 100,000) customers, on a database of its own (dropped unless --keep).

Every customer holds three values (a unique meter number, a choice, a text); the figures are
the median of repeated lookups by one value -- through the GIN jsonb_path_ops index
ix_customers_custom_fields and, for comparison, with it dropped -- the customer list's search
through the registry, and check_many's unique check of 10,000 import rows."""
from __future__ import annotations

import statistics
import time

import sqlalchemy as sa

from benchmarks import scratch
from radbill import db, migrate
from radbill.functions.caller import SYSTEM
from radbill.functions.registry import call, load_all

DB_NAME = "radbill_bench_custom_fields"
LOOKUPS = 200


def load(url: str, n: int) -> int:
    """n customers of one reseller with three custom field values each; the reseller's id."""
    with db.engine(url).begin() as conn:
        conn.execute(sa.text("INSERT INTO operators (name, level, kind, path) VALUES "
                             "('isp', 'group', 'credit', '')"))
        conn.execute(sa.text("UPDATE operators SET path = '/' || id || '/'"))
        op = conn.scalar(sa.text("SELECT id FROM operators"))
        conn.execute(sa.text("INSERT INTO packages (name, rate_down, rate_up, price) "
                             "VALUES ('home', 10000000, 5000000, 500)"))
        for kind, name, extra in (("number", "meter", "is_unique"), ("choice", "tower", "in_list"),
                                  ("text", "landmark", "required")):
            choices = """'["north", "south", "east", "west"]'""" if kind == "choice" else "'[]'"
            conn.execute(sa.text(
                f"INSERT INTO custom_fields (operator_id, name, label, kind, choices, searchable, "
                f"{extra}) VALUES (:op, :name, :name, :kind, CAST({choices} AS jsonb), true, "
                f"{'false' if extra == 'required' else 'true'})"),
                {"op": op, "name": name, "kind": kind})
        conn.execute(sa.text("""
            INSERT INTO customers (username, password, operator_id, package_id, custom_fields)
            SELECT 'cf' || g, 'pw', :op, (SELECT id FROM packages),
                   jsonb_build_object('meter', (1000000 + g)::text,
                                      'tower', (ARRAY['north','south','east','west'])[g % 4 + 1],
                                      'landmark', 'house ' || g || ' road ' || (g % 97))
            FROM generate_series(1, :n) g"""), {"op": op, "n": n})
        conn.execute(sa.text("ANALYZE customers"))
    return op


def median_ms(conn, sql: str, values: list) -> float:
    times = []
    for v in values:
        t0 = time.perf_counter()
        conn.execute(sa.text(sql), {"doc": v}).all()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def run(args) -> int:
    import json
    import random

    from customers import custom_fields as CF
    n = args.customers
    url = scratch.url_of(DB_NAME)
    print(f"custom-fields bench: database {DB_NAME}, {n:,} customers", flush=True)
    scratch.recreate(url)
    try:
        migrate.upgrade(url)
        t0 = time.perf_counter()
        op = load(url, n)
        print(f"  loaded in {time.perf_counter() - t0:.1f} s", flush=True)
        rng = random.Random(17)
        docs = [json.dumps({"meter": str(1000000 + rng.randint(1, n))}) for _ in range(LOOKUPS)]
        sql = "SELECT id FROM customers WHERE custom_fields @> CAST(:doc AS jsonb)"
        with db.engine(url).connect() as conn:
            size = conn.scalar(sa.text(
                "SELECT pg_size_pretty(pg_relation_size('ix_customers_custom_fields'))"))
            plan = "\n".join(r[0] for r in conn.execute(sa.text("EXPLAIN " + sql), {"doc": docs[0]}))
            indexed = median_ms(conn, sql, docs)
        load_all()
        session = db.session_factory(url)()
        try:
            timings = []
            for doc in docs[:50]:
                q = json.loads(doc)["meter"]
                t0 = time.perf_counter()
                rows = call(session, SYSTEM, "customer", {"q": q, "count": "no"}).rows
                timings.append((time.perf_counter() - t0) * 1000)
                assert len(rows) == 1, (q, rows)
            listed = statistics.median(timings)
            batch = [{"meter": str(1000000 + rng.randint(1, 2 * n)), "tower": "north",
                      "landmark": "x"} for _ in range(10_000)]
            t0 = time.perf_counter()
            out = CF.check_many(session, op, batch)
            many = (time.perf_counter() - t0) * 1000
            taken = sum(1 for _v, e in out if "meter" in e)
        finally:
            session.rollback()
            session.close()
        with db.engine(url).begin() as conn:
            conn.execute(sa.text("DROP INDEX ix_customers_custom_fields"))
            t0 = time.perf_counter()
            conn.execute(sa.text("CREATE INDEX ix_customers_custom_fields ON customers "
                                 "USING gin (custom_fields jsonb_path_ops)"))
            build = time.perf_counter() - t0
        with db.engine(url).connect() as conn:
            trans = conn.begin()
            conn.execute(sa.text("DROP INDEX ix_customers_custom_fields"))
            dropped = median_ms(conn, sql, docs[:20])
            trans.rollback()
        print(f"\nradbill bench custom-fields: {n:,} customers, 3 values each (median ms)")
        print(f"  GIN jsonb_path_ops index: {size}, built in {build:.1f} s")
        print(f"  lookup by one value (indexed)          {indexed:8.2f}")
        print(f"  lookup by one value (no index, seq)     {dropped:8.2f}")
        print(f"  customer list search q=<meter> (call)   {listed:8.2f}")
        print(f"  check_many: 10,000 rows, unique meter  {many:8.1f}  ({taken:,} taken)")
        print("  plan: " + plan.replace("\n", "\n        "))
        return 0
    finally:
        if not args.keep:
            scratch.drop(url)

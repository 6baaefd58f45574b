"""customer_last_seen (migration 0037): the post-auth flush's upsert, as the module runs it."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from radbill.models import Customer
from radius_module import queries as Q
from tests.support.factories import make_customer

UTC = dt.timezone.utc


def upsert(conn, seen: dict[int, dt.datetime]) -> None:
    raw = conn.connection.driver_connection  # psycopg, as the module's thread holds it
    with raw.cursor() as cur:
        cur.execute(Q.LAST_SEEN_SETUP)
        cur.execute(Q.LAST_SEEN, (list(seen), list(seen.values())))


def test_last_seen_moves_only_forward_skips_a_deleted_customer_and_reads_as_a_column(session):
    conn = session.connection()
    a = make_customer(session, username="seen-a")
    b = make_customer(session, username="seen-b")
    session.flush()
    noon = dt.datetime(2028, 2, 29, 12, 0, tzinfo=UTC)
    gone = conn.scalar(sa.text("SELECT max(id) + 1000 FROM customers"))  # deleted since authorize
    upsert(conn, {a.id: noon, b.id: noon, gone: noon})
    upsert(conn, {a.id: noon - dt.timedelta(minutes=5),  # another node's older batch
                  b.id: noon + dt.timedelta(minutes=1)})
    assert dict(conn.execute(sa.text(
        "SELECT customer_id, last_seen_at FROM customer_last_seen")).tuples().all()) == {
        a.id: noon, b.id: noon + dt.timedelta(minutes=1)}
    session.expire_all()
    assert session.get(Customer, a.id).last_seen_at == noon
    assert session.scalars(sa.select(Customer.username).where(
        Customer.last_seen_at > noon)).all() == ["seen-b"]
    conn.execute(sa.text("DELETE FROM customers WHERE id = :i"), {"i": b.id})
    assert conn.scalar(sa.text("SELECT count(*) FROM customer_last_seen")) == 1


def test_a_last_seen_update_is_hot_and_touches_no_customer(session):
    """The upsert rewrites a two-column row on a page kept 30% free, not the customer's wide
    row with its 22 indexes (the 15-20 us a customer this table was made to save)."""
    conn = session.connection()
    assert conn.scalar(sa.text(
        "SELECT reloptions FROM pg_class WHERE relname = 'customer_last_seen'")) == ["fillfactor=70"]
    first = make_customer(session, username="seen0")
    session.flush()
    conn.execute(sa.text(
        "INSERT INTO customers (username, password, operator_id, package_id) "
        "SELECT 'seen' || i, 'pw', :o, :p FROM generate_series(1, 999) i"),
        {"o": first.operator_id, "p": first.package_id})
    ids = list(conn.scalars(sa.text("SELECT id FROM customers WHERE username LIKE 'seen%'")))
    t0 = dt.datetime(2026, 12, 31, 23, 59, tzinfo=UTC)
    upsert(conn, dict.fromkeys(ids, t0))

    def counts() -> tuple[int, int, int]:
        return conn.execute(sa.text(
            "SELECT pg_stat_get_xact_tuples_updated('customer_last_seen'::regclass), "
            "pg_stat_get_xact_tuples_hot_updated('customer_last_seen'::regclass), "
            "pg_stat_get_xact_tuples_updated('customers'::regclass)")).one()

    before = counts()
    upsert(conn, dict.fromkeys(ids, t0 + dt.timedelta(minutes=2)))  # into next year
    updated, hot, customers = (x - y for x, y in zip(counts(), before))
    # in one transaction nothing is pruned yet: about 30% of the rows find room on their page
    assert updated == 1000 and hot >= 250 and customers == 0, (updated, hot, customers)

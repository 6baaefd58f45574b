"""The public status page (issue 18): no login; only public checks and announcements; a crowd
within the cache's TTL costs one round of queries (statements counted with a SQLAlchemy event
listener); Bangla for a visitor who asks for it; readable on a phone (a viewport, no tables)."""
from __future__ import annotations

import sqlalchemy as sa

from admin import status_page
from tests.admin.test_bangla_pages import assert_bangla
from tests.support.factories import fn


def _setup(dbs):
    fn(dbs, "check.edit", sok="ok", name="Internet gateway", kind="ping", target="192.0.2.1",
       public="yes", component="Network")
    fn(dbs, "check.edit", sok="ok", name="Billing database", kind="tcp",
       target="10.0.0.5:5432", public="no")
    fn(dbs, "announcement.edit", sok="ok", title="Fibre splicing in Mirpur",
       body="Short outages expected.", starts_at="2030-01-05T02:00", ends_at="2030-01-05T04:00")
    fn(dbs, "announcement.edit", sok="ok", title="Staff only note", public="no")
    dbs.commit()


def test_the_page_shows_public_things_only_without_a_login(client, dbs):
    _setup(dbs)
    status_page.clear()
    resp = client.get("/status")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Internet gateway" in html and "Network" in html
    assert "Billing database" not in html and "Staff only note" not in html
    assert "Fibre splicing in Mirpur" in html and "Planned maintenance" in html
    assert 'name="viewport"' in html and "<script" not in html and "<table" not in html
    assert resp.headers["Cache-Control"] == "public, max-age=30"


def test_a_crowd_within_the_ttl_costs_one_round_of_queries(app, client, dbs, engine):
    _setup(dbs)
    status_page.clear()
    statements = []
    conn = dbs.connection()

    def count(*args):  # the queries (not the test harness's savepoints)
        if not args[2].lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(args[2])
    sa.event.listen(conn, "before_cursor_execute", count)
    try:
        for _ in range(50):
            assert client.get("/status").status_code == 200
        for _ in range(10):
            assert client.get("/status?lang=bn").status_code == 200
    finally:
        sa.event.remove(conn, "before_cursor_execute", count)
    assert 0 < len(statements) <= 5, statements  # one snapshot: checks, hourly, incidents, news, logo
    status_page.clear()
    statements.clear()
    sa.event.listen(conn, "before_cursor_execute", count)
    try:
        client.get("/status")
    finally:
        sa.event.remove(conn, "before_cursor_execute", count)
    assert statements  # after the TTL (cleared here) the next visitor refreshes it


def test_bangla_for_a_visitor_who_asks(client, dbs):
    _setup(dbs)
    status_page.clear()
    page = client.get("/status?lang=bn").get_data(as_text=True)
    assert '<html lang="bn">' in page
    assert_bangla(page, "/status?lang=bn", {"Network", "gateway"})  # the ISP's own names
    # the choice is kept in the cookie; a browser that prefers Bangla gets it too
    assert '<html lang="bn">' in client.get("/status").get_data(as_text=True)
    client.delete_cookie("lang")
    page = client.get("/status", headers={"Accept-Language": "bn-BD,bn;q=0.9,en;q=0.5"})
    assert '<html lang="bn">' in page.get_data(as_text=True)

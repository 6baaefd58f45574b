"""radacct for years (issue 16): monthly partitions, radacct_keys for the unique id across
months, a migration that keeps existing rows, and months archived to files and restored."""
from __future__ import annotations

import datetime as dt
import gzip
import json
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from radbill import archive, db, migrate
from tests.support.scratch_db import radbill_at, scratch_database

UTC = dt.timezone.utc


@pytest.fixture
def scratch(database_url):
    with scratch_database(database_url, "parts") as url:
        yield url


def radbill(url: str, *args: str,
            archive_dir: Path | None = None) -> subprocess.CompletedProcess:
    extra = {"radacct_archive_dir": archive_dir} if archive_dir else {}
    return radbill_at(url, *args, timeout=300, **extra)


def acct(conn, status: str, uid: str, user: str = "alice", nas: str = "10.0.0.1",
         event: dt.datetime | None = None, in_: int = 0, out: int = 0, stime: int = 0) -> int:
    """One record through radbill_acct(), as rlm_sql calls it (radiusd.conf)."""
    event = event or dt.datetime.now(UTC)
    return conn.execute(sa.text(
        "SELECT radbill_acct(:st, :sid, :uid, :user, '', :nas, '', 'Ethernet', :ev, :stime, "
        "'RADIUS', '', :in_, '0', :out, '0', '', '', '', 'Framed-User', 'PPP', '', '', '', '', "
        "'', '')"), {"st": status, "sid": uid, "uid": uid, "user": user, "nas": nas,
                     "ev": str(int(event.timestamp())), "stime": str(stime),
                     "in_": str(in_), "out": str(out)}).scalar()


def partition_of(conn, uid: str) -> str:
    return conn.scalar(sa.text("SELECT tableoid::regclass::text FROM radacct "
                               "WHERE acctuniqueid = :u"), {"u": uid})


def stock_insert(conn, uid: str, start: dt.datetime, stop: dt.datetime | None, user="old",
                 octets: int = 1000) -> None:
    """A row as stock rlm_sql or an import writes it, with its key as radbill_acct keeps it."""
    conn.execute(sa.text(
        "INSERT INTO radacct (acctsessionid, acctuniqueid, username, nasipaddress, acctstarttime,"
        " acctupdatetime, acctstoptime, acctsessiontime, acctinputoctets, acctoutputoctets)"
        " VALUES (:u, :u, :user, '10.0.0.9', :a, :a, :b, 60, :o, :o)"),
        {"u": uid, "user": user, "a": start, "b": stop, "o": octets})
    conn.execute(sa.text("INSERT INTO radacct_keys VALUES (:u, :a)"), {"u": uid, "a": start})


def test_a_database_with_sessions_migrates_to_partitions_keeping_every_row(scratch):
    migrate.upgrade(scratch, "0015")
    now = dt.datetime.now(UTC)
    rows = [("old", now - dt.timedelta(days=400)), ("lastmonth", now - dt.timedelta(days=35)),
            ("recent", now - dt.timedelta(hours=2)), ("open", now - dt.timedelta(minutes=5))]
    with db.engine(scratch).begin() as conn:
        for uid, start in rows:
            conn.execute(sa.text(
                "INSERT INTO radacct (acctsessionid, acctuniqueid, username, nasipaddress,"
                " acctstarttime, acctstoptime, acctinputoctets) VALUES (:u, :u, 'bob', '10.0.0.1',"
                " :a, CASE WHEN :u <> 'open' THEN :a END, 7)"), {"u": uid, "a": start})
        conn.execute(sa.text(
            "INSERT INTO radacct (acctsessionid, acctuniqueid, username, nasipaddress, "
            "acctupdatetime) VALUES ('nostart', 'nostart', 'bob', '10.0.0.1', now())"))
        last_id = conn.scalar(sa.text("SELECT max(radacctid) FROM radacct"))
    r = radbill(scratch, "db", "upgrade")
    assert r.returncode == 0, r.stderr
    r = radbill(scratch, "db", "check")
    assert (r.returncode, r.stderr) == (0, "")
    with db.engine(scratch).begin() as conn:
        assert conn.scalar(sa.text("SELECT relkind FROM pg_class WHERE relname = 'radacct'")) == "p"
        got = dict(conn.execute(sa.text("SELECT acctuniqueid, radacctid FROM radacct")).all())
        assert set(got) == {u for u, _ in rows} | {"nostart"}
        assert max(got.values()) == last_id
        # each month that holds rows has its partition; the key of every session is there
        assert partition_of(conn, "recent") == f"radacct_{now:%Y_%m}"
        assert partition_of(conn, "lastmonth") == \
            f"radacct_{now - dt.timedelta(days=35):%Y_%m}"
        assert partition_of(conn, "old") == f"radacct_{now - dt.timedelta(days=400):%Y_%m}"
        assert conn.scalar(sa.text("SELECT count(*) FROM radacct_keys")) == 5
        ahead = archive.add_months(now.date().replace(day=1), 3)
        assert conn.scalar(sa.text("SELECT to_regclass(:n)"), {"n": f"radacct_{ahead:%Y_%m}"})
        # every month, migrated (0016 made them at 90) or made ahead, keeps room for HOT (0034)
        assert set(conn.scalars(sa.text(
            "SELECT array_to_string(c.reloptions, ',') FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'radacct'::regclass"))) \
            == {"fillfactor=60"}
        # the sequence goes on where it was
        acct(conn, "Start", "fresh")
        assert conn.scalar(sa.text("SELECT radacctid FROM radacct WHERE acctuniqueid = 'fresh'")) \
            > last_id
        # stock readers: radwho-like and daloRADIUS-like SELECTs read across the months
        assert conn.scalar(sa.text("SELECT count(*) FROM radacct WHERE AcctStopTime IS NULL "
                                   "AND UserName = 'bob'")) == 2
        assert conn.scalar(sa.text(
            "SELECT sum(AcctInputOctets) FROM radacct WHERE UserName = 'bob' "
            "AND AcctStartTime > now() - interval '2 years'")) == 7 * 4


def test_accounting_finds_a_session_in_its_month_and_counts_repeats_once(session):
    conn = session.connection()
    now = dt.datetime.now(UTC)
    assert acct(conn, "Start", "p-1", event=now) == 1
    assert partition_of(conn, "p-1") == f"radacct_{now:%Y_%m}"
    acct(conn, "Interim-Update", "p-1", event=now, in_=500, out=900, stime=60)
    acct(conn, "Interim-Update", "p-1", event=now, in_=500, out=900, stime=60)  # retransmit
    acct(conn, "Stop", "p-1", event=now, in_=800, out=1000, stime=120)
    acct(conn, "Stop", "p-1", event=now, in_=800, out=1000, stime=120)  # retransmit
    acct(conn, "Start", "p-1", event=now)  # a Start repeated after the Stop
    assert conn.execute(sa.text(
        "SELECT count(*), sum(acctinputoctets), bool_and(acctstoptime IS NOT NULL) FROM radacct "
        "WHERE acctuniqueid = 'p-1'")).one() == (1, 800, True)
    usage = conn.execute(sa.text(
        "SELECT sum(d_in), sum(d_out) FROM radius_acct_log WHERE uniqueid = 'p-1'")).one()
    assert usage == (800, 1000)
    # a lost Start: the Interim opens the session in the month it started (Acct-Session-Time
    # back from the event), and the key names that month
    acct(conn, "Interim-Update", "p-2", event=now, in_=10, stime=3600)
    start = conn.scalar(sa.text("SELECT acctstarttime FROM radacct_keys WHERE acctuniqueid = 'p-2'"))
    assert start == conn.scalar(sa.text(
        "SELECT acctstarttime FROM radacct WHERE acctuniqueid = 'p-2'"))
    assert abs((start - (now - dt.timedelta(seconds=3600))).total_seconds()) < 2


def test_an_interim_update_is_a_hot_update(session):
    """Fillfactor 60 (migration 0034) leaves room on the page for the row's next version: such
    an Interim adds no entry to any of radacct's indexes (a Stop changes indexed acctstoptime)."""
    conn = session.connection()
    now = dt.datetime.now(UTC)
    month = conn.scalar(sa.text("SELECT radbill_radacct_partition(:m)"),
                        {"m": now.date() + dt.timedelta(days=400)})
    assert conn.scalar(sa.text("SELECT reloptions FROM pg_class WHERE relname = :n"),
                       {"n": month}) == ["fillfactor=60"]
    part = f"radacct_{now:%Y_%m}"

    def hot() -> tuple[int, int]:
        return conn.execute(sa.text(
            "SELECT pg_stat_get_xact_tuples_updated(CAST(:p AS regclass)), "
            "pg_stat_get_xact_tuples_hot_updated(CAST(:p AS regclass))"), {"p": part}).one()

    for i in range(60):  # three pages' worth
        acct(conn, "Start", f"hot-{i}", event=now)
    before = hot()
    for i in range(60):
        acct(conn, "Interim-Update", f"hot-{i}", event=now, in_=500, out=900, stime=60)
    updated, hot_updated = (a - b for a, b in zip(hot(), before))
    # in one transaction no old version can be pruned yet: 40 of 60 at fillfactor 60, 10 at 90
    assert updated == 60 and hot_updated >= 36, (updated, hot_updated)


def test_a_usage_counter_update_is_a_hot_update(session):
    """Fillfactor 70 (migration 0035): a drain's update of a customer's counters finds room on
    its page, so it adds no entry to the primary key (at 100 a full page sends it elsewhere)."""
    conn = session.connection()
    assert conn.scalar(sa.text("SELECT reloptions FROM pg_class WHERE relname = 'usage_counters'")
                       ) == ["fillfactor=70"]
    from tests.support.factories import make_customer
    first = make_customer(session, username="hot0")
    session.flush()
    conn.execute(sa.text(  # 999 more beside it, in bulk
        "INSERT INTO customers (username, password, operator_id, package_id) "
        "SELECT 'hot' || i, 'pw', :o, :p FROM generate_series(1, 999) i"),
        {"o": first.operator_id, "p": first.package_id})
    conn.execute(sa.text(
        "INSERT INTO usage_counters (customer_id, cycle_start, bytes_in, bytes_out, session_time) "
        "SELECT id, current_date, 1, 1, 1 FROM customers WHERE username LIKE 'hot%'"))

    def counts() -> tuple[int, int]:
        return conn.execute(sa.text(
            "SELECT pg_stat_get_xact_tuples_updated('usage_counters'::regclass), "
            "pg_stat_get_xact_tuples_hot_updated('usage_counters'::regclass)")).one()

    before = counts()
    conn.execute(sa.text("UPDATE usage_counters SET bytes_in = bytes_in + 1"))
    updated, hot_updated = (a - b for a, b in zip(counts(), before))
    # in one transaction nothing is pruned yet: about 30% of 1,000 fit at 70, a few at 100
    assert updated == 1000 and hot_updated >= 250, (updated, hot_updated)


def test_a_unique_id_stays_unique_across_months_and_nas(session):
    conn = session.connection()
    now = dt.datetime.now(UTC)
    old = archive.add_months(now.date().replace(day=1), -14)
    conn.scalar(sa.text("SELECT radbill_radacct_partition(:m)"), {"m": old})
    stock_insert(conn, "twice", dt.datetime(old.year, old.month, 10, tzinfo=UTC),
                 dt.datetime(old.year, old.month, 10, 1, tzinfo=UTC))
    # the same unique id now: the session of 14 months ago is closed; counters only grow, so
    # the packet changes nothing and no second session appears in this month
    acct(conn, "Stop", "twice", nas="10.0.0.9", event=now, in_=5, stime=30)
    assert conn.scalar(sa.text("SELECT count(*) FROM radacct WHERE acctuniqueid = 'twice'")) == 1
    # another NAS reproducing the id is refused, with the reason, and nothing changes
    acct(conn, "Interim-Update", "twice", nas="10.0.0.1", event=now, in_=10 ** 9)
    assert conn.scalar(sa.text("SELECT count(*) FROM radacct WHERE acctuniqueid = 'twice'")) == 1
    assert "belongs to another NAS" in conn.scalar(sa.text(
        "SELECT reason FROM radpostauth WHERE reply = 'Accounting-Refused' ORDER BY id DESC"))


def test_a_month_made_later_takes_its_rows_out_of_the_default_partition(session):
    conn = session.connection()
    far = dt.datetime(2031, 5, 17, tzinfo=UTC)
    stock_insert(conn, "future", far, None)
    assert partition_of(conn, "future") == "radacct_default"
    made = archive.ensure_partitions(conn, dt.date(2031, 5, 3), since=dt.date(2031, 4, 1),
                                     ahead=1)
    assert made == ["radacct_2031_04", "radacct_2031_05", "radacct_2031_06"]
    assert partition_of(conn, "future") == "radacct_2031_05"
    assert archive.ensure_partitions(conn, dt.date(2031, 5, 3), since=dt.date(2031, 4, 1),
                                     ahead=1) == []
    # the month's bounds are UTC midnights, whatever the session's zone
    conn.execute(sa.text("SET LOCAL TimeZone = 'Asia/Dhaka'"))
    assert conn.scalar(sa.text(
        "SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = 'radacct_2031_05'")
    ) == "FOR VALUES FROM ('2031-05-01 06:00:00+06') TO ('2031-06-01 06:00:00+06')"


def test_old_months_are_archived_listed_and_restored(committed, tmp_path, database_url):
    url = database_url
    now = dt.datetime.now(UTC)
    month = archive.add_months(now.date().replace(day=1), -15)
    held = archive.add_months(now.date().replace(day=1), -14)
    with db.engine(url).begin() as conn:
        for m in (month, held):
            conn.scalar(sa.text("SELECT radbill_radacct_partition(:m)"), {"m": m})
        for i in range(250):
            start = dt.datetime(month.year, month.month, 1 + i % 28, i % 24, tzinfo=UTC)
            stock_insert(conn, f"arch-{i}", start, start + dt.timedelta(minutes=30),
                         user="wei,\"quoted\"\nline" if i == 7 else "old", octets=i)
        stock_insert(conn, "held-open", dt.datetime(held.year, held.month, 3, tzinfo=UTC), None)
        stock_insert(conn, "recent", now - dt.timedelta(hours=1), now)
    r = radbill(url, "archive", "run", "--keep-months", "13", archive_dir=tmp_path)
    assert r.returncode == 0, r.stderr
    assert f"{month:%Y-%m}: 250 rows archived to radacct-{month:%Y-%m}.csv.gz" in r.stdout
    assert f"{held:%Y-%m}: held, 1 session(s) still open" in r.stdout
    with db.engine(url).connect() as conn:
        assert conn.scalar(sa.text("SELECT to_regclass(:n)"), {"n": f"radacct_{month:%Y_%m}"}) \
            is None
        assert conn.scalar(sa.text("SELECT count(*) FROM radacct_keys WHERE acctuniqueid "
                                   "LIKE 'arch-%'")) == 0
        assert conn.scalar(sa.text("SELECT count(*) FROM radacct WHERE acctuniqueid IN "
                                   "('held-open', 'recent')")) == 2
    manifest = json.loads((tmp_path / f"radacct-{month:%Y-%m}.json").read_text())
    assert manifest["rows"] == 250 and manifest["columns"][0] == "radacctid"
    assert manifest["sha256"] == archive.sha256(tmp_path / f"radacct-{month:%Y-%m}.csv.gz")
    with gzip.open(tmp_path / f"radacct-{month:%Y-%m}.csv.gz", "rt") as f:
        assert f.readline().startswith("radacctid,acctsessionid,acctuniqueid,username,")
    # running again does nothing twice
    r = radbill(url, "archive", "run", "--keep-months", "13", archive_dir=tmp_path)
    assert r.returncode == 0 and "rows archived" not in r.stdout, r.stdout
    r = radbill(url, "archive", "list", archive_dir=tmp_path)
    assert r.returncode == 0, r.stderr
    assert f"{month:%Y-%m}" in r.stdout and "250 rows" in r.stdout
    assert f"{held:%Y-%m}" in r.stdout and "1 open" in r.stdout
    # restore for an audit: the same rows, the awkward value intact
    r = radbill(url, "archive", "restore", f"{month:%Y-%m}", archive_dir=tmp_path)
    assert r.returncode == 0, r.stderr
    assert f"restored 250 rows of {month:%Y-%m} into radacct_restored_{month:%Y_%m}" in r.stdout
    with db.engine(url).connect() as conn:
        table = f"radacct_restored_{month:%Y_%m}"
        assert conn.execute(sa.text(f"SELECT count(*), sum(acctinputoctets) FROM {table}")).one() \
            == (250, sum(range(250)))
        assert conn.scalar(sa.text(f"SELECT username FROM {table} WHERE acctuniqueid = 'arch-7'")) \
            == "wei,\"quoted\"\nline"
        assert conn.scalar(sa.text("SELECT count(*) FROM radacct WHERE acctuniqueid LIKE 'arch-%'")) \
            == 0  # live reports are not touched by the audit copy
    assert migrate.pending_model_changes(url) == []
    r = radbill(url, "archive", "restore", f"{month:%Y-%m}", archive_dir=tmp_path)
    assert r.returncode == 1 and "exists already" in r.stderr
    r = radbill(url, "archive", "drop", f"{month:%Y-%m}", archive_dir=tmp_path)
    assert r.returncode == 0, r.stderr
    # a file that changed is refused, naming it; a bad month names the argument
    path = tmp_path / f"radacct-{month:%Y-%m}.csv.gz"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    r = radbill(url, "archive", "restore", f"{month:%Y-%m}", archive_dir=tmp_path)
    assert r.returncode == 1 and "does not match the SHA-256" in r.stderr
    for bad in ("2025-13", "last month", "2025-1"):
        r = radbill(url, "archive", "restore", bad, archive_dir=tmp_path)
        assert r.returncode == 1 and "month:" in r.stderr and "YYYY-MM" in r.stderr
    r = radbill(url, "archive", "restore", "1999-01", archive_dir=tmp_path)
    assert r.returncode == 1 and "not archived" in r.stderr


def test_the_partition_job_runs_once_and_makes_months_ahead(committed, monkeypatch, tmp_path):
    from radbill import jobs, settings
    # this database's months are years older than the job's day: keep them (no archiving)
    monkeypatch.setenv("RADBILL_RADACCT_KEEP_MONTHS", "0")
    monkeypatch.setenv("RADBILL_RADACCT_ARCHIVE_DIR", str(tmp_path))
    settings.get.cache_clear()
    on = dt.date(2032, 2, 29)  # a leap day, years ahead
    result = jobs.run("radacct_partitions", on=on)
    assert "radacct_2032_05" in result
    with db.engine().connect() as conn:
        names = {p.name for p in archive.partitions(conn)}
    assert {"radacct_2032_02", "radacct_2032_03", "radacct_2032_04", "radacct_2032_05"} <= names
    assert "partitions ready" in jobs.run("radacct_partitions", on=on)
    assert list(tmp_path.iterdir()) == []
    settings.get.cache_clear()

"""The configuration, several FreeRADIUS processes staying coherent, NAS clients from the
database, the listener dying, mass changes, and a clean shutdown losing no log row."""
from __future__ import annotations

import json
import time

import psycopg
import pytest
import sqlalchemy as sa
from pyrad import packet
from sqlalchemy.orm import Session

from tests.support.factories import fn, make_customer, make_package
from radbill import radiusconf, settings
from tests.support.radius_helpers import RadiusServer, auth, eventually, message

pytestmark = pytest.mark.integration
HOME = [("Acct-Interim-Interval", "300"), ("Mikrotik-Rate-Limit", "5M/10M")]


@pytest.fixture(scope="module")
def pair(database_url, tmp_path_factory):
    """Two FreeRADIUS processes on the same database, as behind a NAS's primary/secondary."""
    servers = [RadiusServer(tmp_path_factory.mktemp(f"radius-{n}")).start() for n in "ab"]
    yield servers
    for srv in servers:
        assert srv.stop() == 0, srv.output()[-3000:]


@pytest.fixture
def db(committed, pair):
    with Session(committed, expire_on_commit=False) as s:
        fn(s, "nas.edit", sok="ok", name="lo", ip="127.0.0.1", secret="testing123")
        make_package(s, name="Home", rate_down="10M", rate_up="5M")
        make_customer(s, username="alice", password="pw", package="Home")
        s.commit()
        for srv in pair:
            assert eventually(lambda: auth(srv, "alice", "pw") == ("Access-Accept", HOME))
        yield s


def dsn() -> str:
    return radiusconf.conninfo(settings.get().psycopg_dsn)


def test_radbill_radius_config_renders_a_directory_freeradius_accepts(cli, tmp_path):
    proc = cli("radius", "config", str(tmp_path / "conf"), "--check")
    assert proc.returncode == 0, proc.stderr
    assert "configuration OK" in proc.stdout
    assert (tmp_path / "conf" / "radiusd.conf").stat().st_mode & 0o077 == 0


def test_radbill_up_runs_freeradius_in_the_foreground(tmp_path):
    s = settings.from_env({"RADBILL_RADIUS_DIR": str(tmp_path), "RADBILL_RADIUS_AUTH_PORT": "11812",
                           "RADBILL_RADIUS_ACCT_PORT": "11813"})
    [(name, argv, listens)] = radiusconf.processes(s)
    assert name == "radius" and argv[1:] == ["-f", "-l", "stdout", "-d", str(tmp_path)]
    assert ":11812" in listens and ":11813" in listens
    assert "port = 11812" in (tmp_path / "radiusd.conf").read_text()


def test_every_process_sees_a_change_within_a_second(pair, db):
    fn(db, "customer.suspend", elid="alice")
    db.commit()
    committed = time.monotonic()
    for srv in pair:
        assert eventually(lambda: "Mikrotik-Address-List" in dict(auth(srv, "alice", "pw")[1]),
                          timeout=1.0, every=0.005)
    assert time.monotonic() - committed < 1.0


def test_a_session_opened_on_one_process_counts_on_the_other(pair, db):
    a, b = pair
    c = a.client()
    start = c.CreateAcctPacket(User_Name="alice", Acct_Status_Type="Start", Acct_Session_Id="x1",
                               NAS_IP_Address="127.0.0.1")
    assert c.SendPacket(start).code == packet.AccountingResponse
    assert eventually(lambda: auth(b, "alice", "pw")[0] == "Access-Reject")
    assert "session(s) online" in message(auth(b, "alice", "pw")[1])


def test_a_nas_added_in_radbill_is_a_client_without_a_restart(pair, db):
    fn(db, "nas.edit", sok="ok", name="new", ip="127.0.0.3", secret="other-secret")
    db.commit()
    a = pair[0]
    c = a.client(source="127.0.0.3", secret=b"other-secret", timeout=1.0, retries=2)
    req = c.CreateAuthPacket(code=packet.AccessRequest, User_Name="alice")
    req["User-Password"] = req.PwCrypt("pw")
    assert c.SendPacket(req).code == packet.AccessAccept


def test_a_dead_listener_reconnects_and_reloads(pair, db):
    with psycopg.connect(dsn(), autocommit=True) as conn:
        killed = conn.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                              "WHERE query = 'LISTEN radbill_radius' "
                              "AND datname = current_database()").fetchone()[0]
    assert killed == len(pair)
    fn(db, "customer.disable", elid="alice")
    db.commit()
    for srv in pair:
        assert eventually(lambda: message(auth(srv, "alice", "pw")[1]) == "account disabled",
                          timeout=5)
        assert "reconnecting" in srv.output()


def test_a_mass_change_sends_one_reload_and_last_seen_sends_nothing(db):
    pkg = db.execute(sa.text("select id, operator_id from packages")).one()
    op = db.execute(sa.text("select operator_id from customers")).scalar()
    db.execute(sa.text("insert into customers (username, password, operator_id, package_id) "
                       "select 'm' || g, 'pw', :op, :pkg from generate_series(1, 1500) g"),
               {"op": op, "pkg": pkg.id})
    db.commit()
    with psycopg.connect(dsn(), autocommit=True) as listen:
        listen.execute("LISTEN radbill_radius")
        with psycopg.connect(dsn()) as conn:
            conn.execute("update customers set notes = 'x' where username like 'm%'")
            conn.commit()
            conn.execute("update customers set notes = 'y' where username in ('m1', 'm2')")
            conn.commit()
            conn.execute("update customers set updated_at = now()")  # no one's business
            conn.execute("insert into customer_last_seen select id, now() from customers "
                         "on conflict (customer_id) do update set last_seen_at = now()")
            conn.commit()
        got = [json.loads(n.payload) for n in listen.notifies(timeout=1.0)]
    got = [g for g in got if g["t"] != "sessions"]
    assert got[0] == {"t": "customers", "reload": True}
    assert got[1]["t"] == "customers" and len(got[1]["k"]) == 2
    assert len(got) == 2


def test_a_clean_shutdown_writes_every_buffered_log_row(db, tmp_path):
    """The post-auth buffer is only a log, but detach (SIGTERM) still writes all of it."""
    srv = RadiusServer(tmp_path / "slow", flush_seconds=60).start()
    try:
        assert eventually(lambda: auth(srv, "alice", "pw")[0] == "Access-Accept")
        for _ in range(50):
            auth(srv, "alice", "pw", Calling_Station_Id="shutdown-test")
        time.sleep(0.3)
        assert count() == 0  # still buffered: the flush is 60 s away
    finally:
        assert srv.stop() == 0
    assert count() == 50


def count() -> int:
    with psycopg.connect(dsn()) as conn:
        return conn.execute("select count(*) from radpostauth "
                            "where callingstationid = 'shutdown-test'").fetchone()[0]

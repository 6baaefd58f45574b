"""Accounting's inbox (issue 16, migration 0033): rlm_sql stores each record in
radius_acct_inbox and is answered; radbill_drain() applies the rows in order with radbill_acct().
The FreeRADIUS path is in tests/radius/test_accounting.py; here the drain on its own: records
in one batch keep their order, a record drained late keeps its own time, and a record
radbill_acct() cannot take is refused without holding back the others."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

UTC = dt.timezone.utc


def record(status: str, uid: str, event: dt.datetime | str, seconds: int = 0,
           octets: int = 0, cause: str = "") -> list[str]:
    """radbill_acct()'s 27 arguments as radiusd.conf's INSERT writes them."""
    when = event if isinstance(event, str) else str(int(event.timestamp()))
    return [status, uid, uid, "alice", "", "10.0.0.1", "7", "Ethernet", when,
            str(seconds) if seconds else "", "RADIUS", "", str(octets) if octets else "", "",
            str(octets * 3) if octets else "", "", "", "", cause, "Framed-User", "PPP", "", "",
            "", "", "", ""]


def inbox(session, fields: list[str], at: dt.datetime | None = None) -> None:
    session.execute(sa.text(
        "INSERT INTO radius_acct_inbox (fields, at) VALUES (:f, coalesce(:at, now()))"),
        {"f": fields, "at": at})


def drain(session) -> int:
    return session.execute(sa.text("SELECT radbill_drain()")).scalar()


def sessions(session) -> list[tuple]:
    return [tuple(r) for r in session.execute(sa.text(
        "SELECT acctuniqueid, acctstarttime, acctstoptime IS NOT NULL, acctinputoctets, "
        "acctsessiontime, acctterminatecause FROM radacct ORDER BY acctuniqueid"))]


def waiting(session) -> int:
    return session.execute(sa.text("SELECT count(*) FROM radius_acct_inbox")).scalar()


def test_a_session_s_records_in_one_batch_are_applied_in_order(session):
    now = dt.datetime.now(UTC).replace(microsecond=0)
    inbox(session, record("Start", "u1", now - dt.timedelta(seconds=600)))
    inbox(session, record("Interim-Update", "u1", now - dt.timedelta(seconds=300), 300, 1000))
    inbox(session, record("Interim-Update", "u1", now - dt.timedelta(seconds=300), 300, 1000))
    inbox(session, record("Stop", "u1", now, 600, 5000, "User-Request"))
    assert drain(session) == 3  # the log's rows: open, use, close (the retransmit adds nothing)
    assert waiting(session) == 0
    assert sessions(session) == [
        ("u1", now - dt.timedelta(seconds=600), True, 5000, 600, "User-Request")]
    assert drain(session) == 0


def test_a_record_drained_late_keeps_the_time_it_arrived_with(session):
    """A NAS's Event-Timestamp more than a day before `now()` is taken for a broken clock;
    a record that waited in the inbox (every RADIUS node down for two days) is judged by the
    time it arrived instead."""
    arrived = dt.datetime.now(UTC).replace(microsecond=0) - dt.timedelta(days=2)
    inbox(session, record("Start", "late", arrived - dt.timedelta(seconds=60)), at=arrived)
    inbox(session, record("Start", "broken", arrived - dt.timedelta(days=3)), at=arrived)
    drain(session)
    rows = {r[0]: r[1] for r in sessions(session)}
    assert rows["late"] == arrived - dt.timedelta(seconds=60)
    assert rows["broken"] == arrived  # clamped to its arrival, as on the day


def test_a_record_radbill_acct_cannot_take_is_refused_and_the_others_applied(session):
    now = dt.datetime.now(UTC).replace(microsecond=0)
    inbox(session, record("Start", "good1", now))
    inbox(session, record("Start", "bad", "soon"))  # Event-Timestamp that is no number
    inbox(session, record("Stop", "good1", now, 60, 700, "Lost-Carrier"))
    inbox(session, record("Start", "good2", now))
    drain(session)
    assert waiting(session) == 0
    assert [(r[0], r[2]) for r in sessions(session)] == [("good1", True), ("good2", False)]
    reply, reason = session.execute(sa.text(
        "SELECT reply, reason FROM radpostauth WHERE username = 'alice'")).one()
    assert reply == "Accounting-Refused"
    assert reason.startswith("Start from NAS 10.0.0.1 not recorded: radbill_acct failed:")
    assert "soon" in reason


def test_the_drain_takes_at_most_ten_thousand_records_a_call(session):
    now = dt.datetime.now(UTC).replace(microsecond=0)
    session.execute(sa.text(
        "INSERT INTO radius_acct_inbox (fields) SELECT :f FROM generate_series(1, 10005)"),
        {"f": record("Interim-Update", "many", now, 60, 10)})
    drain(session)
    assert waiting(session) == 5
    drain(session)
    assert waiting(session) == 0
    assert sessions(session)[0][3] == 10


def test_the_log_is_unlogged_and_empty_after_every_drain(session):
    """radius_acct_log never holds a row at a commit of the drain (each record's row is read
    back into the counters in the same transaction), which is what makes it safe UNLOGGED."""
    assert session.execute(sa.text(
        "SELECT relpersistence FROM pg_class WHERE relname = 'radius_acct_log'")).scalar() == "u"
    now = dt.datetime.now(UTC).replace(microsecond=0)
    for kind, seconds, octets in (("Start", 0, 0), ("Interim-Update", 60, 10), ("Stop", 90, 20)):
        inbox(session, record(kind, "log-1", now, seconds, octets))
        inbox(session, record(kind, "log-2", now, seconds, octets))
        assert drain(session) >= 2
        assert session.execute(sa.text("SELECT count(*) FROM radius_acct_log")).scalar() == 0
    # one batch holding a whole session (the one-at-a-time path) leaves it empty too
    for kind, seconds, octets in (("Start", 0, 0), ("Interim-Update", 60, 10), ("Stop", 90, 20)):
        inbox(session, record(kind, "log-3", now, seconds, octets))
    assert drain(session) == 3  # the log rows it read: the session's open, use and close
    assert session.execute(sa.text("SELECT count(*) FROM radius_acct_log")).scalar() == 0


def test_the_drain_never_compiles_with_jit(session):
    """The inbox's statistics often count rows long drained, which put the batch's DELETE above
    jit_above_cost: 12 ms of compiling a batch. Both functions run with JIT off, whatever the
    server's setting."""
    for name in ("radbill_drain", "radbill_acct_apply"):
        config = session.execute(sa.text(
            "SELECT proconfig FROM pg_proc WHERE proname = :n"), {"n": name}).scalar_one()
        assert "jit=off" in config, (name, config)


def apply(session) -> list[str]:
    """radbill_acct_apply() on its own (the log stays for the test to read); returns its
    DEBUG and WARNING lines."""
    seen: list[str] = []
    raw = session.connection().connection.driver_connection
    handler = lambda diag: seen.append(diag.message_primary)  # noqa: E731
    raw.add_notice_handler(handler)
    try:
        session.execute(sa.text("SET LOCAL client_min_messages = debug1"))
        session.execute(sa.text("SELECT radbill_acct_apply()"))
        session.execute(sa.text("SET LOCAL client_min_messages = notice"))
    finally:
        raw.remove_notice_handler(handler)
    return [m for m in seen if "radbill_acct_apply" in m]


SCRIPT = [  # (status, seconds after the start, session time, octets, cause, framed IP)
    ("Start", 0, 0, 0, "", "100.64.0.9"),
    ("Interim-Update", 300, 300, 1000, "", "100.64.0.9"),
    ("Interim-Update", 600, 600, 5 * 2**32 + 7, "", "100.64.0.10"),   # gigawords, a new address
    ("Interim-Update", 450, 450, 3000, "", ""),                       # late: lowers nothing
    ("Stop", 900, 900, 6 * 2**32, "Lost-Carrier", ""),
    ("Interim-Update", 950, 950, 7 * 2**32, "", ""),                  # after the Stop
    ("Stop", 960, 960, 7 * 2**32, "User-Request", ""),                # a second Stop
]


def scripted(status, uid, start, after, stime, octets, cause, ip) -> list[str]:
    f = record(status, uid, start + dt.timedelta(seconds=after), stime, 0, cause)
    f[1] = "sess-1"                                              # the same Acct-Session-Id
    f[4], f[16], f[17] = "realm.example", "bras-1", "aa:bb:cc:dd:ee:ff"
    f[22], f[23], f[24] = "2001:db8::9", "2001:db8:1::/64", "::1:2"
    f[25], f[26] = "2001:db8:2::/56", "0x61693a"                 # Delegated-IPv6-Prefix, Class
    f[12], f[13] = str(octets % 2**32), str(octets >> 32)       # Acct-Input-Octets/Gigawords
    f[14], f[15] = str(octets % 2**32), str(octets >> 32)       # Acct-Output-...
    f[21] = ip                                                   # Framed-IP-Address
    f[11] = "connect-" + status                                  # Connect-Info
    return f


def test_the_one_statement_path_writes_what_radbill_acct_writes(session):
    """A Start, Interim or Stop alone in its batch is applied by a set-based statement; the same
    records through radbill_acct() one by one must leave the same radacct row and log rows."""
    start = dt.datetime.now(UTC).replace(microsecond=0) - dt.timedelta(hours=1)
    for step in SCRIPT:
        session.execute(sa.text(
            "SELECT radbill_acct(" + ", ".join(f":a{i}" for i in range(27)) + ")"),
            {f"a{i}": v for i, v in enumerate(scripted(step[0], "one-by-one", start, *step[1:]))})
        inbox(session, scripted(step[0], "batched", start, *step[1:]))
        said = apply(session)
        assert said == ["radbill_acct_apply: 1 of 1 records in one statement"], (step, said)
    cols = ("acctsessionid, realm, nasportid, nasporttype, acctstarttime, acctupdatetime, "
            "acctstoptime, acctsessiontime, acctinterval, acctauthentic, acctinputoctets, "
            "acctoutputoctets, calledstationid, callingstationid, acctterminatecause, "
            "servicetype, framedprotocol, connectinfo_start, connectinfo_stop, "
            "host(framedipaddress), framedipv6address, framedipv6prefix, framedinterfaceid, "
            "delegatedipv6prefix, class, username, nasipaddress")
    rows = {uid: tuple(session.execute(sa.text(
        f"SELECT {cols} FROM radacct WHERE acctuniqueid = :u"), {"u": uid}).one())
        for uid in ("one-by-one", "batched")}
    assert rows["batched"] == rows["one-by-one"]
    assert rows["batched"][6] == start + dt.timedelta(seconds=900)  # the first Stop's time
    logs = {uid: [tuple(r) for r in session.execute(sa.text(
        "SELECT kind, d_in, d_out, d_time FROM radius_acct_log WHERE uniqueid = :u ORDER BY id"),
        {"u": uid})] for uid in ("one-by-one", "batched")}
    assert logs["batched"] == logs["one-by-one"]
    # the late Interim adds nothing; after the Stop, more octets and then more seconds are use
    assert [k for k, *_ in logs["batched"]] == ["open", "use", "use", "close", "use", "use"]


def test_a_start_whose_session_is_there_goes_the_long_way(session):
    """A repeated Start (the session is already in radacct) is not one the set-based insert
    takes: radbill_acct accounts it as an update, as stock's ON CONFLICT does."""
    now = dt.datetime.now(UTC).replace(microsecond=0)
    inbox(session, record("Start", "again", now - dt.timedelta(seconds=60)))
    assert apply(session) == ["radbill_acct_apply: 1 of 1 records in one statement"]
    inbox(session, record("Start", "again", now, 60, 900))  # repeated, with usage
    inbox(session, record("Start", "fresh", now))
    assert apply(session) == ["radbill_acct_apply: 1 of 2 records in one statement"]
    rows = {r[0]: r for r in sessions(session)}
    assert rows["again"][1:4] == (now - dt.timedelta(seconds=60), False, 900)
    assert rows["fresh"][1:3] == (now, False)
    assert session.execute(sa.text(
        "SELECT count(*) FROM radacct_keys WHERE acctuniqueid IN ('again', 'fresh')")).scalar() == 2


def test_a_record_the_statement_cannot_take_sends_the_batch_one_at_a_time(session):
    now = dt.datetime.now(UTC).replace(microsecond=0)
    inbox(session, record("Start", "s1", now - dt.timedelta(seconds=60)))
    apply(session)
    inbox(session, record("Interim-Update", "s1", now, 60, 500))
    inbox(session, record("Interim-Update", "s2", "later", 60, 500))  # no Start, no number
    said = apply(session)
    assert said[-1].startswith(
        "radbill_acct_apply: 2 records again one at a time: invalid input syntax"), said
    assert sessions(session)[0][3] == 500  # s1 applied all the same

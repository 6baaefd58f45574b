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

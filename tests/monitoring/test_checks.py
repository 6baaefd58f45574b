"""Status checks as staff use them (issue 18): validation naming each field, a reseller who
cannot see or change another's checks and incidents nor aim at private addresses nor publish,
a check made for every new router and OLT (and gone with it), overlap protection, the rollup
run twice giving the same rows, uptime across a month end."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from monitoring import checks, rollup
from radbill.functions.registry import AccessDenied, FuncError, NotFound
from radbill.models import Check, CheckHourly, CheckResult, Incident
from tests.support.check_targets import TcpTarget
from tests.support.factories import fn

UTC = dt.timezone.utc


def test_every_bad_field_is_named(session, tree):
    with pytest.raises(FuncError) as err:
        fn(session, "check.edit", sok="ok", name="x", kind="smtp", target="a", interval="15",
           failures="0", timeout="60", expect_status="999", record_type="SRV")
    assert set(err.value.errors) >= {"kind", "interval", "failures", "timeout",
                                     "expect_status", "record_type"}
    for kind, target, why in (("http", "ftp://x.example.com/", "http"),
                              ("http", "http://u:p@example.com/", "password"),
                              ("tcp", "example.com", "port"),
                              ("ping", "exa mple.com; rm -rf /", "host name"),
                              ("tls", "example.com:99999", "65535")):
        with pytest.raises(FuncError) as err:
            fn(session, "check.edit", sok="ok", name="x", kind=kind, target=target)
        assert err.value.field == "target" and why in err.value.errors["target"]


def test_a_reseller_sees_and_changes_only_its_own(session, tree):
    isp, a, b, ua, ub, noc = tree
    mine = fn(session, "check.edit", ua, sok="ok", name="A web", kind="http",
              target="https://a.example.com/").elid
    theirs = fn(session, "check.edit", ub, sok="ok", name="B web", kind="http",
                target="https://b.example.com/").elid
    assert [r["name"] for r in fn(session, "check", ua).rows] == ["A web"]
    assert {r["name"] for r in fn(session, "check", noc).rows} == {"A web", "B web"}
    with pytest.raises(NotFound):
        fn(session, "check.edit", ua, sok="ok", elid=str(theirs), name="mine now")
    with pytest.raises(AccessDenied):
        fn(session, "check.edit", ua, sok="ok", name="sneaky", kind="ping",
           target="example.com", operator="resB")
    fn(session, "check.delete", ua, elid=str(theirs))  # nothing of its own matched: no-op
    assert session.get(Check, theirs) is not None
    session.add(Incident(check_id=theirs, operator_id=b.id, opened_at=dt.datetime.now(UTC)))
    session.flush()
    assert fn(session, "incident", ua).rows == []
    [inc] = fn(session, "incident", ub).rows
    with pytest.raises(FuncError):
        fn(session, "incident.ack", ua, elid=str(inc["id"]), note="on it")
    with pytest.raises(FuncError) as err:
        fn(session, "incident.ack", ub, elid=str(inc["id"]))
    assert err.value.field == "note"
    fn(session, "incident.ack", ub, elid=str(inc["id"]), note="truck rolled")
    assert fn(session, "incident", ub).rows[0]["ack_note"] == "truck rolled"
    assert session.get(Check, mine).operator_id == a.id


def test_a_reseller_may_not_aim_at_private_addresses_nor_publish(session, tree):
    isp, a, b, ua, ub, noc = tree
    for target in ("http://10.0.0.1/", "http://127.0.0.1:8080/", "http://[::1]/",
                   "http://169.254.169.254/latest/meta-data/"):
        with pytest.raises(FuncError) as err:
            fn(session, "check.edit", ua, sok="ok", name="scan", kind="http", target=target)
        assert "private" in err.value.errors["target"]
    with pytest.raises(AccessDenied) as err:
        fn(session, "check.edit", ua, sok="ok", name="pub", kind="ping", target="example.com",
           public="yes")
    assert err.value.field == "public"
    with pytest.raises(AccessDenied):
        fn(session, "announcement.edit", ua, sok="ok", title="Free internet!", public="yes")
    # the ISP's own NOC watches its private network; names are checked when resolved
    fn(session, "check.edit", noc, sok="ok", name="core", kind="ping", target="10.0.0.1",
       public="yes")
    sneaky = fn(session, "check.edit", ua, sok="ok", name="lo", kind="ping",
                target="localhost").elid
    checks.run_due(session, ids=[sneaky])
    assert "private address" in session.get(Check, sneaky).last_error


def test_a_check_for_every_new_router_and_olt(session, tree):
    fn(session, "nas.edit", sok="ok", name="edge1", ip="10.9.0.1", secret="s3cret!")
    olt = fn(session, "olt.edit", sok="ok", name="olt1", brand="huawei", host="10.9.0.2",
             community="public").elid
    got = {(c.device_kind, c.kind, c.target) for c in session.scalars(sa.select(Check))}
    assert got == {("nas", "ping", "10.9.0.1"), ("olt", "ping", "10.9.0.2")}
    fn(session, "olt.delete", elid=str(olt))
    assert [c.device_kind for c in session.scalars(sa.select(Check))] == ["nas"]


def test_announcement_window_is_checked(session, tree):
    with pytest.raises(FuncError) as err:
        fn(session, "announcement.edit", sok="ok", title="Fibre works",
           starts_at="2026-12-05T02:00", ends_at="2026-12-05T01:00")
    assert err.value.field == "ends_at"
    with pytest.raises(FuncError) as err:
        fn(session, "announcement.edit", sok="ok", title="Fibre works", starts_at="2026-12-05T02:00")
    assert err.value.field == "ends_at"
    ok = fn(session, "announcement.edit", sok="ok", title="Fibre works",
            starts_at="2026-12-05T02:00", ends_at="2026-12-05T04:00")
    assert ok.elid


def test_a_check_being_run_is_not_started_again(committed):
    from radbill import db
    with TcpTarget() as t:
        with db.session_scope() as s:
            cid = fn(s, "check.edit", sok="ok", name="t", kind="tcp",
                     target=f"127.0.0.1:{t.port}").elid
        now = dt.datetime.now(UTC) + dt.timedelta(seconds=1)
        with db.session_scope() as one, db.session_scope() as two:
            # one pass holds the row (as while its probes run): the other skips it
            one.execute(sa.select(Check).where(Check.id == cid).with_for_update())
            assert checks.run_due(two, now).ran == 0
            one.rollback()
            assert checks.run_due(two, now).ran == 1


def test_rollup_is_idempotent_and_uptime_spans_a_month_end(session, tree):
    cid = fn(session, "check.edit", sok="ok", name="dns", kind="ping", target="example.com").elid
    start = dt.datetime(2026, 11, 30, 22, 0, tzinfo=UTC)  # 04:00 on Dec 1 in Dhaka
    rows = [{"check_id": cid, "at": start + dt.timedelta(minutes=m), "ok": m % 10 != 0,
             "ms": 20, "lag_ms": 0} for m in range(0, 240)]  # 30 Nov 22:00 .. 1 Dec 02:00 UTC
    session.execute(sa.insert(CheckResult), rows)
    end = start + dt.timedelta(hours=4)
    rollup.job(session, end)
    first = session.execute(sa.select(CheckHourly.hour, CheckHourly.runs, CheckHourly.ups)
                            .order_by(CheckHourly.hour)).all()
    rollup.job(session, end)
    assert session.execute(sa.select(CheckHourly.hour, CheckHourly.runs, CheckHourly.ups)
                           .order_by(CheckHourly.hour)).all() == first
    assert [r.runs for r in first] == [60, 60, 60]  # REDO_HOURS: the last three hours
    rollup.hours(session, [cid], start, end)
    assert sum(r.runs for r in session.scalars(sa.select(CheckHourly))) == 240
    from monitoring import status
    from radbill.models import Check as C
    session.execute(sa.update(C).where(C.id == cid).values(public=True))
    snap = status.snapshot(session, end, dt.timezone(dt.timedelta(hours=6)))
    [comp] = snap["groups"][""]
    assert comp.uptime["24h"] == 90.0 and comp.uptime["90d"] == 90.0
    days = {b.label: b.uptime for b in comp.days if b.uptime is not None}
    assert days == {"2026-12-01": 90.0}  # all of it on 1 December in the ISP's zone
    # raw results older than 35 days go; rollups stay a year
    rollup.job(session, end + dt.timedelta(days=36))
    assert session.scalar(sa.select(sa.func.count()).select_from(CheckResult)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(CheckHourly)) == 4


def test_next_due_stays_on_the_grid_and_skips_missed_runs():
    due = dt.datetime(2026, 12, 31, 23, 59, 50, tzinfo=UTC)
    assert checks.next_due(due, 60, due) == dt.datetime(2027, 1, 1, 0, 0, 50, tzinfo=UTC)
    late = due + dt.timedelta(hours=3, seconds=7)
    assert checks.next_due(due, 60, late) == checks.on_grid(late) + dt.timedelta(seconds=60)


def test_the_job_runs_once_from_the_command_line(cli):
    from radbill import db
    with TcpTarget() as t:
        with db.session_scope() as s:
            fn(s, "check.edit", sok="ok", name="edge", kind="tcp", target=f"127.0.0.1:{t.port}")
        out = cli("job", "run", "checks")
        assert out.returncode == 0, out.stderr
        assert "checks: 1 checks run, 0 failed" in out.stdout
        assert "checks: 0 checks run" in cli("job", "run", "checks").stdout  # not due again yet
    with db.session_scope() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(CheckResult)) == 1
        assert s.scalar(sa.select(Check.state)) == "up"
    assert "check_rollup: rolled up 3 h" in cli("job", "run", "check_rollup").stdout

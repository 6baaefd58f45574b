"""Scheduled jobs: usage rollup, stale sessions, FUP reset, expiry, and the advisory locks that
keep two schedulers from running the same job at once."""
from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import threading
import time
from decimal import Decimal as D

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.conftest import ROOT
from tests.support.factories import fn, make_customer, make_package
from radbill.jobs import load_all
from radbill.models import RadAcct, UsageDaily
from rating import jobs, usage
from rating.terms import today
from tests.support.rating_factories import make_profile, outbox_of, pay

NOW = dt.datetime.now(dt.timezone.utc)


N_JOBS = len(load_all())  # every domain's registered jobs, as the scheduler counts them


def acct(session, username, start, *, octets=(0, 0), seconds=0, updated=None, stopped=None,
         uid=None):
    row = RadAcct(acctsessionid=uid or f"s{time.monotonic_ns()}", acctuniqueid=uid or f"u{time.monotonic_ns()}",
                  username=username, nasipaddress="10.0.0.1", acctstarttime=start,
                  acctupdatetime=updated or start, acctstoptime=stopped,
                  acctinputoctets=octets[0], acctoutputoctets=octets[1], acctsessiontime=seconds)
    session.add(row)
    session.flush()
    return row


def daily(session):
    return {(u.customer_id, u.day): (u.bytes_in, u.bytes_out, u.session_time, u.sessions)
            for u in session.scalars(sa.select(UsageDaily).execution_options(populate_existing=True))}


def test_usage_rollup_is_incremental_and_idempotent(session):
    c = make_customer(session)
    day1 = dt.datetime(2026, 11, 20, 10, tzinfo=dt.timezone.utc)
    acct(session, c.username, day1, octets=(100, 1000), seconds=60, stopped=day1)
    live = acct(session, c.username, day1 + dt.timedelta(hours=2), octets=(5, 50), seconds=10)
    acct(session, c.username, day1 + dt.timedelta(days=1), octets=(7, 70), seconds=5)
    usage.rollup(session)
    first = daily(session)
    assert first[(c.id, dt.date(2026, 11, 20))] == (105, 1050, 70, 2)
    assert first[(c.id, dt.date(2026, 11, 21))] == (7, 70, 5, 1)
    assert usage.rollup(session).endswith(", 0 rows written")  # nothing changed: nothing rewritten
    assert daily(session) == first
    live.acctinputoctets, live.acctupdatetime = 25, NOW  # an interim update arrives
    session.flush()
    usage.rollup(session)
    assert daily(session)[(c.id, dt.date(2026, 11, 20))] == (125, 1050, 70, 2)
    acct(session, "nobody-we-know", day1, octets=(1, 1), updated=NOW)
    usage.rollup(session)
    assert {k[0] for k in daily(session)} == {c.id}
    rows = fn(session, "usage.daily", customer=c.username).rows
    assert [(r["day"], r["bytes_in"]) for r in rows] == [("2026-11-21", 7), ("2026-11-20", 125)]


def test_sessions_without_an_interim_for_three_intervals_are_closed(session):
    now = dt.datetime.now(dt.timezone.utc)  # not the module's NOW: a long run makes it stale
    old = now - dt.timedelta(seconds=3 * 300 + 60)
    stale = acct(session, "gone", old - dt.timedelta(hours=1), updated=old)
    fresh = acct(session, "here", old, updated=now - dt.timedelta(seconds=200))
    assert usage.close_stale(session).startswith("1 ")
    session.refresh(stale)
    session.refresh(fresh)
    assert (stale.acctstoptime, stale.acctterminatecause) == (old, "Stale-Session")
    assert fresh.acctstoptime is None


def test_fup_resets_at_the_start_of_each_customers_cycle(session):
    monthly = make_profile(session)
    pkg = make_package(session, price="500", validity_days="30", data_cap="10G",
                       fup_rate_down="1M", fup_rate_up="1M")
    throttled = make_customer(session, package=pkg.name, billing_profile=monthly.name)
    prepaid = make_customer(session, package=pkg.name)
    throttled.cycle_start, throttled.status = dt.date(2026, 10, 15), "fup"
    prepaid.cycle_start = dt.date(2026, 10, 1)
    session.flush()
    assert jobs.fup_reset(session, dt.date(2026, 11, 14)).startswith("1 cycles")  # only prepaid
    session.refresh(throttled)
    session.refresh(prepaid)
    assert (throttled.status, prepaid.cycle_start) == ("fup", dt.date(2026, 10, 31))
    jobs.fup_reset(session, dt.date(2026, 11, 15))
    session.refresh(throttled)
    assert (throttled.status, throttled.cycle_start) == ("active", dt.date(2026, 11, 15))
    last = outbox_of(session, throttled, "disconnect")[-1].payload
    assert (last["event"], last["reason"]) == ("customer.fup_reset", "new_cycle")
    assert jobs.fup_reset(session, dt.date(2026, 11, 15)).startswith("0 cycles")


def test_a_monthly_cycle_from_the_31st_ends_with_the_shorter_month(session):
    pkg = make_package(session, price="500", validity_days="30", data_cap="10G",
                       fup_rate_down="1M", fup_rate_up="1M")
    c = make_customer(session, package=pkg.name, billing_profile=make_profile(session).name)
    c.cycle_start, c.status = dt.date(2027, 1, 31), "fup"
    session.flush()
    jobs.fup_reset(session, dt.date(2027, 2, 28))  # a month after 31 January, as SQL counts it
    session.refresh(c)
    assert (c.status, c.cycle_start) == ("active", dt.date(2027, 2, 28))
    jobs.fup_reset(session, dt.date(2027, 3, 28))
    session.refresh(c)
    assert c.cycle_start == dt.date(2027, 2, 28)  # the cycle is anchored on the 31st
    jobs.fup_reset(session, dt.date(2027, 3, 31))
    session.refresh(c)
    assert c.cycle_start == dt.date(2027, 3, 31)


def test_a_new_customers_cycle_starts_on_the_isps_day(session):
    from zoneinfo import ZoneInfo
    # a database session zone whose date is not the ISP's right now (one of the two always is)
    zone = next(z for z in ("Etc/GMT-14", "Etc/GMT+12")
                if dt.datetime.now(ZoneInfo(z)).date() != today())
    session.execute(sa.text(f"SET LOCAL TimeZone = '{zone}'"))
    c = make_customer(session)
    session.refresh(c)
    assert c.cycle_start == today()


def test_expired_prepaid_is_suspended_or_renewed_from_advance(session):
    pkg = make_package(session, price="500", validity_days="30")
    lapsed, saver = make_customer(session, package=pkg.name), make_customer(session, package=pkg.name)
    for c in (lapsed, saver):
        c.expires_at = NOW - dt.timedelta(minutes=1)
    saver.advance_balance = D("600")
    session.flush()
    from rating import ledger
    ledger.post(session, "opening", "advance brought forward",
                [(saver.operator_id, "cash", D("600")), (saver.operator_id, "advances", D("-600"))])
    assert jobs.expiry(session, today()) == "1 renewed from advance, 1 suspended as expired"
    session.refresh(lapsed)
    session.refresh(saver)
    assert (lapsed.status, lapsed.status_reason) == ("suspended", "expired")
    assert saver.status == "active" and saver.expires_at > NOW + dt.timedelta(days=29)
    pay(session, lapsed, "500")
    assert lapsed.status == "active"


def test_a_job_another_scheduler_holds_is_skipped(committed):
    with committed.connect() as holder:
        holder.execute(sa.select(sa.func.pg_advisory_xact_lock(jobs.lock_key("usage_rollup"))))
        assert jobs.run("usage_rollup") is None
        holder.rollback()
    assert jobs.run("usage_rollup").endswith("rows written")


def test_two_schedulers_firing_at_once_run_a_job_once(committed, monkeypatch):
    ran = []

    def slow(session, on):
        ran.append(threading.get_ident())
        time.sleep(0.5)
        return "done"

    monkeypatch.setitem(jobs.JOBS, "slow", jobs.Job("slow", slow, "interval", {"seconds": 1}))
    results = []
    threads = [threading.Thread(target=lambda: results.append(jobs.run("slow"))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results, key=str) == [None, "done"] and len(ran) == 1


def test_radbill_job_run_from_the_command_line(cli, committed):
    with Session(committed) as s, s.begin():
        c = make_customer(s, billing_profile=make_profile(s).name)
        # a customer since before the billed period, whatever day the suite runs on
        c.created_at = dt.datetime(2026, 10, 15, tzinfo=dt.timezone.utc)
    out = cli("job", "run", "billing", "--date", "2026-11-01")
    assert out.returncode == 0, out.stderr
    assert "billing: 1 bills for" in out.stdout
    assert "billing: 0 bills" in cli("job", "run", "billing", "--date", "2026-11-02").stdout
    listed = cli("job", "list").stdout
    for name in ("billing", "suspension", "expiry", "fup_reset", "stale_sessions", "usage_rollup"):
        assert name in listed


def test_the_scheduler_runs_in_its_own_process(committed, tmp_path):
    exe = ROOT / ".venv" / "bin" / "radbill"
    log = tmp_path / "scheduler.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([str(exe), "scheduler"], stdout=out, stderr=subprocess.STDOUT,
                                env=os.environ.copy(), start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while f"scheduler: {N_JOBS} jobs" not in log.read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            time.sleep(0.2)
        assert f"scheduler: {N_JOBS} jobs" in log.read_text()
        assert proc.poll() is None
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)


def test_rating_functions_from_radbill_call(cli, committed):
    import json
    with Session(committed) as s, s.begin():
        c = make_customer(s, billing_profile=make_profile(s).name,
                          package=make_package(s, price="500").name)
        c.created_at = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
        username = c.username
    preview = cli("call", "bill.preview", f"customer={username}", "date=2026-11-03", "out=json")
    assert json.loads(preview.stdout)["doc"]["payable"] == "500.00", preview.stderr
    assert cli("call", "bill.generate", "sok=ok", "date=2026-11-03").returncode == 0
    bills = json.loads(cli("call", "bill", "out=JSONdata").stdout)
    assert [b["total"] for b in bills] == ["500.00"]
    pdf = subprocess.run([str(ROOT / ".venv" / "bin" / "radbill"), "call", "bill.pdf",
                          f"elid={bills[0]['id']}"], capture_output=True, env=os.environ.copy())
    assert pdf.stdout.startswith(b"%PDF")
    bad = cli("call", "payment.edit", "sok=ok", f"customer={username}", "amount=-5")
    assert bad.returncode == 1 and "amount" in bad.stderr

"""Scheduled firings as several schedulers see them (issue 16, HACKING "Several nodes"): each
names its firing by the trigger's time, the same whenever the scheduler started. No database."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from radbill import jobs
from radbill.commands.jobs import last_fire, trigger_for

DHAKA = ZoneInfo("Asia/Dhaka")
AT = dt.datetime(2026, 11, 1, 18, 20, 0, 300000, tzinfo=dt.timezone.utc)


def job(trigger: str, **when) -> jobs.Job:
    return jobs.Job("x", lambda s, on: "", trigger, when)


def test_an_interval_job_fires_at_the_same_times_on_every_scheduler():
    # a scheduler started now and one started an hour ago build the same trigger: the firing
    # served at AT is 18:20:00 UTC for both (interval jobs are anchored at 2000-01-01 UTC)
    for started in (AT, AT - dt.timedelta(hours=1, seconds=17)):
        trigger = trigger_for(job("interval", minutes=5), DHAKA)
        assert trigger.get_next_fire_time(None, started).minute % 5 == 0
        assert last_fire(trigger, AT) == dt.datetime(2026, 11, 1, 18, 20, tzinfo=dt.timezone.utc)


def test_a_cron_firing_is_found_when_the_scheduler_runs_it_late():
    trigger = trigger_for(job("cron", hour=0, minute=20), DHAKA)  # 00:20 Dhaka = 18:20 UTC
    want = dt.datetime(2026, 11, 2, 0, 20, tzinfo=DHAKA)
    assert last_fire(trigger, AT) == want
    assert last_fire(trigger, AT + dt.timedelta(minutes=50)) == want  # within misfire grace
    assert last_fire(trigger, AT - dt.timedelta(seconds=1)) is None  # not yet today


def test_job_schedule_overrides_a_trigger():
    text = "otp_purge=cron second=*/2; expiry=interval seconds=2"
    assert jobs.schedule(jobs.Job("otp_purge", None, "cron", {"hour": 3}), text) == \
        ("cron", {"second": "*/2"})
    assert jobs.schedule(jobs.Job("expiry", None, "interval", {"minutes": 5}), text) == \
        ("interval", {"seconds": 2.0})
    assert jobs.schedule(jobs.Job("billing", None, "cron", {"hour": 0}), text) == \
        ("cron", {"hour": 0})
    with pytest.raises(ValueError):
        jobs.schedule(jobs.Job("expiry", None, "cron", {}), "expiry=daily hour=1")

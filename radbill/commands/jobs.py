"""`radbill scheduler` (apscheduler in its own process) and `radbill job run NAME|list`."""
from __future__ import annotations

import datetime as dt
import logging
import sys

log = logging.getLogger("radbill.scheduler")


def register(sub) -> None:
    p = sub.add_parser("scheduler", help="run the scheduled jobs (billing, suspension, ...)")
    p.set_defaults(handler=scheduler)
    j = sub.add_parser("job", help="run one scheduled job now, or list them")
    j.add_argument("action", choices=["run", "list"])
    j.add_argument("name", nargs="?")
    j.add_argument("--date", type=dt.date.fromisoformat, help="the day to run it for (ISO date)")
    j.set_defaults(handler=job)


def job(args) -> int:
    from radbill import jobs
    if args.action == "list":
        for j in jobs.load_all().values():
            print(f"{j.name:<16} {j.trigger} {j.when}")
        return 0
    if args.name not in jobs.load_all():
        print(f"radbill job: name one of {', '.join(jobs.load_all())}", file=sys.stderr)
        return 2
    result = jobs.run(args.name, args.date)
    print(f"{args.name}: {result if result is not None else 'skipped: another scheduler holds it'}")
    return 0


MISFIRE_GRACE = 3600  # seconds a firing may run late (a busy or paused scheduler)
# interval jobs fire at ANCHOR + k x interval on every scheduler, whenever each started, so
# several schedulers (HACKING.md, "Several nodes") agree on each firing's time
ANCHOR = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)


def trigger_for(job, tz):
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    from radbill import jobs
    kind, when = jobs.schedule(job)
    if kind == "interval":
        return IntervalTrigger(start_date=ANCHOR, timezone=dt.timezone.utc, **when)
    return CronTrigger(timezone=tz, **when)


def last_fire(trigger, now: dt.datetime) -> dt.datetime | None:
    """The latest time `trigger` fires at or before `now`: the firing being served, the same
    time on every scheduler (apscheduler does not hand it to the job)."""
    for lookback in (120, MISFIRE_GRACE + 60):
        at = trigger.get_next_fire_time(None, now - dt.timedelta(seconds=lookback))
        slot = None
        while at is not None and at <= now:
            slot, at = at, trigger.get_next_fire_time(at, at + dt.timedelta(microseconds=1))
        if slot is not None:
            return slot
    return None


def _guarded(name: str, trigger=None) -> None:
    """One scheduled firing: run once for its slot however many schedulers fire it; a failing
    job is logged and retried at its next firing."""
    from radbill import jobs
    try:
        slot = last_fire(trigger, dt.datetime.now(dt.timezone.utc)) if trigger else None
        jobs.run(name, slot=slot)
    except Exception:
        log.exception("%s failed", name)


def scheduler(args) -> int:
    from apscheduler.schedulers.blocking import BlockingScheduler

    from radbill import settings
    from radbill import jobs
    tz = settings.get().tz
    sched = BlockingScheduler(timezone=tz)
    for j in jobs.load_all().values():
        trigger = trigger_for(j, tz)
        sched.add_job(_guarded, trigger, args=[j.name, trigger], id=j.name, name=j.name,
                      coalesce=True, max_instances=1, misfire_grace_time=MISFIRE_GRACE,
                      replace_existing=True)
    log.info("scheduler: %d jobs: %s", len(jobs.load_all()), ", ".join(jobs.load_all()))
    try:
        sched.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    return 0

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


def _guarded(name: str) -> None:
    """One scheduled firing: a failing job is logged and retried at its next firing."""
    from radbill import jobs
    try:
        jobs.run(name)
    except Exception:
        log.exception("%s failed", name)


def scheduler(args) -> int:
    from apscheduler.schedulers.blocking import BlockingScheduler

    from radbill import settings
    from radbill import jobs
    sched = BlockingScheduler(timezone=settings.get().tz)
    for j in jobs.load_all().values():
        sched.add_job(_guarded, j.trigger, args=[j.name], id=j.name, name=j.name,
                      coalesce=True, max_instances=1, misfire_grace_time=3600,
                      replace_existing=True, **j.when)
    log.info("scheduler: %d jobs: %s", len(jobs.load_all()), ", ".join(jobs.load_all()))
    try:
        sched.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    return 0

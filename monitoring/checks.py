"""Running the checks that are due: the `checks` job's pass (monitoring/jobs.py).

A pass takes the enabled checks whose `next_due` has come (FOR UPDATE SKIP LOCKED: a check
another pass is running is not started again; the job's advisory lock already keeps two passes
apart), runs their probes in a bounded thread pool (CONCURRENCY; no database access in the
threads), then, in the job's one transaction: one `check_results` row per run (response time,
error, how late it started), the check's state and next due time (on a 10-second grid: due +
interval, so checks do not drift), incidents (monitoring/incidents.py) and the hourly rollup of
the hour it ran in (monitoring/rollup.py).

`now` is the pass's time (the database's clock unless given: tests drive whole days with it).

An SNMP check's community is kept encrypted (`checks.credentials`, provisioning/device_secrets)
and decrypted only here, into the probe's spec, when the check runs. `before` / `after` are its
`radbill db upgrade` step (radbill/migrate.py UPGRADE_STEPS), the devices' step over `checks`:
migration 0032's plaintext `checks.community` read before the migrations, encrypted after them.
"""
from __future__ import annotations

import datetime as dt
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from monitoring import incidents, probes, rollup
from monitoring.functions.checks import isp_owned
from provisioning import device_secrets
from provisioning.errors import ProvisioningError
from radbill.models import Check, CheckResult

CONCURRENCY = 64  # probes at once (most time is waiting on the network)
GRID = 10  # seconds: due times are multiples of it
MAX_PER_PASS = 5000


@dataclass
class Pass:
    ran: int = 0
    failed: int = 0
    opened: int = 0
    resolved: int = 0
    max_lag_ms: int = 0
    seconds: float = 0.0

    def __str__(self) -> str:
        return (f"{self.ran} checks run, {self.failed} failed, max lag {self.max_lag_ms} ms, "
                f"{self.seconds:.1f} s")


def on_grid(at: dt.datetime) -> dt.datetime:
    """`at` rounded down to the GRID."""
    epoch = int(at.timestamp())
    return dt.datetime.fromtimestamp(epoch - epoch % GRID, dt.timezone.utc)


def next_due(due: dt.datetime, interval: int, now: dt.datetime) -> dt.datetime:
    """The run after the one due at `due`; a run missed (the scheduler was down) is skipped."""
    nxt = on_grid(due) + dt.timedelta(seconds=interval)
    return nxt if nxt > now else on_grid(now) + dt.timedelta(seconds=interval)


def spec_of(check: Check, isp: bool) -> probes.Spec:
    """A plain copy of the check for a thread; private targets only for the ISP's own checks
    (`isp`: the rule check.edit applies on save, monitoring/functions/checks.isp_owned)
    and the checks of registered routers, OLTs and radios. An snmp check's community is
    decrypted into it (ProvisioningError naming `community` when the key cannot open it)."""
    community = device_secrets.read(check.credentials, check.target, "community") \
        .get("community") if check.kind == "snmp" else None
    return probes.Spec(
        id=check.id, kind=check.kind, target=check.target, timeout=float(check.timeout),
        expect_status=check.expect_status, expect_body=check.expect_body,
        dns_server=check.dns_server, record_type=check.record_type,
        expect_answer=check.expect_answer, warn_days=check.warn_days, community=community,
        allow_private=isp or check.device_kind is not None)


def _timed(spec: probes.Spec | ProvisioningError, t0: float) -> tuple[probes.Outcome, float]:
    started = time.monotonic() - t0
    if isinstance(spec, ProvisioningError):  # its community cannot be read: a failed run
        return probes.Outcome(False, None, f"SNMP community: {spec.reason}"), started
    return probes.run(spec), started


def _spec(check: Check, isp: bool) -> probes.Spec | ProvisioningError:
    try:
        return spec_of(check, isp)
    except ProvisioningError as exc:
        return exc


def run_due(session: Session, now: dt.datetime | None = None, *,
            workers: int = CONCURRENCY, ids: list[int] | None = None) -> Pass:
    """One pass: run every check due at `now` (or only `ids`, due or not: check.run)."""
    t0 = time.monotonic()
    now = now or session.scalar(sa.select(sa.func.now()))
    stmt = (sa.select(Check).order_by(Check.next_due, Check.id).limit(MAX_PER_PASS)
            .with_for_update(of=Check, skip_locked=True))
    stmt = stmt.where(Check.id.in_(ids)) if ids is not None else \
        stmt.where(Check.enabled, Check.next_due <= now)
    rows = session.scalars(stmt).all()
    out = Pass()
    if rows:
        own = {op: isp_owned(session, op) for op in {check.operator_id for check in rows}}
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(rows)))) as pool:
            futures = [(check, pool.submit(_timed, _spec(check, own[check.operator_id]), t0))
                       for check in rows]
            done = [(check, *f.result()) for check, f in futures]
        record(session, done, now, out)
    incidents.late_alerts(session, now)
    out.seconds = time.monotonic() - t0
    return out


def record(session: Session, done: list, now: dt.datetime, out: Pass) -> None:
    """Write a pass's outcomes: results, check states, incidents, the hour's rollup."""
    rows = []
    for check, outcome, started in done:
        late = max(0.0, (now - check.next_due).total_seconds()) if check.next_due <= now else 0
        lag_ms = int((late + started) * 1000)
        at = now + dt.timedelta(seconds=started)
        rows.append({"check_id": check.id, "at": at, "ok": outcome.ok, "ms": outcome.ms,
                     "lag_ms": lag_ms, "error": outcome.error, "detail": outcome.detail or None})
        out.ran += 1
        out.max_lag_ms = max(out.max_lag_ms, lag_ms)
        check.last_at, check.last_ms, check.last_error = at, outcome.ms, outcome.error
        check.next_due = next_due(min(check.next_due, now), check.interval, now)
        if outcome.ok:
            was_down = check.state == "down"
            incidents.passed(session, check, now)
            out.resolved += was_down
        else:
            out.failed += 1
            was = check.state
            incidents.failed(session, check, outcome.error or "failed", now)
            out.opened += was != "down" and check.state == "down"
    session.execute(sa.insert(CheckResult), rows)
    session.flush()
    rollup.hours(session, [c.id for c, *_ in done], now, max(r["at"] for r in rows))


# -- the `radbill db upgrade` step of migration 0032 ---------------------------------------------
PLAINTEXT = (("checks", "id", "community", "community"),)  # as device_secrets.PLAINTEXT


def before(conn: sa.Connection) -> device_secrets.Saved:
    """The checks' plaintext communities, while `checks.community` is still there."""
    return device_secrets.before(conn, PLAINTEXT)


def after(conn: sa.Connection, saved: device_secrets.Saved) -> dict[str, int]:
    """Encrypt what `before` read into `checks.credentials` once 0032 dropped the column."""
    return device_secrets.encrypt_saved(conn, saved, PLAINTEXT)

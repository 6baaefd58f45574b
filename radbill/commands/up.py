"""`radbill up`: run every part that exists in the foreground; Ctrl-C stops them all cleanly."""
from __future__ import annotations

import importlib.util
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from radbill import db, migrate, settings
from radbill.settings import PROJECT_ROOT


@dataclass
class Part:
    name: str
    argv: list[str]
    listens: str


def register(sub) -> None:
    p = sub.add_parser("up", help="run admin, FreeRADIUS, scheduler and worker in the foreground")
    p.add_argument("--only", action="append", help="run only these parts (repeatable)")
    p.set_defaults(handler=run)


def bin_path(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def parts(s: settings.Settings) -> list[Part]:
    """Every part whose code exists, in start order."""
    found: list[Part] = []
    if importlib.util.find_spec("radbill.radiusconf") is not None:
        from radbill import radiusconf
        found += [Part(n, argv, where) for n, argv, where in radiusconf.processes(s)]
    if importlib.util.find_spec("admin.wsgi") is not None:
        found.append(Part("admin", [bin_path("gunicorn"), "--workers", str(s.admin_workers),
                                    "--bind", f"{s.admin_host}:{s.admin_port}",
                                    "--access-logfile", "-",
                                    # credentials in query strings never reach a log line
                                    "--logger-class", "admin.accesslog.RedactingLogger",
                                    "admin.wsgi:app"],
                          f"http://{s.admin_host}:{s.admin_port}/"))
    radbill = bin_path("radbill")
    if importlib.util.find_spec("radbill.commands.jobs") is not None:
        found.append(Part("scheduler", [radbill, "scheduler"], "jobs (apscheduler)"))
    if importlib.util.find_spec("radbill.commands.worker") is not None:
        found.append(Part("worker", [radbill, "worker"], "outbox (CoA/Disconnect, notifications)"))
    return found


def first_admin() -> str | None:
    """On the first run, create the `admin` login and return its one-time password."""
    import sqlalchemy as sa

    from radbill.functions.auth import hash_password
    from radbill.functions.caller import SYSTEM
    from radbill.functions.crud import root_operator
    from radbill.functions.registry import Call
    from radbill.models import StaffUser

    with db.session_scope() as session:
        if session.scalar(sa.select(sa.func.count()).select_from(StaffUser)):
            return None
        root = root_operator(Call(session, SYSTEM, "up", {}))
        password = secrets.token_urlsafe(12)
        session.add(StaffUser(login="admin", password_hash=hash_password(password), role="admin",
                              operator_id=root.id, name="System administrator"))
        return password


def run(args) -> int:
    s = settings.get()
    migrate.upgrade()
    password = first_admin()
    chosen = [p for p in parts(s) if not args.only or p.name in args.only]
    if not chosen:
        print("radbill up: nothing to run", file=sys.stderr)
        return 1
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    procs: list[tuple[Part, subprocess.Popen]] = []
    for part in chosen:
        procs.append((part, subprocess.Popen(part.argv, cwd=PROJECT_ROOT, env=env,
                                             start_new_session=True)))
        print(f"radbill up: {part.name:<10} {part.listens}", flush=True)
    if password:
        print(f"radbill up: first run - admin login: admin / {password}  (shown once; change it)",
              flush=True)
    return supervise(procs)


def supervise(procs: list[tuple[Part, subprocess.Popen]]) -> int:
    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    while not stopping:
        for part, proc in procs:
            if proc.poll() is not None:
                print(f"radbill up: {part.name} exited with {proc.returncode}; stopping all",
                      file=sys.stderr, flush=True)
                stopping, code = True, 1
                break
        time.sleep(0.2)
    for part, proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for part, proc in procs:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    print("radbill up: stopped", flush=True)
    return code

"""`radbill bench payment --customers N`: from a gateway's callback to the Disconnect leaving the
outbox worker, for N suspended subscribers paying through bKash (issue 11's target: under 1 s
at the median on this machine).

On its own database (radbill_bench_payment): N customers with a 500 bill, suspended for it, each
with a live session on a NAS. The parties we cannot reach are the emulators the tests use (the
bKash Tokenized Checkout API, a pyrad NAS answering Disconnect-Requests); ours run as in
production: the admin app under gunicorn (2 workers) and `radbill worker` (LISTEN/NOTIFY), each
its own process. Per customer: the checkout is started and paid on the emulator (not timed),
then the clock runs from the browser's return to our callback URL until the NAS receives the
Disconnect-Request. The callback's own answer time is printed beside it.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

import requests
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from radbill import db, migrate, settings

DB_NAME = "radbill_bench_payment"
TARGET_S = 1.0


def _urls() -> tuple[str, str]:
    url = make_url(settings.get().database_url)
    return (url.set(database=DB_NAME).render_as_string(hide_password=False),
            url.set(database="postgres").render_as_string(hide_password=False))


def _recreate(admin_url: str, drop_only: bool = False) -> None:
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        if not drop_only:
            conn.execute(sa.text(f'CREATE DATABASE "{DB_NAME}"'))
    engine.dispose()


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _setup(url: str, n: int, emu, nas) -> list[str]:
    from radbill.functions.caller import SYSTEM
    from radbill.functions.registry import call
    from radbill.models import RadAcct
    import datetime as dt

    def fn(s, func, /, **params):
        return call(s, SYSTEM, func, {k: str(v) for k, v in params.items()})
    users = [f"payer{i:05d}" for i in range(n)]
    with db.session_scope(url) as s:
        fn(s, "operator.edit", sok="ok", name="isp")
        fn(s, "nas.edit", sok="ok", name="core", ip="127.0.0.1", secret="testing123",
           coa_port=nas.port)
        fn(s, "gateway.edit", sok="ok", name="bkash", kind="bkash", operator="isp",
           base_url=emu.url, charge_percent="1.5", **emu.credentials)
        fn(s, "package.edit", sok="ok", name="home", price="500", rate_down="10M",
           rate_up="5M", validity_days="30")
        fn(s, "billing_profile.edit", sok="ok", name="monthly", term="monthly", due_day="1")
        now = dt.datetime.now(dt.timezone.utc)
        for i, user in enumerate(users):
            fn(s, "customer.edit", sok="ok", username=user, password="pw", package="home",
               billing_profile="monthly", operator="isp")
            ip = f"10.{64 + i // 65536}.{i // 256 % 256}.{i % 256}"
            s.add(RadAcct(acctsessionid=f"s-{user}", acctuniqueid=f"u-{user}", username=user,
                          nasipaddress="127.0.0.1", framedipaddress=ip, acctstarttime=now))
            nas.add_session(f"s-{user}", user, ip)
        s.execute(sa.text("UPDATE customers SET created_at = now() - interval '60 days'"))
        first = dt.date.today().replace(day=1).isoformat()
        shown = fn(s, "bill.generate", date=first).values["bills"]  # a large run: its count
        fn(s, "bill.generate", sok="ok", confirm=str(shown), date=first)
        fn(s, "customer.suspend", elid=",".join(users), reason="unpaid")
        s.execute(sa.text("UPDATE outbox SET status = 'done'"))  # the suspensions' own packets
    return users


def run(args) -> int:
    root = settings.PROJECT_ROOT
    sys.path.insert(0, str(root))  # the emulators live with the tests
    from tests.support.gateways.bkash_emu import BkashEmulator
    from tests.support.nas_sim import NasSimulator

    import logging
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the emulator's request lines
    n = min(args.customers, 2000) if args.customers != 100_000 else 100
    url, admin_url = _urls()
    print(f"payment benchmark: {n} suspended customers pay through bKash (emulated), "
          f"database {DB_NAME}")
    _recreate(admin_url)
    nas, emu = NasSimulator(secret="testing123").start(), BkashEmulator().start()
    procs = []
    try:
        migrate.upgrade(url)
        users = _setup(url, n, emu, nas)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        os.environ["RADBILL_PUBLIC_URL"] = base  # checkouts started here return there too
        settings.get.cache_clear()
        env = {**os.environ, "RADBILL_DATABASE_URL": url}
        venv = root / ".venv" / "bin"
        procs.append(subprocess.Popen(
            [str(venv / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}",
             "admin.wsgi:app"], cwd=root, env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True))
        procs.append(subprocess.Popen(
            [str(venv / "radbill"), "worker", "--poll", "5", "--coa-timeout", "1"], cwd=root,
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True))
        for _ in range(100):
            try:
                requests.get(base + "/login", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.1)
        from radbill.functions.caller import SYSTEM
        from radbill.functions.registry import call
        from radbill.models import GatewayCheckout
        web = requests.Session()
        to_disconnect, to_answer, failed = [], [], 0
        for user in users:
            with db.session_scope(url) as s:
                elid = call(s, SYSTEM, "payment.checkout", {"customer": user}).elid
                ref = s.get(GatewayCheckout, elid).gateway_ref
            back = emu.pay(ref, "success")
            seen = len(nas.received)
            t0 = time.monotonic()
            r = web.get(back.full_url, timeout=30)
            t1 = time.monotonic()
            if 'data-status="completed"' not in r.text:
                failed += 1
                continue
            deadline = t1 + 10
            while time.monotonic() < deadline:
                got = [p for p in nas.received[seen:] if p["kind"] == "disconnect"
                       and p.get("User-Name") == [user]]
                if got:
                    to_disconnect.append(got[0]["at"] - t0)
                    break
                time.sleep(0.001)
            else:
                failed += 1
            to_answer.append(t1 - t0)
        q = lambda xs, p: sorted(xs)[min(len(xs) - 1, int(p * len(xs)))]  # noqa: E731
        for label, xs in (("callback answered", to_answer),
                          ("callback -> Disconnect at the NAS", to_disconnect)):
            if xs:
                print(f"{label:<36} p50 {statistics.median(xs) * 1000:7.1f} ms   "
                      f"p95 {q(xs, 0.95) * 1000:7.1f} ms   max {max(xs) * 1000:7.1f} ms")
        med = statistics.median(to_disconnect) if to_disconnect else float("inf")
        print(f"{'target: median under':<36} {TARGET_S * 1000:7.1f} ms   "
              f"{'met' if med < TARGET_S else 'NOT met'}   ({failed} failed of {n})")
        print(f"emulator protocol violations: {len(emu.violations)}")
        return 0 if med < TARGET_S and not failed else 1
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        emu.stop()
        nas.stop()
        db.engine(url).dispose()
        if not args.keep:
            _recreate(admin_url, drop_only=True)

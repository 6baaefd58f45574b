"""Issue 13's Done when: "A broadcast to 10,000 customers runs in the background with progress,
survives a worker kill -9 half way without sending anyone twice, and finishes; its history shows
10,000 rows."

10,000 customers (bulk-loaded with COPY, E.164 mobiles) of one operator whose SMS gateway is the
SSL Wireless emulator (tests/support/messaging/sslwireless_emu.py: idempotent, a repeated
csms_id is refused as a duplicate); `broadcast.edit sok=ok confirm=10000` starts the task; a
real `radbill worker` queues and sends; it is killed with SIGKILL once about 5,000 messages are
sent (5,250: inside a batch of 500); a new worker finishes. The emulator accepted exactly one
message per customer, the task shows done 10,000 of 10,000, and the broadcast's history (the
`message` list) has 10,000 rows, all sent.

A killed worker's marks go stale with time: a message it left `sending` is looked at again
after sender.INTERRUPTED_AFTER (120 s), a task it was stepping after tasks.STALE (60 s). So that
the test takes two minutes instead of three or four, it moves those two marks back by that much (the
clock of the dead worker's rows, nothing else); RADBILL_KILL_TEST_WAIT=1 waits for real instead.
"""
from __future__ import annotations

import collections
import os
import signal
import subprocess
import time

import pytest
import sqlalchemy as sa

from messaging import sender
from radbill import tasks
from radbill.functions.caller import SYSTEM
from radbill.functions.registry import call
from radbill.models import Broadcast, Message, MessageGateway, Task
from tests.conftest import ROOT
from tests.messaging.test_broadcast import bulk_customers
from tests.support.factories import make_operator, make_package
from tests.support.messaging.fixtures import add_gateway

N = 10_000
# half way, and inside a batch: the worker is sending (a message may be left `sending`), not
# between batches (the task's step; tests/messaging/test_tasks.py takes over a stale one)
KILL_AT = N // 2 + 250
REAL_WAIT = os.environ.get("RADBILL_KILL_TEST_WAIT") == "1"


def start_worker(log_path):
    log = open(log_path, "ab")
    return subprocess.Popen([str(ROOT / ".venv" / "bin" / "radbill"), "worker", "--poll", "0.5"],
                            stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy()), log


def sent_count(factory, bid) -> int:
    with factory() as s:
        return s.scalar(sa.select(sa.func.count()).where(
            Message.broadcast_id == bid, Message.status.in_(("sent", "delivered"))))


@pytest.mark.timeout(600)
def test_a_broadcast_to_10000_customers_survives_a_worker_killed_half_way(factory, sslwireless_emu,
                                                                          tmp_path):
    t0 = time.monotonic()
    timings = {}
    with factory.begin() as s:
        op = make_operator(s, name="isp")
        pkg = make_package(s, name="Home")
        gw = add_gateway(s, op.id, sslwireless_emu, price="0.25")
        gw.rate_per_second = 10_000
        bulk_customers(s, op.id, pkg.id, N, prefix="bc")
    timings["seed 10,000 customers"] = time.monotonic() - t0

    t = time.monotonic()
    with factory.begin() as s:
        preview = call(s, SYSTEM, "broadcast.edit", {"channel": "sms", "body": "Dear {{ name }}, "
                       "our network is upgraded tonight from 2 to 4 am. {{ operator }}"})
        assert preview.values["with_address"] == N and preview.values["confirm_needed"]
        result = call(s, SYSTEM, "broadcast.edit", {
            "channel": "sms", "body": "Dear {{ name }}, our network is upgraded tonight from 2 "
            "to 4 am. {{ operator }}", "sok": "ok", "confirm": str(N)})
        bid, tid = result.elid, result.extra["task"]
    timings["preview + start"] = time.monotonic() - t

    logs = tmp_path / "worker.log"
    t = time.monotonic()
    first, log1 = start_worker(logs)
    try:
        seen_progress, looked = [], 0.0
        while True:
            n = sent_count(factory, bid)
            if n >= KILL_AT:
                break
            if time.monotonic() - looked > 3:  # the task's progress as the task list shows it
                looked = time.monotonic()
                with factory() as s:
                    seen_progress.append(call(s, SYSTEM, "task", {"elid": str(tid)})
                                         .rows[0]["progress"])
            assert first.poll() is None, logs.read_text()[-3000:]
            assert time.monotonic() - t < 240, f"only {n} sent in 240 s"
            time.sleep(0.2)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
        log1.close()
    timings["first worker until killed"] = time.monotonic() - t
    at_kill = sent_count(factory, bid)
    with factory() as s:
        task = s.get(Task, tid)
        left_sending = s.scalar(sa.select(sa.func.count()).where(
            Message.broadcast_id == bid, Message.status == "sending"))
        queued_at_kill = s.scalar(sa.select(sa.func.count()).where(Message.broadcast_id == bid))
        state_at_kill = (task.status, task.heartbeat_at)
    print(f"\nkilled with {at_kill} sent, {left_sending} left sending, {queued_at_kill} queued; "
          f"task {state_at_kill[0]}, heartbeat {state_at_kill[1]}; progress seen {seen_progress}")
    assert N // 2 <= at_kill < N, "killed half way"
    assert seen_progress and seen_progress[-1] != "100%"
    assert len(sslwireless_emu.sent) >= at_kill

    if not REAL_WAIT:  # the dead worker's marks, aged as the clock would
        with factory.begin() as s:
            s.execute(sa.update(Message).where(Message.status == "sending").values(
                claimed_at=Message.claimed_at - sender.INTERRUPTED_AFTER))
            s.execute(sa.update(Task).where(Task.status == "running",
                                            Task.heartbeat_at.is_not(None)).values(
                heartbeat_at=Task.heartbeat_at - tasks.STALE))

    t = time.monotonic()
    second, log2 = start_worker(logs)
    try:
        while True:
            with factory() as s:
                task = s.get(Task, tid)
                if task.status in ("done", "failed", "cancelled"):
                    break
            assert second.poll() is None, logs.read_text()[-3000:]
            assert time.monotonic() - t < (400 if REAL_WAIT else 240), \
                f"not finished: {task.status} {task.done}/{task.total} {task.note}"
            time.sleep(0.5)
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(20)
        except subprocess.TimeoutExpired:
            second.kill()
        log2.close()
    timings["second worker until done"] = time.monotonic() - t

    # the emulator accepted exactly one message per customer: none twice, none missing
    per_number = collections.Counter(m["msisdn"] for m in sslwireless_emu.sent)
    assert len(per_number) == N and set(per_number.values()) == {1}
    assert sslwireless_emu.violations == []
    requests = len(sslwireless_emu.requests_to("/api/v3/send-sms"))
    with factory() as s:
        task = s.get(Task, tid)
        assert (task.status, task.done, task.failed, task.total) == ("done", N, 0, N), task.note
        row = call(s, SYSTEM, "task", {"elid": str(tid)}).rows[0]
        assert row["progress"] == "100%"
        statuses = dict(s.execute(sa.select(Message.status, sa.func.count()).where(
            Message.broadcast_id == bid).group_by(Message.status)).all())
        assert statuses == {"sent": N}
        history = call(s, SYSTEM, "message", {"broadcast": str(bid), "per_page": "1"})
        assert history.total == N
        assert s.scalar(sa.select(sa.func.count(sa.distinct(Message.customer_id))).where(
            Message.broadcast_id == bid)) == N
        b = s.get(Broadcast, bid)
        assert b.total == N
        listed = call(s, SYSTEM, "broadcast", {"elid": str(bid)}).rows[0]
        assert (listed["sent"], listed["queued"], listed["progress"]) == (N, 0, "100%")
        cost = s.scalar(sa.select(sa.func.sum(Message.cost)).where(Message.broadcast_id == bid))
        assert cost == s.get(MessageGateway, gw.id).price * N
    timings["total"] = time.monotonic() - t0
    print(f"requests to the gateway: {requests} for {N} messages (a resend of an interrupted "
          f"one is refused as a duplicate csms_id)")
    print("timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))


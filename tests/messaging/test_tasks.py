"""Background tasks (radbill/tasks.py): steps with progress, parked while waiting, taken over
when the runner died (stale heartbeat), cancelled between steps, a crashing step fails the task,
the worker's round runs them, and the `task` list / `task.cancel` functions."""
from __future__ import annotations

import sqlalchemy as sa

from provisioning import worker
from radbill import tasks
from radbill.functions.caller import SYSTEM
from radbill.functions.registry import FuncError, call
from radbill.models import AuditLog, Task
from tests.support.factories import caller_of, make_operator, make_user

import pytest


def count_step(session, task):
    """A test kind: counts params['n'] in steps of params['by'], each step idempotent (the
    count is kept in the row it commits with)."""
    p = dict(task.params)
    at = min(p["n"], p.get("at", 0) + p["by"])
    if p.get("boom") and at > p["by"]:
        raise RuntimeError("the second step broke")
    p["at"] = at
    task.params = p
    if at >= p["n"]:
        return tasks.Step("done", done=at, total=p["n"], note=f"counted to {at}")
    return tasks.Step("more", done=at, total=p["n"], note=f"{at} of {p['n']}")


def waiting_step(session, task):
    """A test kind that waits for something else until params['go'] is set."""
    if task.params.get("go"):
        return tasks.Step("done", done=1, total=1, note="went")
    return tasks.Step("wait", done=0, total=1, note="waiting")


tasks.register("test.count", count_step)
tasks.register("test.wait", waiting_step)


def start(factory, kind, params, operator_id=None) -> int:
    with factory.begin() as s:
        return tasks.start(s, kind, params, title=f"{kind} test", operator_id=operator_id,
                           created_by="root").id


def task(factory, tid) -> Task:
    with factory() as s:
        return s.get(Task, tid)


def test_a_task_runs_in_steps_to_done_with_progress(factory):
    tid = start(factory, "test.count", {"n": 10, "by": 3})
    assert task(factory, tid).status == "queued"
    steps = tasks.run_due(factory)
    t = task(factory, tid)
    assert steps == 4
    assert (t.status, t.done, t.total, t.note, t.attempts) == ("done", 10, 10, "counted to 10", 1)
    assert t.started_at is not None and t.finished_at is not None
    assert tasks.run_due(factory) == 0  # nothing due


def test_the_budget_parks_a_task_and_the_next_round_resumes_it(factory):
    tid = start(factory, "test.count", {"n": 6, "by": 2})
    assert tasks.run_due(factory, budget=0) == 1  # one step, then the budget is spent
    t = task(factory, tid)
    assert (t.status, t.done, t.heartbeat_at, t.params["at"]) == ("running", 2, None, 2)
    tasks.run_due(factory)
    t = task(factory, tid)
    assert (t.status, t.done, t.attempts) == ("done", 6, 1)  # parked is not a new runner


def test_a_waiting_task_is_parked_and_looked_at_each_round(factory):
    tid = start(factory, "test.wait", {})
    assert tasks.run_due(factory) == 1
    assert tasks.run_due(factory) == 1  # parked: looked at again, still waiting
    t = task(factory, tid)
    assert (t.status, t.note, t.heartbeat_at) == ("running", "waiting", None)
    with factory.begin() as s:
        s.get(Task, tid).params = {"go": True}
    tasks.run_due(factory)
    assert task(factory, tid).status == "done"


def test_a_task_whose_runner_died_is_taken_over_only_when_its_heartbeat_is_stale(factory):
    tid = start(factory, "test.count", {"n": 4, "by": 2})
    # a runner claimed it, did one step and died (its heartbeat stays as it was)
    with factory.begin() as s:
        s.execute(sa.update(Task).where(Task.id == tid).values(
            status="running", attempts=1, done=2, params={"n": 4, "by": 2, "at": 2},
            heartbeat_at=sa.func.now() - sa.text("interval '10 seconds'")))
    assert tasks.run_due(factory) == 0  # it may still be alive: not taken
    with factory.begin() as s:
        s.execute(sa.update(Task).where(Task.id == tid).values(
            heartbeat_at=sa.func.now() - tasks.STALE - sa.text("interval '1 second'")))
    assert tasks.run_due(factory) == 1  # one step left: resumed, not restarted
    t = task(factory, tid)
    assert (t.status, t.done, t.attempts) == ("done", 4, 2)


def test_a_task_that_kills_its_runner_again_and_again_is_given_up(factory):
    tid = start(factory, "test.count", {"n": 4, "by": 2})
    with factory.begin() as s:
        s.execute(sa.update(Task).where(Task.id == tid).values(
            status="running", attempts=tasks.MAX_RUNNERS,
            heartbeat_at=sa.func.now() - sa.text("interval '5 minutes'")))
    assert tasks.run_due(factory) == 0
    t = task(factory, tid)
    assert t.status == "failed" and "died" in t.note


def test_a_crashing_step_fails_the_task_and_keeps_the_steps_before(factory):
    tid = start(factory, "test.count", {"n": 10, "by": 2, "boom": True})
    tasks.run_due(factory)
    t = task(factory, tid)
    assert (t.status, t.done, t.params["at"]) == ("failed", 2, 2)
    assert t.note == "RuntimeError: the second step broke"


def test_an_unknown_kind_fails_instead_of_wedging_the_queue(factory):
    with factory.begin() as s:
        s.add(Task(kind="no.such.kind", title="ghost"))
    tasks.run_due(factory)
    with factory() as s:
        t = s.scalars(sa.select(Task).where(Task.kind == "no.such.kind")).one()
        assert t.status == "failed" and "no handler" in t.note


def test_start_refuses_an_unregistered_kind(session):
    with pytest.raises(ValueError, match="no task kind"):
        tasks.start(session, "nope", {})


def test_cancel_is_seen_between_steps(factory):
    tid = start(factory, "test.count", {"n": 10, "by": 2})
    tasks.run_due(factory, budget=0)
    with factory.begin() as s:
        call(s, SYSTEM, "task.cancel", {"elid": str(tid)})
    assert tasks.run_due(factory) == 0
    t = task(factory, tid)
    assert (t.status, t.done, t.note) == ("cancelled", 2, "cancelled")
    with factory.begin() as s:
        audit = s.scalars(sa.select(AuditLog).where(AuditLog.func == "task.cancel")).one()
        assert audit.after["status"] == "cancelled"
        with pytest.raises(FuncError, match="is cancelled; only a queued or running") as exc:
            call(s, SYSTEM, "task.cancel", {"elid": str(tid)})
        assert exc.value.status == 409


def test_the_worker_round_runs_the_tasks(factory):
    tid = start(factory, "test.count", {"n": 3, "by": 1})
    worker.drain_all(factory, worker.Policy(base_delay=0))
    assert task(factory, tid).status == "done"


def test_the_task_list_shows_progress_in_the_callers_subtree(factory):
    with factory.begin() as s:
        make_operator(s, name="isp")
        a = make_operator(s, name="resA", parent="isp")
        b = make_operator(s, name="resB", parent="isp")
        anna = caller_of(s, make_user(s, login="anna", role="operator", operator="resA"))
        ben = caller_of(s, make_user(s, login="ben", role="operator", operator="resB"))
        a_id, b_id = a.id, b.id
    mine = start(factory, "test.count", {"n": 8, "by": 2}, operator_id=a_id)
    theirs = start(factory, "test.count", {"n": 8, "by": 2}, operator_id=b_id)
    system_task = start(factory, "test.count", {"n": 8, "by": 2})
    tasks.run_due(factory, budget=0)  # one step of the first
    with factory.begin() as s:
        rows = call(s, anna, "task", {}).rows
        assert [r["id"] for r in rows] == [mine]
        r = rows[0]
        assert (r["status"], r["done"], r["items"], r["progress"]) == ("running", 2, 8, "25%")
        assert {r["id"] for r in call(s, SYSTEM, "task", {}).rows} == {mine, theirs, system_task}
        assert [r["id"] for r in call(s, SYSTEM, "task", {"status": "queued"}).rows] == \
            [system_task, theirs]
        with pytest.raises(FuncError) as exc:
            call(s, ben, "task.cancel", {"elid": str(mine)})
        assert exc.value.status == 404
        with pytest.raises(FuncError) as exc:
            call(s, anna, "task", {"status": "sleeping"})
        assert exc.value.field == "status"

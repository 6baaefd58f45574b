"""A background customer import acts as its starter at every chunk, built as every request
builds a staff login (auth.caller_for): the login's special permissions ride along, so
customer.import revoked from it since the start stops the task (the rows not yet written stay
out), and a manager granted customer.import has its import finished."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from customers.importing import runs
from radbill import tasks
from radbill.functions.auth import caller_for
from radbill.models import Customer, CustomerImport, StaffUser, Task
from tests.support.factories import fn, make, make_isp, make_operator, make_package, make_user

ROWS = 120


def csv_text() -> str:
    return "username,password,package\n" + "".join(
        f"p{i:04d},pw{i},home\n" for i in range(ROWS))


@pytest.fixture
def tree(factory, monkeypatch):
    monkeypatch.setattr(runs, "CHUNK", 50)
    with factory.begin() as s:
        isp = make_isp(s)
        make_operator(s, name="resA", parent=isp.name)
        make_package(s, name="home")
        make(s, "billing_profile", name="monthly", term="monthly", due_day="1")
        ids = {login: make_user(s, login=login, role=role, operator=op).id
               for login, role, op in (("gadmin", "group_admin", isp.name),
                                       ("opa", "operator", "resA"),
                                       ("mgr", "manager", "resA"))}
    return ids


def as_(s, ids, login):
    return caller_for(s, s.get(StaffUser, ids[login]))


def start(factory, ids, login) -> tuple[int, int]:
    with factory.begin() as s:
        result = fn(s, "customer.import", as_(s, ids, login), file=csv_text(),
                    background="yes")
    assert result.extra["background"]
    return result.elid, result.extra["task"]


def customers(factory) -> int:
    with factory() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(Customer))


def test_customer_import_revoked_mid_run_stops_the_background_task(factory, tree):
    run_id, task_id = start(factory, tree, "opa")
    assert tasks.run_due(factory, budget=0) == 1  # the first chunk, as opa
    assert customers(factory) == 50
    with factory.begin() as s:
        fn(s, "permission.edit", as_(s, tree, "gadmin"), sok="ok", user="opa",
           func="customer.import", revoke="yes")
    tasks.run_due(factory)
    assert customers(factory) == 50  # nothing more once it was revoked
    with factory() as s:
        task, run = s.get(Task, task_id), s.get(CustomerImport, run_id)
        assert (task.status, run.status) == ("failed", "failed")
        assert "customer.import has been revoked from opa" in task.note
        assert run.finished_at is not None


def test_a_disabled_starter_stops_the_background_task(factory, tree):
    run_id, task_id = start(factory, tree, "opa")
    with factory.begin() as s:
        s.get(StaffUser, tree["opa"]).disabled = True
    tasks.run_due(factory)
    assert customers(factory) == 0
    with factory() as s:
        task = s.get(Task, task_id)
        assert task.status == "failed" and "opa can no longer sign in" in task.note


def test_a_granted_import_runs_to_the_end_in_the_background(factory, tree):
    with factory.begin() as s:  # a manager may not import by its role...
        fn(s, "permission.edit", as_(s, tree, "opa"), sok="ok", user="mgr",
           func="customer.import", grant="yes")
    run_id, task_id = start(factory, tree, "mgr")  # ...but this one has been granted it
    tasks.run_due(factory)
    assert customers(factory) == ROWS
    with factory() as s:
        task, run = s.get(Task, task_id), s.get(CustomerImport, run_id)
        assert (task.status, run.status, run.created) == ("done", "done", ROWS)
        # written as the manager, in its own subtree
        ops = set(s.scalars(sa.select(Customer.operator_id)))
        assert ops == {s.get(StaffUser, tree["mgr"]).operator_id}


def test_a_grant_taken_back_mid_run_stops_it_too(factory, tree):
    with factory.begin() as s:
        fn(s, "permission.edit", as_(s, tree, "opa"), sok="ok", user="mgr",
           func="customer.import", grant="yes")
    run_id, task_id = start(factory, tree, "mgr")
    tasks.run_due(factory, budget=0)
    with factory.begin() as s:
        fn(s, "permission.edit", as_(s, tree, "opa"), sok="ok", user="mgr",
           func="customer.import", grant="no")
    tasks.run_due(factory)
    assert customers(factory) == 50
    with factory() as s:
        task = s.get(Task, task_id)
        assert task.status == "failed" and "customer.import has been revoked from mgr" in task.note

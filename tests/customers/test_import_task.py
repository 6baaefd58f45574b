"""A large customer.import runs as the customer_import task, a chunk per transaction with its
progress; a runner that dies mid-chunk leaves nothing of that chunk, and the runner that takes
over does it again: nobody is created or billed twice."""
from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from customers.importing import runs
from radbill import tasks
from radbill.models import Bill, Customer, CustomerImport, CustomerImportRow, Task
from rating import ledger
from tests.support.factories import fn, make, make_isp, make_package

ROWS = 230


def cut_over_csv() -> str:
    lines = ["username,password,package,mobile,advance_balance,opening_due"]
    for i in range(ROWS):
        bad = i % 50 == 7  # a bad mobile now and then
        lines.append(f"t{i:04d},pw{i},home,{'nope' if bad else f'0171{i:07d}'},"
                     f"{'10.50' if i % 3 == 0 else ''},{'200' if i % 4 == 0 else ''}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def started(factory, monkeypatch):
    monkeypatch.setattr(runs, "CHUNK", 50)
    with factory.begin() as s:
        make_isp(s)
        make_package(s, name="home")
        make(s, "billing_profile", name="monthly", term="monthly", due_day="1")
    with factory.begin() as s:
        result = fn(s, "customer.import", file=cut_over_csv(), skip_bad="yes")
    assert result.extra["background"] and result.extra["bad_rows"] == 5
    return result.elid, result.extra["task"]


def totals(factory):
    with factory() as s:
        customers = s.scalar(sa.select(sa.func.count()).select_from(Customer))
        names = s.scalar(sa.select(sa.func.count(sa.distinct(Customer.username))))
        bills = s.scalar(sa.select(sa.func.count()).select_from(Bill))
        due = s.scalar(sa.select(sa.func.coalesce(sa.func.sum(Bill.total), 0)))
        adv = s.scalar(sa.select(sa.func.coalesce(sa.func.sum(Customer.advance_balance), 0)))
        op = s.scalar(sa.select(Customer.operator_id).limit(1))
        books = {k: ledger.balance(s, op, k) for k in ("receivable", "advances",
                                                       "opening_balance")}
        return customers, names, bills, due, adv, books, ledger.unbalanced_transactions(s)


def good_rows() -> list[int]:
    return [i for i in range(ROWS) if i % 50 != 7]


def expected():
    good = good_rows()
    dues = Decimal(200) * sum(1 for i in good if i % 4 == 0)
    adv = Decimal("10.50") * sum(1 for i in good if i % 3 == 0)
    return len(good), dues, adv


def test_the_task_imports_chunk_by_chunk_with_progress(factory, started):
    run_id, task_id = started
    assert tasks.run_due(factory, budget=0) == 1  # one chunk, then parked
    with factory() as s:
        task, run = s.get(Task, task_id), s.get(CustomerImport, run_id)
        assert (task.done, task.failed, task.total) == (50, 5, ROWS)  # the 50 good rows
        assert run.next_line == 52 and "50 created" in task.note  # line 9 was bad
    tasks.run_due(factory)
    n, dues, adv = expected()
    customers, names, bills, due, advance, books, unbalanced = totals(factory)
    assert (customers, names, due, advance) == (n, n, dues, adv)
    assert books == {"receivable": dues, "advances": -adv, "opening_balance": adv - dues}
    assert unbalanced == []
    with factory() as s:
        task, run = s.get(Task, task_id), s.get(CustomerImport, run_id)
        assert (task.status, run.status, run.created) == ("done", "done", n)
        bad = s.execute(sa.select(CustomerImportRow.line, CustomerImportRow.errors).where(
            CustomerImportRow.import_id == run_id, CustomerImportRow.errors.is_not(None))
            .order_by(CustomerImportRow.line)).all()
        assert [line for line, _ in bad] == [i + 2 for i in range(ROWS) if i % 50 == 7]
        assert "mobile" in bad[0][1]


def test_a_runner_killed_mid_chunk_is_taken_over_and_nobody_is_done_twice(
        factory, started, monkeypatch):
    run_id, task_id = started
    tasks.run_due(factory, budget=0)  # chunk 1 committed
    real = runs.write

    def dies_after_writing(ctx, plan, reference):
        real(ctx, plan, reference)  # the chunk's rows, bills and ledger are written...
        raise sa.exc.OperationalError("COMMIT", {}, Exception("server closed the connection"))
    monkeypatch.setattr(runs, "write", dies_after_writing)
    with pytest.raises(sa.exc.OperationalError):
        tasks.run_due(factory, budget=0)  # ...and the runner dies before its commit
    with factory.begin() as s:
        assert s.get(CustomerImport, run_id).next_line == 52
        assert s.scalar(sa.select(sa.func.count()).select_from(Customer)) == 50
        s.execute(sa.update(Task).where(Task.id == task_id)
                  .values(heartbeat_at=sa.func.now() - sa.text("interval '5 minutes'")))
    monkeypatch.setattr(runs, "write", real)
    tasks.run_due(factory)  # a new runner takes it over
    n, dues, adv = expected()
    customers, names, bills, due, advance, books, unbalanced = totals(factory)
    assert (customers, names, due, advance) == (n, n, dues, adv)
    assert bills == sum(1 for i in good_rows() if i % 4 == 0)
    assert books["opening_balance"] == adv - dues and unbalanced == []
    with factory() as s:
        task = s.get(Task, task_id)
        assert (task.status, task.attempts) == ("done", 2)


def test_a_runs_progress_is_for_its_operators_subtree_only(factory, started):
    from radbill.functions.registry import NotFound
    from tests.support.factories import caller_of, make_operator, make_user
    run_id, _ = started
    tasks.run_due(factory)
    with factory() as s:
        seen = fn(s, "customer.import_run", run=run_id).values
        assert (seen["status"], seen["total"], seen["done"]) == ("done", ROWS, ROWS - 5)
        assert [line for line, _ in seen["bad"]] == [i + 2 for i in range(ROWS) if i % 50 == 7]
        isp = s.scalar(sa.select(CustomerImport.operator_id).where(CustomerImport.id == run_id))
        other = make_operator(s, name="elsewhere", parent=s.scalar(sa.text(
            "select name from operators where id = :i"), {"i": isp}))
        stranger = caller_of(s, make_user(s, login="res-x", role="operator",
                                          operator=other.name))
        with pytest.raises(NotFound):
            fn(s, "customer.import_run", stranger, run=run_id)
        with pytest.raises(NotFound):
            fn(s, "customer.import_run", run=10**6)

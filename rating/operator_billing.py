"""Operators' subscription bills and what follows an unpaid one (issue 19).

A parent bills each operator below it that has a plan (`operator_plans`), once a month: the
job `operator_billing` (daily; any day of the month issues that month's bill if it is missing,
and the unique (operator, period) index makes a second run, or a second node, bill nobody
twice). A per-subscriber plan counts, on the day the bill is issued, the customers of the
operator's whole subtree (its own and its sub-operators') whose status is active or fup (service
on) and who are not deleted; a flat plan charges the fee.

Booking (rating/ledger.py): issuing debits the operator's `operator_fees` and credits its
`fees_payable`; the parent debits `fees_receivable` and credits `revenue`. Paying moves the
debt onto the operator's balance with its parent: `fees_payable` +, `upstream` -; the parent's
`downstream` +, `fees_receivable` -. A bill is paid from the balance at once (and on every later
run, oldest first) when the operator's spendable balance covers it (resellers.available: a
debit operator's funds, a credit one's funds plus its limit), else it stays open.

An open bill past its due date + the plan's grace days suspends the operator (reason unpaid,
radbill.lifecycle.change_operator): its staff are shut out at once; its subtree's customers
keep service until the suspension's `customers_on` (the day + customer_grace_days), then the
task `operator.suspend_customers` suspends them (reason operator_suspended) in steps of BATCH.
Paying the overdue bills resumes the operator (reason payment) and the task
`operator.resume_customers` gives back service to exactly those suspended for that reason.
Every date is passed in (`on`): nothing here reads the clock for a day.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from radbill import events, lifecycle, tasks
from radbill.lifecycle import Actor
from radbill.models import Customer, Operator, OperatorBill, OperatorPlan, OperatorSuspension, Task
from rating import ledger, resellers

JOB = Actor("scheduler", "job.operator_billing")
SUSPEND_KIND, RESUME_KIND = "operator.suspend_customers", "operator.resume_customers"
BATCH = 200  # customers per task step (each step's Disconnects are paced per NAS by the worker)
DEFAULT_CUSTOMER_GRACE = 7  # for an operator suspended without a plan


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def subtree_ids(session: Session, op: Operator) -> sa.Select:
    return sa.select(Operator.id).where(Operator.path.startswith(op.path, autoescape=True))


def active_subscribers(session: Session, op: Operator) -> int:
    """Customers of the operator's subtree with service on (active or fup), not deleted."""
    return session.scalar(sa.select(sa.func.count()).select_from(Customer).where(
        Customer.operator_id.in_(subtree_ids(session, op)), Customer.deleted_at.is_(None),
        Customer.status.in_(("active", "fup"))))


def amount_of(plan: OperatorPlan, subscribers: int) -> Decimal:
    fee = Decimal(plan.fee)
    total = fee * subscribers if plan.fee_kind == "per_subscriber" else fee
    return total.quantize(Decimal("0.01"))


# -- bills ---------------------------------------------------------------------------------------
def issue(session: Session, op: Operator, plan: OperatorPlan, on: dt.date,
          actor: Actor = JOB) -> OperatorBill | None:
    """The month's bill of `op` (None: it has one already); booked, and paid from the balance
    when that covers it."""
    count = active_subscribers(session, op)
    amount = amount_of(plan, count)
    row = session.scalar(insert(OperatorBill).values(
        operator_id=op.id, parent_id=op.parent_id, period=month_start(on), issued_on=on,
        due_date=on + dt.timedelta(days=plan.due_days), fee_kind=plan.fee_kind, fee=plan.fee,
        subscribers=count, amount=amount, status="open")
        .on_conflict_do_nothing(constraint="uq_operator_bills_operator_period")
        .returning(OperatorBill.id))
    if row is None:
        return None
    bill = session.get(OperatorBill, row)
    what = f"subscription {bill.period:%Y-%m} of {op.name}"
    if plan.fee_kind == "per_subscriber":
        what += f": {count} subscribers"
    bill.transaction_id = ledger.post(
        session, "operator_bill", what,
        [(op.id, "operator_fees", amount), (op.id, "fees_payable", -amount),
         (op.parent_id, "fees_receivable", amount), (op.parent_id, "revenue", -amount)],
        operator_id=op.id, reference=f"OB-{bill.id}")
    if amount == 0:
        _mark_paid(bill)
    else:
        try_pay(session, op, bill, actor)
    events.emit(session, "operator_bill.issued", operator_id=op.id, actor=actor.login,
                func=actor.func, bill_id=bill.id, period=bill.period, subscribers=count,
                amount=amount, due_date=bill.due_date, status=bill.status)
    return bill


def _mark_paid(bill: OperatorBill) -> None:
    bill.status, bill.paid_at = "paid", dt.datetime.now(dt.timezone.utc)


def try_pay(session: Session, op: Operator, bill: OperatorBill, actor: Actor) -> bool:
    """Pay the bill from the operator's balance if it covers it (the operator's row locked, so
    an activation at the same moment cannot spend the same money)."""
    op = resellers.locked(session, op.id)
    if bill.status != "open" or resellers.available(session, op) < bill.amount:
        return False
    pay(session, op, bill, actor)
    return True


def pay(session: Session, op: Operator, bill: OperatorBill, actor: Actor) -> None:
    """Book the payment of an open bill from the balance (the caller checked it covers it)."""
    amount = bill.amount
    bill.payment_transaction_id = ledger.post(
        session, "operator_bill_payment", f"payment of subscription {bill.period:%Y-%m} "
        f"of {op.name}",
        [(op.id, "fees_payable", amount), (op.id, "upstream", -amount),
         (op.parent_id, "downstream", amount), (op.parent_id, "fees_receivable", -amount)],
        operator_id=op.id, reference=f"OB-{bill.id}")
    _mark_paid(bill)
    session.flush()
    events.emit(session, "operator_bill.paid", operator_id=op.id, actor=actor.login,
                func=actor.func, bill_id=bill.id, period=bill.period, amount=amount)


def overdue(session: Session, op_id: int, on: dt.date) -> list[OperatorBill]:
    """The operator's open bills past due date + its plan's grace days on `on`."""
    grace = session.scalar(sa.select(OperatorPlan.grace_days)
                           .where(OperatorPlan.operator_id == op_id)) or 0
    return list(session.scalars(sa.select(OperatorBill).where(
        OperatorBill.operator_id == op_id, OperatorBill.status == "open",
        OperatorBill.due_date + grace < on).order_by(OperatorBill.id)))


# -- suspension and resumption --------------------------------------------------------------------
def open_suspension(session: Session, op_id: int) -> OperatorSuspension | None:
    return session.scalars(sa.select(OperatorSuspension).where(
        OperatorSuspension.operator_id == op_id, OperatorSuspension.resumed_on.is_(None))).first()


def suspend(session: Session, op: Operator, reason: str, on: dt.date, actor: Actor,
            note: str | None = None) -> OperatorSuspension:
    """Suspend through the lifecycle; its customers follow after the customer grace days (never
    for the group at the top: suspending the ISP itself shuts out staff only)."""
    lifecycle.change_operator(session, op, "suspended", reason, actor, note)
    grace = session.scalar(sa.select(OperatorPlan.customer_grace_days)
                           .where(OperatorPlan.operator_id == op.id))
    grace = DEFAULT_CUSTOMER_GRACE if grace is None else grace
    row = OperatorSuspension(operator_id=op.id, reason=reason, suspended_on=on,
                             customers_on=None if op.parent_id is None
                             else on + dt.timedelta(days=grace))
    session.add(row)
    session.flush()
    return row


def resume(session: Session, op: Operator, reason: str, on: dt.date, actor: Actor,
           note: str | None = None) -> Task | None:
    """Resume through the lifecycle; the customers suspended for it get service back (a task);
    a task still suspending them stops."""
    lifecycle.change_operator(session, op, "active", reason, actor, note)
    row = open_suspension(session, op.id)
    if row is None:
        return None
    row.resumed_on = on
    if row.customers_task_id is not None:
        running = session.get(Task, row.customers_task_id, with_for_update=True)
        if running is not None and running.status in ("queued", "running"):
            tasks.cancel(session, running)
        return tasks.start(session, RESUME_KIND, {"operator_id": op.id, "after": 0},
                           title=f"resume the customers of {op.name}", operator_id=op.id,
                           created_by=actor.login)
    return None


def settle(session: Session, op: Operator, on: dt.date, actor: Actor) -> bool:
    """Resume an operator suspended for unpaid bills once none is overdue."""
    row = open_suspension(session, op.id)
    if op.status != "suspended" or row is None or row.reason != "unpaid" \
            or overdue(session, op.id, on):
        return False
    resume(session, op, "payment", on, actor)
    return True


# -- the customers' tasks -----------------------------------------------------------------------
def _customer_step(session: Session, task: Task, dest: str, reason: str, states: tuple,
                   where_reason: str | None) -> tasks.Step:
    p = dict(task.params or {})
    op = session.get(Operator, p["operator_id"])
    if op is None:
        return tasks.Step("done", note="the operator is gone")
    want = "suspended" if dest == "suspended" else "active"
    if op.status != want:  # resumed (or suspended again) since: the other task's turn
        return tasks.Step("done", note=f"the operator is {op.status} now; stopped")
    stmt = (sa.select(Customer.id).where(
        Customer.operator_id.in_(subtree_ids(session, op)), Customer.deleted_at.is_(None),
        Customer.status.in_(states), Customer.id > p.get("after", 0))
        .order_by(Customer.id).limit(BATCH).with_for_update(skip_locked=False))
    if where_reason:
        stmt = stmt.where(Customer.status_reason == where_reason)
    ids = list(session.scalars(stmt))
    if not ids:
        return tasks.Step("done", done=p.get("changed", 0), total=p.get("changed", 0),
                          note=f"{p.get('changed', 0)} customers of {op.name} {dest}")
    changed = lifecycle.apply(session, ids, dest, reason, Actor("scheduler", task.kind))
    p["after"], p["changed"] = ids[-1], p.get("changed", 0) + len(changed)
    task.params = p
    return tasks.Step("more", done=p["changed"], note=f"{p['changed']} customers {dest} so far")


def suspend_customers_step(session: Session, task: Task) -> tasks.Step:
    return _customer_step(session, task, "suspended", "operator_suspended", ("active", "fup"),
                          None)


def resume_customers_step(session: Session, task: Task) -> tasks.Step:
    return _customer_step(session, task, "active", "operator_resumed", ("suspended",),
                          "operator_suspended")


tasks.register(SUSPEND_KIND, suspend_customers_step)
tasks.register(RESUME_KIND, resume_customers_step)


# -- the job --------------------------------------------------------------------------------------
def run(session: Session, on: dt.date) -> str:
    """The month's bills, payments from balances, suspensions, and the customers' turn."""
    issued = paid = suspended = resumed = started = 0
    plans = session.execute(sa.select(Operator, OperatorPlan)
                            .join(OperatorPlan, OperatorPlan.operator_id == Operator.id)
                            .where(Operator.parent_id.is_not(None)).order_by(Operator.id)).all()
    for op, plan in plans:
        issued += issue(session, op, plan, on) is not None
    for bill in session.scalars(sa.select(OperatorBill).where(OperatorBill.status == "open")
                                .order_by(OperatorBill.operator_id, OperatorBill.id)).all():
        paid += try_pay(session, session.get(Operator, bill.operator_id), bill, JOB)
    for op in session.scalars(sa.select(Operator).where(Operator.id.in_(
            sa.select(OperatorBill.operator_id).where(OperatorBill.status == "open")))
            .order_by(Operator.id)).all():
        late = overdue(session, op.id, on)
        if late and op.status == "active":
            suspend(session, op, "unpaid", on, JOB,
                    note=f"subscription {late[0].period:%Y-%m} due {late[0].due_date} unpaid")
            suspended += 1
    for op in session.scalars(sa.select(Operator).where(Operator.status == "suspended")).all():
        resumed += settle(session, op, on, JOB)
    for row in session.scalars(sa.select(OperatorSuspension).where(
            OperatorSuspension.resumed_on.is_(None), OperatorSuspension.customers_on <= on,
            OperatorSuspension.customers_task_id.is_(None))).all():
        op = session.get(Operator, row.operator_id)
        task = tasks.start(session, SUSPEND_KIND, {"operator_id": op.id, "after": 0},
                           title=f"suspend the customers of {op.name}", operator_id=op.id,
                           created_by=JOB.login)
        row.customers_task_id = task.id
        started += 1
    return (f"{issued} bills issued, {paid} paid from balances, {suspended} operators "
            f"suspended, {resumed} resumed, {started} customer suspensions started")


def _job():
    from radbill.jobs import Job, register
    register(Job("operator_billing", run, "cron", {"hour": 0, "minute": 40}))


_job()

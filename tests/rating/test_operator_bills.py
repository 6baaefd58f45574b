"""Operators' subscription bills (issue 19): the month's bill, paid from the balance or left
open, suspension after due date + grace (staff shut out on every door), the customers' grace,
their suspension and resumption by task, another reseller kept out, bad input."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from radbill import tasks
from radbill.functions import auth as kernel_auth
from radbill.functions.registry import AccessDenied, FuncError, NotFound
from radbill.models import (Customer, Event, Operator, OperatorBill, OperatorPlan,
                            OperatorSuspension, Task)
from rating import ledger, operator_billing
from tests.support.factories import caller_of, fn, make_customer, make_operator, make_package, \
    make_user
from tests.support.rating_factories import assert_books_balance
from tests.admin.test_browser import browser, live_admin  # noqa: F401  (fixtures)

D = Decimal


def run_task(session, task_id: int) -> Task:
    """A task's steps until it ends, as the worker takes them (here without commits)."""
    task = session.get(Task, task_id)
    for _ in range(1000):
        step = tasks.KINDS[task.kind].step(session, task)
        task.done, task.note = step.done if step.done is not None else task.done, step.note
        if step.state in ("done", "failed"):
            task.status = step.state
            return task
    raise AssertionError("the task never ended")


@pytest.fixture
def tree(session):
    """isp -> resA (debit) -> subA, isp -> resB (debit); anna runs resA, ben resB."""
    make_operator(session, name="isp")
    res_a = make_operator(session, name="resA", parent="isp")
    res_b = make_operator(session, name="resB", parent="isp")
    make_operator(session, name="subA", parent="resA")
    for name in ("resA", "resB"):
        fn(session, "operator.edit", sok="ok", elid=name, kind="debit")
    anna = make_user(session, login="anna", role="operator", operator="resA")
    ben = make_user(session, login="ben", role="operator", operator="resB")
    pkg = make_package(session, name="home", price="500")
    a = caller_of(session, anna)
    for n in ("a1", "a2", "a3", "a4", "a5"):
        make_customer(session, a, username=n, package=pkg.name)
    for n in ("s1", "s2"):
        make_customer(session, username=n, package=pkg.name, operator="subA")
    make_customer(session, caller_of(session, ben), username="b1", package=pkg.name)
    fn(session, "customer.suspend", elid="a4")  # suspended by hand: not counted, not resumed
    fn(session, "customer.delete", elid="a5")  # deleted: not counted
    session.execute(sa.update(Customer).where(Customer.username == "s2").values(status="fup"))
    return type("Tree", (), {"a": res_a, "b": res_b, "anna": anna, "ben": ben, "pkg": pkg})


def bills(session, op) -> list[OperatorBill]:
    session.flush()
    return list(session.scalars(sa.select(OperatorBill).where(OperatorBill.operator_id == op.id)
                                .order_by(OperatorBill.period)))


def balance(session, name: str, kind: str) -> Decimal:
    op_id = session.scalar(sa.select(Operator.id).where(Operator.name == name))
    return ledger.balance(session, op_id, kind)


def test_a_months_bill_is_the_hand_count_times_the_fee(session, tree):
    fn(session, "operator_plan.edit", sok="ok", elid="resA", fee_kind="per_subscriber", fee="12.50")
    fn(session, "operator_plan.edit", sok="ok", elid="resB", fee_kind="flat", fee="999")
    # counted by hand: resA's a1 a2 a3 (a4 suspended, a5 deleted) and subA's s1 and s2 (fup)
    hand = len(["a1", "a2", "a3", "s1", "s2"])
    operator_billing.run(session, dt.date(2026, 3, 1))
    (bill,) = bills(session, tree.a)
    assert (bill.period, bill.issued_on, bill.due_date) == (
        dt.date(2026, 3, 1), dt.date(2026, 3, 1), dt.date(2026, 3, 8))
    assert bill.subscribers == hand and bill.amount == D("12.50") * hand == D("62.50")
    assert bill.status == "open"  # resA has no funds
    (flat,) = bills(session, tree.b)
    assert (flat.subscribers, flat.amount) == (1, D("999.00"))
    # booked between the operator and its parent, balanced
    assert balance(session, "resA", "fees_payable") == D("-62.50")
    assert balance(session, "resA", "operator_fees") == D("62.50")
    assert balance(session, "isp", "fees_receivable") == D("1061.50")
    assert_books_balance(session)
    listed = fn(session, "operator_bill", operator="resA").rows
    assert [(r["subscribers"], r["amount"], r["status"]) for r in listed] == [(5, "62.50", "open")]


def test_running_the_job_twice_bills_once_month_end_and_leap_day(session, tree):
    fn(session, "operator_plan.edit", sok="ok", elid="resA", fee_kind="flat", fee="100",
       due_days="7")
    operator_billing.run(session, dt.date(2028, 1, 31))  # the job missed the 1st: the 31st bills
    operator_billing.run(session, dt.date(2028, 1, 31))
    operator_billing.run(session, dt.date(2028, 1, 15))  # any day of January: billed already
    operator_billing.run(session, dt.date(2028, 2, 29))  # leap day: February's bill
    operator_billing.run(session, dt.date(2028, 2, 1))
    got = [(b.period, b.issued_on, b.due_date) for b in bills(session, tree.a)]
    assert got == [(dt.date(2028, 1, 1), dt.date(2028, 1, 31), dt.date(2028, 2, 7)),
                   (dt.date(2028, 2, 1), dt.date(2028, 2, 29), dt.date(2028, 3, 7))]
    issued = session.scalar(sa.select(sa.func.count()).select_from(Event)
                            .where(Event.name == "operator_bill.issued"))
    assert issued == 2
    with pytest.raises(sa.exc.IntegrityError):  # the database refuses a second bill itself
        with session.begin_nested():
            session.add(OperatorBill(operator_id=tree.a.id, parent_id=tree.a.parent_id,
                                     period=dt.date(2028, 1, 1), issued_on=dt.date(2028, 1, 2),
                                     due_date=dt.date(2028, 1, 9), fee_kind="flat",
                                     fee=D(1), subscribers=0, amount=D(1)))
            session.flush()


def test_paid_from_the_balance_leaves_a_balanced_ledger(session, tree):
    fn(session, "operator.fund", elid="resA", amount="100")
    fn(session, "operator_plan.edit", sok="ok", elid="resA", fee_kind="per_subscriber", fee="10")
    operator_billing.run(session, dt.date(2026, 5, 1))
    (bill,) = bills(session, tree.a)
    assert (bill.amount, bill.status) == (D("50.00"), "paid") and bill.paid_at is not None
    assert balance(session, "resA", "upstream") == D("50.00")  # 100 funded, 50 paid
    assert balance(session, "resA", "fees_payable") == 0
    assert balance(session, "isp", "fees_receivable") == 0
    assert balance(session, "isp", "downstream") == D("-50.00")
    assert balance(session, "isp", "revenue") == D("-50.00")
    assert_books_balance(session)
    names = [e.name for e in session.scalars(sa.select(Event).where(
        Event.name.like("operator_bill.%")).order_by(Event.id))]
    assert names == ["operator_bill.paid", "operator_bill.issued"]


def test_an_open_bill_is_paid_when_funds_arrive(session, tree):
    fn(session, "operator_plan.edit", sok="ok", elid="resA", fee_kind="flat", fee="300")
    operator_billing.run(session, dt.date(2026, 5, 1))
    (bill,) = bills(session, tree.a)
    with pytest.raises(FuncError) as exc:
        fn(session, "operator_bill.pay", elid=str(bill.id))
    assert "elid" in exc.value.errors and "300" in exc.value.message
    fn(session, "operator.fund", elid="resA", amount="200")
    operator_billing.run(session, dt.date(2026, 5, 2))  # 200 does not cover it: still open
    assert bills(session, tree.a)[0].status == "open"
    fn(session, "operator.fund", elid="resA", amount="100")
    anna = caller_of(session, tree.anna)  # the operator pays its own bill
    done = fn(session, "operator_bill.pay", anna, elid=str(bill.id))
    assert done.extra["available"] == "0.00" and bills(session, tree.a)[0].status == "paid"
    with pytest.raises(FuncError) as exc:
        fn(session, "operator_bill.pay", elid=str(bill.id))
    assert exc.value.errors == {"elid": "is paid already"}
    assert_books_balance(session)


def customers(session, *names) -> dict[str, tuple[str, str | None]]:
    session.expire_all()
    return {c.username: (c.status, c.status_reason) for c in session.scalars(
        sa.select(Customer).where(Customer.username.in_(names)))}


def test_an_unpaid_bill_suspends_the_operator_then_its_customers_and_payment_resumes(
        session, tree, monkeypatch):
    # far ahead, so paying (judged on the later of today and the suspension day) finds the
    # next month's bill not yet overdue on any day this test runs
    monkeypatch.setattr(operator_billing, "BATCH", 2)  # several steps
    fn(session, "operator_plan.edit", sok="ok", elid="resA", fee_kind="flat", fee="400",
       due_days="7", grace_days="21", customer_grace_days="3")
    operator_billing.run(session, dt.date(2096, 2, 1))  # due 2096-02-08, grace to the 29th
    operator_billing.run(session, dt.date(2096, 2, 29))
    session.refresh(tree.a)
    assert tree.a.status == "active"  # the leap day is the last day of grace
    operator_billing.run(session, dt.date(2096, 3, 1))
    session.refresh(tree.a)
    assert tree.a.status == "suspended"
    ev = session.scalars(sa.select(Event).where(Event.name == "operator.suspended")).one()
    assert (ev.operator_id, ev.data["reason"], ev.func) == (tree.a.id, "unpaid",
                                                             "job.operator_billing")
    row = session.scalars(sa.select(OperatorSuspension)).one()
    assert (row.suspended_on, row.customers_on) == (dt.date(2096, 3, 1), dt.date(2096, 3, 4))
    # its staff are shut out: su= (the CLI's door) refuses anna
    with pytest.raises(AccessDenied) as exc:
        kernel_auth.system_caller(session, "anna")
    assert "resA" in exc.value.message and "suspended" in exc.value.message
    # the customers keep service through the customer grace days
    operator_billing.run(session, dt.date(2096, 3, 3))
    assert row.customers_task_id is None
    names = ("a1", "a2", "a3", "a4", "s1", "s2", "b1")
    assert customers(session, *names)["a1"] == ("active", None)
    operator_billing.run(session, dt.date(2096, 3, 4))
    assert row.customers_task_id is not None
    operator_billing.run(session, dt.date(2096, 3, 5))  # one task, not two
    assert session.scalar(sa.select(sa.func.count()).select_from(Task)
                          .where(Task.kind == "operator.suspend_customers")) == 1
    task = session.get(Task, row.customers_task_id)
    step = tasks.KINDS[task.kind].step(session, task)  # a first step, then the runner "dies"
    assert step.state == "more" and step.done == 2
    run_task(session, task.id)  # another takes over from the step's committed params
    assert customers(session, *names) == {
        "a1": ("suspended", "operator_suspended"), "a2": ("suspended", "operator_suspended"),
        "a3": ("suspended", "operator_suspended"), "a4": ("suspended", "manual"),
        "s1": ("suspended", "operator_suspended"), "s2": ("suspended", "operator_suspended"),
        "b1": ("active", None)}  # another reseller's customer untouched
    assert task.done == 5
    # a customer's own payment does not lift a suspension its operator caused
    fn(session, "payment.edit", sok="ok", customer="a1", method="cash", amount="500")
    assert customers(session, "a1")["a1"] == ("suspended", "operator_suspended")
    # it pays: the parent records the money, the bill is paid, the operator resumed
    fn(session, "operator.fund", elid="resA", amount="400")
    oldest = bills(session, tree.a)[0]
    done = fn(session, "operator_bill.pay", elid=str(oldest.id))
    assert done.extra["resumed"] is True
    session.refresh(tree.a)
    assert tree.a.status == "active" and row.resumed_on == dt.date(2096, 3, 1)
    resumed = session.scalars(sa.select(Event).where(Event.name == "operator.resumed")).one()
    assert resumed.data["reason"] == "payment"
    back = session.scalars(sa.select(Task).where(Task.kind == "operator.resume_customers")).one()
    run_task(session, back.id)
    assert customers(session, *names) == {
        "a1": ("active", None), "a2": ("active", None), "a3": ("active", None),
        "a4": ("suspended", "manual"),  # only those suspended for the operator come back
        "s1": ("active", None), "s2": ("active", None), "b1": ("active", None)}
    assert kernel_auth.system_caller(session, "anna").login == "anna"
    assert_books_balance(session)


def test_a_manual_suspension_goes_through_the_lifecycle(session, tree):
    fn(session, "operator.edit", sok="ok", elid="resA", status="suspended")
    session.refresh(tree.a)
    assert tree.a.status == "suspended"
    # the form sent again with the same status changes nothing (no second event)
    fn(session, "operator.edit", sok="ok", elid="resA", status="suspended", name="resA")
    fn(session, "operator.edit", sok="ok", elid="resA", status="active")
    with pytest.raises(FuncError) as exc:  # a new operator starts active
        fn(session, "operator.edit", sok="ok", name="resC", parent="isp", status="suspended")
    assert "status" in exc.value.errors
    got = [(e.name, e.data["reason"]) for e in session.scalars(
        sa.select(Event).where(Event.name.like("operator.%")).order_by(Event.id))]
    assert got == [("operator.suspended", "manual"), ("operator.resumed", "manual")]


def test_another_reseller_can_neither_bill_nor_suspend_nor_pay(session, tree):
    fn(session, "operator_plan.edit", sok="ok", elid="resA", fee_kind="flat", fee="50")
    operator_billing.run(session, dt.date(2026, 6, 1))
    (bill,) = bills(session, tree.a)
    ben, anna = caller_of(session, tree.ben), caller_of(session, tree.anna)
    with pytest.raises(AccessDenied):
        fn(session, "operator_plan.edit", ben, sok="ok", elid="resA", fee_kind="flat", fee="1")
    with pytest.raises(AccessDenied):  # nor its own plan: the parent sets it
        fn(session, "operator_plan.edit", anna, sok="ok", elid="resA", fee_kind="flat", fee="1")
    with pytest.raises((AccessDenied, NotFound)):
        fn(session, "operator.edit", ben, sok="ok", elid="resA", status="suspended")
    with pytest.raises(NotFound):
        fn(session, "operator_bill.pay", ben, elid=str(bill.id))
    assert fn(session, "operator_bill", ben).rows == []
    assert [r["id"] for r in fn(session, "operator_bill", anna).rows] == [bill.id]
    assert [r["operator"] for r in fn(session, "operator_plan", ben).rows] == ["resB"]
    (mine,) = fn(session, "operator_plan", anna, operator="resA").rows
    assert (mine["fee_kind"], mine["fee"], mine["open_bills"], mine["balance"]) == (
        "flat", "50.00", 1, "0")
    assert session.get(OperatorPlan, tree.a.id).fee == D("50.00")
    session.refresh(tree.a)
    assert tree.a.status == "active"


@pytest.mark.parametrize("params, field", [
    ({"fee_kind": "monthly", "fee": "10"}, "fee_kind"),
    ({"fee_kind": "flat", "fee": "-1"}, "fee"),
    ({"fee_kind": "flat", "fee": "ten"}, "fee"),
    ({"fee_kind": "flat", "fee": "10", "grace_days": "91"}, "grace_days"),
    ({"fee_kind": "flat", "fee": "10", "customer_grace_days": "x"}, "customer_grace_days"),
    ({"fee_kind": "flat", "fee": "10", "due_days": "-2"}, "due_days"),
    ({"fee_kind": "flat"}, "fee"),
    ({"fee_kind": "flat", "fee": "10", "elid": ""}, "elid"),
    ({"fee_kind": "flat", "fee": "10", "elid": "isp"}, "elid"),  # the top has no parent
])
def test_bad_plans_are_refused_naming_the_field(session, tree, params, field):
    params = {"elid": "resA", **params}
    with pytest.raises(FuncError) as exc:
        fn(session, "operator_plan.edit", sok="ok", **params)
    assert field in exc.value.errors
    assert session.get(OperatorPlan, tree.a.id) is None  # nothing half-written


@pytest.mark.parametrize("ref, field", [("", "elid"), ("abc", "elid"), ("99999999", "elid")])
def test_bad_bill_refs_are_refused_naming_the_field(session, tree, ref, field):
    with pytest.raises(FuncError) as exc:
        fn(session, "operator_bill.pay", elid=ref)
    assert field in exc.value.errors


def test_bad_list_filters_are_refused(session, tree):
    for params, field in (({"status": "late"}, "status"), ({"period": "2026-13"}, "period")):
        with pytest.raises(FuncError) as exc:
            fn(session, "operator_bill", **params)
        assert field in exc.value.errors


def _suspend_for_nonpayment(session, name: str) -> None:
    """A flat plan, March's bill left unpaid, the job past due date + grace."""
    fn(session, "operator_plan.edit", sok="ok", elid=name, fee_kind="flat", fee="500",
       due_days="5", grace_days="2")
    for day in (1, 9):  # due the 6th, grace to the 8th
        operator_billing.run(session, dt.date(2027, 3, day))


def test_a_suspended_operators_staff_are_refused_at_the_web_login_and_its_api_clients(
        world, auth, client, dbs):
    from tests.support.api_fixtures import bearer, make_client
    _, token = make_client(dbs, world.op_a, name="crm19")
    dbs.commit()
    assert client.get("/api/v1/customers", headers=bearer(token)).status_code == 200
    _suspend_for_nonpayment(dbs, "opA")
    dbs.commit()
    assert dbs.get(Operator, world.op_a.id).status == "suspended"
    for login in ("opera", "suba"):  # its staff, and its sub-operator's
        resp = auth.login(login)
        assert resp.status_code == 401
        assert "your operator is suspended" in resp.get_data(as_text=True)
    assert auth.login("operb").status_code == 302  # another reseller's staff are not
    resp = client.get("/api/v1/customers", headers=bearer(token))
    assert resp.status_code == 403 and "opA" in resp.get_json(force=True)["detail"]


def test_the_command_lines_su_refuses_a_suspended_operators_staff(cli, engine):
    from sqlalchemy.orm import Session
    with Session(engine) as s, s.begin():
        make_operator(s, name="isp")
        make_operator(s, name="resA", parent="isp")
        make_user(s, login="anna", role="operator", operator="resA")
        _suspend_for_nonpayment(s, "resA")
    r = cli("call", "customer", "su=anna")
    assert r.returncode != 0
    assert "operator 'resA' is suspended" in r.stdout + r.stderr
    assert cli("call", "customer").returncode == 0  # the administrator still gets in


# -- the operator's page (admin/operators/) --------------------------------------------------------
@pytest.fixture
def billed(world):
    """opA on a flat 500 plan, March 2027's bill unpaid past grace: suspended."""
    _suspend_for_nonpayment(world.dbs, "opA")
    world.dbs.commit()
    return world


def test_the_operator_page_shows_its_plan_bills_and_suspension_and_pays(billed, auth):
    auth.login("gadmin")
    page = auth.get(f"/operators/{billed.op_a.id}").get_data(as_text=True)
    assert 'id="suspension"' in page and "2027-03-09" in page  # suspended on the job's day
    assert "500.00 a month" in page.replace("\u00a0", " ") or "500.00" in page
    assert 'id="bills"' in page and "2027-03-01" in page and "b-open" in page
    assert 'id="edit-plan"' in page and 'id="delete"' in page
    bill = billed.dbs.scalars(sa.select(OperatorBill)).one()
    resp = auth.post(f"/operators/{billed.op_a.id}/bills/{bill.id}/pay", {})
    assert resp.status_code == 302
    assert "500" in auth.get(f"/operators/{billed.op_a.id}").get_data(as_text=True)
    billed.dbs.expire_all()
    assert billed.dbs.get(OperatorBill, bill.id).status == "open"  # no funds: refused, shown
    fn(billed.dbs, "operator.fund", elid="opA", amount="500")
    billed.dbs.commit()
    auth.post(f"/operators/{billed.op_a.id}/bills/{bill.id}/pay", {})
    billed.dbs.expire_all()
    assert billed.dbs.get(OperatorBill, bill.id).status == "paid"
    assert billed.dbs.get(Operator, billed.op_a.id).status == "active"
    page = auth.get(f"/operators/{billed.op_a.id}").get_data(as_text=True)
    assert 'id="suspension"' not in page and "b-paid" in page


def test_the_delete_button_shows_the_dry_run_first(world, auth):
    auth.login("gadmin")
    sub = world.sub_a.id
    # the list's delete action opens the operator's page, whose button asks for the dry run
    resp = auth.get(f"/billmgr?func=operator.delete&elid={sub}")
    assert resp.status_code == 302 and resp.location.endswith(f"/operators/{sub}")
    dry = auth.post(f"/operators/{sub}/delete", {})
    page = dry.get_data(as_text=True)
    assert dry.status_code == 200 and 'id="what-goes"' in page and 'id="confirm-delete"' in page
    assert "Staff logins" in page and "Operators (it and those below it)" in page
    world.dbs.expire_all()
    assert world.dbs.get(Operator, sub) is not None  # nothing gone yet
    done = auth.post(f"/operators/{sub}/delete", {"confirm": "yes"})
    assert done.status_code == 302 and "operator_archive" in done.location
    world.dbs.expire_all()
    assert world.dbs.get(Operator, sub) is None


def test_a_balance_shows_on_the_dry_run_and_no_delete_button(world, auth):
    fn(world.dbs, "operator.fund", elid="subA", amount="75")
    world.dbs.commit()
    auth.login("gadmin")
    page = auth.post(f"/operators/{world.sub_a.id}/delete", {}).get_data(as_text=True)
    assert 'id="refused"' in page and "75.00" in page and 'id="confirm-delete"' not in page
    assert auth.post(f"/operators/{world.sub_a.id}/delete", {"confirm": "yes"}).status_code == 302
    world.dbs.expire_all()
    assert world.dbs.get(Operator, world.sub_a.id) is not None


def test_another_reseller_cannot_open_or_delete_the_operator(world, auth):
    auth.login("operb")
    assert auth.get(f"/operators/{world.op_a.id}").status_code in (403, 404)
    assert auth.post(f"/operators/{world.sub_a.id}/delete", {"confirm": "yes"}).status_code \
        in (403, 404)
    world.dbs.expire_all()
    assert world.dbs.get(Operator, world.sub_a.id) is not None
    auth.logout()
    auth.login("opera")  # its own page: no delete button, no plan to change
    page = auth.get(f"/operators/{world.op_a.id}").get_data(as_text=True)
    assert 'id="delete"' not in page and 'id="edit-plan"' not in page


@pytest.mark.parametrize("which", ["show", "delete"])
def test_the_operator_pages_in_bangla(billed, auth, which):
    from tests.admin.test_bangla_pages import assert_bangla
    auth.login("gadmin")
    oid = billed.op_a.id
    resp = auth.get(f"/operators/{oid}?lang=bn") if which == "show" else \
        auth.post(f"/operators/{oid}/delete?lang=bn", {})
    page = resp.get_data(as_text=True)
    assert '<html lang="bn">' in page
    main = page[page.index("<main>"):page.index("</main>")]
    assert_bangla(main, which, {"opA", "isp", "su=", "API"})


@pytest.fixture
def phone_operator(committed):
    from radbill import db
    with db.session_scope() as s:
        make_operator(s, name="isp")
        make_operator(s, name="Mirpur Fibre Network Reseller", parent="isp")
        make_user(s, login="pops", role="group_admin", operator="isp", password="correct-horse",
                  lang="bn")
        pkg = make_package(s, name="home")
        for n in range(4):
            make_customer(s, username=f"mirpur{n}", package=pkg.name,
                          operator="Mirpur Fibre Network Reseller")
        _suspend_for_nonpayment(s, "Mirpur Fibre Network Reseller")
        return s.scalar(sa.select(Operator.id).where(Operator.name.like("Mirpur%")))


@pytest.mark.browser
@pytest.mark.skipif(not __import__("shutil").which("chromedriver"), reason="no chromedriver")
def test_the_operator_pages_fit_a_390_px_phone_in_bangla(phone_operator, live_admin,  # noqa: F811
                                                         browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    from tests.admin.test_browser import ARTIFACTS, click, fill
    from tests.admin.test_design_browser import fits, viewport
    live, b = live_admin, browser
    screens = ARTIFACTS / "screens"
    screens.mkdir(parents=True, exist_ok=True)
    viewport(b, 390, 844)
    b.get(live + "/login")
    fill(b, login="pops", password="correct-horse")
    click(b, "submit")
    b.get(f"{live}/operators/{phone_operator}")
    assert "স্থগিত" in b.find_element(By.ID, "suspension").text
    assert "৫০০.০০" in b.find_element(By.ID, "bills").text
    fits(b, 390, "operator page")
    b.save_screenshot(str(screens / "issue19-operator-390.png"))
    click(b, "delete")  # waits for the dry-run page (a bare .click() raced it on a loaded box)
    assert b.find_element(By.ID, "what-goes").text
    assert "আর্কাইভ করে মুছে ফেলা" in b.find_element(By.ID, "what-goes").text
    fits(b, 390, "operator delete dry run")
    b.save_screenshot(str(screens / "issue19-operator-delete-390.png"))

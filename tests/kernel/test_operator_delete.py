"""operator.delete (issue 19): the dry run lists exactly what goes; a balance refuses it; the
parent's books are unchanged and the money history is archived (checksummed, retrievable); a
large delete runs as a task; another reseller cannot reach it; bad input."""
from __future__ import annotations

import datetime as dt
import gzip
import json
from decimal import Decimal

import pytest
import sqlalchemy as sa

from radbill import tasks
from radbill.functions.registry import AccessDenied, FuncError, NotFound
from radbill.models import (AuditLog, Bill, Customer, Event, Operator, OperatorArchive,
                            OperatorArchivePart, Payment, StaffUser, Task)
from rating import billing_run, operator_billing
from staff.functions import operator_delete as delete_fn
from tests.support.factories import caller_of, fn, make, make_customer, make_operator, \
    make_package, make_user
from tests.support.rating_factories import assert_books_balance, make_profile, pay

D = Decimal
GROWS = {"audit_log", "events", "outbox", "operator_archives", "operator_archive_parts", "tasks",
         "operator_suspensions", "job_state"}


@pytest.fixture
def shop(session):
    """isp -> resA (debit, 2 staff, its package, profile, zone, NAS, check) -> subA; isp -> resB.
    resA's customers a1 (postpaid, a bill paid), a2; subA's s1; resB's b1. resA funded 100 and
    its 100 subscription paid from it: every balance at zero."""
    make_operator(session, name="isp")
    make_operator(session, name="resA", parent="isp")
    make_operator(session, name="resB", parent="isp")
    make_operator(session, name="subA", parent="resA")
    fn(session, "operator.edit", sok="ok", elid="resA", kind="debit")
    gadmin = make_user(session, login="gadmin", role="group_admin", operator="isp")
    anna = make_user(session, login="anna", role="operator", operator="resA")
    make_user(session, login="amy", role="manager", operator="resA")
    make_user(session, login="sam", role="sub_operator", operator="subA")
    ben = make_user(session, login="ben", role="operator", operator="resB")
    a = caller_of(session, anna)
    pkg = make_package(session, a, name="aHome", price="500")
    shared = make_package(session, name="isp10", price="300")
    profile = make_profile(session, a, name="aMonthly")
    fn(session, "zone.edit", a, sok="ok", name="aNorth")
    make(session, "nas", name="aEdge", ip="10.251.0.1", secret="s3cret", operator="resA")
    a1 = make_customer(session, a, username="a1", package=pkg.name, billing_profile=profile.name)
    a1.created_at = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    make_customer(session, a, username="a2", package=shared.name)
    make_customer(session, username="s1", package=shared.name, operator="subA")
    make_customer(session, caller_of(session, ben), username="b1", package=shared.name)
    session.flush()
    billing_run.generate(session, dt.date(2026, 2, 1), customer_ids=[a1.id])
    pay(session, a1, "500", a)
    fn(session, "operator.fund", elid="resA", amount="100")
    fn(session, "operator_plan.edit", sok="ok", elid="resA", fee_kind="flat", fee="100")
    operator_billing.run(session, dt.date(2026, 2, 1))
    session.flush()
    return type("Shop", (), {"gadmin": gadmin, "anna": anna, "ben": ben, "a1": a1})


def counts(session) -> dict[str, int]:
    session.flush()
    tables = session.scalars(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
    return {t: session.scalar(sa.text(f'SELECT count(*) FROM "{t}"')) for t in tables}


def books(session, name: str) -> dict[str, Decimal]:
    return dict(session.execute(sa.text(
        "SELECT a.kind::text, sum(e.amount) FROM ledger_entries e JOIN ledger_accounts a "
        "ON a.id = e.account_id JOIN operators o ON o.id = a.operator_id WHERE o.name = :n "
        "GROUP BY a.kind"), {"n": name}).all())


def op_id(session, name: str) -> int | None:
    return session.scalar(sa.select(Operator.id).where(Operator.name == name))


def test_the_dry_run_lists_exactly_what_the_delete_removes(session, shop):
    dry = fn(session, "operator.delete", elid="resA", dry_run="yes")
    assert dry.extra["refused"] is None
    going = {r["table"]: r["rows"] for r in dry.extra["rows"]
             if r["effect"] != "kept, link cleared"}
    kept = {r["table"]: r["rows"] for r in dry.extra["rows"] if r["effect"] == "kept, link cleared"}
    effect = {r["table"]: r["effect"] for r in dry.extra["rows"] if r["table"] in going}
    # what a person checks: 2 operators, 3 customers, 3 staff logins, the package, the profile,
    # the zone, the subscription bill and plan, resA's and subA's ledger accounts
    assert going["operators"] == 2 and going["customers"] == 3 and going["staff_users"] == 3
    assert going["packages"] == 1 and going["billing_profiles"] == 1 and going["zones"] == 1
    assert going["operator_bills"] == 1 and going["bills"] == 1 and going["payments"] == 1
    assert effect["bills"] == "archived and deleted" and effect["customers"] == "deleted"
    assert kept["nas_settings"] == 1  # the NAS stays, global now
    assert kept["ledger_transactions"] >= 1  # the fund: the parent keeps its legs
    assert dry.extra["customers"] == 3 and dry.extra["total"] == sum(going.values())
    before = counts(session)
    nothing = counts(session)  # the dry run changed nothing
    assert before == nothing and op_id(session, "resA") is not None
    fn(session, "operator.delete", caller_of(session, shop.gadmin), elid="resA")
    after = counts(session)
    removed = {t: before[t] - after[t] for t in before if before[t] > after[t]}
    assert removed == going
    assert {t for t in before if after[t] > before[t]} <= GROWS
    assert op_id(session, "resA") is None and op_id(session, "subA") is None
    assert {u.login for u in session.scalars(sa.select(StaffUser))} == {"gadmin", "ben"}
    assert [c.username for c in session.scalars(sa.select(Customer))] == ["b1"]
    nas = session.execute(sa.text("SELECT operator_id FROM nas_settings s JOIN nas n "
                                  "ON n.id = s.nas_id WHERE n.nasname = '10.251.0.1'")).scalar()
    assert nas is None


def test_a_balance_refuses_the_delete_naming_the_account(session, shop):
    fn(session, "operator.fund", elid="subA", amount="40")  # resA's own reseller owes nothing
    with pytest.raises(FuncError) as exc:
        fn(session, "operator.delete", elid="resA")
    message = exc.value.errors["elid"]
    assert "subA's upstream account is 40.00" in message and "resA's downstream" in message
    dry = fn(session, "operator.delete", elid="resA", dry_run="yes")
    assert "subA's upstream account is 40.00" in dry.extra["refused"]
    assert op_id(session, "resA") is not None and op_id(session, "subA") is not None


def test_a_customer_elsewhere_on_its_package_blocks_the_delete(session, shop):
    pkg = session.scalar(sa.text("SELECT id FROM packages WHERE name = 'aHome'"))
    session.execute(sa.update(Customer).where(Customer.username == "b1").values(package_id=pkg))
    with pytest.raises(FuncError) as exc:
        fn(session, "operator.delete", elid="resA")
    assert "1 customers of other operators" in exc.value.errors["elid"]
    assert op_id(session, "resA") is not None


def test_the_parents_books_are_unchanged_and_the_history_is_archived(session, shop):
    isp_before = books(session, "isp")
    res_before = {k: v for k, v in books(session, "resA").items()}
    bill_total = session.scalar(sa.select(Bill.total).where(Bill.customer_id == shop.a1.id))
    result = fn(session, "operator.delete", elid="resA")
    assert books(session, "isp") == isp_before  # no account of the parent moved
    assert_books_balance(session)
    archive = session.get(OperatorArchive, result.extra["archive"])
    assert (archive.status, archive.parent_id, archive.operator_name) == (
        "complete", op_id(session, "isp"), "resA")
    listed = fn(session, "operator_archive", caller_of(session, shop.gadmin)).rows
    assert [r["id"] for r in listed] == [archive.id]
    got = fn(session, "operator_archive.file", elid=str(archive.id))
    body = json.loads(got.data)
    rows = body["rows"]
    assert [b["total"] for b in rows["bills"]] == [float(bill_total)] or \
        [D(str(b["total"])) for b in rows["bills"]] == [bill_total]
    assert len(rows["payments"]) == 1 and len(rows["operator_bills"]) == 1
    # resA's balances can be read back from the archived legs
    kinds = {a["id"]: (a["operator_id"], a["kind"]) for a in rows["ledger_accounts"]}
    res_id = next(o for o, k in kinds.values() if k == "upstream")
    back: dict[str, Decimal] = {}
    for e in rows["ledger_entries"]:
        o, k = kinds[e["account_id"]]
        if o == res_id:
            back[k] = back.get(k, D(0)) + D(str(e["amount"]))
    assert {k: v for k, v in back.items() if v} == {k: v for k, v in res_before.items() if v}
    ev = session.scalars(sa.select(Event).where(Event.name == "operator.deleted")).one()
    assert (ev.data["name"], ev.data["archive_id"]) == ("resA", archive.id)
    audit = session.scalars(sa.select(AuditLog).where(AuditLog.func == "operator.delete",
                                                      AuditLog.object_type == "operator")).one()
    assert audit.object_name == "resA" and audit.after["archive"] == archive.id
    # a damaged part is noticed, never served
    part = session.scalars(sa.select(OperatorArchivePart)
                           .where(OperatorArchivePart.archive_id == archive.id)).first()
    data = json.loads(gzip.decompress(part.content))
    data["bills"][0]["total"] = 1
    part.content = gzip.compress(json.dumps(data).encode())
    session.flush()
    with pytest.raises(FuncError) as exc:
        fn(session, "operator_archive.file", elid=str(archive.id))
    assert "SHA-256" in exc.value.message


def test_a_shared_transaction_keeps_its_other_legs(session, shop):
    """A transfer from resA to resB leaves resA's leg in a transaction resB keeps: it becomes
    the parent's `archived` leg, and the parent's other accounts do not move."""
    fn(session, "operator.fund", elid="resA", amount="30")
    fn(session, "operator.transfer", **{"from": "resA", "to": "resB", "amount": "30"})
    isp_before = books(session, "isp")
    fn(session, "operator.delete", elid="resA")
    after = books(session, "isp")
    assert after.pop("archived") == D("-30.00")
    assert after == isp_before
    assert books(session, "resB")["upstream"] == D("30.00")
    assert_books_balance(session)


def test_a_large_delete_runs_as_a_task_in_steps(session, shop, monkeypatch):
    monkeypatch.setattr(delete_fn, "INLINE", 1)
    monkeypatch.setattr(delete_fn, "BATCH", 1)
    started = fn(session, "operator.delete", elid="resA")
    task = session.get(Task, started.extra["task"])
    assert session.get(Operator, op_id(session, "resA")).status == "suspended"  # shut out first
    with pytest.raises(AccessDenied):
        from radbill.functions.auth import system_caller
        system_caller(session, "anna")
    steps = []
    while True:
        step = tasks.KINDS[task.kind].step(session, task)
        steps.append((step.state, step.done))
        if step.state in ("done", "failed"):
            break
    assert steps == [("more", 1), ("more", 2), ("more", 3), ("done", 3)]
    archive = session.get(OperatorArchive, started.extra["archive"])
    assert archive.status == "complete" and archive.parts == 4
    assert op_id(session, "resA") is None
    assert session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 0
    body = json.loads(fn(session, "operator_archive.file", elid=str(archive.id)).data)
    assert len(body["rows"]["bills"]) == 1 and body["summary"]["deleted"]["customers"] == 3
    assert_books_balance(session)


def test_another_reseller_cannot_reach_it(session, shop):
    ben, anna = caller_of(session, shop.ben), caller_of(session, shop.anna)
    for params in ({"dry_run": "yes"}, {}):
        with pytest.raises(NotFound):
            fn(session, "operator.delete", ben, elid="resA", **params)
    with pytest.raises(AccessDenied):
        fn(session, "operator.delete", anna, elid="resA")  # not its own
    fn(session, "operator.delete", elid="resA")
    assert fn(session, "operator_archive", ben).rows == []
    archive = session.scalar(sa.select(OperatorArchive.id))
    with pytest.raises(NotFound):
        fn(session, "operator_archive.file", ben, elid=str(archive))
    assert op_id(session, "resB") is not None


def test_its_parent_deletes_a_sub_operator(session, shop):
    anna = caller_of(session, shop.anna)
    dry = fn(session, "operator.delete", anna, elid="subA", dry_run="yes")
    assert {r["table"]: r["rows"] for r in dry.extra["rows"]}["customers"] == 1
    fn(session, "operator.delete", anna, elid="subA")
    assert op_id(session, "subA") is None and op_id(session, "resA") is not None
    assert [r["operator_name"] for r in fn(session, "operator_archive", anna).rows] == ["subA"]


@pytest.mark.parametrize("params, field", [
    ({}, "elid"), ({"elid": ""}, "elid"), ({"elid": "resA,resB"}, "elid"),
    ({"elid": "isp"}, "elid"), ({"elid": "resA", "dry_run": "perhaps"}, "dry_run"),
    ({"elid": "nobody"}, "elid"),
])
def test_bad_input_names_the_field(session, shop, params, field):
    with pytest.raises(FuncError) as exc:
        fn(session, "operator.delete", **params)
    assert field in exc.value.errors
    assert op_id(session, "resA") is not None

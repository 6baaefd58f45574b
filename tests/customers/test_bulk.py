"""customer.bulk, customer.bulk_mac, package.replace and pool.replace (issue 17): previews,
the task's per-customer changes, and what a second reseller or a hostile caller cannot do.

The task's steps run here in the test's own transaction (`run`, as radbill/tasks.run_task
would, without its commits); tests/customers/test_bulk_restart.py runs a real worker and kills
it."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from customers import bulk
from radbill import settings, tasks
from radbill.functions.registry import FuncError
from radbill.models import AuditLog, Customer, Event, Outbox, PackageChange, Task
from tests.support.factories import caller_of, fn, make, make_customer, make_operator, \
    make_package, make_user


def run(session, task_id: int) -> Task:
    """The task's steps until it ends, as tasks.run_task takes them (here without commits)."""
    task = session.get(Task, task_id)
    for _ in range(10_000):
        step = tasks.KINDS[task.kind].step(session, task)
        for name in ("done", "failed", "total"):
            if getattr(step, name) is not None:
                setattr(task, name, getattr(step, name))
        task.note = step.note
        if step.state in ("done", "failed"):
            task.status = step.state
            return task
    raise AssertionError("the task never ended")


@pytest.fixture
def world(session):
    """resA (anna) with customers a1..a4 on Home (a4 suspended), resB (ben) with b1; a package
    Gold for everyone, Secret only resB's; zones north (resA) and south (resB)."""
    make_operator(session, name="isp")
    make_operator(session, name="resA", parent="isp")
    make_operator(session, name="resB", parent="isp")
    anna = caller_of(session, make_user(session, login="anna", role="operator", operator="resA"))
    ben = caller_of(session, make_user(session, login="ben", role="operator", operator="resB"))
    make_package(session, name="Home", price="500")
    make_package(session, name="Gold", price="900")
    make_package(session, name="Secret", price="100", operator="resB")
    fn(session, "zone.edit", sok="ok", name="north", operator="resA")
    fn(session, "zone.edit", sok="ok", name="south", operator="resB")
    for i in range(1, 5):
        make_customer(session, anna, username=f"a{i}", package="Home")
    fn(session, "customer.suspend", elid="a4")
    make_customer(session, ben, username="b1", package="Home")
    return {"anna": anna, "ben": ben}


def cust(session, name) -> Customer:
    c = session.scalars(sa.select(Customer).where(Customer.username == name)).one()
    session.refresh(c)
    return c


def test_the_preview_counts_samples_and_names_what_matches_nothing_writing_nothing(session, world):
    anna = world["anna"]
    tasks_before = session.scalar(sa.select(sa.func.count()).select_from(Task))
    pv = fn(session, "customer.bulk", anna, users="a1\nA2, nobody\nb1\n\n", field="package",
            value="Gold").values
    # b1 is ben's: to anna it is a name that matches nothing, like a name that does not exist
    assert (pv["matched"], pv["unmatched"], pv["unmatched_names"]) == (2, 2, ["nobody", "b1"])
    assert pv["sample"] == [{"username": "a1", "before": "Home", "after": "Gold"},
                            {"username": "a2", "before": "Home", "after": "Gold"}]
    assert cust(session, "a1").package.name == "Home"  # undone
    assert session.scalar(sa.select(sa.func.count()).select_from(Task)) == tasks_before


def test_a_package_change_by_filter_is_audited_and_announced_per_customer(session, world):
    anna = world["anna"]
    # the customer list's own filter: anna's customers on Home (b1 is not hers)
    ok = fn(session, "customer.bulk", anna, sok="ok", package="Home", field="package", value="Gold")
    assert ok.extra["customers"] == 4
    task = run(session, ok.extra["task"])
    assert (task.status, task.done, task.failed, task.total) == ("done", 4, 0, 4)
    assert {cust(session, f"a{i}").package.name for i in range(1, 5)} == {"Gold"}
    assert cust(session, "b1").package.name == "Home"
    audits = session.scalars(sa.select(AuditLog).where(AuditLog.func == "customer.bulk",
                                                       AuditLog.object_type == "customer")).all()
    assert sorted(a.object_name for a in audits) == ["a1", "a2", "a3", "a4"]
    assert all(a.actor == "anna" for a in audits)
    updated = session.scalars(sa.select(Event).where(Event.name == "customer.updated",
                                                     Event.func == "customer.bulk")).all()
    assert len(updated) == 4 and all(e.data["relogin"] for e in updated)
    # customer.edit's own route: a live session dials again for its new package
    assert session.scalar(sa.select(sa.func.count()).select_from(Outbox).where(
        Outbox.kind == "disconnect", Outbox.event_id.in_([e.id for e in updated]))) == 4


def test_status_goes_through_the_lifecycle_and_refusals_are_per_customer(session, world):
    anna = world["anna"]
    fn(session, "customer.delete", anna, elid="a3")
    # a3 is deleted: ticked by id it still names the row, which the lifecycle refuses
    a3 = session.scalars(sa.select(Customer).where(Customer.username == "a3")).one()
    ok = fn(session, "customer.bulk", anna, sok="ok", users="a1\na2\na4", field="status",
            value="disabled", note="unpaid cable fee")
    task = run(session, ok.extra["task"])
    assert (task.done, task.failed) == (3, 0)
    assert {cust(session, n).status for n in ("a1", "a2", "a4")} == {"disabled"}
    ok = fn(session, "customer.bulk", anna, sok="ok", users="a1\na4", field="status",
            value="suspended")
    task = run(session, ok.extra["task"])
    # disabled -> suspended is not in the table: each one refused, by name, not fatal
    assert (task.status, task.done, task.failed) == ("done", 0, 2)
    assert task.params["errors"][0] == ["a1", "'a1' is disabled; cannot suspend it"]
    assert "2 refused" in task.note
    assert a3.deleted_at is not None
    assert session.scalar(sa.select(sa.func.count()).select_from(Event).where(
        Event.name == "customer.disabled", Event.func == "customer.bulk")) == 3


@pytest.fixture
def dhaka(monkeypatch):
    monkeypatch.setenv("RADBILL_TIME_ZONE", "Asia/Dhaka")
    settings.get.cache_clear()
    yield
    settings.get.cache_clear()  # the next test reads its own zone


@pytest.mark.parametrize("start, days, end", [
    ("2028-02-28T23:59:00+06:00", 1, "2028-02-29T23:59:00+06:00"),  # leap day
    ("2028-02-29T12:00:00+06:00", 1, "2028-03-01T12:00:00+06:00"),
    ("2027-01-31T00:00:00+06:00", 30, "2027-03-02T00:00:00+06:00"),  # across February
    ("2026-12-31T18:00:00+06:00", 1, "2027-01-01T18:00:00+06:00"),
    ("2028-03-01T10:00:00+06:00", -1, "2028-02-29T10:00:00+06:00"),
])
def test_extend_expiry_follows_the_isps_calendar(session, world, dhaka, start, days, end):
    a1 = cust(session, "a1")
    a1.expires_at = dt.datetime.fromisoformat(start)
    session.flush()
    ok = fn(session, "customer.bulk", world["anna"], sok="ok", elid="a1", field="extend_days",
            value=str(days))
    run(session, ok.extra["task"])
    assert cust(session, "a1").expires_at == dt.datetime.fromisoformat(end)


def test_a_second_reseller_cannot_select_move_or_use_anothers(session, world):
    ben = world["ben"]
    # anna's customers by name or id: nothing of hers matches
    ids = [str(cust(session, f"a{i}").id) for i in range(1, 5)]
    pv = fn(session, "customer.bulk", ben, users="\n".join(["a1", *ids]), field="zone",
            value="south").values
    assert pv["matched"] == 0 and pv["unmatched"] == 5
    with pytest.raises(FuncError) as e:
        fn(session, "customer.bulk", ben, sok="ok", elid=",".join(ids), field="zone",
           value="south")
    assert e.value.field == "elid"
    # the filter selects only his own, whatever the operator filter names
    pv = fn(session, "customer.bulk", ben, operator="resA", field="zone", value="south").values
    assert pv["matched"] == 0
    # anna cannot move hers into resB, use resB's package or zone
    anna = world["anna"]
    for field, value in (("operator", "resB"), ("package", "Secret"), ("zone", "south")):
        with pytest.raises(FuncError) as e:
            fn(session, "customer.bulk", anna, users="a1", field=field, value=value)
        assert e.value.field == "value", (field, e.value)
    assert cust(session, "a1").operator.name == "resA"


def test_a_task_started_by_a_login_disabled_since_stops(session, world):
    ok = fn(session, "customer.bulk", world["anna"], sok="ok", users="a1", field="package",
            value="Gold")
    fn(session, "user.edit", sok="ok", elid="anna", disabled="on")
    task = run(session, ok.extra["task"])
    assert task.status == "failed" and "anna can no longer sign in" in task.note
    assert cust(session, "a1").package.name == "Home"


def test_hostile_lists_and_values_are_refused_by_field(session, world):
    anna = world["anna"]
    cases = [({"field": "password", "value": "x"}, "field"),
             ({"field": "package", "value": ""}, "value"),
             ({"field": "extend_days", "value": "0"}, "value"),
             ({"field": "extend_days", "value": "99999"}, "value"),
             ({"field": "extend_days", "value": "١٢"}, "value"),
             ({"field": "status", "value": "deleted"}, "value"),
             ({"field": "expires", "value": "2026-02-30"}, "value"),
             ({"field": "package", "value": "Gold", "users": "a\x00b"}, "users"),
             ({"field": "package", "value": "Gold", "confirm": "-1", "sok": "ok",
               "users": "a1"}, "confirm")]
    for params, field in cases:
        with pytest.raises(FuncError) as e:
            fn(session, "customer.bulk", anna, **{"users": "a1", **params})
        assert e.value.field == field, (params, e.value)
    # a huge list is refused before any lookup
    with pytest.raises(FuncError) as e:
        fn(session, "customer.bulk", anna, field="package", value="Gold",
           users="\n".join(f"u{i}" for i in range(bulk.MAX_LIST + 2)))
    assert e.value.field == "users"
    # a large selection needs the count its preview showed
    names = "\n".join(f"ghost{i}" for i in range(300)) + "\na1"
    pv = fn(session, "customer.bulk", anna, users=names, field="package", value="Gold").values
    assert pv["matched"] == 1 and pv["unmatched"] == 300 and len(pv["unmatched_names"]) == 50


def test_macs_bound_from_a_file_with_bad_lines_named(session, world):
    anna = world["anna"]
    make_customer(session, world["ben"], username="b2", package="Home", mac="AA:AA:AA:AA:AA:09")
    text = ("username,mac\na1,aa-bb-cc-00-00-01\na2,AABB.CC00.0002\na3,not-a-mac\n"
            "a1,AA:BB:CC:00:00:03\nghost,AA:BB:CC:00:00:04\na4,AA:AA:AA:AA:AA:09\n")
    pv = fn(session, "customer.bulk_mac", anna, lines=text).values
    assert pv["bad_lines"] == 2 and pv["bad"][0].startswith("line 4:")
    assert pv["unmatched_names"] == ["ghost"] and pv["matched"] == 3
    with pytest.raises(FuncError) as e:
        fn(session, "customer.bulk_mac", anna, lines=text, sok="ok")
    assert e.value.field == "lines"
    good = "\n".join(ln for ln in text.splitlines() if "not-a-mac" not in ln
                     and "00:00:03" not in ln)
    task = run(session, fn(session, "customer.bulk_mac", anna, lines=good, sok="ok").extra["task"])
    assert (task.done, task.failed) == (2, 1)
    assert cust(session, "a1").mac == "AA:BB:CC:00:00:01"
    assert cust(session, "a2").mac == "AA:BB:CC:00:00:02"
    # a4's MAC is b2's (ben's customer): refused without naming ben's customer
    assert task.params["errors"] == [["a4", "mac: AA:AA:AA:AA:AA:09 is bound to another customer"]]


def test_package_replace_moves_everyone_with_a_coa_route_and_no_bill_by_default(session, world):
    anna = world["anna"]
    pv = fn(session, "package.replace", anna, **{"from": "Home", "to": "Gold"}).values
    assert (pv["matched"], pv["online"], pv["proration"]) == (4, 0, "none")
    assert pv["sample"][0]["kind"] == "upgrade" and pv["sample"][0]["amount"] == "0.00"
    ok = fn(session, "package.replace", anna, sok="ok", **{"from": "Home", "to": "Gold"})
    task = run(session, ok.extra["task"])
    assert (task.status, task.done, task.failed) == ("done", 4, 0)
    assert cust(session, "b1").package.name == "Home"  # ben's customer stays
    changed = session.scalars(sa.select(Event).where(
        Event.name == "customer.package_changed", Event.func == "package.replace")).all()
    assert len(changed) == 4
    assert session.scalar(sa.select(sa.func.count()).select_from(Outbox).where(
        Outbox.kind == "coa", Outbox.event_id.in_([e.id for e in changed]))) == 4
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(
        AuditLog.func == "package.replace", AuditLog.object_type == "customer")) == 4
    assert session.scalar(sa.select(sa.func.count()).select_from(PackageChange).where(
        PackageChange.status == "applied", PackageChange.amount == 0)) == 4


def test_package_replace_tells_an_upgrade_from_a_downgrade_as_package_change_does(session, world):
    from tests.support.rating_factories import make_profile
    anna = world["anna"]
    make_package(session, name="Monthly", price="500")
    make_package(session, name="Weekly", price="200", validity_days="7")
    make_customer(session, anna, username="p1", package="Monthly",
                  billing_profile=make_profile(session).name)
    said = fn(session, "package.change", anna, customer="p1", package="Weekly").values["kind"]
    pv = fn(session, "package.replace", anna, **{"from": "Monthly", "to": "Weekly"}).values
    # billed monthly: 200 a period is less than 500, whatever the packages' validity days say
    assert said == pv["sample"][0]["kind"] == "downgrade"


def test_package_replace_prorate_bills_an_upgrade_as_package_change_would(session, world):
    from radbill.models import Bill
    from rating.terms import today
    from tests.support.rating_factories import make_profile
    anna = world["anna"]
    make_package(session, name="Basic", price="300")
    p2 = make_customer(session, anna, username="p2", package="Basic",
                       billing_profile=make_profile(session).name)
    p2.created_at = p2.cycle_start = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    session.flush()
    fn(session, "bill.generate", sok="ok", date=today().replace(day=1).isoformat())
    said = fn(session, "package.change", anna, customer="p2", package="Gold").values
    assert said["kind"] == "upgrade" and Decimal(said["amount"]) > 0, said
    ok = fn(session, "package.replace", anna, sok="ok", proration="prorate",
            **{"from": "Basic", "to": "Gold"})
    task = run(session, ok.extra["task"])
    assert (task.done, task.failed) == (1, 0)
    assert cust(session, "p2").package.name == "Gold"
    change = session.scalars(sa.select(PackageChange).where(
        PackageChange.customer_id == p2.id)).one()
    assert (change.kind, change.status, str(change.amount)) == ("upgrade", "applied",
                                                                said["amount"])
    bill = session.get(Bill, change.bill_id)
    assert (bill.kind, bill.customer_id, str(bill.total)) == ("change", p2.id, said["amount"])


def test_package_replace_next_cycle_schedules_and_refuses_anothers_package(session, world):
    anna = world["anna"]
    with pytest.raises(FuncError) as e:
        fn(session, "package.replace", anna, **{"from": "Home", "to": "Secret"})
    assert e.value.field == "to"
    for c in ("a1", "a2"):  # prepaid validity running: the move waits for its end
        cust(session, c).expires_at = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=10)
    session.flush()
    ok = fn(session, "package.replace", anna, sok="ok", proration="next_cycle",
            **{"from": "Home", "to": "Gold"})
    task = run(session, ok.extra["task"])
    assert (task.done, task.failed) == (4, 0)
    waiting = session.scalars(sa.select(PackageChange).where(
        PackageChange.status == "scheduled")).all()
    assert len(waiting) == 2 and {cust(session, "a1").package.name} == {"Home"}
    assert cust(session, "a3").package.name == "Gold"  # nothing paid ahead: moved now


def test_package_replace_refuses_a_trial_package_as_customer_edit_does(session, world):
    from tests.support.factories import make_package
    make_package(session, name="Try7", trial_days="7")
    with pytest.raises(FuncError) as e:
        fn(session, "package.replace", world["anna"], **{"from": "Home", "to": "Try7"})
    assert e.value.errors == {"to": "a trial package is for new customers only"}
    assert {cust(session, c).package.name for c in ("a1", "a2", "a3")} == {"Home"}


def test_pool_replace_readdresses_static_customers_and_refuses_a_small_pool(session, world):
    anna = world["anna"]
    make(session, "pool", name="old", cidr="10.9.0.0/24", operator="resA")
    make(session, "pool", name="tiny", cidr="10.10.0.0/30", operator="resA")
    make(session, "pool", name="new", cidr="10.11.0.0/29", operator="resA")
    fn(session, "package.edit", sok="ok", elid="Gold", pool="old")
    for i, name in enumerate(("a1", "a2", "a3"), start=2):
        fn(session, "customer.edit", anna, sok="ok", elid=name, service="static",
           static_ip=f"10.9.0.{i}")
    # 10.11.0.1 is taken already (b1, another reseller's: still not given twice)
    fn(session, "customer.edit", world["ben"], sok="ok", elid="b1", static_ip="10.11.0.1")
    with pytest.raises(FuncError) as e:
        fn(session, "pool.replace", anna, **{"from": "old", "to": "tiny"})
    assert e.value.field == "to" and "has 2 free addresses; 3 customers need one" in str(e.value)
    pv = fn(session, "pool.replace", anna, **{"from": "old", "to": "new"}).values
    assert pv["matched"] == 3
    assert [r["after"] for r in pv["sample"]] == ["10.11.0.2", "10.11.0.3", "10.11.0.4"]
    ok = fn(session, "pool.replace", anna, sok="ok", **{"from": "old", "to": "new"})
    task = run(session, ok.extra["task"])
    assert (task.done, task.failed) == (3, 0)
    assert [str(cust(session, n).static_ip) for n in ("a1", "a2", "a3")] == \
        ["10.11.0.2", "10.11.0.3", "10.11.0.4"]
    updated = session.scalars(sa.select(Event).where(Event.name == "customer.updated",
                                                     Event.func == "pool.replace")).all()
    assert len(updated) == 3 and all(e.data["relogin"] for e in updated)  # dial again


def test_pool_replace_keeps_the_family_and_moves_a_packages_ipv6_pools_too(session, world):
    anna = world["anna"]
    make(session, "pool", name="v4", cidr="10.20.0.0/24", operator="resA")
    make(session, "pool", name="v6a", cidr="2001:db8:100::/40", prefix_length="56",
         operator="resA")
    make(session, "pool", name="v6b", cidr="2001:db8:200::/40", prefix_length="56",
         operator="resA")
    dual = make_package(session, anna, name="Dual", pool="v4", pd_pool="v6a")
    with pytest.raises(FuncError) as e:  # an IPv4 package pool never becomes an IPv6 one
        fn(session, "pool.replace", anna, **{"from": "v4", "to": "v6b"})
    assert e.value.field == "to"
    ok = fn(session, "pool.replace", anna, sok="ok", **{"from": "v6a", "to": "v6b"})
    assert ok.extra == {"task": None, "customers": 0, "packages": 1}
    session.refresh(dual)
    assert (dual.pool.name, dual.pd_pool.name) == ("v4", "v6b")
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(
        AuditLog.func == "pool.replace", AuditLog.object_type == "package")) == 1


def test_a_username_of_digits_is_that_customer_and_a_ticked_id_is_an_id(session, world):
    anna = world["anna"]
    a2 = cust(session, "a2")
    digits = make_customer(session, anna, username=str(a2.id), package="Home")
    pv = fn(session, "customer.bulk", anna, users=str(a2.id), field="zone", value="north").values
    assert [r["username"] for r in pv["sample"]] == [str(a2.id)]
    pv = fn(session, "customer.bulk", anna, elid=str(a2.id), field="zone", value="north").values
    assert [r["username"] for r in pv["sample"]] == ["a2"]
    task = run(session, fn(session, "customer.bulk", anna, sok="ok", users=str(a2.id),
                           field="zone", value="north").extra["task"])
    assert task.done == 1 and cust(session, "a2").zone is None
    session.refresh(digits)
    assert digits.zone.name == "north"


def test_a_tasks_refusals_are_listed_to_its_subtree_only(session, world):
    ok = fn(session, "customer.bulk", world["anna"], sok="ok", users="a1\na2", field="zone",
            value="north")
    fn(session, "customer.edit", sok="ok", elid="a2", operator="resB")  # moved away since
    task = run(session, ok.extra["task"])
    assert (task.done, task.failed) == (1, 1)
    listed = fn(session, "task.errors", world["anna"], elid=str(task.id))
    assert listed.total == 1 and listed.rows == [{"username": "a2", "reason": "not found"}]
    with pytest.raises(FuncError) as e:
        fn(session, "task.errors", world["ben"], elid=str(task.id))
    assert e.value.status == 404

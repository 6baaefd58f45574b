"""An existing customer's operator changed by customer.edit or customer.bulk moves its money as
customer.transfer bills=move does (rating/transfer.py): the open bills, what is owed on them and
the advance become the new operator's, both operators' books balancing on their own; a package
or billing profile not offered there, or a family split across branches, is refused; a zone
and a manager that cannot follow are cleared. And customer.edit offers only the billing
profiles customer.transfer would (transfer.offered)."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from radbill.functions.registry import FuncError
from radbill.models import Bill, Customer, Event, LedgerTransaction
from tests.customers.test_bulk import run
from tests.kernel.test_customer_transfer import (assert_each_operator_balances, books, owing,
                                                 tree)  # noqa: F401  (the fixture)
from tests.support.factories import fn, make_customer, make_operator, make_package, make_user
from tests.support.rating_factories import make_profile, pay

# owing(): A billed 500 + 300 and took 700 in cash; 300 is open, 200 is in advance. After the
# move the history stays A's and B holds what was open: B owes A the 300 it will collect, less
# the 200 advance A handed over
A_AFTER = {"cash": D("700.00"), "receivable": D("0"), "advances": D("0"),
           "revenue": D("-800.00"), "vat_payable": D("0"), "transfers": D("100.00")}
B_AFTER = {"cash": D("0"), "receivable": D("300.00"), "advances": D("-200.00"),
           "revenue": D("0"), "vat_payable": D("0"), "transfers": D("-100.00")}


def assert_moved_to_b(session, tree, c: Customer) -> None:
    session.refresh(c)
    assert c.operator_id == tree.b.id and c.advance_balance == D("200.00")
    assert books(session, tree.a) == A_AFTER
    assert books(session, tree.b) == B_AFTER
    held = dict(session.execute(sa.select(Bill.status, Bill.operator_id)
                                .where(Bill.customer_id == c.id)).all())
    assert held == {"paid": tree.a.id, "open": tree.b.id}  # history stays, the open bill moves
    assert session.scalar(sa.select(sa.func.count()).select_from(LedgerTransaction).where(
        LedgerTransaction.kind == "customer_transfer")) == 1
    assert_each_operator_balances(session, tree.isp, tree.a, tree.b)
    # B collects it from the advance and in cash: its own receivable, its own advance
    pay(session, c, "200", caller=tree.ben, method="advance")
    pay(session, c, "100", caller=tree.ben)
    b = books(session, tree.b)
    assert (b["cash"], b["receivable"], b["advances"]) == (D("100.00"), D("0"), D("0"))
    assert books(session, tree.a) == A_AFTER
    assert_each_operator_balances(session, tree.isp, tree.a, tree.b)


def test_customer_edit_moves_the_open_bills_and_the_advance(session, tree):
    c = owing(session, tree)
    fn(session, "customer.edit", tree.boss, sok="ok", elid="mover", operator="resB19")
    # the subscriber hears of it as after customer.transfer
    ev = session.scalars(sa.select(Event).where(Event.name == "customer.transferred",
                                                Event.customer_id == c.id)).one()
    assert ev.operator_id == tree.b.id and ev.func == "customer.edit"
    assert (ev.data["from_operator"], ev.data["to_operator"], ev.data["bills"]) == \
        ("resA19", "resB19", "move")
    assert (ev.data["bills_moved"], D(ev.data["owed_moved"]), D(ev.data["advance_moved"])) == \
        (1, D("300.00"), D("200.00"))
    assert_moved_to_b(session, tree, c)
    # editing it again without a new operator moves nothing
    fn(session, "customer.edit", tree.boss, sok="ok", elid="mover", operator="resB19",
       name="Still B")
    assert session.scalar(sa.select(sa.func.count()).select_from(LedgerTransaction).where(
        LedgerTransaction.kind == "customer_transfer")) == 1


def test_customer_bulk_moves_the_open_bills_and_the_advance(session, tree):
    c = owing(session, tree)
    ok = fn(session, "customer.bulk", tree.boss, sok="ok", users="mover", field="operator",
            value="resB19")
    task = run(session, ok.extra["task"])
    assert (task.done, task.failed) == (1, 0), task.note
    assert_moved_to_b(session, tree, c)


def test_what_cannot_follow_is_refused_naming_the_field_and_nothing_moves(session, tree):
    local = make_package(session, name="AOnly19", operator="resA19")
    a_profile = make_profile(session, name="AProfile19", operator="resA19")
    c = owing(session, tree)
    fn(session, "customer.edit", tree.boss, sok="ok", elid="mover", package=local.name)
    before = books(session, tree.a)

    def refused(**params) -> FuncError:
        with pytest.raises(FuncError) as err:
            fn(session, "customer.edit", tree.boss, sok="ok", elid="mover", operator="resB19",
               **params)
        session.refresh(c)
        assert c.operator_id == tree.a.id and books(session, tree.a) == before
        return err.value

    err = refused()
    assert err.field == "package" and "AOnly19" in err.message
    # customer.bulk's preview says so for that customer, and moves nothing either
    pv = fn(session, "customer.bulk", tree.boss, users="mover", field="operator",
            value="resB19").values
    assert pv["sample"][0]["username"] == "mover" and "AOnly19" in pv["sample"][0]["refused"]
    session.refresh(c)
    assert c.operator_id == tree.a.id and books(session, tree.a) == before
    fn(session, "customer.edit", tree.boss, sok="ok", elid="mover", billing_profile=a_profile.name)
    assert refused(package="Home19").errors == {"billing_profile": (
        "'AProfile19' (mover) is not offered to operator 'resB19': choose a billing profile "
        "offered there")}
    # a child in A's sub-operator keeps its parent from leaving A's branch
    make_operator(session, name="subA19", parent="resA19")
    make_customer(session, tree.anna, username="kid19", package="Home19", parent="mover",
                  operator="subA19")
    err = refused(package="Home19", billing_profile="")
    assert err.field == "operator" and "kid19" in err.message
    # given together, the move goes through, as customer.transfer with bills=move would
    fn(session, "customer.edit", tree.boss, sok="ok", elid="kid19", parent="")
    fn(session, "customer.edit", tree.boss, sok="ok", elid="mover", operator="resB19",
       package="Home19", billing_profile="")
    assert books(session, tree.b)["receivable"] == D("300.00")
    assert_each_operator_balances(session, tree.isp, tree.a, tree.b)


def test_a_zone_and_a_manager_that_cannot_follow_are_cleared(session, tree):
    fn(session, "zone.edit", sok="ok", name="North19", operator="resA19")
    fn(session, "zone.edit", sok="ok", name="South19", operator="resB19")
    make_user(session, login="mgr19", role="manager", operator="resA19")
    make_customer(session, tree.anna, username="zoned19", package="Home19", zone="North19",
                  manager="mgr19")
    make_customer(session, tree.anna, username="rezoned19", package="Home19", zone="North19")
    fn(session, "customer.edit", tree.boss, sok="ok", elid="zoned19", operator="resB19")
    fn(session, "customer.edit", tree.boss, sok="ok", elid="rezoned19", operator="resB19",
       zone="South19")
    rows = session.execute(sa.select(Customer.username, Customer.zone_id, Customer.manager_id)
                           .where(Customer.username.in_(("zoned19", "rezoned19")))).all()
    south = session.scalar(sa.text("select id from zones where name = 'South19'"))
    assert sorted(rows) == [("rezoned19", south, None), ("zoned19", None, None)]


def test_customer_edit_offers_only_the_billing_profiles_transfer_would(session, tree):
    """One rule for both (transfer.offered): a profile of another branch is refused."""
    make_profile(session, name="BProfile19", operator="resB19")
    make_profile(session, name="Everyone19")
    make_customer(session, tree.anna, username="payer19", package="Home19")
    with pytest.raises(FuncError) as err:
        fn(session, "customer.edit", tree.boss, sok="ok", elid="payer19",
           billing_profile="BProfile19")
    assert err.value.errors == {"billing_profile": "is not offered to operator 'resA19'"}
    with pytest.raises(FuncError) as err:  # nor when creating
        fn(session, "customer.edit", tree.boss, sok="ok", username="new19", password="pw",
           package="Home19", operator="resA19", billing_profile="BProfile19")
    assert err.value.field == "billing_profile"
    fn(session, "customer.edit", tree.boss, sok="ok", elid="payer19",
       billing_profile="Everyone19")
    # the trial conversion, which also takes a billing profile, by the same rule
    make_package(session, name="Try19", price="0", trial_days="7")
    make_customer(session, tree.anna, username="trier19", package="Try19")
    with pytest.raises(FuncError) as err:
        fn(session, "customer.convert_trial", tree.boss, elid="trier19", package="Home19",
           billing_profile="BProfile19")
    assert err.value.errors == {"billing_profile": "is not offered to operator 'resA19'"}
    fn(session, "customer.convert_trial", tree.boss, elid="trier19", package="Home19",
       billing_profile="Everyone19")

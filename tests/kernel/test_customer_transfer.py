"""customer.transfer (issue 19): a customer moves to another operator with its open bills
(bills=move) or without them (bills=leave); each operator's books balance on their own and
match hand computations; packages not offered at the target are refused; the move stays
inside the caller's subtree."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from radbill.functions.registry import AccessDenied, FormResult, FuncError, NotFound
from radbill.models import AuditLog, Bill, Customer, Event, LedgerTransaction, Outbox, Payment
from rating import auto_debit, ledger
from tests.support.factories import caller_of, fn, make_customer, make_operator, make_package, \
    make_user
from tests.support.rating_factories import assert_books_balance, make_profile, pay

KINDS = ("cash", "receivable", "advances", "revenue", "vat_payable", "transfers")


def books(session, op) -> dict[str, D]:
    session.flush()
    return {k: ledger.balance(session, op.id, k) for k in KINDS}


def assert_each_operator_balances(session, *ops) -> None:
    """Every transaction balances, the books match bills and advances, and each operator's
    own accounts sum to zero (its books balance on their own)."""
    assert_books_balance(session)
    for op in ops:
        total = sum(ledger.balance(session, op.id, k) for k in ledger.LABELS)
        assert total == 0, f"{op.name}'s books are off by {total}"
        held = session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Bill.total - Bill.paid), 0))
                              .where(Bill.operator_id == op.id, Bill.status == "open"))
        assert ledger.balance(session, op.id, "receivable") == held, op.name
        advances = session.scalar(sa.select(sa.func.coalesce(sa.func.sum(
            Customer.advance_balance), 0)).where(Customer.operator_id == op.id))
        assert -ledger.balance(session, op.id, "advances") == advances, op.name


@pytest.fixture
def tree(session):
    isp = make_operator(session, name="isp19")
    a = make_operator(session, name="resA19", parent="isp19")
    b = make_operator(session, name="resB19", parent="isp19")
    boss = caller_of(session, make_user(session, login="boss19", role="group_admin",
                                        operator="isp19"))
    anna = caller_of(session, make_user(session, login="anna19", role="operator",
                                        operator="resA19"))
    ben = caller_of(session, make_user(session, login="ben19", role="operator",
                                       operator="resB19"))
    home = make_package(session, name="Home19", price="500")
    return type("Tree", (), dict(isp=isp, a=a, b=b, boss=boss, anna=anna, ben=ben, home=home))


def owing(session, tree, name="mover") -> Customer:
    """A customer of A who owes 300.00 on an open bill and has 200.00 in advance:
    bill 500, pay 700 (200 to the advance), then a second bill of 300 left open."""
    c = make_customer(session, tree.anna, username=name, package=tree.home.name)
    fn(session, "bill.edit", sok="ok", customer=name, description="install", amount="500")
    pay(session, c, "700")
    fn(session, "bill.edit", sok="ok", customer=name, description="router", amount="300")
    session.refresh(c)
    assert c.advance_balance == D("200.00")
    return c


def test_moving_the_bills_moves_what_is_owed_and_the_advance(session, tree):
    c = owing(session, tree)
    a_before = books(session, tree.a)
    assert a_before["receivable"] == D("300.00") and a_before["advances"] == D("-200.00")
    preview = fn(session, "customer.transfer", tree.boss, elid="mover", to="resB19",
                 bills="move")
    assert isinstance(preview, FormResult)
    row = preview.values["customers"][0]
    assert (row["open_bills"], row["owed"], row["advance"], row["owed_moving"]) == \
        (1, "300.00", "200.00", "300.00")
    assert books(session, tree.a) == a_before  # the preview wrote nothing
    fn(session, "customer.transfer", tree.boss, elid="mover", to="resB19", bills="move",
       sok="ok")
    session.refresh(c)
    assert c.operator_id == tree.b.id and c.advance_balance == D("200.00")
    a, b = books(session, tree.a), books(session, tree.b)
    # A billed 800 and took 700 in cash: that history stays; what was open moved to B, and B
    # owes A 300 (to collect) less the 200 advance A handed over: +100
    assert a == {"cash": D("700.00"), "receivable": D("0"), "advances": D("0"),
                 "revenue": D("-800.00"), "vat_payable": D("0"), "transfers": D("100.00")}
    assert b == {"cash": D("0"), "receivable": D("300.00"), "advances": D("-200.00"),
                 "revenue": D("0"), "vat_payable": D("0"), "transfers": D("-100.00")}
    assert a["transfers"] == -b["transfers"]  # one position, seen from both sides
    open_bill = session.scalars(sa.select(Bill).where(Bill.customer_id == c.id,
                                                      Bill.status == "open")).one()
    assert open_bill.operator_id == tree.b.id
    paid_bill = session.scalars(sa.select(Bill).where(Bill.customer_id == c.id,
                                                      Bill.status == "paid")).one()
    assert paid_bill.operator_id == tree.a.id  # history stays
    assert_each_operator_balances(session, tree.isp, tree.a, tree.b)
    # B collects the bill: its own receivable, no rerouting
    pay(session, c, "100", caller=tree.ben)
    pay(session, c, "200", caller=tree.ben, method="advance")
    b = books(session, tree.b)
    assert (b["cash"], b["receivable"], b["advances"]) == (D("100.00"), D("0"), D("0"))
    assert_each_operator_balances(session, tree.isp, tree.a, tree.b)
    assert not session.scalar(sa.select(sa.func.count()).select_from(LedgerTransaction)
                              .where(LedgerTransaction.kind == "transfer_settle"))


def test_leaving_the_bills_keeps_them_owed_to_the_old_operator(session, tree):
    c = owing(session, tree)
    fn(session, "customer.transfer", tree.boss, elid="mover", to="resB19", bills="leave",
       sok="ok")
    a, b = books(session, tree.a), books(session, tree.b)
    # the 300 stays A's receivable; the 200 advance went to B, which A now owes
    assert (a["receivable"], a["advances"], a["transfers"]) == (D("300.00"), D("0"), D("-200.00"))
    assert (b["receivable"], b["advances"], b["transfers"]) == (D("0"), D("-200.00"), D("200.00"))
    left = session.scalars(sa.select(Bill).where(Bill.customer_id == c.id,
                                                 Bill.status == "open")).one()
    assert left.operator_id == tree.a.id
    assert_each_operator_balances(session, tree.isp, tree.a, tree.b)
    # the customer pays at B: 200 from the advance, 100 cash; both settle A's bill, booked to
    # A's receivable, and B owes A what it collected for it
    pay(session, c, "200", caller=tree.ben, method="advance")
    pay(session, c, "100", caller=tree.ben)
    session.refresh(left)
    assert left.status == "paid" and left.operator_id == tree.a.id
    payments = session.scalars(sa.select(Payment).where(Payment.customer_id == c.id)
                               .order_by(Payment.id)).all()
    assert [p.operator_id for p in payments] == [tree.a.id, tree.b.id, tree.b.id]
    a, b = books(session, tree.a), books(session, tree.b)
    assert a == {"cash": D("700.00"), "receivable": D("0"), "advances": D("0"),
                 "revenue": D("-800.00"), "vat_payable": D("0"), "transfers": D("100.00")}
    assert b == {"cash": D("100.00"), "receivable": D("0"), "advances": D("0"),
                 "revenue": D("0"), "vat_payable": D("0"), "transfers": D("-100.00")}
    assert_each_operator_balances(session, tree.isp, tree.a, tree.b)
    # a reversal undoes the rerouting with the payment
    fn(session, "payment.reverse", elid=str(payments[-1].id), reason="bounced")
    assert books(session, tree.a)["receivable"] == D("100.00")
    assert books(session, tree.b)["cash"] == D("0")
    assert_each_operator_balances(session, tree.isp, tree.a, tree.b)


def test_the_auto_debit_pays_a_bill_left_behind_and_books_it_to_its_operator(session, tree):
    profile = make_profile(session, name="Monthly19")
    c = make_customer(session, tree.anna, username="postie", package=tree.home.name,
                      billing_profile=profile.name)
    fn(session, "bill.edit", sok="ok", customer="postie", description="install", amount="250")
    pay(session, c, "400")  # 250 settles the bill, 150 to the advance
    fn(session, "bill.edit", sok="ok", customer="postie", description="router", amount="100")
    fn(session, "customer.transfer", tree.boss, elid="postie", to="resB19", bills="leave",
       sok="ok")
    # the advance (now B's) pays A's bill: a payment of B's, booked to A's receivable
    assert auto_debit.debit_advances(session, dt.date(2026, 12, 1), customer_ids=[c.id]) == 1
    session.expire_all()
    assert session.get(Customer, c.id).advance_balance == D("50.00")
    debit = session.scalars(sa.select(Payment).where(Payment.customer_id == c.id,
                                                     Payment.method == "advance")).one()
    assert (debit.operator_id, debit.amount) == (tree.b.id, D("100.00"))
    a, b = books(session, tree.a), books(session, tree.b)
    # A handed B the 150 advance (-150) and B collected A's 100 (+100)
    assert (a["cash"], a["receivable"], a["transfers"]) == (D("400.00"), D("0"), D("-50.00"))
    assert (b["cash"], b["receivable"], b["advances"], b["transfers"]) == \
        (D("0"), D("0"), D("-50.00"), D("50.00"))
    assert_each_operator_balances(session, tree.isp, tree.a, tree.b)


def test_a_package_not_offered_at_the_target_is_refused_or_replaced(session, tree):
    own = make_package(session, name="AOnly19", operator="resA19")
    make_customer(session, tree.anna, username="local", package=own.name)
    with pytest.raises(FuncError) as err:
        fn(session, "customer.transfer", tree.boss, elid="local", to="resB19", bills="move",
           sok="ok")
    assert err.value.field == "package" and "AOnly19" in err.value.message
    preview = fn(session, "customer.transfer", tree.boss, elid="local", to="resB19")
    assert "not offered" in preview.values["customers"][0]["problems"]
    with pytest.raises(FuncError) as err:  # a replacement not offered there either
        fn(session, "customer.transfer", tree.boss, elid="local", to="resB19", bills="move",
           package="AOnly19", sok="ok")
    assert err.value.field == "package"
    fn(session, "customer.transfer", tree.boss, elid="local", to="resB19", bills="move",
       package="Home19", sok="ok")
    c = session.scalars(sa.select(Customer).where(Customer.username == "local")).one()
    assert (c.operator_id, c.package_id) == (tree.b.id, tree.home.id)
    ev = session.scalars(sa.select(Event).where(Event.name == "customer.transferred",
                                                Event.customer_id == c.id)).one()
    assert ev.data["relogin"] is True and ev.data["package"] == "Home19"
    assert ev.operator_id == tree.b.id and ev.data["from_operator"] == "resA19"
    kinds = [o.kind for o in session.scalars(sa.select(Outbox).where(Outbox.event_id == ev.id))]
    assert kinds == ["disconnect"]  # the live session dials in again with the new rate
    audit = session.scalars(sa.select(AuditLog).where(
        AuditLog.func == "customer.transfer", AuditLog.object_id == c.id)).one()
    assert audit.before["operator_id"] == tree.a.id and audit.after["operator_id"] == tree.b.id
    assert audit.actor == "boss19"


def test_several_customers_move_in_one_call_without_a_disconnect(session, tree):
    for name in ("one19", "two19"):
        make_customer(session, tree.anna, username=name, package=tree.home.name)
    result = fn(session, "customer.transfer", tree.boss, elid="one19,two19", to="resB19",
                bills="move", sok="ok")
    assert result.extra == {"moved": 2, "to": "resB19"}
    moved = session.scalars(sa.select(Customer.operator_id).where(
        Customer.username.in_(("one19", "two19")))).all()
    assert moved == [tree.b.id, tree.b.id]
    evs = session.scalars(sa.select(Event).where(Event.name == "customer.transferred")).all()
    assert [e.data["relogin"] for e in evs] == [False, False]
    assert not session.scalars(sa.select(Outbox).where(
        Outbox.event_id.in_([e.id for e in evs]))).all()


def test_a_zone_at_the_target_replaces_the_old_one_else_it_is_cleared(session, tree):
    fn(session, "zone.edit", sok="ok", name="North19", operator="resA19")
    fn(session, "zone.edit", sok="ok", name="South19", operator="resB19")
    for name in ("rezoned19", "cleared19"):  # both in A's zone North19
        make_customer(session, tree.anna, username=name, package=tree.home.name, zone="North19")
    preview = fn(session, "customer.transfer", tree.boss, elid="rezoned19", to="resB19",
                 zone="South19")
    assert preview.values["customers"][0]["zone_cleared"] is False
    preview = fn(session, "customer.transfer", tree.boss, elid="cleared19", to="resB19")
    assert preview.values["customers"][0]["zone_cleared"] is True
    with pytest.raises(FuncError) as err:  # zones are per operator: A's is not B's
        fn(session, "customer.transfer", tree.boss, elid="rezoned19", to="resB19",
           bills="move", zone="North19", sok="ok")
    assert err.value.field == "zone"
    fn(session, "customer.transfer", tree.boss, elid="rezoned19", to="resB19", bills="move",
       zone="South19", sok="ok")
    fn(session, "customer.transfer", tree.boss, elid="cleared19", to="resB19", bills="move",
       sok="ok")
    zones = dict(session.execute(sa.text(
        "select c.username, z.name from customers c left join zones z on z.id = c.zone_id "
        "where c.username in ('rezoned19', 'cleared19')")).all())
    assert zones == {"rezoned19": "South19", "cleared19": None}


def test_a_reseller_cannot_move_customers_into_or_out_of_another_subtree(session, tree):
    make_customer(session, tree.anna, username="annas", package=tree.home.name)
    make_customer(session, tree.ben, username="bens", package=tree.home.name)
    with pytest.raises(AccessDenied) as err:  # into B's subtree
        fn(session, "customer.transfer", tree.anna, elid="annas", to="resB19", bills="move",
           sok="ok")
    assert err.value.field == "to"
    with pytest.raises(NotFound) as err:  # out of B's subtree (anna does not see it)
        fn(session, "customer.transfer", tree.anna, elid="bens", to="resA19", bills="move",
           sok="ok")
    assert err.value.field == "elid"
    with pytest.raises(AccessDenied):  # into the parent above anna
        fn(session, "customer.transfer", tree.anna, elid="annas", to="isp19", bills="move")
    # inside its own subtree it may: down to its sub-operator
    make_operator(session, name="subA19", parent="resA19")
    fn(session, "customer.transfer", tree.anna, elid="annas", to="subA19", bills="move",
       sok="ok")
    assert session.scalar(sa.select(Customer.operator_id).where(Customer.username == "annas")) \
        != tree.a.id
    assert session.scalar(sa.select(Customer.operator_id).where(Customer.username == "bens")) \
        == tree.b.id


@pytest.mark.parametrize("params,field", [
    ({"to": "resB19", "bills": "sideways"}, "bills"),
    ({"bills": "move"}, "to"),
    ({"to": "resB19"}, "bills"),  # sok=ok needs the choice
    ({"to": "nowhere", "bills": "move"}, "to"),
    ({"to": "resA19", "bills": "move"}, "to"),  # already there
    ({"to": "resB19", "bills": "move", "zone": "nozone"}, "zone"),
    ({"to": "resB19", "bills": "move", "package": "x" * 300}, "package"),
])
def test_bad_input_names_the_field_and_moves_nothing(session, tree, params, field):
    c = owing(session, tree, name="stay19")
    before = books(session, tree.a)
    with pytest.raises(FuncError) as err:
        fn(session, "customer.transfer", tree.boss, elid="stay19", sok="ok", **params)
    assert field in err.value.errors, err.value.errors
    session.refresh(c)
    assert c.operator_id == tree.a.id and books(session, tree.a) == before
    with pytest.raises(FuncError) as err:
        fn(session, "customer.transfer", tree.boss, elid="", to="resB19")
    assert err.value.field == "elid"


def test_a_family_stays_in_one_branch_and_a_collector_left_behind_is_cleared(session, tree):
    make_operator(session, name="subA19", parent="resA19")
    make_user(session, login="mgr19", role="manager", operator="resA19")
    make_customer(session, tree.anna, username="dad19", package=tree.home.name, manager="mgr19")
    make_customer(session, tree.anna, username="kid19", package=tree.home.name, parent="dad19",
                  operator="subA19")
    for who in ("dad19", "kid19"):
        with pytest.raises(FuncError) as err:
            fn(session, "customer.transfer", tree.boss, elid=who, to="resB19", bills="move",
               sok="ok")
        assert err.value.field == "elid" and "parent" in err.value.message
    fn(session, "customer.transfer", tree.boss, elid="kid19", to="resA19", bills="move",
       sok="ok")  # up to the parent's own operator: still one branch
    fn(session, "customer.edit", tree.boss, sok="ok", elid="kid19", parent="")
    preview = fn(session, "customer.transfer", tree.boss, elid="dad19", to="resB19")
    assert preview.values["customers"][0]["manager_cleared"] is True
    fn(session, "customer.transfer", tree.boss, elid="dad19", to="resB19", bills="move",
       sok="ok")
    dad = session.scalars(sa.select(Customer).where(Customer.username == "dad19")).one()
    assert (dad.operator_id, dad.manager_id) == (tree.b.id, None)

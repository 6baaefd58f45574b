"""Parent and child accounts (issue 17): set in customer.edit within one subtree, one level
deep; the parent's page lists the children's dues; on the portal the parent sees and pays the
children's bills (booked to the child, audited as the parent); a child sees nothing of it."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from customers.functions.portal import customer_caller
from radbill.functions.registry import FuncError, NotFound, call
from radbill.models import AuditLog, Payment
from rating.terms import today
from tests.support.factories import (caller_of, fn, make_customer, make_isp, make_operator,
                                     make_package, make_user)
from tests.support.rating_factories import (assert_books_balance, bills_of, make_profile,
                                            postpaid_customer)
from tests.support.rating_factories import pins as card_pins


@pytest.fixture
def tree(session):
    isp = make_isp(session)
    for n in ("resA", "resB"):
        make_operator(session, name=n, parent=isp.name)
    make_operator(session, name="subA", parent="resA")
    make_package(session, name="Home", price="500")
    return {n: caller_of(session, make_user(session, login=f"op-{n}", role="operator"
                                            if n != "subA" else "sub_operator", operator=n))
            for n in ("resA", "resB", "subA")}


def refused(do) -> FuncError:
    with pytest.raises(FuncError) as err:
        do()
    return err.value


def test_a_parent_is_set_within_the_subtree_one_level_deep(session, tree):
    a, b, sub = tree["resA"], tree["resB"], tree["subA"]
    dad = make_customer(session, a, username="dad", package="Home")
    kid = make_customer(session, sub, username="kid", package="Home")
    # the sub-operator does not see its parent operator's customers; resA sees both
    assert refused(lambda: fn(session, "customer.edit", sub, sok="ok", elid="kid",
                              parent="dad")).status == 404
    fn(session, "customer.edit", a, sok="ok", elid="kid", parent="dad")
    session.refresh(kid)
    assert kid.parent_id == dad.id  # the sub-operator's customer under its parent's
    bob = make_customer(session, b, username="bob", package="Home")
    # another reseller's customer does not exist for A; A's is no parent for B's
    assert refused(lambda: fn(session, "customer.edit", b, sok="ok", elid="bob",
                              parent="dad")).status == 404
    err = refused(lambda: fn(session, "customer.edit", sok="ok", elid="bob", parent="dad"))
    assert err.errors == {"parent": "'dad' belongs to another operator's subtree"}
    err = refused(lambda: fn(session, "customer.edit", a, sok="ok", elid="dad", parent="dad"))
    assert err.errors == {"parent": "cannot be the customer itself"}
    err = refused(lambda: fn(session, "customer.edit", a, sok="ok", elid="dad", parent="kid"))
    assert err.errors == {"parent": "'kid' is itself a child account; a parent has no parent"}
    other = make_customer(session, a, username="other", package="Home")
    err = refused(lambda: fn(session, "customer.edit", a, sok="ok", elid="dad", parent="other"))
    assert err.errors == {"parent": "this customer is a parent of others; a parent cannot "
                                    "have a parent"}
    fn(session, "customer.edit", a, sok="ok", elid="kid", parent="")  # cleared
    session.refresh(kid)
    assert kid.parent_id is None and bob.parent_id is None and other.parent_id is None
    for hostile in ("\x00", "9" * 30, "'; drop table customers; --", "-1"):
        refused(lambda: fn(session, "customer.edit", a, sok="ok", elid="kid", parent=hostile))


def test_the_parent_pays_a_childs_bill_from_the_portal(session, tree):
    a = tree["resA"]
    profile = make_profile(session, name="Monthly")
    dad = make_customer(session, a, username="dad2", package="Home")
    kid = postpaid_customer(session, profile, caller=a, username="kid2", package="Home", parent="dad2")
    stranger = postpaid_customer(session, profile, caller=a, username="stranger", package="Home")
    fn(session, "bill.generate", sok="ok", date=today().isoformat())
    [bill] = bills_of(session, kid)
    rows = fn(session, "customer.children", a, elid="dad2").rows
    assert [(r["username"], r["due"]) for r in rows] == [("kid2", str(bill.total))]
    fn(session, "card.generate", count="2", amount=str(bill.total), batch="fam", operator="resA")
    pins = card_pins(session, "fam")

    parent = customer_caller(session, dad)
    seen = call(session, parent, "portal.children", {}).values
    assert [k["username"] for k in seen["children"]] == ["kid2"]
    assert seen["due"] == str(bill.total) and seen["children"][0]["bills"][0]["id"] == bill.id
    # a customer who is not the parent's child does not exist here
    with pytest.raises(NotFound):
        call(session, parent, "portal.child_recharge", {"child": "stranger", "pin": pins[0]})
    result = call(session, parent, "portal.child_recharge", {"child": "kid2", "pin": pins[0]})
    pay = session.get(Payment, result.elid)
    assert pay.customer_id == kid.id
    session.refresh(bill)
    assert bill.status == "paid"
    actors = session.scalars(sa.select(AuditLog.actor).where(AuditLog.func == "payment.edit")).all()
    assert "customer:dad2" in actors
    assert_books_balance(session)
    assert bills_of(session, stranger)[0].status == "open"

    # the child sees nothing of the parent's: no children, no parent's bills
    child = customer_caller(session, kid)
    assert call(session, child, "portal.children", {}).values["children"] == []
    with pytest.raises(NotFound):
        call(session, child, "portal.child_recharge", {"child": "dad2", "pin": pins[1]})
    with pytest.raises(NotFound):
        call(session, child, "portal.child_invoice", {"elid": str(bill.id)})
    pdf = call(session, parent, "portal.child_invoice", {"elid": str(bill.id)})
    assert pdf.data.startswith(b"%PDF")
    with pytest.raises(NotFound):
        call(session, parent, "portal.child_invoice",
             {"elid": str(bills_of(session, stranger)[0].id)})

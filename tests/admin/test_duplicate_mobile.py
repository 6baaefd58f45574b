"""One mobile number, one customer (issue 11), unless the operator allows a shared family phone:
customer.edit and customer.import refuse a number another live customer has, however it is
written, and name that customer only to staff who may see it."""
from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill.functions.caller import SYSTEM
from radbill.functions.registry import FuncError
from radbill.models import Customer
from tests.support.factories import (caller_of, fn, make_customer, make_isp, make_operator,
                                     make_package, make_user)


@pytest.fixture
def tenants(session):
    """The ISP with two resellers, each with a staff login, and a package for all."""
    isp = make_isp(session)
    a = make_operator(session, parent=isp.name, name="resA")
    b = make_operator(session, parent=isp.name, name="resB")
    pkg = make_package(session, name="home")
    staff = {op.name: caller_of(session, make_user(session, role="operator", operator=op.name))
             for op in (a, b)}
    return isp, a, b, pkg, staff


def new(session, caller, username, mobile, **kw):
    return make_customer(session, caller, username=username, mobile=mobile, package="home", **kw)


def refusal(session, caller, username, mobile, **kw) -> FuncError:
    with pytest.raises(FuncError) as err:
        new(session, caller, username, mobile, **kw)
    assert err.value.field == "mobile" or "mobile" in (err.value.errors or {})
    return err.value


def test_a_second_customer_with_the_same_number_is_refused_naming_the_first(session, tenants):
    isp, a, b, pkg, staff = tenants
    new(session, staff["resA"], "rahim", "01711-000001")
    for written in ("01711000001", "+8801711000001", "8801711000001", "+880 1711 000001",
                    "00880-1711-000001"):
        err = refusal(session, staff["resA"], "karim", written)
        assert err.errors["mobile"] == "01711000001 is in use by 'rahim'"  # said as at home
    new(session, staff["resA"], "karim", "01711000002")  # another number is fine


def test_another_resellers_customer_is_not_named(session, tenants):
    isp, a, b, pkg, staff = tenants
    new(session, staff["resA"], "rahim", "+8801711000001", name="Rahim Uddin")
    err = refusal(session, staff["resB"], "bob", "01711000001")
    assert err.errors["mobile"] == "01711000001 is in use"
    assert "rahim" not in str(err.errors).lower() and "rahim" not in err.message.lower()
    # the ISP above both sees whose it is
    err = refusal(session, caller_of(session, make_user(session, role="group_admin",
                                                          operator=isp.name)),
                  "bob", "01711000001", operator="resB")
    assert err.errors["mobile"] == "01711000001 is in use by 'rahim'"


def test_an_operator_may_allow_shared_family_numbers(session, tenants):
    isp, a, b, pkg, staff = tenants
    with pytest.raises(FuncError) as err:
        fn(session, "operator.edit", sok="ok", elid="resA", allow_shared_mobile="maybe")
    assert err.value.field == "allow_shared_mobile"
    assert fn(session, "operator.edit", elid="resA").values["allow_shared_mobile"] is False
    fn(session, "operator.edit", sok="ok", elid="resA", allow_shared_mobile="yes")
    assert fn(session, "operator.edit", elid="resA").values["allow_shared_mobile"] is True
    new(session, staff["resA"], "father", "01711000001")
    new(session, staff["resA"], "son", "+8801711000001")
    new(session, staff["resA"], "daughter", "01711000001")
    refusal(session, staff["resB"], "neighbour", "01711000001")  # B does not allow it
    # the setting is its parent's call, not the reseller's own
    with pytest.raises(FuncError):
        fn(session, "operator.edit", staff["resA"], sok="ok", elid="resA",
           allow_shared_mobile="no")


def test_editing_a_customer_that_keeps_its_number_is_fine(session, tenants):
    isp, a, b, pkg, staff = tenants
    rahim = new(session, staff["resA"], "rahim", "01711000001")
    fn(session, "customer.edit", staff["resA"], sok="ok", elid="rahim", name="Rahim",
       mobile="+8801711000001")
    fn(session, "customer.edit", staff["resA"], sok="ok", elid="rahim", address="Road 5")
    session.refresh(rahim)
    assert (rahim.name, rahim.mobile) == ("Rahim", "+8801711000001")
    karim = new(session, staff["resA"], "karim", "01711000002")
    with pytest.raises(FuncError) as err:
        fn(session, "customer.edit", staff["resA"], sok="ok", elid="karim", mobile="01711000001")
    assert err.value.errors["mobile"] == "01711000001 is in use by 'rahim'"
    session.refresh(karim)
    assert karim.mobile == "+8801711000002"  # stored as E.164
    # numbers shared while the operator allowed it stay editable once it no longer does
    fn(session, "operator.edit", sok="ok", elid="resA", allow_shared_mobile="yes")
    fn(session, "customer.edit", staff["resA"], sok="ok", elid="karim", mobile="01711000001")
    fn(session, "operator.edit", sok="ok", elid="resA", allow_shared_mobile="no")
    fn(session, "customer.edit", staff["resA"], sok="ok", elid="karim", notes="shares a phone")


def test_a_deleted_customers_number_is_free_until_it_is_restored(session, tenants):
    isp, a, b, pkg, staff = tenants
    new(session, staff["resA"], "rahim", "01711000001")
    fn(session, "customer.delete", staff["resA"], elid="rahim")
    new(session, staff["resA"], "karim", "+8801711000001")
    with pytest.raises(FuncError) as err:
        fn(session, "customer.restore", staff["resA"], elid="rahim")
    assert err.value.errors["mobile"] == "01711000001 is in use by 'karim'"


def test_hostile_numbers_get_a_clear_error(session, tenants):
    isp, a, b, pkg, staff = tenants
    for bad in ("abc", "0171\x001000001", "+" + "8" * 40, "01711000001;drop table",
                "٠١٧١١٠٠٠٠٠١", "++8801711000001", "0017", ""):
        if bad == "":
            new(session, staff["resA"], "blank", bad)  # no number is no duplicate
            continue
        err = refusal(session, staff["resA"], "hostile", bad)
        assert ("NUL byte" if "\x00" in bad else "not a phone number") in err.errors["mobile"]


def test_the_csv_import_refuses_duplicates_by_row(session, tenants):
    isp, a, b, pkg, staff = tenants
    new(session, staff["resB"], "elsewhere", "01811000009")
    csv = ("username,password,package,mobile\n"
           "imp1,pw,home,01711000101\n"
           "imp2,pw,home,+8801711000101\n"
           "imp3,pw,home,01811000009\n")
    with pytest.raises(FuncError) as err:
        fn(session, "customer.import", staff["resA"], file=csv)
    assert err.value.errors == {"row 3: mobile": "01711000101 is in use by 'imp1'",
                                "row 4: mobile": "01811000009 is in use"}
    assert session.scalar(sa.select(sa.func.count()).where(Customer.username.like("imp%"))) == 0


def test_a_double_submit_makes_one_customer(committed):
    """Two transactions create customers with one number at once: the second waits for the
    first (a lock on the number) and is then refused; a check alone would let both in."""
    with Session(committed) as s:
        make_isp(s)
        make_package(s, name="home")
        s.commit()
    first, second = Session(committed), Session(committed)
    outcome: dict[str, object] = {}

    def submit():
        try:
            new(second, SYSTEM, "twin2", "+8801711000077")
            outcome["second"] = "created"
        except FuncError as exc:
            outcome["second"] = exc.errors.get("mobile") if exc.errors else exc.message
        finally:
            second.rollback()
    try:
        new(first, SYSTEM, "twin1", "01711000077")  # not committed yet
        thread = threading.Thread(target=submit)
        thread.start()
        time.sleep(1.0)
        assert thread.is_alive(), "the second submit must wait for the first"
        first.commit()
        thread.join(30)
        assert outcome["second"] == "01711000077 is in use by 'twin1'"
    finally:
        first.close()
        second.close()

"""Error texts never reveal another tenant (issue 10, Tenancy): a second reseller learns what is
wrong with its input, not the names of reseller B's customers and pools, nor that B's card PIN
exists. Inside one's own subtree the other object is still named."""
from __future__ import annotations

import pytest

from radbill.functions.registry import FuncError
from tests.support.factories import (caller_of, fn, make_customer, make_isp, make_operator,
                                     make_package, make_user)
from tests.support.rating_factories import pay


@pytest.fixture
def resellers(session):
    isp = make_isp(session)
    ops = {n: make_operator(session, name=n, parent=isp.name) for n in ("resA", "resB")}
    make_package(session, name="Home", price="500")
    return {n: caller_of(session, make_user(session, login=f"op-{n}", role="operator",
                                            operator=n)) for n in ops}


def refused(call) -> FuncError:
    with pytest.raises(FuncError) as err:
        call()
    return err.value


def test_a_taken_mac_or_static_ip_names_only_the_caller_s_own_customers(session, resellers):
    a, b = resellers["resA"], resellers["resB"]
    make_customer(session, b, username="bob1", package="Home", mac="00:11:22:33:44:55",
                  service="static", static_ip="10.9.0.5")
    err = refused(lambda: make_customer(session, a, username="amy", package="Home",
                                        mac="00:11:22:33:44:55", service="static",
                                        static_ip="10.9.0.5"))
    assert err.errors == {"mac": "00:11:22:33:44:55 is bound to another customer",
                          "static_ip": "10.9.0.5 belongs to another customer"}
    err = refused(lambda: make_customer(session, b, username="bob2", package="Home",
                                        mac="00:11:22:33:44:55", service="static",
                                        static_ip="10.9.0.5"))
    assert err.errors == {"mac": "00:11:22:33:44:55 is bound to 'bob1'",
                          "static_ip": "10.9.0.5 belongs to 'bob1'"}


def test_an_overlapping_pool_is_named_only_when_the_caller_sees_it(session, resellers):
    a, b = resellers["resA"], resellers["resB"]
    fn(session, "pool.edit", b, sok="ok", name="poolB", cidr="10.50.0.0/24")
    err = refused(lambda: fn(session, "pool.edit", a, sok="ok", name="poolA", cidr="10.50.0.0/16"))
    assert err.errors == {"cidr": "10.50.0.0/16 overlaps another operator's pool"}
    err = refused(lambda: fn(session, "pool.edit", b, sok="ok", name="poolB2",
                             cidr="10.50.0.128/25"))
    assert err.errors == {"cidr": "10.50.0.128/25 overlaps pool 'poolB'"}
    fn(session, "pool.edit", sok="ok", name="global", cidr="10.60.0.0/24")  # everyone's
    err = refused(lambda: fn(session, "pool.edit", a, sok="ok", name="poolA", cidr="10.60.0.0/16"))
    assert err.errors == {"cidr": "10.60.0.0/16 overlaps pool 'global'"}


def test_another_operator_s_card_looks_exactly_like_no_card(session, resellers):
    a, b = resellers["resA"], resellers["resB"]
    amy = make_customer(session, a, username="amy", package="Home")
    bob = make_customer(session, b, username="bob", package="Home")
    fn(session, "card.generate", count="2", package="Home", batch="b1", operator="resB")
    pins = [r["pin"] for r in fn(session, "card", b, batch="b1").rows]  # B issued them
    pay(session, bob, caller=b, method="card", pin=pins[1])  # used by B's own customer

    def answer(pin) -> tuple:
        err = refused(lambda: pay(session, amy, caller=a, method="card", pin=pin))
        return type(err), err.status, err.field, str(err), err.errors
    nothing = answer("000000000000")
    assert nothing[4] == {"pin": "no such card"}
    assert answer(pins[0]) == nothing  # B's live card
    assert answer(pins[1]) == nothing  # B's used card: not "this card is used"
    # B's own customer still pays with B's card
    assert pay(session, bob, caller=b, method="card", pin=pins[0])

"""Voucher sheets (issue 11): a batch's unused cards on A4 to print and cut, for the operator that
issued them and nobody else."""
from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from radbill.functions.registry import AccessDenied, FuncError, NotFound
from rating.vouchers import PER_PAGE, grouped
from tests.support.factories import caller_of, fn, make_isp, make_operator, make_package, \
    make_user
from tests.support.rating_factories import assert_books_balance, pay, postpaid_customer


@pytest.fixture(autouse=True)
def books_balance(session):
    yield
    assert_books_balance(session)


def pages(result) -> list[str]:
    assert result.content_type == "application/pdf" and result.data.startswith(b"%PDF")
    return [p.extract_text() for p in PdfReader(io.BytesIO(result.data)).pages]


@pytest.fixture
def batch(session):
    isp = make_isp(session)
    res_a = make_operator(session, parent=isp.name)
    res_b = make_operator(session, parent=isp.name)
    anna = caller_of(session, make_user(session, role="operator", operator=res_a.name))
    ben = caller_of(session, make_user(session, role="operator", operator=res_b.name))
    pkg = make_package(session, name="Home-10M", price="500")
    fn(session, "card.generate", anna, count="65", package=pkg.name, batch="nov",
       valid_until="2031-06-30")
    cards = fn(session, "card", anna, batch="nov", per_page="100").rows
    return isp, res_a, res_b, anna, ben, pkg, cards


def test_a_batch_prints_thirty_cards_a_page_each_pin_once(session, batch):
    isp, res_a, res_b, anna, ben, pkg, cards = batch
    assert PER_PAGE == 30
    text = pages(fn(session, "card.vouchers", anna, batch="nov"))
    assert len(text) == 3  # 65 cards: 30 + 30 + 5
    whole = "\n".join(text)
    for card in cards:
        assert whole.count(grouped(card["pin"])) == 1, card["serial"]
        assert whole.count(card["serial"]) == 1
    assert grouped("12345678901234") == "1234 5678 9012 34"
    # every card says whose it is, what it buys, for how much and until when
    assert whole.count("radbill ISP") == whole.count("Home-10M") == 65
    assert whole.count("500.00 BDT") == whole.count("valid until 2031-06-30") == 65
    assert sum(t.count("radbill ISP") for t in text[:2]) == 60 and "page 3 of 3" in text[2]


def test_only_unused_cards_are_printed(session, batch):
    isp, res_a, res_b, anna, ben, pkg, cards = batch
    c = postpaid_customer(session, package=pkg.name, operator=res_a.name)
    pay(session, c, method="card", pin=cards[0]["pin"])
    whole = "\n".join(pages(fn(session, "card.vouchers", anna, batch="nov")))
    assert grouped(cards[0]["pin"]) not in whole and cards[0]["serial"] not in whole
    assert all(grouped(card["pin"]) in whole for card in cards[1:])
    assert len(re.findall(r"S/N ", whole)) == 64


def test_nobody_but_the_issuing_operator_gets_the_pins(session, batch):
    isp, res_a, res_b, anna, ben, pkg, cards = batch
    group = caller_of(session, make_user(session, role="group_admin", operator=isp.name))
    sub = make_operator(session, parent=res_a.name)
    sub_staff = caller_of(session, make_user(session, role="sub_operator", operator=sub.name))
    distributor = caller_of(session, make_user(session, role="card_distributor",
                                               operator=res_a.name))
    answers = set()
    for who, params in ((ben, {}), (group, {}), (sub_staff, {}), (ben, {"batch": "nosuch"})):
        with pytest.raises(NotFound) as err:  # the same as for a batch that does not exist
            fn(session, "card.vouchers", who, **{"batch": "nov", **params})
        answers.add((err.value.field, err.value.message.replace("nosuch", "nov")))
    assert len(answers) == 1
    with pytest.raises(AccessDenied) as err:  # the parent naming the issuer: still not its PINs
        fn(session, "card.vouchers", group, batch="nov", operator=res_a.name)
    assert err.value.field == "operator"
    with pytest.raises(AccessDenied):  # another reseller naming it: outside its subtree
        fn(session, "card.vouchers", ben, batch="nov", operator=res_a.name)
    with pytest.raises(AccessDenied):
        fn(session, "card.vouchers", distributor, batch="nov")
    assert len(pages(fn(session, "card.vouchers", anna, batch="nov", operator=res_a.name))) == 3


def test_a_batch_name_is_checked_like_card_generate_checks_it(session, batch):
    anna = batch[3]
    for bad in ("", "bad batch", "x" * 41, "a\x00b"):
        with pytest.raises(FuncError) as err:
            fn(session, "card.vouchers", anna, batch=bad)
        assert err.value.field == "batch" and not err.value.fallback

"""Worked examples of billing and payments, named as an ISP would say them. After each, the
books must balance and agree with the bills and advance balances."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from tests.support.factories import fn, make_customer, make_package
from radbill.functions.registry import FuncError
from radbill.models import AuditLog
from radbill.money import q
from rating import jobs, pricing
from rating.terms import local_day, today
from tests.support.rating_factories import (assert_books_balance, bills_of, due, make_profile, outbox_of, pay,
                              payments_of, postpaid_customer)


@pytest.fixture(autouse=True)
def books_balance(session):
    yield
    assert_books_balance(session)


def generate(session, on, **kw):
    return fn(session, "bill.generate", sok="ok", date=on.isoformat(), **kw).extra


def test_a_monthly_customer_is_billed_the_package_price_with_discount_and_vat(session):
    profile = make_profile(session, discount_kind="percent", discount_value="10")
    c = postpaid_customer(session, profile, package=make_package(session, price="1000").name)
    c.operator.vat_percent = D("5")
    generate(session, dt.date(2026, 11, 1))
    [bill] = bills_of(session, c)
    assert (bill.subtotal, bill.discount, bill.vat, bill.total) == (D("1000"), D("100"), D("45"), D("945"))
    assert (bill.period_start, bill.due_date, bill.service_to) == (
        dt.date(2026, 11, 1), dt.date(2026, 11, 1), dt.date(2026, 12, 1))


def test_a_customer_who_joins_mid_month_gets_a_pro_rated_first_bill(session):
    c = postpaid_customer(session, since=dt.date(2026, 11, 21),
                          package=make_package(session, price="300").name)
    generate(session, dt.date(2026, 11, 21))
    [bill] = bills_of(session, c)
    assert bill.total == D("100.00")  # 10 of November's 30 days
    assert "(10 of 30 days)" in bill.lines[0].description


def test_running_billing_twice_bills_once(session):
    profile = make_profile(session)
    customers = [postpaid_customer(session, profile) for _ in range(3)]
    first = generate(session, dt.date(2026, 11, 1))
    second = generate(session, dt.date(2026, 11, 15))
    assert first["bills"] >= 3 and second["bills"] == 0
    assert [len(bills_of(session, c)) for c in customers] == [1, 1, 1]
    with pytest.raises(FuncError, match="already has a bill"):
        fn(session, "bill.edit", sok="ok", customer=customers[0].username, date="2026-11-20")


def test_the_database_refuses_a_second_bill_for_the_same_period(session):
    c = postpaid_customer(session)
    generate(session, dt.date(2026, 11, 1))
    with pytest.raises(sa.exc.IntegrityError, match="uq_bills_customer_period"):
        with session.begin_nested():
            session.execute(sa.text(
                "insert into bills (customer_id, operator_id, kind, period_start, due_date, "
                "subtotal, total) values (:c, :o, 'period', '2026-11-01', '2026-11-01', 1, 1)"),
                {"c": c.id, "o": c.operator_id})


def test_preview_writes_nothing_and_matches_the_bill(session):
    profile = make_profile(session, discount_kind="fixed", discount_value="50")
    c = postpaid_customer(session, profile, since=dt.date(2026, 11, 7),
                          package=make_package(session, price="777").name)
    c.operator.vat_percent = D("7.5")
    c.advance_balance = D("0")
    counts = lambda: [session.scalar(sa.text(f"select count(*) from {t}"))  # noqa: E731
                      for t in ("bills", "bill_lines", "ledger_entries", "payments")]
    before = counts()
    preview = fn(session, "bill.preview", customer=c.username, date="2026-11-10").values
    assert counts() == before
    generate(session, dt.date(2026, 11, 10))
    [bill] = bills_of(session, c)
    assert (preview["subtotal"], preview["discount"], preview["vat"], preview["total"]) == (
        str(bill.subtotal), str(bill.discount), str(bill.vat), str(bill.total))
    assert preview["lines"][0]["description"] == bill.lines[0].description
    assert preview["payable"] == str(bill.total)
    assert (preview["package_price"], preview["term"]) == ("777.00", "monthly")


def test_upgrade_mid_cycle_is_pro_rated(session):
    basic, premium = make_package(session, price="300"), make_package(session, price="600")
    c = postpaid_customer(session, package=basic.name)
    on = today()
    generate(session, on)
    fn(session, "customer.edit", elid=c.username, sok="ok", package=premium.name)
    start, end = pricing.monthly_period(1, on)
    left, days = (end - on).days, (end - start).days
    [_, change] = bills_of(session, c)
    assert change.kind == "change"
    assert change.total == q(D(600) * left / days) - q(D(300) * left / days)
    assert [k for k in outbox_of(session, c, "disconnect")]  # the new rate needs a new session


def test_downgrade_mid_cycle_credits_the_advance_balance(session):
    basic, premium = make_package(session, price="300"), make_package(session, price="600")
    c = postpaid_customer(session, package=premium.name)
    on = today()
    generate(session, on)
    fn(session, "customer.edit", elid=c.username, sok="ok", package=basic.name)
    start, end = pricing.monthly_period(1, on)
    left, days = (end - on).days, (end - start).days
    assert len(bills_of(session, c)) == 1
    assert c.advance_balance == q(D(600) * left / days) - q(D(300) * left / days)


def test_a_custom_price_replaces_the_package_price(session):
    c = postpaid_customer(session, package=make_package(session, price="500").name,
                          custom_price="420")
    generate(session, dt.date(2026, 11, 1))
    assert bills_of(session, c)[0].total == D("420.00")


def test_partial_payment_leaves_the_rest_due(session):
    c = postpaid_customer(session, package=make_package(session, price="500").name)
    generate(session, dt.date(2026, 11, 1))
    pay(session, c, "200")
    [bill] = bills_of(session, c)
    assert (bill.status, bill.paid, due(session, c)) == ("open", D("200"), D("300"))
    pay(session, c, "300")
    assert (bill.status, due(session, c)) == ("paid", D("0"))


def test_overpayment_goes_to_the_advance_balance_and_pays_the_next_bill(session):
    c = postpaid_customer(session, package=make_package(session, price="500").name)
    generate(session, dt.date(2026, 11, 1))
    result = pay(session, c, "1200")
    assert (result.extra["applied"], result.extra["to_advance"]) == ("500.00", "700.00")
    assert c.advance_balance == D("700")
    generate(session, dt.date(2026, 12, 1))  # auto-debit from the advance
    assert due(session, c) == 0 and c.advance_balance == D("200")
    assert [p.method for p in payments_of(session, c)].count("advance") == 1


def test_payments_settle_the_oldest_bill_first(session):
    c = postpaid_customer(session, package=make_package(session, price="500").name)
    generate(session, dt.date(2026, 10, 1))
    generate(session, dt.date(2026, 11, 1))
    pay(session, c, "700")
    october, november = bills_of(session, c)
    assert (october.status, november.paid) == ("paid", D("200"))


def test_a_replayed_payment_counts_once(session):
    c = postpaid_customer(session, package=make_package(session, price="500").name)
    generate(session, dt.date(2026, 11, 1))
    first = pay(session, c, "300", reference="RCPT-1")
    again = pay(session, c, "300", reference="RCPT-1")
    assert again.elid == first.elid and again.extra["replayed"] is True
    assert len(payments_of(session, c)) == 1 and due(session, c) == D("200")
    with pytest.raises(FuncError, match="already used") as err:
        pay(session, c, "250", reference="RCPT-1")
    assert err.value.field == "reference"


def test_unpaid_after_grace_is_suspended_and_paying_resumes(session):
    profile = make_profile(session, grace_days="3")
    c = postpaid_customer(session, profile, package=make_package(session, price="500").name)
    generate(session, dt.date(2026, 11, 1))
    jobs.suspension(session, dt.date(2026, 11, 4))
    assert c.status == "active"  # still within the grace days
    jobs.suspension(session, dt.date(2026, 11, 5))
    session.refresh(c)
    assert (c.status, c.status_reason) == ("suspended", "unpaid")
    assert outbox_of(session, c, "disconnect")[-1].payload["reason"] == "unpaid"
    audit = session.scalars(sa.select(AuditLog).where(AuditLog.object_id == c.id,
                                                      AuditLog.func == "job.suspension")).one()
    assert audit.after["status"] == "suspended"
    pay(session, c, "500")
    assert c.status == "active"
    kinds = [(o.kind, o.payload.get("event")) for o in outbox_of(session, c)]
    # the activation's Disconnect, and one notice: the receipt (it says the service is back)
    assert kinds[-2:] == [("disconnect", "customer.activated"), ("notify", "payment.received")]


def test_a_partial_payment_does_not_lift_a_suspension(session):
    profile = make_profile(session)
    c = postpaid_customer(session, profile, package=make_package(session, price="500").name)
    generate(session, dt.date(2026, 11, 1))
    jobs.suspension(session, dt.date(2026, 11, 3))
    session.refresh(c)
    pay(session, c, "100")
    assert c.status == "suspended"


def test_a_prepaid_payment_extends_validity_by_the_package(session):
    c = make_customer(session, package=make_package(session, price="500", validity_days="30").name)
    pay(session, c, "500")
    first = c.expires_at
    assert first is not None
    pay(session, c, "500")
    assert c.expires_at - first == dt.timedelta(days=30)
    assert [b.status for b in bills_of(session, c)] == ["paid", "paid"]


def test_a_reversed_payment_makes_the_bill_due_again(session):
    c = postpaid_customer(session, package=make_package(session, price="500").name)
    generate(session, dt.date(2026, 11, 1))
    p = pay(session, c, "600")
    fn(session, "payment.reverse", elid=p.elid, reason="bounced")
    assert due(session, c) == D("500") and c.advance_balance == 0
    assert payments_of(session, c)[0].status == "reversed"
    fn(session, "payment.reverse", elid=p.elid)  # twice is harmless


def test_a_manual_bill_and_deleting_an_unpaid_bill(session):
    c = postpaid_customer(session)
    r = fn(session, "bill.edit", sok="ok", customer=c.username, description="Router", amount="1500")
    assert r.extra["total"] == "1500.00"
    fn(session, "bill.delete", elid=f"{r.elid},999999")
    assert bills_of(session, c) == []
    generate(session, dt.date(2026, 11, 1))
    pay(session, c, "10")
    with pytest.raises(FuncError, match="reverse them first"):
        fn(session, "bill.delete", elid=str(bills_of(session, c)[0].id))


def test_the_billing_run_debits_what_the_advance_covers_and_leaves_the_rest_due(session):
    c = postpaid_customer(session, package=make_package(session, price="500").name,
                          expires="2026-11-30")
    pay(session, c, "300")  # nothing billed yet: all of it is advance
    generate(session, dt.date(2026, 11, 1))
    assert (due(session, c), c.advance_balance) == (D("200"), 0)
    pay(session, c, "200")
    assert local_day(c.expires_at) == dt.date(2026, 12, 1)  # paid through November (ISP day)
    generate(session, dt.date(2026, 12, 1))
    pay(session, c, "1200")
    generate(session, dt.date(2027, 1, 1))
    assert (due(session, c), c.advance_balance) == (0, D("200"))
    assert local_day(c.expires_at) == dt.date(2027, 2, 1)


def test_a_daily_profile_bills_the_package_price_spread_over_its_validity(session):
    daily = make_profile(session, term="daily")
    c = postpaid_customer(session, daily, package=make_package(session, price="300",
                                                                validity_days="30").name)
    generate(session, dt.date(2026, 11, 5))
    generate(session, dt.date(2026, 11, 6))
    generate(session, dt.date(2026, 11, 6))
    assert [(b.period_start, b.total) for b in bills_of(session, c)] == [
        (dt.date(2026, 11, 5), D("10.00")), (dt.date(2026, 11, 6), D("10.00"))]


def test_free_and_disabled_customers_are_not_billed(session):
    free = postpaid_customer(session, make_profile(session, term="free"))
    disabled = postpaid_customer(session)
    fn(session, "customer.disable", elid=disabled.username)
    generate(session, dt.date(2026, 11, 1))
    assert bills_of(session, free) == [] and bills_of(session, disabled) == []
    with pytest.raises(FuncError, match="free"):
        fn(session, "bill.edit", sok="ok", customer=free.username)

"""Safe billing (issue 12). Seen at a 2,000-customer ISP: `bill.generate` confirmed with empty
fields on 1 December billed 1,813 customers with bills due on 10 November (including one whose
paid validity ran to 9 December), and 55 s later the suspension job suspended 621 of them.

Here: bills never fall due before they are issued, a period the customer's paid validity covers
is not billed again, the suspension job leaves anyone whose validity runs, and bill.generate
shows its impact first and wants the count typed in for a large run. Fixed dates only."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from radbill.functions.registry import FormResult, FuncError, OkResult
from radbill.models import Bill, Customer, Event, LedgerEntry
from rating import billing_run, bills, jobs, pricing
from rating.functions import bills as bill_functions
from rating.terms import midnight
from tests.support.factories import fn, make_package
from tests.support.rating_factories import (assert_books_balance, bills_of, make_profile,
                                            postpaid_customer)

RUN_DAY = dt.date(2026, 12, 1)
JOINED = dt.date(2026, 6, 1)


@pytest.fixture(autouse=True)
def books_balance(session):
    yield
    assert_books_balance(session)


def with_validity(session, customer, paid_to: dt.date):
    """Validity paid for up to (not including) `paid_to`, as a payment would set it."""
    customer.expires_at = midnight(paid_to)
    session.flush()
    return customer


@pytest.fixture
def isp(session):
    """Twenty customers on two profiles: due on the 10th (grace 3 days) and on the 1st."""
    pkg = make_package(session, price="500")
    tenth = make_profile(session, due_day="10", grace_days="3")
    first = make_profile(session, due_day="1")
    w = type("ISP", (), {})()
    w.tenth, w.first = tenth, first

    def cust(profile, paid_to=None):
        c = postpaid_customer(session, profile, since=JOINED, package=pkg.name)
        return with_validity(session, c, paid_to) if paid_to else c
    w.owing_10 = [cust(tenth) for _ in range(8)]
    w.owing_1 = [cust(first) for _ in range(6)]
    # validity running past the period: paid to 9 December inclusive, and into January
    w.covered = [cust(tenth, dt.date(2026, 12, 10)), cust(tenth, dt.date(2026, 12, 10)),
                 cust(tenth, dt.date(2027, 1, 5)), cust(first, dt.date(2027, 1, 1)),
                 cust(first, dt.date(2027, 1, 20))]
    # validity ending inside the period (paid to 4 December): billed, never suspended before
    w.partly = cust(tenth, dt.date(2026, 12, 5))
    w.billed = w.owing_10 + w.owing_1 + [w.partly]
    return w


def counts(session) -> tuple[int, int, int]:
    session.expire_all()
    return tuple(session.scalar(sa.select(sa.func.count()).select_from(t))
                 for t in (Bill, Event, LedgerEntry))


# -- the rules, one at a time ---------------------------------------------------------------
@pytest.mark.parametrize("due_day, issued, due", [
    (10, dt.date(2026, 12, 1), dt.date(2026, 12, 10)),
    (10, dt.date(2026, 12, 10), dt.date(2026, 12, 10)),
    (10, dt.date(2026, 12, 11), dt.date(2027, 1, 10)),
    (1, dt.date(2026, 12, 1), dt.date(2026, 12, 1)),
    (1, dt.date(2026, 12, 31), dt.date(2027, 1, 1)),
    (28, dt.date(2027, 2, 28), dt.date(2027, 2, 28)),
    (5, dt.date(2028, 2, 29), dt.date(2028, 3, 5)),
])
def test_a_bill_falls_due_on_the_next_due_day_on_or_after_its_issue(due_day, issued, due):
    assert pricing.due_on("monthly", due_day, issued) == due
    assert pricing.due_on("daily", due_day, issued) == issued


def test_the_run_and_a_single_bill_agree_on_the_due_date(session, isp):
    a, b = isp.owing_10[:2]
    preview = fn(session, "bill.preview", customer=a.username, date=RUN_DAY.isoformat()).values
    assert preview["due_date"] == dt.date(2026, 12, 10)
    fn(session, "bill.generate", sok="ok", customer=str(a.id), date=RUN_DAY.isoformat())
    [made] = bills_of(session, a)
    single = bills.issue_period_bill(session, b, RUN_DAY)
    assert (made.issued_on, made.due_date, made.total) == (RUN_DAY, dt.date(2026, 12, 10),
                                                            D(preview["total"]))
    assert (single.issued_on, single.due_date, single.total) == (made.issued_on, made.due_date,
                                                                 made.total)
    [event] = session.scalars(sa.select(Event).where(Event.name == "bill.created",
                                                     Event.customer_id == a.id)).all()
    assert event.data["due_date"] == "2026-12-10"


def test_a_covered_period_is_refused_for_a_single_bill_and_quoted_as_nothing(session, isp):
    c = isp.covered[0]
    with pytest.raises(FuncError, match="paid validity to 2026-12-10"):
        fn(session, "bill.edit", sok="ok", customer=c.username, date=RUN_DAY.isoformat())
    preview = fn(session, "bill.preview", customer=c.username, date=RUN_DAY.isoformat()).values
    assert preview["total"] == "0.00" and preview["lines"] == []
    assert bills_of(session, c) == []


def test_suspension_waits_for_validity_to_end(session, isp):
    c = isp.partly  # validity to 4 December
    bills.issue_period_bill(session, c, dt.date(2026, 11, 10))  # due 10 Nov, grace to 13 Nov
    for day in (dt.date(2026, 11, 20), dt.date(2026, 12, 4)):
        jobs.suspension(session, day)
        session.refresh(c)
        assert c.status == "active", day
    jobs.suspension(session, dt.date(2026, 12, 5))  # validity ended at its start
    session.refresh(c)
    assert c.status == "suspended"


# -- the scenario ---------------------------------------------------------------------------
def test_billing_on_the_first_is_safe_previewed_confirmed_and_idempotent(session, isp):
    before = counts(session)
    form = fn(session, "bill.generate", date=RUN_DAY.isoformat())
    assert isinstance(form, FormResult)
    shown = form.values
    assert counts(session) == before  # the preview wrote nothing
    assert "confirm" not in shown  # typed, never prefilled: a blind OK cannot confirm
    assert shown["date"] == "2026-12-01" and shown["bills"] == len(isp.billed) == 15
    assert shown["customers_in_scope"] == 20 and shown["confirm_needed"] is True
    assert D(shown["total"]) == 15 * D("500")
    # who would become overdue, and from when: the 1st's six after their due day (grace 0),
    # the 10th's nine after 10 + 3 days; nobody at once
    assert shown["overdue_customers"] == 15 and shown["overdue_on_run_day"] == 0
    assert shown["overdue_from"] == dt.date(2026, 12, 2)
    assert shown["overdue_by_day"] == "6 from 2026-12-02; 9 from 2026-12-14"

    # a large run without the count (or with another) is refused and writes nothing
    with pytest.raises(FuncError, match="confirm=15") as refused:
        fn(session, "bill.generate", sok="ok", date=RUN_DAY.isoformat())
    assert refused.value.field == "confirm"
    with pytest.raises(FuncError, match="confirm=14 does not match"):
        fn(session, "bill.generate", sok="ok", confirm="14", date=RUN_DAY.isoformat())
    assert counts(session) == before

    done = fn(session, "bill.generate", sok="ok", confirm="15", date=RUN_DAY.isoformat())
    assert isinstance(done, OkResult)
    assert (done.extra["bills"], done.extra["total"]) == (shown["bills"], shown["total"])

    made = session.scalars(sa.select(Bill)).all()
    assert sorted(b.customer_id for b in made) == sorted(c.id for c in isp.billed)
    assert all(b.due_date >= b.issued_on == RUN_DAY for b in made)  # never due before issued
    due = {b.customer_id: b.due_date for b in made}
    assert {due[c.id] for c in isp.owing_10 + [isp.partly]} == {dt.date(2026, 12, 10)}
    assert {due[c.id] for c in isp.owing_1} == {dt.date(2026, 12, 1)}
    for c in isp.covered:  # their validity runs past the period: not billed again
        assert bills_of(session, c) == []

    # the suspension job right after, and then each day: nobody whose validity runs, and
    # exactly the customers, on the days, the preview said
    suspended: dict[dt.date, int] = {}
    day = RUN_DAY
    while day <= dt.date(2027, 1, 31):
        n = int(jobs.suspension(session, day).split()[0])
        if n:
            suspended[day] = n
        day += dt.timedelta(days=1)
    assert suspended == {dt.date(2026, 12, 2): 6, dt.date(2026, 12, 14): 9}
    session.expire_all()
    for c in isp.covered:
        assert session.get(Customer, c.id).status == "active"

    # run again (same day, the next day): nobody is billed twice; its preview says so
    assert fn(session, "bill.generate", date=RUN_DAY.isoformat()).values["bills"] == 0
    assert fn(session, "bill.generate", sok="ok", date=RUN_DAY.isoformat()).extra["bills"] == 0
    assert len(session.scalars(sa.select(Bill)).all()) == 15


def test_the_preview_counts_what_the_advance_pays_and_what_stays_open(session, isp):
    rich = isp.owing_1[0]
    fn(session, "payment.edit", sok="ok", customer=rich.username, method="cash", amount="500")
    impact = billing_run.preview(session, RUN_DAY)
    assert (impact.run.bills, impact.run.auto_debited, impact.in_scope) == (15, 1, 20)
    assert impact.overdue == [(dt.date(2026, 12, 2), 5), (dt.date(2026, 12, 14), 9)]
    assert counts(session)[0] == 0
    result = billing_run.generate(session, RUN_DAY)
    assert (result.bills, result.total, result.auto_debited) == (
        impact.run.bills, impact.run.total, impact.run.auto_debited)


def test_small_runs_need_no_count_and_the_thresholds_hold(session):
    assert not bill_functions.large(10, 10)  # a handful
    assert bill_functions.large(11, 100) and not bill_functions.large(10, 100)
    assert not bill_functions.large(100, 10_000) and bill_functions.large(101, 10_000)
    assert bill_functions.large(1_813, 2_000)
    c = postpaid_customer(session, since=JOINED)
    assert fn(session, "bill.generate", sok="ok", date=RUN_DAY.isoformat()).extra["bills"] == 1
    assert bills_of(session, c)[0].due_date == RUN_DAY


@pytest.mark.parametrize("due_day", [1, 10, 28])
@pytest.mark.parametrize("issued", [dt.date(2026, 12, 31), dt.date(2028, 2, 29),
                                    dt.date(2027, 1, 28), dt.date(2027, 1, 10)])
def test_the_run_sql_and_pricing_agree_on_the_due_date(session, due_day, issued):
    c = postpaid_customer(session, make_profile(session, due_day=str(due_day)), since=JOINED)
    billing_run.generate(session, issued)
    [bill] = bills_of(session, c)
    assert bill.due_date == pricing.due_on("monthly", due_day, issued) >= issued

"""Trial accounts (issue 17): a fixed length, never billed, expired through the lifecycle,
converted to a paid package that bills from the day of conversion."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from customers import trials
from radbill import settings
from radbill.functions.registry import FuncError
from radbill.models import AuditLog, Event
from rating import billing_run, jobs
from rating.terms import today
from tests.support.factories import (caller_of, fn, make_customer, make_isp, make_operator,
                                     make_package, make_user)
from tests.support.rating_factories import bills_of, make_profile


def refused(call) -> FuncError:
    with pytest.raises(FuncError) as err:
        call()
    return err.value


@pytest.mark.parametrize("start, days, last", [
    (dt.date(2028, 2, 20), 10, dt.date(2028, 2, 29)),   # ends on a leap day
    (dt.date(2028, 2, 29), 1, dt.date(2028, 2, 29)),    # starts and ends on it
    (dt.date(2026, 12, 25), 7, dt.date(2026, 12, 31)),  # ends on the year's last day
    (dt.date(2027, 1, 31), 30, dt.date(2027, 3, 1)),    # across a short February
])
def test_a_trial_lasts_to_the_end_of_its_last_day(start, days, last):
    dhaka = ZoneInfo("Asia/Dhaka")
    end = trials.trial_end(start, days, dhaka)
    assert end == dt.datetime.combine(last, dt.time(23, 59, 59), tzinfo=dhaka)


def test_a_trial_customer_gets_the_fixed_length_and_is_never_billed(session):
    trial = make_package(session, name="Try7", price="0", trial_days="7")
    profile = make_profile(session, name="Monthly")
    c = make_customer(session, package=trial.name, billing_profile=profile.name)
    tz = settings.get().tz
    assert c.expires_at == trials.trial_end(today(), 7, tz)
    err = refused(lambda: make_customer(session, package=trial.name, expires="2030-01-01"))
    assert err.errors == {"expires": "a trial lasts its package's 7 days"}
    for day in (today(), today() + dt.timedelta(days=3)):
        billing_run.generate(session, day)
    assert bills_of(session, c) == []


def test_a_trial_expires_through_the_lifecycle_and_is_not_renewed(session):
    trial = make_package(session, name="Try3", price="0", trial_days="3")
    c = make_customer(session, package=trial.name)
    c.advance_balance = 1000  # a paid package would renew from it; a trial does not
    c.expires_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
    post = make_customer(session, package=trial.name, billing_profile=make_profile(session).name)
    post.expires_at = c.expires_at
    session.flush()
    assert "2 suspended as expired" in jobs.expiry(session, today())
    for x in (c, post):
        session.refresh(x)
        assert (x.status, x.status_reason) == ("suspended", "expired")
    kinds = session.scalars(sa.select(Event.name).where(Event.customer_id == c.id)).all()
    assert "customer.suspended" in kinds
    assert bills_of(session, c) == []


def test_converting_starts_billing_on_that_day(session):
    trial = make_package(session, name="Try14", price="0", trial_days="14")
    paid = make_package(session, name="Home30", price="3000")
    profile = make_profile(session, name="Monthly1", due_day="1")
    c = make_customer(session, package=trial.name, billing_profile=profile.name)
    fn(session, "customer.convert_trial", elid=c.username, package=paid.name)
    session.refresh(c)
    assert (c.package_id, c.billing_from, c.expires_at) == (paid.id, today(), None)
    ev = session.scalars(sa.select(Event).where(Event.customer_id == c.id,
                                                Event.name == "customer.package_changed")).one()
    assert ev.data["kind"] == "trial_conversion" and ev.data["to"] == "Home30"
    assert session.scalar(sa.select(AuditLog.func).where(AuditLog.object_id == c.id)
                          .order_by(AuditLog.id.desc()).limit(1)) == "customer.convert_trial"
    billing_run.generate(session, today())
    [bill] = bills_of(session, c)
    assert bill.service_from == today()  # pro-rated from the conversion, not the sign-up
    err = refused(lambda: fn(session, "customer.convert_trial", elid=c.username, package=paid.name))
    assert err.errors == {"elid": f"{c.username!r} is not on a trial package"}


def test_a_package_change_off_a_trial_converts_and_onto_one_is_refused(session):
    trial = make_package(session, name="Try5", price="0", trial_days="5")
    paid = make_package(session, name="Home50", price="500")
    c = make_customer(session, package=trial.name)
    fn(session, "customer.edit", sok="ok", elid=c.username, package=paid.name)
    session.refresh(c)
    assert c.billing_from == today()
    assert c.expires_at <= dt.datetime.now(dt.timezone.utc)  # prepaid: the first payment buys
    given = make_customer(session, package=trial.name)  # moved off with an expiry given: kept
    fn(session, "customer.edit", sok="ok", elid=given.username, package=paid.name,
       expires="2030-01-31")
    session.refresh(given)
    assert (given.billing_from, given.expires_at.astimezone(settings.get().tz).date()) == \
        (today(), dt.date(2030, 1, 31))
    other = make_customer(session, package=paid.name)
    err = refused(lambda: fn(session, "customer.edit", sok="ok", elid=other.username,
                             package=trial.name))
    assert err.errors == {"package": "a trial package is for new customers only"}
    err = refused(lambda: fn(session, "customer.convert_trial", elid=c.username, package=trial.name))
    assert "elid" in err.errors  # no longer a trial
    t2 = make_customer(session, package=trial.name)
    err = refused(lambda: fn(session, "customer.convert_trial", elid=t2.username,
                             package=trial.name))
    assert err.errors == {"package": "'Try5' is a trial package; choose a paid one"}


def test_a_reseller_converts_only_its_own_trials(session):
    isp = make_isp(session)
    for n in ("resA", "resB"):
        make_operator(session, name=n, parent=isp.name)
    a = caller_of(session, make_user(session, login="op-ta", role="operator", operator="resA"))
    b = caller_of(session, make_user(session, login="op-tb", role="operator", operator="resB"))
    make_package(session, name="TryR", price="0", trial_days="7")
    make_package(session, name="PaidR", price="500")
    c = make_customer(session, a, package="TryR")
    err = refused(lambda: fn(session, "customer.convert_trial", b, elid=c.username,
                             package="PaidR"))
    assert err.status == 404
    fn(session, "customer.convert_trial", a, elid=c.username, package="PaidR")

"""Package change (issue 14): an upgrade mid-cycle bills the pro-rated difference for the rest
of the period paid for and sends ONE CoA with the new rate; a downgrade waits for the next
cycle (the job applies it, no bill); approval; scope. Amounts are worked out by hand."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from radbill.functions.registry import FuncError
from radbill.models import Event, Outbox, PackageChange
from rating import package_change as pc
from tests.support.factories import caller_of, fn, make_operator, make_package, make_user
from tests.support.rating_factories import (assert_books_balance, bills_of, make_profile,
                                            outbox_of, postpaid_customer)


@pytest.fixture(autouse=True)
def books_balance(session):
    yield
    assert_books_balance(session)


def generate(session, on: dt.date):
    fn(session, "bill.generate", sok="ok", date=on.isoformat())


def world(session, on: dt.date, vat="5", on_premium=False):
    """A monthly customer (due day 1) on basic (300) or premium (600), billed for the period
    containing `on`; VAT `vat`%."""
    basic = make_package(session, price="300", rate_down="10M", rate_up="5M")
    premium = make_package(session, price="600", rate_down="20M", rate_up="10M")
    c = postpaid_customer(session, make_profile(session),
                          package=(premium if on_premium else basic).name)
    c.operator.vat_percent = D(vat)
    generate(session, on.replace(day=1))
    return c, basic, premium


def change(session, c, package, on: dt.date, **kw):
    return fn(session, "package.change", customer=c.username, package=package.name,
              date=on.isoformat(), **kw)


def events_of(session, c, name):
    return list(session.scalars(sa.select(Event).where(Event.customer_id == c.id,
                                                        Event.name == name)))


def test_an_upgrade_on_day_11_of_30_bills_20_30_of_the_difference_with_vat(session):
    c, basic, premium = world(session, dt.date(2026, 11, 1))
    on = dt.date(2026, 11, 11)
    preview = change(session, c, premium, on).values
    assert (preview["kind"], preview["takes_effect"], preview["days_left"],
            preview["total_days"]) == ("upgrade", "now", 20, 30)
    # 600 x 20/30 = 400.00 less 300 x 20/30 = 200.00: 200.00 + 5% VAT 10.00
    assert (preview["subtotal"], preview["vat"], preview["amount"]) == ("200.00", "10.00", "210.00")
    assert len(bills_of(session, c)) == 1  # the preview wrote nothing
    done = change(session, c, premium, on, sok="ok")
    assert done.extra["status"] == "applied" and done.extra["amount"] == "210.00"
    session.refresh(c)
    assert c.package_id == premium.id
    [_, bill] = bills_of(session, c)
    assert (bill.kind, bill.subtotal, bill.vat, bill.total, bill.issued_on, bill.service_to) == (
        "change", D("200.00"), D("10.00"), D("210.00"), on, dt.date(2026, 12, 1))
    assert [l.amount for l in bill.lines] == [D("400.00"), D("-200.00")]
    row = session.get(PackageChange, done.elid)
    assert (row.status, row.kind, row.amount, row.bill_id) == ("applied", "upgrade",
                                                               D("210.00"), bill.id)
    # one CoA, a notice, the bill's notice; no Disconnect (customer.updated is not emitted)
    assert [o.kind for o in outbox_of(session, c, "coa")] == ["coa"]
    assert outbox_of(session, c, "disconnect") == []
    assert events_of(session, c, "customer.updated") == []
    [ev] = events_of(session, c, "customer.package_changed")
    assert ev.data == {"username": c.username, "from": basic.name, "to": premium.name,
                       "kind": "upgrade", "change_id": row.id, "amount": "210.00",
                       "bill_id": bill.id}
    assert len(events_of(session, c, "bill.created")) == 2


def test_a_downgrade_waits_for_the_next_cycle_and_the_job_applies_it_without_a_bill(session):
    c, basic, premium = world(session, dt.date(2026, 11, 1), on_premium=True)
    on = dt.date(2026, 11, 11)
    preview = change(session, c, basic, on).values
    assert (preview["kind"], preview["takes_effect"], preview["amount"]) == (
        "downgrade", "2026-12-01", "0.00")
    done = change(session, c, basic, on, sok="ok")
    assert (done.extra["status"], done.extra["effective_on"]) == ("scheduled", "2026-12-01")
    bills_before = len(bills_of(session, c))
    assert pc.job(session, dt.date(2026, 11, 30)) == "0 package changes applied"
    session.refresh(c)
    assert c.package_id == premium.id  # the day before: nothing
    assert pc.job(session, dt.date(2026, 12, 1)) == "1 package changes applied"
    session.refresh(c)
    assert c.package_id == basic.id
    assert len(bills_of(session, c)) == bills_before  # no bill for a downgrade
    row = session.get(PackageChange, done.elid)
    assert (row.status, row.amount, row.bill_id, row.effective_on) == (
        "applied", D("0"), None, dt.date(2026, 12, 1))
    assert [o.kind for o in outbox_of(session, c, "coa")] == ["coa"]
    assert pc.job(session, dt.date(2026, 12, 2)) == "0 package changes applied"  # once
    # the new period is billed at the new price
    generate(session, dt.date(2026, 12, 1))
    assert bills_of(session, c)[-1].subtotal == D("300.00")
    assert [e.data["status"] for e in events_of(session, c, "package_change.scheduled")] == \
        ["scheduled"]


def test_a_change_needing_approval_waits_then_is_approved_or_refused(session):
    c, basic, premium = world(session, dt.date(2026, 11, 1))
    premium.change_approval = True
    on = dt.date(2026, 11, 11)
    assert change(session, c, premium, on).values["takes_effect"] == "after approval"
    done = change(session, c, premium, on, sok="ok")
    assert done.extra["status"] == "pending"
    with pytest.raises(FuncError, match="already has package change"):
        change(session, c, premium, on, sok="ok")
    assert [r["status"] for r in fn(session, "package_change", customer=c.username).rows] == \
        ["pending"]
    assert fn(session, "package_change", status="applied").rows == []
    fn(session, "package_change.refuse", elid=str(done.elid), reason="no capacity in your area")
    assert session.get(PackageChange, done.elid).status == "refused"
    [ev] = events_of(session, c, "package_change.refused")
    assert ev.data["reason"] == "no capacity in your area"
    with pytest.raises(FuncError, match="refused"):
        fn(session, "package_change.approve", elid=str(done.elid))
    # asked again and approved on the 16th: applied then, billed for the 15 days left
    again = change(session, c, premium, on, sok="ok")
    fn(session, "package_change.approve", elid=str(again.elid), date="2026-11-16")
    row = session.get(PackageChange, again.elid)
    assert row.status == "applied" and row.decided_by and row.effective_on == dt.date(2026, 11, 16)
    assert row.amount == D("157.50")  # 300 x 15/30 = 150.00 + 5% VAT
    session.refresh(c)
    assert c.package_id == premium.id
    assert len(outbox_of(session, c, "coa")) == 1


def test_a_scheduled_change_can_be_cancelled(session):
    c, basic, premium = world(session, dt.date(2026, 11, 1), on_premium=True)
    done = change(session, c, basic, dt.date(2026, 11, 11), sok="ok")
    fn(session, "package_change.cancel", elid=str(done.elid))
    assert session.get(PackageChange, done.elid).status == "cancelled"
    assert pc.job(session, dt.date(2026, 12, 1)) == "0 package changes applied"
    with pytest.raises(FuncError, match="cancelled"):
        fn(session, "package_change.cancel", elid=str(done.elid))


def test_leap_day_29_feb_2028_upgrade_bills_1_of_29_days(session):
    c, basic, premium = world(session, dt.date(2028, 2, 1))
    done = change(session, c, premium, dt.date(2028, 2, 29), sok="ok")
    # 600/29 = 20.69 less 300/29 = 10.34: 10.35 + 5% (0.5175) 0.52 = 10.87
    assert done.extra["amount"] == "10.87"
    bill = bills_of(session, c)[-1]
    assert (bill.subtotal, bill.vat, bill.service_to) == (D("10.35"), D("0.52"),
                                                          dt.date(2028, 3, 1))
    assert "(1 of 29 days)" in bill.lines[0].description


def test_31_december_downgrade_takes_effect_on_1_january(session):
    c, basic, premium = world(session, dt.date(2026, 12, 1), on_premium=True)
    done = change(session, c, basic, dt.date(2026, 12, 31), sok="ok")
    assert done.extra["effective_on"] == "2027-01-01"
    assert pc.job(session, dt.date(2026, 12, 31)).startswith("0 ")
    assert pc.job(session, dt.date(2027, 1, 1)).startswith("1 ")


def test_31_december_upgrade_bills_1_of_31_days(session):
    c, basic, premium = world(session, dt.date(2026, 12, 1))
    done = change(session, c, premium, dt.date(2026, 12, 31), sok="ok")
    # 600/31 = 19.35 less 300/31 = 9.68: 9.67 + 5% (0.4835) 0.48 = 10.15
    assert done.extra["amount"] == "10.15"


def test_a_reseller_cannot_change_another_resellers_customer(session):
    make_operator(session, name="isp")
    make_operator(session, name="res1", parent="isp", level="operator")
    make_operator(session, name="res2", parent="isp", level="operator")
    basic, premium = make_package(session, price="300"), make_package(session, price="600")
    mine = postpaid_customer(session, package=basic.name, operator="res1")
    theirs = postpaid_customer(session, package=basic.name, operator="res2")
    boss = caller_of(session, make_user(session, role="operator", operator="res1"))
    with pytest.raises(FuncError) as err:
        fn(session, "package.change", boss, customer=theirs.username, package=premium.name,
           sok="ok")
    assert "customer" in err.value.errors
    done = fn(session, "package.change", boss, customer=mine.username, package=premium.name,
              sok="ok")
    assert done.extra["status"] == "applied"
    assert [r["customer"] for r in fn(session, "package_change", boss).rows] == [mine.username]
    other = caller_of(session, make_user(session, role="operator", operator="res2"))
    assert fn(session, "package_change", other).rows == []
    with pytest.raises(FuncError):
        fn(session, "package_change.cancel", other, elid=str(done.elid))


def test_refusals_name_the_field(session):
    c, basic, premium = world(session, dt.date(2026, 11, 1))
    for params, field in (({"package": basic.name}, "package"),
                          ({"package": "no-such"}, "package"),
                          ({"package": premium.name, "date": "2026-02-30"}, "date")):
        with pytest.raises(FuncError) as err:
            fn(session, "package.change", customer=c.username, sok="ok", **params)
        assert field in err.value.errors, (params, err.value.errors)
    c.custom_price = D("100")
    with pytest.raises(FuncError) as err:
        change(session, c, premium, dt.date(2026, 11, 11), sok="ok")
    assert "customer" in err.value.errors
    assert session.scalar(sa.select(sa.func.count()).select_from(Outbox).where(
        Outbox.customer_id == c.id, Outbox.kind == "coa")) == 0


# -- the CoA, against the NAS emulator the provisioning tests use ------------------------------
@pytest.mark.integration
def test_an_upgrade_sends_one_coa_with_the_new_rate_to_the_live_session(factory, coa_nas):
    from provisioning import worker
    from radbill.models import RadAcct
    coa_nas.add_session("pc000001", "upgrader", "10.0.0.41")
    with factory.begin() as s:
        fn(s, "nas.edit", sok="ok", name="core-pc", ip="127.0.0.1", secret="testing123",
           coa_port=str(coa_nas.port))
        basic = make_package(s, price="300", rate_down="10M", rate_up="5M")
        premium = make_package(s, price="600", rate_down="20M", rate_up="10M")
        c = postpaid_customer(s, make_profile(s), package=basic.name, username="upgrader")
        generate(s, dt.date(2026, 11, 1))
        s.add(RadAcct(acctsessionid="pc000001", acctuniqueid="u-pc000001", username="upgrader",
                      nasipaddress="127.0.0.1", framedipaddress="10.0.0.41",
                      acctstarttime=dt.datetime.now(dt.timezone.utc)))
    worker.drain(factory, worker.Policy(base_delay=0, coa_timeout=0.3, coa_retries=1))
    coa_nas.received.clear()  # the welcome and bill notices went; nothing for the NAS
    with factory.begin() as s:
        fn(s, "package.change", customer="upgrader", package=premium.name, date="2026-11-11",
           sok="ok")
    worker.drain(factory, worker.Policy(base_delay=0, coa_timeout=0.3, coa_retries=1))
    sent = [p for p in coa_nas.received if p["kind"] in ("coa", "disconnect")]
    assert [p["kind"] for p in sent] == ["coa"]  # ONE CoA, no Disconnect
    # RouterOS rx/tx: the subscriber's upload first
    assert sent[0]["Mikrotik-Rate-Limit"] == ["10M/20M"]
    assert coa_nas.sessions["pc000001"]["rate"] == "10M/20M"
    with factory() as s:
        [row] = s.scalars(sa.select(Outbox).where(Outbox.customer_id == c.id,
                                                  Outbox.kind == "coa")).all()
        assert row.status == "done"


def test_a_prepaid_upgrade_bills_the_days_of_validity_left_and_a_downgrade_waits_for_its_end(
        session):
    from rating.terms import midnight
    from tests.support.factories import make_customer
    basic = make_package(session, price="300", validity_days="30")
    premium = make_package(session, price="600", validity_days="30")
    c = make_customer(session, package=basic.name)  # no billing profile: prepaid
    c.operator.vat_percent = D("0")
    c.expires_at = midnight(dt.date(2026, 11, 21))  # 10 days left on the 11th
    session.flush()
    done = change(session, c, premium, dt.date(2026, 11, 11), sok="ok")
    # 600 x 10/30 = 200.00 less 300 x 10/30 = 100.00, no VAT
    assert (done.extra["status"], done.extra["amount"]) == ("applied", "100.00")
    down = change(session, c, basic, dt.date(2026, 11, 12), sok="ok")
    assert (down.extra["status"], down.extra["effective_on"]) == ("scheduled", "2026-11-21")
    c.expires_at = None  # validity over: a change has nothing left to wait for
    session.flush()
    fn(session, "package_change.cancel", elid=str(down.elid))
    now = change(session, c, basic, dt.date(2026, 11, 25), sok="ok")
    assert (now.extra["status"], now.extra["amount"]) == ("applied", "0.00")


def test_a_scheduled_change_the_job_cannot_apply_stays_scheduled(session):
    c, basic, premium = world(session, dt.date(2026, 11, 1), on_premium=True)
    done = change(session, c, basic, dt.date(2026, 11, 11), sok="ok")
    c.custom_price = D("450")  # given by staff since: the job leaves the decision to them
    session.flush()
    assert pc.job(session, dt.date(2026, 12, 1)) == \
        "0 package changes applied, 1 refused (still scheduled)"
    assert session.get(PackageChange, done.elid).status == "scheduled"

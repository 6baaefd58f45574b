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
                       "bill_id": bill.id, "due_date": "2026-11-11"}
    # the change bill's bill.created is kept, but only the package change notifies
    [_, created] = events_of(session, c, "bill.created")
    assert created.data["reason"] == "package_change"
    assert [o.payload["event"] for o in outbox_of(session, c, "notify")
            if o.event_id >= created.id] == ["customer.package_changed"]
    # the ISP's own customer: no wholesale, nothing in the preview about it
    assert "wholesale" not in preview


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


# -- a reseller's wholesale difference -------------------------------------------------------
def reseller_world(session, on: dt.date, fund="1000", kind="debit", limit=None):
    """The ISP (its NAS serves everyone), reseller `north` under it and, in a chain of its
    own, `south` with its sub-reseller `south-sub`; basic 300 (wholesale 200) and premium 600
    (wholesale 400); a monthly customer of `north` and one of `south-sub`, billed for the
    period containing `on`; VAT 5%."""
    from radbill.models import Operator
    isp = session.get(Operator, postpaid_customer(session).operator_id)  # the root, on first use
    fn(session, "nas.edit", sok="ok", name=f"core{isp.id}", ip=f"10.9.{isp.id % 250}.1",
       secret="testing123")
    extra = {"credit_limit": limit} if limit is not None else {}
    north = make_operator(session, name="north", parent=isp.name, kind=kind, **extra)
    south = make_operator(session, name="south", parent=isp.name, kind="debit")
    sub = make_operator(session, name="south-sub", parent=south.name, kind="debit")
    for op, amount in ((north, fund), (south, "5000"), (sub, "5000")):
        if amount and D(amount) > 0:
            fn(session, "operator.fund", elid=op.name, amount=amount)
    basic = make_package(session, price="300", wholesale_price="200", rate_down="10M")
    premium = make_package(session, price="600", wholesale_price="400", rate_down="20M")
    profile = make_profile(session)
    cn = postpaid_customer(session, profile, package=basic.name, operator="north")
    cs = postpaid_customer(session, profile, package=basic.name, operator="south-sub")
    for op in (isp, north, south, sub):
        op.vat_percent = D("5")
    generate(session, on.replace(day=1))
    return cn, cs, basic, premium


def position(session, name, kind="upstream"):
    from radbill.models import Operator
    from rating import ledger
    op = session.scalar(sa.select(Operator).where(Operator.name == name))
    return ledger.balance(session, op.id, kind)


def staff_of(session, operator):
    return caller_of(session, make_user(session, role="operator", operator=operator))


def test_a_resellers_upgrade_charges_it_the_pro_rated_wholesale_difference(session):
    from radbill.models import LedgerTransaction
    cn, cs, basic, premium = reseller_world(session, dt.date(2026, 11, 1))
    on = dt.date(2026, 11, 11)
    boss = staff_of(session, "north")
    preview = fn(session, "package.change", boss, customer=cn.username, package=premium.name,
                 date=on.isoformat()).values
    # 400 x 20/30 = 266.67 less 200 x 20/30 = 133.33
    assert (preview["amount"], preview["wholesale"]) == ("210.00", "133.34")
    before = {n: position(session, n) for n in ("north", "south", "south-sub")}
    done = fn(session, "package.change", boss, customer=cn.username, package=premium.name,
              date=on.isoformat(), sok="ok")
    assert (done.extra["status"], done.extra["amount"]) == ("applied", "210.00")
    assert "wholesale" not in done.extra
    assert position(session, "north") == before["north"] - D("133.34")
    assert position(session, "north", "wholesale_cost") > 0
    tx = session.scalar(sa.select(LedgerTransaction).where(
        LedgerTransaction.reference == f"package_change:{done.elid}"))
    assert tx.kind == "activation" and "20 of 30 days" in tx.description
    # south-sub's customer on the same NAS: south-sub pays south (its own chain), not the ISP
    done = change(session, cs, premium, on, sok="ok")
    assert position(session, "south-sub") == before["south-sub"] - D("133.34")
    assert position(session, "south") == before["south"]  # south's own upstream untouched
    assert position(session, "south", "downstream") == -position(session, "south-sub")
    # a downgrade refunds nothing now (the next renewal costs the lower wholesale)
    after = position(session, "north")
    down = fn(session, "package.change", boss, customer=cn.username, package=basic.name,
              date="2026-11-12")
    assert (down.values["kind"], down.values["wholesale"]) == ("downgrade", "0.00")
    fn(session, "package.change", boss, customer=cn.username, package=basic.name,
       date="2026-11-12", sok="ok")
    assert pc.job(session, dt.date(2026, 12, 1)).startswith("1 ")
    assert position(session, "north") == after


def test_a_reseller_at_the_edge_of_its_credit_upgrades_once_and_not_twice(session):
    from radbill.models import Bill, LedgerTransaction
    from radbill.models import Operator
    from rating import resellers
    cn, cs, basic, premium = reseller_world(session, dt.date(2026, 11, 1), fund="0",
                                            kind="credit", limit="10000")
    second = postpaid_customer(session, make_profile(session), package=basic.name,
                               operator="north", since=dt.date(2026, 11, 1))
    generate(session, dt.date(2026, 11, 1))
    north = session.scalar(sa.select(Operator).where(Operator.name == "north"))
    # exactly what one upgrade needs is left of its credit
    north.credit_limit = -position(session, "north") + D("133.34")
    session.flush()
    assert resellers.available(session, north) == D("133.34")
    counts = lambda: (session.scalar(sa.select(sa.func.count()).select_from(Bill)),  # noqa: E731
                      session.scalar(sa.select(sa.func.count()).select_from(LedgerTransaction)),
                      session.scalar(sa.select(sa.func.count()).select_from(PackageChange)),
                      session.scalar(sa.select(sa.func.count()).select_from(Event)))
    done = change(session, cn, premium, dt.date(2026, 11, 11), sok="ok")
    assert done.extra["status"] == "applied"
    assert resellers.available(session, north) == 0
    before = counts()
    with pytest.raises(FuncError) as err:
        change(session, second, premium, dt.date(2026, 11, 11), sok="ok")
    assert err.value.errors["package"] == "operator 'north' has 0.00 available, 133.34 is needed"
    assert counts() == before  # nothing written
    session.refresh(second)
    assert second.package_id == basic.id
    # an approved pending upgrade is refused the same way and stays pending
    premium.change_approval = True
    session.flush()
    waiting = change(session, second, premium, dt.date(2026, 11, 11), sok="ok")
    with pytest.raises(FuncError, match="133.34 is needed"):
        fn(session, "package_change.approve", elid=str(waiting.elid), date="2026-11-11")
    assert session.get(PackageChange, waiting.elid).status == "pending"
    north.credit_limit += D("133.34")
    session.flush()
    fn(session, "package_change.approve", elid=str(waiting.elid), date="2026-11-11")
    assert session.get(PackageChange, waiting.elid).status == "applied"
    assert resellers.available(session, north) == 0


def test_the_portal_never_shows_wholesale_but_charges_it(session):
    from customers.functions.portal import customer_caller
    from radbill.functions.registry import call
    from rating.terms import today
    on = today()  # the portal's day is always today: the period billed is today's
    cn, cs, basic, premium = reseller_world(session, on)
    premium.online = True
    session.flush()
    me = customer_caller(session, cn)
    seen = call(session, me, "portal.package", {"package": premium.name}).values
    assert seen["preview"]["kind"] == "upgrade" and "wholesale" not in str(seen)
    staff = fn(session, "package.change", staff_of(session, "north"), customer=cn.username,
               package=premium.name).values
    assert D(staff["wholesale"]) > 0
    before = position(session, "north")
    done = call(session, me, "portal.package", {"package": premium.name, "sok": "ok"})
    assert "wholesale" not in str(done.extra)
    assert session.get(PackageChange, done.elid).status == "applied"
    assert position(session, "north") == before - D(staff["wholesale"])


@pytest.mark.parametrize("on, wholesale", [(dt.date(2028, 2, 29), "6.89"),
                                           (dt.date(2026, 12, 31), "6.45")])
def test_month_end_and_leap_day_wholesale_for_one_day(session, on, wholesale):
    # 400/29 = 13.79 less 200/29 = 6.90; 400/31 = 12.90 less 200/31 = 6.45
    cn, cs, basic, premium = reseller_world(session, on)
    before = position(session, "north")
    done = change(session, cn, premium, on, sok="ok")
    assert done.extra["status"] == "applied"
    assert position(session, "north") == before - D(wholesale)


# -- one notice per upgrade, composed by the real worker ---------------------------------------
@pytest.mark.integration
def test_an_upgrade_sends_one_message_per_channel_naming_the_amount_and_bill(factory):
    from provisioning import worker
    from radbill.models import Message, MessageGateway
    with factory.begin() as s:
        basic = make_package(s, price="300", rate_down="10M", rate_up="5M")
        premium = make_package(s, price="600", rate_down="20M", rate_up="10M")
        c = postpaid_customer(s, make_profile(s), package=basic.name, username="notified",
                              mobile="01711000077", email="notified@example.com")
        c.operator.vat_percent = D("5")
        for channel in ("sms", "email"):
            s.add(MessageGateway(operator_id=c.operator_id, name=channel, channel=channel,
                                 kind="http" if channel == "sms" else "smtp",
                                 config={"url": "http://127.0.0.1:9/send"}, price=D("0.25")))
        generate(s, dt.date(2026, 11, 1))
    policy = worker.Policy(base_delay=0, coa_timeout=0.3, coa_retries=1)
    worker.drain(factory, policy)  # the welcome and the period bill's notices
    with factory() as s:
        first = s.scalar(sa.select(sa.func.max(Message.id)).where(Message.customer_id == c.id))
        assert {m.event for m in s.scalars(sa.select(Message).where(
            Message.customer_id == c.id))} >= {"bill.created"}
    with factory.begin() as s:
        done = fn(s, "package.change", customer="notified", package=premium.name,
                  date="2026-11-11", sok="ok")
    worker.drain(factory, policy)
    with factory() as s:
        new = s.scalars(sa.select(Message).where(Message.customer_id == c.id,
                                                 Message.id > first).order_by(Message.id)).all()
        bill_id = s.get(PackageChange, done.elid).bill_id
    assert sorted((m.event, m.channel) for m in new) == [
        ("customer.package_changed", "email"), ("customer.package_changed", "sms")]
    for m in new:
        assert "210.00" in m.body and str(bill_id) in m.body, m.body
    sms = next(m for m in new if m.channel == "sms")
    assert sms.body.startswith("Dear ") and "is billed (bill" in sms.body and "due " in sms.body

"""From an event to messages (messaging/compose.py): channels, the gateway and template
cascades, languages, quiet hours, and composing the same event twice."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from messaging import compose
from radbill import events, settings
from radbill.models import Message, MessageGateway, MessageTemplate, Operator, Outbox
from tests.support.factories import fn, make_customer, make_operator

DHAKA = ZoneInfo("Asia/Dhaka")


def gateway(session, operator_id, channel="sms", kind="http", price="0.35", **config):
    gw = MessageGateway(operator_id=operator_id, name=f"{channel}{operator_id}", channel=channel,
                        kind=kind, config=config or {"url": "http://127.0.0.1:9/send"},
                        price=Decimal(price))
    session.add(gw)
    session.flush()
    return gw


def tree(session):
    """The ISP, a reseller under it and a sub-reseller under that."""
    customer = make_customer(session)  # makes the ISP (the root) on first use
    isp = session.get(Operator, customer.operator_id)
    res = make_operator(session, name="northnet", parent=isp.name)
    sub = make_operator(session, name="northnet-east", parent=res.name)
    return isp, res, sub


def notify_rows(session, customer_id, name):
    session.flush()
    return session.scalars(sa.select(Outbox).where(
        Outbox.customer_id == customer_id, Outbox.kind == "notify",
        Outbox.payload["event"].astext == name).order_by(Outbox.id)).all()


def compose_all(session, customer_id, name):
    made = [compose.notice(session, row) for row in notify_rows(session, customer_id, name)]
    session.flush()
    return made


def messages_of(session, customer_id):
    return session.scalars(sa.select(Message).where(Message.customer_id == customer_id)
                           .order_by(Message.id)).all()


def test_a_resellers_customer_is_told_through_the_isps_gateway_in_their_language(session):
    isp, res, sub = tree(session)
    gw = gateway(session, isp.id)
    c = make_customer(session, username="karim", name="করিম উদ্দিন", operator=sub.name,
                      mobile="01711000001", lang="bn")
    fn(session, "customer.suspend", elid="karim", reason="unpaid bill")
    [made] = compose_all(session, c.id, "customer.suspended")
    [msg] = [m for m in messages_of(session, c.id) if m.event == "customer.suspended"]
    assert made.queued == [msg.id]
    assert (msg.channel, msg.recipient, msg.lang, msg.gateway_id) == (
        "sms", "+8801711000001", "bn", gw.id)
    assert "করিম উদ্দিন" in msg.body
    # e-mail is a default channel too, but karim has no address
    assert made.skipped == {"email": "the customer has no email"}
    # Bangla is UCS-2: a segment holds 70 characters
    assert msg.segments == (1 if len(msg.body) <= 70 else -(-len(msg.body) // 67))
    assert msg.cost == Decimal("0.35") * msg.segments


def test_the_nearest_operators_template_and_gateway_win(session):
    isp, res, sub = tree(session)
    gateway(session, isp.id)
    own = gateway(session, res.id, price="0.25")
    session.add(MessageTemplate(operator_id=res.id, event="customer.activated", channel="sms",
                                lang="en", body="{{ name }}: back online. -{{ operator }}"))
    session.add(MessageTemplate(operator_id=isp.id, event="customer.activated", channel="sms",
                                lang="en", body="ISP wording {{ name }}"))
    c = make_customer(session, username="rahim", name="Rahim", operator=sub.name,
                      mobile="+8801711000002")
    fn(session, "customer.suspend", elid="rahim")
    fn(session, "customer.resume", elid="rahim")
    compose_all(session, c.id, "customer.activated")
    [msg] = [m for m in messages_of(session, c.id) if m.event == "customer.activated"]
    assert msg.body == "Rahim: back online. -northnet-east"
    assert msg.gateway_id == own.id and msg.cost == Decimal("0.25")


def test_a_template_switched_off_sends_nothing_and_english_is_the_fallback(session):
    isp, res, _ = tree(session)
    gateway(session, isp.id)
    session.add(MessageTemplate(operator_id=res.id, event="customer.created", channel="sms",
                                lang="en", body="x", enabled=False))
    off = make_customer(session, username="quiet1", operator=res.name, mobile="01711000003")
    [made] = compose_all(session, off.id, "customer.created")
    assert made.queued == [] and made.skipped["sms"] == "no sms template for customer.created"
    # no Bangla wording of the welcome at the ISP: the English default (until there is one)
    wording = compose.template(session, isp.id, "customer.created", "sms", "bn")
    assert wording is not None and wording.body


def test_composing_the_same_event_twice_queues_once(session):
    isp, _, _ = tree(session)
    gateway(session, isp.id)
    c = make_customer(session, username="twice", mobile="01711000004")
    [row] = notify_rows(session, c.id, "customer.created")
    first = compose.notice(session, row)
    again = compose.notice(session, row)
    assert len(first.queued) == 1 and again.queued == []
    assert len(messages_of(session, c.id)) == 1


def test_a_bill_paid_before_it_is_announced_is_not_announced(session):
    isp, _, _ = tree(session)
    gateway(session, isp.id)
    c = make_customer(session, username="payer", mobile="01711000005")
    ev = events.emit(session, "bill.created", customer_id=c.id, operator_id=c.operator_id,
                     bill_id=0, total="500.00", due_date="2026-12-10")
    session.flush()
    row = session.scalar(sa.select(Outbox).where(Outbox.event_id == ev))
    # bill 0 does not exist: nothing says it is paid, so it is announced
    assert compose.notice(session, row).queued


def test_quiet_hours_hold_a_jobs_notice_but_not_a_payments(session):
    isp, res, _ = tree(session)
    gateway(session, isp.id)
    isp.quiet_start, isp.quiet_end = dt.time(22, 0), dt.time(8, 0)
    c = make_customer(session, username="night", operator=res.name, mobile="01711000006")
    tz = settings.get().tz  # the ISP's zone (UTC in tests, Asia/Dhaka on another day)
    tomorrow = dt.datetime.now(tz).date() + dt.timedelta(days=1)
    night = dt.datetime.combine(tomorrow, dt.time(23, 30), tzinfo=tz)
    ev = events.emit(session, "customer.expiring", customer_id=c.id, operator_id=c.operator_id,
                     actor="scheduler", username="night", expires_at="2026-12-04", days_left=3)
    session.flush()
    row = session.scalar(sa.select(Outbox).where(Outbox.event_id == ev))
    [mid] = compose.notice(session, row, now=night.astimezone(dt.timezone.utc)).queued
    msg = session.get(Message, mid)
    session.refresh(msg)
    assert msg.next_attempt_at.astimezone(tz) == dt.datetime.combine(
        tomorrow + dt.timedelta(days=1), dt.time(8, 0), tzinfo=tz)
    # staff took a payment at night: the receipt goes at once
    ev = events.emit(session, "payment.received", customer_id=c.id, operator_id=c.operator_id,
                     actor="cashier", payment_id=7, username="night", amount="500.00",
                     method="cash")
    session.flush()
    row = session.scalar(sa.select(Outbox).where(Outbox.event_id == ev, Outbox.kind == "notify"))
    [mid] = compose.notice(session, row, now=night.astimezone(dt.timezone.utc)).queued
    msg = session.get(Message, mid)
    session.refresh(msg)
    assert msg.next_attempt_at < dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=1)
    assert "MR-7" in msg.body


def test_quiet_until_across_midnight_and_within_a_day():
    utc = dt.timezone.utc
    at = lambda h, m=0, d=1: dt.datetime(2026, 12, d, h, m, tzinfo=DHAKA)  # noqa: E731
    q = lambda now, s, e: compose.quiet_until(now.astimezone(utc), dt.time(*s), dt.time(*e),  # noqa: E731
                                              DHAKA).astimezone(DHAKA)
    assert q(at(23), (22,), (8,)) == at(8, d=2)
    assert q(at(3), (22,), (8,)) == at(8)
    assert q(at(12), (22,), (8,)) == at(12)
    assert q(at(13), (12,), (14,)) == at(14)
    assert q(at(14), (12,), (14,)) == at(14)
    assert q(at(11, 59), (12,), (14,)) == at(11, 59)
    assert q(at(5), (8,), (8,)) == at(5)  # start == end: no quiet hours
    # 31 December at night: the notice waits for New Year's morning
    assert q(at(23, d=31), (22,), (8,)) == dt.datetime(2027, 1, 1, 8, tzinfo=DHAKA)


def test_a_customer_without_a_mobile_or_any_gateway_gets_nothing_and_we_say_why(session):
    isp, _, _ = tree(session)
    c = make_customer(session, username="nobody")
    [made] = compose_all(session, c.id, "customer.created")
    assert made.queued == [] and made.skipped == {"sms": "the customer has no mobile",
                                                  "email": "the customer has no email"}
    c2 = make_customer(session, username="somebody", mobile="01711000007",
                       email="s@example.net")
    [made] = compose_all(session, c2.id, "customer.created")
    assert made.skipped == {"sms": "no sms gateway is set up", "email": "no email gateway is set up"}


def test_a_scheduled_package_change_names_the_package_and_the_day(session):
    isp, _, _ = tree(session)
    gateway(session, isp.id)
    c = make_customer(session, username="mover", mobile="01711000008")
    ev = events.emit(session, "package_change.scheduled", customer_id=c.id,
                     operator_id=c.operator_id, change_id=1, username="mover", to="Gold 20M",
                     **{"from": "Home"}, kind="downgrade", status="scheduled",
                     effective_on="2027-01-01")
    session.flush()
    row = session.scalar(sa.select(Outbox).where(Outbox.event_id == ev, Outbox.kind == "notify"))
    [mid] = compose.notice(session, row).queued
    body = session.get(Message, mid).body
    assert "Gold 20M" in body and "Jan 1, 2027" in body and "approved" not in body

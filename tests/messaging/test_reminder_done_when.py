"""Issue 13, "Done when": a customer whose bill is due in 3 days gets exactly one reminder by SMS
in Bangla when the job runs twice that day; the gateway (BulkSMSBD's emulator) saw one request
with the rendered text as unicode, and the operator was charged for its segments."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from messaging import segments
from radbill import db
from radbill.jobs import run
from radbill.models import BillingProfile, Bill, Event, Message
from rating import ledger
from tests.support.factories import fn, make_operator, make_package
from tests.support.messaging.fixtures import add_gateway, drain
from tests.support.rating_factories import make_profile, postpaid_customer

ISSUED = dt.date(2026, 11, 1)     # the billing run's day
DUE = dt.date(2026, 11, 10)       # the profile's due day 10
REMIND_ON = DUE - dt.timedelta(days=3)
PRICE = Decimal("0.35")


def test_one_bangla_reminder_three_days_before_the_due_date(committed, bulksmsbd_emu):
    with db.session_scope() as s:
        isp = make_operator(s, name="isp")
        make_package(s, name="home10", price="500")
        profile = make_profile(s, name="monthly10", due_day="10")
        # billing_profile.edit has no due_reminder_days field yet: set on the row
        s.get(BillingProfile, profile.id).due_reminder_days = 3
        postpaid_customer(s, profile, since=dt.date(2026, 10, 1), username="rahim",
                          name="রহিম উদ্দিন", mobile="+8801711000001", lang="bn",
                          package="home10")
        add_gateway(s, isp.id, bulksmsbd_emu, price=str(PRICE))
        fn(s, "bill.generate", sok="ok", date=ISSUED.isoformat())
        [bill] = s.scalars(sa.select(Bill))
        assert bill.due_date == DUE and bill.total > 0
    drain()                                   # the welcome and the bill's notice
    run("message_charge", on=ISSUED)          # ... charged before the reminder
    with db.session_scope() as s:
        before = ledger.balance(s, isp.id, "messaging_cost")
        earlier = s.scalar(sa.select(sa.func.count()).select_from(Message))
    bulksmsbd_emu.seen.clear()
    bulksmsbd_emu.sent.clear()

    assert run("reminders", on=REMIND_ON - dt.timedelta(days=1)).startswith("0 bills due soon")
    assert run("reminders", on=REMIND_ON).startswith("1 bills due soon")
    drain()
    assert run("reminders", on=REMIND_ON).startswith("0 bills due soon")   # twice that day
    drain()

    with db.session_scope() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Event)
                        .where(Event.name == "bill.due_soon")) == 1
        [msg] = s.scalars(sa.select(Message).where(Message.event == "bill.due_soon"))
        assert s.scalar(sa.select(sa.func.count()).select_from(Message)) == earlier + 1
    assert msg.status == "sent" and msg.lang == "bn" and msg.channel == "sms"
    assert msg.recipient == "+8801711000001"
    assert "রহিম উদ্দিন" in msg.body and "rahim" in msg.body and "পরিশোধযোগ্য" in msg.body
    count = segments.count(msg.body)
    assert count.encoding == "ucs2" and msg.segments == count.segments >= 1
    assert msg.cost == PRICE * count.segments

    [request] = bulksmsbd_emu.seen                         # one request, the rendered text
    assert request.params["type"] == "unicode"
    assert request.params["message"] == msg.body
    assert request.params["number"] == "8801711000001"
    assert bulksmsbd_emu.violations == []
    assert msg.gateway_ref == bulksmsbd_emu.sent[0]["message_id"]

    assert run("message_charge", on=REMIND_ON).startswith("1 messages charged")
    assert run("message_charge", on=REMIND_ON).startswith("0 messages charged")
    with db.session_scope() as s:
        assert ledger.balance(s, isp.id, "messaging_cost") - before == PRICE * count.segments

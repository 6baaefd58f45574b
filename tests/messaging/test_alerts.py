"""Staff alerts from the event stream (compose.alert): a device that stops answering, and a
payment reversal only when it is large (settings.alert_reversal_over), each ends as one Telegram
sendMessage at the Bot API emulator."""
from __future__ import annotations

import sqlalchemy as sa

from radbill import db, events, settings
from radbill.models import Customer, Message
from tests.support.factories import fn, make_customer, make_operator, make_package
from tests.support.messaging import channel_fixtures
from tests.support.messaging.channel_fixtures import add_channel_gateway
from tests.support.messaging.fixtures import drain
from tests.support.rating_factories import pay

telegram_emu = channel_fixtures.telegram_emu  # fixtures


def setup(emu) -> int:
    with db.session_scope() as s:
        isp = make_operator(s, name="isp")
        add_channel_gateway(s, isp.id, emu)
        make_package(s, name="home10", price="500")
        make_customer(s, username="rahim", package="home10", name="Rahim", operator="isp",
                      mobile="+8801711000001")
        op = isp.id
    drain()
    emu.sent.clear()
    emu.seen.clear()
    return op


def test_a_device_going_down_and_up_is_one_message_each(committed, telegram_emu):
    op = setup(telegram_emu)
    with db.session_scope() as s:
        events.emit(s, "device.down", operator_id=op, actor="scheduler", func="job.device_poll",
                    kind="olt", device_id=7, name="olt-mirpur-2", error="SNMP timeout")
    drain()
    drain()
    [down] = telegram_emu.sent
    assert "olt-mirpur-2" in down["text"] and "A device stopped answering" in down["text"]
    assert "SNMP timeout" in down["text"]
    with db.session_scope() as s:
        events.emit(s, "device.up", operator_id=op, actor="scheduler", func="job.device_poll",
                    kind="olt", device_id=7, name="olt-mirpur-2", down_seconds=540)
    drain()
    [_, up] = telegram_emu.sent
    assert "olt-mirpur-2" in up["text"] and "A device answers again" in up["text"]
    assert telegram_emu.violations == []


def reverse(amount: str) -> None:
    with db.session_scope() as s:
        c = s.scalar(sa.select(Customer).where(Customer.username == "rahim"))
        p = pay(s, c, amount=amount)
        fn(s, "payment.reverse", elid=p.elid, reason="cheque bounced")


def test_a_small_reversal_alerts_nobody_a_large_one_does(committed, telegram_emu):
    setup(telegram_emu)
    limit = settings.get().alert_reversal_over
    reverse(str(limit))                   # not over the limit
    drain()
    assert telegram_emu.sent == []
    with db.session_scope() as s:
        assert s.scalars(sa.select(Message).where(Message.channel == "telegram")).all() == []
    reverse(str(limit + 1))
    drain()
    [got] = telegram_emu.sent
    assert got["text"].startswith("Payment reversed\n")
    assert f"amount: {limit + 1}" in got["text"] and "username: rahim" in got["text"]
    assert telegram_emu.violations == []

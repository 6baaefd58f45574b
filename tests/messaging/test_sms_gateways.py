"""The Bangladeshi SMS gateways end to end: an event -> the worker composes the notice -> the
sender -> the gateway's emulator (real HTTP), and back: its delivery report -> our webhook.
(Ported from the first wave's tests/provisioning/test_sms.py: one global HTTP gateway then.)"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from messaging import segments, sender, webhooks
from radbill import db
from radbill.models import Event, Message, MessageGateway, MessageTemplate
from tests.support.factories import make_customer, make_operator, make_package
from tests.support.messaging.fixtures import add_gateway, drain
from tests.support.rating_factories import pay

MOBILE, MSISDN = "+8801711000001", "8801711000001"
# long enough for two UCS-2 parts (Bangla is UCS-2: 70 per SMS, 67 per part of a long one)
BN = ("প্রিয় {{ name }}, {{ username }} এর জন্য {{ amount }} {{ currency }} পেয়েছি। "
      "ধন্যবাদ, আপনার সংযোগ চালু আছে এবং মেয়াদ {{ expires }} পর্যন্ত।")


def setup(emu, *, lang="bn", mobile=MOBILE, price="0.25", **creds):
    """An ISP with a gateway of `emu`'s kind and a customer; returns (customer id, gateway id)."""
    with db.session_scope() as s:
        isp = make_operator(s, name="isp")
        make_package(s, name="home10", price="500")
        c = make_customer(s, username="rahim", package="home10", mobile=mobile, lang=lang,
                          name="Rahim")
        gw = add_gateway(s, isp.id, emu, price=price, **creds)
        s.add(MessageTemplate(operator_id=isp.id, event="payment.received", channel="sms",
                              lang="bn", body=BN))
    drain()             # the welcome and whatever else creating them announced
    emu.seen.clear()
    emu.sent.clear()
    return c.id, gw.id


def paid(username="rahim", amount="500"):
    with db.session_scope() as s:
        from radbill.models import Customer
        c = s.scalar(sa.select(Customer).where(Customer.username == username))
        pay(s, c, amount=amount)


def messages(event="payment.received") -> list[Message]:
    with db.session_scope() as s:
        return list(s.scalars(sa.select(Message).where(Message.event == event)
                              .order_by(Message.id)))


def gateway(gid) -> MessageGateway:
    with db.session_scope() as s:
        return s.get(MessageGateway, gid)


def come_due() -> None:
    """The retry's backoff has passed (instead of sleeping through it)."""
    with db.session_scope() as s:
        s.execute(sa.update(Message).where(Message.status == "queued")
                  .values(next_attempt_at=sa.func.now()))


EMUS = ["bulksmsbd_emu", "sslwireless_emu", "adn_emu"]


@pytest.mark.parametrize("emu_name", EMUS)
def test_bangla_goes_as_unicode_with_its_segments(committed, request, emu_name):
    emu = request.getfixturevalue(emu_name)
    setup(emu)
    paid()
    drain()
    [msg] = messages()
    assert msg.status == "sent", msg.reason
    assert msg.lang == "bn" and "Rahim" in msg.body and "পেয়েছি" in msg.body
    count = segments.count(msg.body)
    assert count.encoding == "ucs2" and count.segments == 2 == msg.segments
    assert msg.cost == Decimal("0.25") * 2
    [got] = emu.sent
    text = got.get("message") or got.get("sms")
    assert text == msg.body                     # UTF-8 on the wire, not mangled
    if emu_name == "bulksmsbd_emu":
        assert got["type"] == "unicode" and got["number"] == MSISDN
    elif emu_name == "adn_emu":
        assert got["message_type"] == "UNICODE" and got["mobile"] == MSISDN
    else:
        assert got["sms_type"] == "BN" and got["csms_id"] == f"rb{msg.id}"
    assert msg.gateway_ref == (got.get("message_id") or got.get("reference_id")
                               or got.get("sms_uid"))
    assert emu.violations == []


@pytest.mark.parametrize("emu_name", EMUS)
def test_english_goes_as_text(committed, request, emu_name):
    emu = request.getfixturevalue(emu_name)
    setup(emu, lang="en")
    paid()
    drain()
    [msg] = messages()
    assert msg.status == "sent" and msg.segments == 1
    [got] = emu.sent
    assert got.get("type", "text") == "text" and got.get("message_type", "TEXT") == "TEXT"
    assert emu.violations == []


@pytest.mark.parametrize("emu_name,bad", [("bulksmsbd_emu", {"api_key": "wrong-key-1"}),
                                          ("sslwireless_emu", {"api_token": "wrong-token"}),
                                          ("adn_emu", {"api_secret": "wrong-secret"})])
def test_a_wrong_key_fails_at_once_masked_and_marks_the_gateway(committed, request, emu_name,
                                                                bad):
    emu = request.getfixturevalue(emu_name)
    _, gid = setup(emu, **bad)
    paid()
    drain()
    [msg] = messages()
    assert msg.status == "failed" and msg.attempts == 1
    secret = next(iter(bad.values()))
    assert secret not in msg.reason and msg.reason
    gw = gateway(gid)
    assert gw.last_error == msg.reason
    with db.session_scope() as s:   # staff hear of it, without the secret
        [ev] = s.scalars(sa.select(Event).where(Event.name == "gateway.error"))
        assert ev.data["gateway_id"] == gid and secret not in str(ev.data)
    assert len(emu.seen) == 1 and emu.sent == []


@pytest.mark.parametrize("emu_name,code", [("bulksmsbd_emu", 1007), ("sslwireless_emu", 4017),
                                           ("adn_emu", 4005)])
def test_insufficient_balance_stops_the_gateway(committed, request, emu_name, code):
    emu = request.getfixturevalue(emu_name)
    _, gid = setup(emu)
    emu.fail_next(code)
    paid()
    drain()
    [msg] = messages()
    assert msg.status == "failed" and str(code) in msg.reason
    assert gateway(gid).last_error == msg.reason


@pytest.mark.parametrize("emu_name", EMUS)
def test_an_invalid_number_fails_the_message_only(committed, request, emu_name):
    emu = request.getfixturevalue(emu_name)
    _, gid = setup(emu, mobile="+447911123456")   # not a Bangladeshi mobile: the gateway refuses
    paid()
    drain()
    [msg] = messages()
    assert msg.status == "failed" and msg.attempts == 1
    assert "invalid" in msg.reason.lower()
    assert gateway(gid).last_error is None         # not the gateway's fault
    assert emu.sent == []


@pytest.mark.parametrize("emu_name,trouble", [("bulksmsbd_emu", 1005), ("sslwireless_emu", 503),
                                              ("adn_emu", 5001)])
def test_transient_trouble_retries_with_backoff(committed, request, emu_name, trouble):
    emu = request.getfixturevalue(emu_name)
    setup(emu)
    if trouble == 503:
        emu.status_next(503, times=2)
    else:
        emu.fail_next(trouble, times=2)
    paid()
    before = dt.datetime.now(dt.timezone.utc)
    drain()
    [msg] = messages()
    assert msg.status == "queued" and msg.attempts == 1 and str(trouble) in msg.reason
    wait = (msg.next_attempt_at - before).total_seconds()
    assert sender.delay(1) - 1 <= wait <= sender.delay(1) + 5
    drain()                                        # not due yet: nothing is sent
    assert len(emu.seen) == 1
    come_due()
    drain()
    [msg] = messages()
    assert msg.status == "queued" and msg.attempts == 2
    assert (msg.next_attempt_at - dt.datetime.now(dt.timezone.utc)).total_seconds() > \
        sender.delay(1)                             # the backoff doubled
    come_due()
    drain()
    [msg] = messages()
    assert msg.status == "sent" and msg.attempts == 3 and msg.reason is None
    assert len(emu.sent) == 1 and emu.violations == []


def test_a_delivery_report_marks_the_message_delivered_once(committed, sslwireless_emu,
                                                           hooks_base):
    _, gid = setup(sslwireless_emu)
    paid()
    drain()
    [msg] = messages()
    assert msg.status == "sent"
    hook = hooks_base + webhooks.path(gid)
    assert sslwireless_emu.deliver(hook, f"rb{msg.id}") == 200
    [msg] = messages()
    assert msg.status == "delivered" and msg.delivered_at is not None
    first = msg.delivered_at
    assert sslwireless_emu.deliver(hook, f"rb{msg.id}") == 200        # replayed
    assert sslwireless_emu.deliver(hook, f"rb{msg.id}", "FAILED") == 200  # late, out of order
    [msg] = messages()
    assert msg.status == "delivered" and msg.delivered_at == first and msg.reason is None
    # a wrong token is refused; a body that is no report is refused
    assert sslwireless_emu.post_dlr(hooks_base + f"/hooks/messages/{gid}/{'0' * 32}",
                                    {"csms_id": f"rb{msg.id}", "status": "FAILED"}) == 404
    assert sslwireless_emu.post_dlr(hook, {"hello": "world"}) == 403


def test_a_failed_delivery_report_gives_the_reason(committed, sslwireless_emu, hooks_base):
    _, gid = setup(sslwireless_emu)
    paid()
    drain()
    [msg] = messages()
    assert sslwireless_emu.deliver(hooks_base + webhooks.path(gid), f"rb{msg.id}",
                                   "UNDELIVERED") == 200
    [msg] = messages()
    assert msg.status == "failed" and "UNDELIVERED" in msg.reason


def test_ssl_wireless_resend_after_an_interrupted_send_delivers_once(committed,
                                                                     sslwireless_emu):
    """The gateway took the message but its answer never came (HTTP 504): the retry sends the
    same csms_id, the gateway says duplicate, and that counts as sent."""
    setup(sslwireless_emu)
    sslwireless_emu.accept_then_fail_next = 1
    paid()
    drain()
    [msg] = messages()
    assert msg.status == "queued" and msg.attempts == 1
    come_due()
    drain()
    [msg] = messages()
    assert msg.status == "sent", msg.reason
    assert len(sslwireless_emu.seen) == 2 and len(sslwireless_emu.sent) == 1
    assert sslwireless_emu.violations == []


def test_ssl_wireless_recovers_a_message_whose_sender_died(committed, sslwireless_emu):
    """A sender killed after asking the gateway leaves the message `sending`; recovery sends it
    again only because SSL Wireless refuses a repeated csms_id: nobody gets it twice."""
    from messaging import drivers
    setup(sslwireless_emu)
    paid()
    from provisioning import worker
    worker.drain(db.session_factory(), worker.Policy(base_delay=0))   # composed, not sent
    [msg] = messages()
    with db.session_scope() as s:   # what the dead sender did: claimed, asked, then died
        m = s.get(Message, msg.id)
        m.status, m.attempts = "sending", 1
        m.claimed_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
        gw = s.get(MessageGateway, m.gateway_id)
        sender.driver_of(gw).send(sender.outgoing(m))
    assert drivers.driver_class("sslwireless").idempotent
    drain()
    [msg] = messages()
    assert msg.status == "sent" and msg.attempts == 2
    assert len(sslwireless_emu.sent) == 1 and len(sslwireless_emu.seen) == 2


def test_a_gateway_without_idempotence_is_not_resent(committed, bulksmsbd_emu):
    setup(bulksmsbd_emu)
    paid()
    from provisioning import worker
    worker.drain(db.session_factory(), worker.Policy(base_delay=0))
    [msg] = messages()
    with db.session_scope() as s:
        m = s.get(Message, msg.id)
        m.status, m.attempts = "sending", 1
        m.claimed_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
    drain()
    [msg] = messages()
    assert msg.status == "failed" and "interrupted" in msg.reason
    assert bulksmsbd_emu.seen == []


# -- the generic HTTP gateway (what tests/provisioning/test_sms.py covered) -------------------
RAHIM_UTF8 = "%E0%A6%B0%E0%A6%B9%E0%A6%BF%E0%A6%AE"   # রহিম


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_the_generic_http_gateway_posts_or_gets_utf8(committed, http_emu, method):
    _, gid = setup(http_emu)
    with db.session_scope() as s:
        gw = s.get(MessageGateway, gid)
        gw.config = {**gw.config, "method": method}
    with db.session_scope() as s:
        from radbill.models import Customer
        s.scalar(sa.select(Customer).where(Customer.username == "rahim")).name = "রহিম"
    paid()
    drain()
    [msg] = messages()
    assert msg.status == "sent" and "রহিম" in msg.body
    [got] = http_emu.sent
    assert got == {"to": "01711000001", "message": msg.body, "method": method}
    [seen] = http_emu.seen
    if method == "POST":     # the form as sent: UTF-8, percent-encoded, the key escaped
        raw = seen.body.decode("ascii")
        assert RAHIM_UTF8 in raw and "api_key=s3cr%26t%2Bkey" in raw
    else:
        assert seen.body == b"" and seen.args["api_key"] == "s3cr&t+key"
    assert http_emu.violations == []


@pytest.mark.parametrize("status,body,transient", [(500, "down", True), (403, "bad key", False),
                                                   (200, "ERR 1003 s3cr&t+key", False)])
def test_the_generic_http_gateway_masks_the_key(committed, http_emu, status, body, transient):
    setup(http_emu)
    http_emu.status, http_emu.reply = status, body
    paid()
    drain()
    [msg] = messages()
    assert msg.status == ("queued" if transient else "failed")
    assert "s3cr&t+key" not in msg.reason and "s3cr%26t%2Bkey" not in msg.reason
    assert str(status) in msg.reason or "SMS SUBMITTED" in msg.reason

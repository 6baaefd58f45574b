"""WhatsApp end to end, through Meta's Cloud API and Twilio: an event -> the worker composes the
notice -> the sender -> the provider's emulator (real HTTP); template messages with components;
errors judged permanent, gateway-wide or transient; and back: status callbacks and customers'
messages at /hooks/messages/<gateway id>/<token>, signed by the provider."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from messaging import compose, webhooks
from radbill import db
from radbill.models import (Customer, Event, IncomingMessage, Message, MessageGateway,
                            Operator)
from tests.support.factories import fn, make_customer, make_operator, make_package
from tests.support.messaging import channel_fixtures
from tests.support.messaging.channel_fixtures import add_channel_gateway, edit_gateway
from tests.support.messaging.fixtures import drain
from tests.support.rating_factories import pay

meta_emu, twilio_emu = channel_fixtures.meta_emu, channel_fixtures.twilio_emu  # fixtures

MOBILE = "+8801711000001"
EMUS = ["meta_emu", "twilio_emu"]


def setup(emu, *, mobile=MOBILE, lang="en", **creds):
    """An ISP telling customers on WhatsApp through `emu`, and one customer; (customer id,
    gateway id)."""
    with db.session_scope() as s:
        isp = make_operator(s, name="isp")
        fn(s, "operator.messaging", sok="ok", elid="isp", notify_channels="whatsapp")
        make_package(s, name="home10", price="500")
        c = make_customer(s, username="rahim", package="home10", mobile=mobile, lang=lang,
                          name="Rahim", operator="isp")
        gw = add_channel_gateway(s, isp.id, emu, **creds)
    drain()             # the welcome
    emu.seen.clear()
    emu.sent.clear()
    return c.id, gw.id


def paid(amount="500"):
    with db.session_scope() as s:
        c = s.scalar(sa.select(Customer).where(Customer.username == "rahim"))
        pay(s, c, amount=amount)


def messages(event="payment.received") -> list[Message]:
    with db.session_scope() as s:
        return list(s.scalars(sa.select(Message).where(Message.event == event)
                              .order_by(Message.id)))


def ref_of(emu, got: dict) -> str:
    return got["id"] if "id" in got else got["sid"]


@pytest.mark.parametrize("emu_name", EMUS)
def test_a_payment_receipt_goes_as_a_whatsapp_text(committed, request, emu_name):
    emu = request.getfixturevalue(emu_name)
    cid, gid = setup(emu)
    paid()
    drain()
    [msg] = messages()
    assert msg.channel == "whatsapp" and msg.status == "sent", msg.reason
    assert msg.customer_id == cid and msg.gateway_id == gid and msg.recipient == MOBILE
    assert "500" in msg.body and "rahim" in msg.body
    [got] = emu.sent
    assert got["body"] == msg.body and msg.gateway_ref == ref_of(emu, got)
    if emu_name == "meta_emu":
        assert got["to"] == "8801711000001" and got["type"] == "text"
        assert got["version"] == "v21.0"
    else:
        assert got["to"] == MOBILE and got["from"] == "whatsapp:" + emu.sender
    assert emu.violations == []


def test_bangla_text_goes_whole_in_utf8(committed, meta_emu):
    from radbill.models import MessageTemplate
    setup(meta_emu, lang="bn")
    with db.session_scope() as s:
        isp = s.scalar(sa.select(Operator).where(Operator.name == "isp"))
        s.add(MessageTemplate(operator_id=isp.id, event="payment.received", channel="whatsapp",
                              lang="bn", body="প্রিয় {{ name }}, {{ amount }} টাকা পেয়েছি।"))
    paid()
    drain()
    [msg] = messages()
    assert msg.status == "sent" and "পেয়েছি" in msg.body and "৫০০" in msg.body
    assert meta_emu.sent[0]["body"] == msg.body


def queue_template(gid, extra, event="bill.due"):
    """A message carrying an approved template (what a reminder or broadcast that names one
    queues)."""
    with db.session_scope() as s:
        c = s.scalar(sa.select(Customer).where(Customer.username == "rahim"))
        gw = s.get(MessageGateway, gid)
        return compose.queue(s, operator_id=c.operator_id, event=event, channel="whatsapp",
                             recipient=c.mobile, body="Your bill of 500 BDT is due today.",
                             gateway=gw, customer_id=c.id, extra=extra)


def test_meta_sends_an_approved_template_with_its_components(committed, meta_emu):
    _, gid = setup(meta_emu)
    components = [{"type": "header", "parameters": [{"type": "text", "text": "Net ISP"}]},
                  {"type": "body", "parameters": [{"type": "text", "text": "Rahim"},
                                                  {"type": "currency", "currency": {
                                                      "fallback_value": "500 BDT",
                                                      "code": "BDT", "amount_1000": 500000}}]},
                  {"type": "button", "sub_type": "url", "index": "0",
                   "parameters": [{"type": "text", "text": "pay/abc"}]}]
    mid = queue_template(gid, {"template": "bill_due_today", "language": "bn",
                               "components": components})
    drain()
    [got] = meta_emu.sent
    assert got["type"] == "template"
    assert got["template"] == {"name": "bill_due_today", "language": {"code": "bn"},
                               "components": components}
    with db.session_scope() as s:
        assert s.get(Message, mid).status == "sent"
    assert meta_emu.violations == []


def test_twilio_sends_a_content_template_with_its_variables(committed, twilio_emu):
    _, gid = setup(twilio_emu)
    sid = "HX" + "ab12" * 8
    queue_template(gid, {"template": sid, "components": [
        {"type": "body", "parameters": [{"type": "text", "text": "Rahim"},
                                        {"type": "text", "text": "৫০০"}]}]})
    drain()
    [got] = twilio_emu.sent
    assert got["content_sid"] == sid and got["body"] is None
    assert got["content_variables"] == {"1": "Rahim", "2": "৫০০"}
    assert twilio_emu.violations == []


@pytest.mark.parametrize("emu_name,code,wide,transient", [
    ("meta_emu", 131026, False, False), ("meta_emu", 131047, False, False),
    ("meta_emu", 190, True, False), ("meta_emu", 130429, False, True),
    ("meta_emu", 131056, False, True),
    ("twilio_emu", 21211, False, False), ("twilio_emu", 21610, False, False),
    ("twilio_emu", 63016, False, False), ("twilio_emu", 20003, True, False),
    ("twilio_emu", 63018, False, True), ("twilio_emu", 20429, False, True)])
def test_errors_are_judged_by_their_code(committed, request, emu_name, code, wide, transient):
    emu = request.getfixturevalue(emu_name)
    _, gid = setup(emu)
    emu.fail_next(code)
    paid()
    drain()
    [msg] = messages()
    assert str(code) in msg.reason and msg.attempts == 1
    assert msg.status == ("queued" if transient else "failed")
    with db.session_scope() as s:
        gw = s.get(MessageGateway, gid)
        assert (gw.last_error == msg.reason) is wide
        alerts = s.scalars(sa.select(Event).where(Event.name == "gateway.error")).all()
        assert len(alerts) == (1 if wide else 0)
    assert emu.sent == [] and emu.violations == []


@pytest.mark.parametrize("emu_name,bad", [("meta_emu", {"token": "EAAG-revoked-token"}),
                                          ("twilio_emu", {"auth_token": "not-the-token"})])
def test_a_wrong_credential_stops_the_gateway_without_showing_it(committed, request, emu_name,
                                                                 bad):
    emu = request.getfixturevalue(emu_name)
    _, gid = setup(emu, **bad)
    paid()
    drain()
    [msg] = messages()
    secret = next(iter(bad.values()))
    assert msg.status == "failed" and secret not in msg.reason
    with db.session_scope() as s:
        assert s.get(MessageGateway, gid).last_error == msg.reason
        [ev] = s.scalars(sa.select(Event).where(Event.name == "gateway.error"))
        assert secret not in str(ev.data)


def test_a_wrong_phone_number_id_stops_the_gateway(committed, meta_emu):
    _, gid = setup(meta_emu, )
    with db.session_scope() as s:
        edit_gateway(s, gid, phone_number_id="999999999")
    paid()
    drain()
    [msg] = messages()
    assert msg.status == "failed" and "does not exist" in msg.reason
    with db.session_scope() as s:
        assert s.get(MessageGateway, gid).last_error == msg.reason


@pytest.mark.parametrize("emu_name", EMUS)
def test_a_server_error_retries(committed, request, emu_name):
    emu = request.getfixturevalue(emu_name)
    setup(emu)
    emu.status_next(503)
    paid()
    drain()
    [msg] = messages()
    assert msg.status == "queued" and "503" in msg.reason
    with db.session_scope() as s:
        s.execute(sa.update(Message).where(Message.status == "queued")
                  .values(next_attempt_at=sa.func.now()))
    drain()
    [msg] = messages()
    assert msg.status == "sent" and msg.attempts == 2 and len(emu.sent) == 1


# -- back from the provider --------------------------------------------------------------------
@pytest.mark.parametrize("emu_name", EMUS)
def test_a_status_callback_moves_the_message_to_delivered_once(committed, request, emu_name,
                                                                hooks_base):
    emu = request.getfixturevalue(emu_name)
    _, gid = setup(emu)
    paid()
    drain()
    [msg] = messages()
    hook = hooks_base + webhooks.path(gid)
    assert emu.post_status(hook, msg.gateway_ref, "sent") == 200
    assert messages()[0].status == "sent"
    assert emu.post_status(hook, msg.gateway_ref, "delivered") == 200
    [msg] = messages()
    assert msg.status == "delivered" and msg.delivered_at is not None
    assert emu.post_status(hook, msg.gateway_ref, "read") == 200
    kw = ({"errors": [{"code": 131026, "title": "Message undeliverable"}]}
          if emu_name == "meta_emu" else {"error_code": "63024"})
    assert emu.post_status(hook, msg.gateway_ref, "failed", **kw) == 200
    assert messages()[0].status == "delivered"      # a report only moves a message forward


def test_twilio_reports_to_the_status_callback_we_send(committed, twilio_emu, hooks_base):
    _, gid = setup(twilio_emu)
    with db.session_scope() as s:
        edit_gateway(s, gid, status_callback=hooks_base + webhooks.path(gid))
    paid()
    drain()
    [got] = twilio_emu.sent
    assert got["status_callback"] == hooks_base + webhooks.path(gid)
    assert twilio_emu.deliver(got["sid"], "sent") == 200
    assert twilio_emu.deliver(got["sid"], "delivered") == 200
    [msg] = messages()
    assert msg.status == "delivered" and msg.gateway_ref == got["sid"]


@pytest.mark.parametrize("emu_name", EMUS)
def test_a_failed_status_gives_the_providers_reason(committed, request, emu_name, hooks_base):
    emu = request.getfixturevalue(emu_name)
    _, gid = setup(emu)
    paid()
    drain()
    [msg] = messages()
    hook = hooks_base + webhooks.path(gid)
    if emu_name == "meta_emu":
        assert emu.post_status(hook, msg.gateway_ref, "failed", errors=[
            {"code": 131026, "title": "Message undeliverable",
             "message": "Message undeliverable",
             "error_data": {"details": "Message Undeliverable."}}]) == 200
        want = "Message undeliverable"
    else:
        assert emu.post_status(hook, msg.gateway_ref, "undelivered", error_code="63024") == 200
        want = "63024"
    [msg] = messages()
    assert msg.status == "failed" and want in msg.reason


@pytest.mark.parametrize("emu_name", EMUS)
def test_a_customers_message_is_stored_against_them_once(committed, request, emu_name,
                                                         hooks_base):
    emu = request.getfixturevalue(emu_name)
    cid, gid = setup(emu)
    hook = hooks_base + webhooks.path(gid)
    ref = "wamid.HBgNODgwMTcxMTAwMDAwMRUCABIYFjNFQjA" if emu_name == "meta_emu" \
        else "SM" + "c0ffee00" * 4
    assert emu.post_incoming(hook, MOBILE, "আমার লাইন কাজ করছে না", ref) == 200
    assert emu.post_incoming(hook, MOBILE, "আমার লাইন কাজ করছে না", ref) == 200  # re-posted
    assert emu.post_incoming(hook, "+8801911999999", "who is this?") == 200      # a stranger
    with db.session_scope() as s:
        rows = s.scalars(sa.select(IncomingMessage).order_by(IncomingMessage.id)).all()
        assert [(r.sender, r.customer_id, r.channel, r.gateway_id) for r in rows] == [
            (MOBILE, cid, "whatsapp", gid), ("+8801911999999", None, "whatsapp", gid)]
        assert rows[0].body == "আমার লাইন কাজ করছে না" and rows[0].gateway_ref == ref


@pytest.mark.parametrize("emu_name", EMUS)
def test_a_bad_signature_is_refused(committed, request, emu_name, hooks_base):
    emu = request.getfixturevalue(emu_name)
    _, gid = setup(emu)
    paid()
    drain()
    [msg] = messages()
    hook = hooks_base + webhooks.path(gid)
    assert emu.post_incoming(hook, MOBILE, "hello", bad_signature=True) == 403
    assert emu.post_status(hook, msg.gateway_ref, "delivered", bad_signature=True) == 403
    import requests   # no signature at all
    assert requests.post(hook, data=b'{"object": "whatsapp_business_account"}',
                         timeout=10).status_code == 403
    with db.session_scope() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(IncomingMessage)) == 0
    assert messages()[0].status == "sent"


def test_meta_verifies_our_callback_url(committed, meta_emu, hooks_base):
    _, gid = setup(meta_emu)
    hook = hooks_base + webhooks.path(gid)
    assert meta_emu.verify(hook, challenge="1158201444") == (200, "1158201444")
    assert meta_emu.verify(hook, token="guessed-token")[0] == 403
    assert meta_emu.verify(hooks_base + f"/hooks/messages/{gid}/{'0' * 32}")[0] == 404


@pytest.mark.parametrize("kind,bad", [
    ("meta", {"phone_number_id": "my-number", "api_version": "21", "verify_token": "short"}),
    ("twilio", {"account_sid": "AC123", "from": "01711000001", "status_callback": "ftp://x"})])
def test_msg_gateway_edit_names_each_bad_setting(session, kind, bad):
    from radbill.functions.registry import FuncError
    isp = make_operator(session, name="isp")
    with pytest.raises(FuncError) as err:
        fn(session, "msg_gateway.edit", sok="ok", name="wa", kind=kind, operator=str(isp.id),
           **{"meta": {"token": "t0ken-value"}, "twilio": {"auth_token": "t0ken-value"}}[kind],
           **bad)
    assert set(err.value.errors) == set(bad)


def test_a_wording_that_names_an_approved_template_is_sent_as_that_template(committed, meta_emu):
    """Business-initiated WhatsApp must be an approved template: the operator's wording names
    it; its body parameters are the text's variables in order."""
    setup(meta_emu)
    with db.session_scope() as s:
        fn(s, "template.edit", sok="ok", event="payment.received", channel="whatsapp", lang="en",
           operator="isp", subject="payment_receipt:en_US",
           body="Dear {{ name }}, we received {{ amount }} {{ currency }} ({{ receipt }}).")
        bad = None
        try:
            fn(s, "template.edit", sok="ok", event="payment.received", channel="whatsapp",
               lang="bn", operator="isp", subject="not a name!", body="{{ name }}")
        except Exception as exc:  # noqa: BLE001 - the FuncError names the field
            bad = exc
        assert bad is not None and "subject" in str(getattr(bad, "errors", bad))
    paid()
    drain()
    [msg] = messages()
    [got] = meta_emu.sent
    assert got["type"] == "template"
    assert got["template"]["name"] == "payment_receipt"
    assert got["template"]["language"] == {"code": "en_US"}
    [body] = got["template"]["components"]
    assert [p["text"] for p in body["parameters"]] == [
        "Rahim", "500.00", "BDT", f"MR-{msg.body.split('MR-')[1].split(')')[0]}"]
    assert msg.status == "sent" and meta_emu.violations == []


def test_a_new_twilio_gateway_reports_to_our_webhook_by_default(committed, twilio_emu,
                                                                 monkeypatch):
    from radbill import settings
    monkeypatch.setenv("RADBILL_PUBLIC_URL", "https://billing.isp.example")
    settings.get.cache_clear()
    try:
        with db.session_scope() as s:
            isp = make_operator(s, name="isp")
            gw = add_channel_gateway(s, isp.id, twilio_emu)
            assert gw.config["status_callback"] == ("https://billing.isp.example"
                                                    + webhooks.path(gw.id))
    finally:
        monkeypatch.undo()
        settings.get.cache_clear()

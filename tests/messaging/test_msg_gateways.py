"""msg_gateway, msg_gateway.edit, msg_gateway.delete (messaging/functions/gateways.py):
settings parsed by the driver, credentials write-only and encrypted (never shown, never in the
audit), the price per segment, the reseller subtree; operator.messaging (quiet hours, channels,
low balance) and the billing profile's reminder days."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import sqlalchemy as sa

from messaging import compose, drivers, sender, webhooks
from radbill import settings
from radbill.functions.caller import SYSTEM
from radbill.functions.registry import AccessDenied, FuncError, NotFound
from radbill.models import AuditLog, BillingProfile, Message, MessageGateway, Operator
from rating.gateways import secrets
from tests.support.factories import caller_of, fn, make_customer, make_operator, make_user

KEY = "bsbd-key-1234"


@pytest.fixture
def tree(session):
    customer = make_customer(session)
    isp = session.get(Operator, customer.operator_id)
    a = make_operator(session, name="resA", parent=isp.name)
    b = make_operator(session, name="resB", parent=isp.name)
    anna = caller_of(session, make_user(session, login="anna", role="operator", operator="resA"))
    ben = caller_of(session, make_user(session, login="ben", role="operator", operator="resB"))
    return dict(isp=isp, a=a, b=b, anna=anna, ben=ben)


def bulksms(session, caller, url="http://127.0.0.1:9", **extra):
    params = dict(sok="ok", name="bulk", kind="bulksmsbd", sender_id="8809617000000",
                  api_key=KEY, price="0.35", url=url)
    params.update(extra)
    return fn(session, "msg_gateway.edit", caller, **params)


def everything_shown(session, caller, elid) -> str:
    """Every text the functions and the audit show of a gateway."""
    rows = fn(session, "msg_gateway", caller).rows
    form = fn(session, "msg_gateway.edit", caller, elid=str(elid)).values
    audit = session.scalars(sa.select(AuditLog).where(AuditLog.object_type == "msg_gateway")).all()
    return json.dumps([rows, form, [(a.request, a.before, a.after) for a in audit]],
                      default=str, ensure_ascii=False)


def test_a_gateway_is_made_with_the_drivers_settings_and_secret_credentials(session, tree):
    made = bulksms(session, tree["anna"])
    gw = session.get(MessageGateway, made.elid)
    assert (gw.operator_id, gw.kind, gw.channel) == (tree["a"].id, "bulksmsbd", "sms")
    assert gw.config == {"sender_id": "8809617000000", "url": "http://127.0.0.1:9"}
    assert gw.price == Decimal("0.3500") and gw.rate_per_second == 20 and gw.enabled
    assert KEY.encode() not in gw.credentials  # encrypted
    assert secrets.decrypt(gw.credentials) == {"api_key": KEY}
    [row] = fn(session, "msg_gateway", tree["anna"]).rows
    assert row["credentials"] == ["api_key"] and row["webhook"] == webhooks.url(gw.id)
    assert row["price"] == "0.3500" and row["last_error"] is None
    shown = everything_shown(session, tree["anna"], gw.id)
    assert KEY not in shown and "api_key=%2A%2A%2A" in shown  # masked in the request line
    # the driver gets what it needs
    driver = sender.driver_of(gw)
    assert isinstance(driver, drivers.driver_class("bulksmsbd")) and driver.credentials == {
        "api_key": KEY}
    assert compose.gateway(session, tree["a"].id, "sms").id == gw.id


def test_a_gateway_made_here_sends_through_the_emulator(session, tree, bulksmsbd_emu):
    made = bulksms(session, tree["anna"], url=bulksmsbd_emu.url,
                   sender_id=bulksmsbd_emu.sender_id, api_key=bulksmsbd_emu.api_key)
    gw = session.get(MessageGateway, made.elid)
    sent = sender.driver_of(gw).send(drivers.Outgoing(
        ref="rb1", channel="sms", recipient="+8801711000001", body="প্রিয় রহিম, পেয়েছি।"))
    assert sent.gateway_ref and bulksmsbd_emu.violations == []
    assert bulksmsbd_emu.sent[0]["message"] == "প্রিয় রহিম, পেয়েছি।"


def test_an_empty_credential_keeps_the_stored_one_and_a_new_one_clears_the_error(session, tree):
    made = bulksms(session, tree["anna"])
    gw = session.get(MessageGateway, made.elid)
    gw.last_error = "BulkSMSBD: 1002 invalid api key"
    fn(session, "msg_gateway.edit", tree["anna"], sok="ok", elid=str(gw.id), api_key="",
       price="0.30")
    assert secrets.decrypt(gw.credentials) == {"api_key": KEY} and gw.last_error is not None
    assert gw.price == Decimal("0.30")
    fn(session, "msg_gateway.edit", tree["anna"], sok="ok", elid=str(gw.id), api_key="new-key")
    assert secrets.decrypt(gw.credentials) == {"api_key": "new-key"} and gw.last_error is None
    # a setting given empty is removed; a required one cannot be
    fn(session, "msg_gateway.edit", tree["anna"], sok="ok", elid=str(gw.id), url="")
    assert gw.config == {"sender_id": "8809617000000"}
    with pytest.raises(FuncError) as exc:
        fn(session, "msg_gateway.edit", tree["anna"], sok="ok", elid=str(gw.id), sender_id="")
    assert exc.value.errors == {"sender_id": "is required for bulksmsbd"}


@pytest.mark.parametrize("params,field,says", [
    (dict(kind="carrier-pigeon"), "kind", "is not one of"),
    (dict(sender_id=""), "sender_id", "is required for bulksmsbd"),
    (dict(api_key=""), "api_key", "is required for bulksmsbd"),
    (dict(url="ftp://x"), "url", "http"),
    (dict(chat_id="123"), "chat_id", "is not a setting of bulksmsbd"),
    (dict(bot_token="123:abc"), "bot_token", "is not a credential of bulksmsbd"),
    (dict(price="-1"), "price", "is not a price"),
    (dict(price="1e3"), "price", "is not a price"),
    (dict(price="0.12345"), "price", "is not a price"),
    (dict(price="١"), "price", "is not a price"),
    (dict(rate_per_second="0"), "rate_per_second", "at least 1"),
    (dict(name="bad/name"), "name", "is not a name"),
    (dict(api_key="a\x00b"), "api_key", "NUL"),
])
def test_bad_settings_are_refused_naming_the_field(session, tree, params, field, says):
    with pytest.raises(FuncError) as exc:
        bulksms(session, tree["anna"], **params)
    assert field in exc.value.errors and says in exc.value.errors[field], exc.value.errors
    assert session.scalar(sa.select(sa.func.count()).select_from(MessageGateway)) == 0


def test_every_kind_gets_its_channel_from_its_driver(session, tree):
    made = fn(session, "msg_gateway.edit", sok="ok", name="alerts", kind="telegram",
              chat_id="-100123", bot_token="123456:ABC-secret")
    made2 = fn(session, "msg_gateway.edit", sok="ok", name="mail", kind="smtp",
               host="127.0.0.1", port="2525", from_address="billing@isp.example.com")
    assert session.get(MessageGateway, made.elid).channel == "telegram"
    mail = session.get(MessageGateway, made2.elid)
    assert mail.channel == "email" and mail.credentials is None  # an SMTP login is optional
    with pytest.raises(FuncError) as exc:
        fn(session, "msg_gateway.edit", sok="ok", elid=str(made.elid), kind="smtp")
    assert exc.value.errors == {"kind": "a gateway's kind cannot change: add another gateway"}
    rows = fn(session, "msg_gateway", channel="telegram").rows
    assert [r["name"] for r in rows] == ["alerts"] and "123456:ABC-secret" not in str(rows)


def test_a_reseller_sees_and_changes_only_its_subtree(session, tree):
    theirs = bulksms(session, tree["ben"])
    with pytest.raises(AccessDenied) as exc:
        bulksms(session, tree["anna"], operator="resB", name="sneaky")
    assert exc.value.field == "operator"
    assert fn(session, "msg_gateway", tree["anna"]).rows == []
    with pytest.raises(NotFound):
        fn(session, "msg_gateway.edit", tree["anna"], sok="ok", elid=str(theirs.elid), price="0")
    fn(session, "msg_gateway.delete", tree["anna"], elid=str(theirs.elid))  # not seen: no-op
    assert session.get(MessageGateway, theirs.elid) is not None
    # the ISP's admin sees both resellers' and may make one for any of them
    second = bulksms(session, SYSTEM, name="second", operator="resB")
    assert session.get(MessageGateway, second.elid).operator_id == tree["b"].id
    assert {r["name"] for r in fn(session, "msg_gateway").rows} == {"bulk", "second"}
    # a manager or the NOC may not touch gateways at all
    noc = caller_of(session, make_user(session, login="noc1", role="noc", operator="resA"))
    with pytest.raises(AccessDenied):
        fn(session, "msg_gateway", noc)


def test_a_gateway_with_messages_is_switched_off_not_deleted(session, tree):
    made = bulksms(session, tree["anna"])
    c = make_customer(session, tree["anna"], username="karim", mobile="01711000001")
    session.add(Message(operator_id=tree["a"].id, customer_id=c.id, event="bill.due",
                        channel="sms", recipient="+8801711000001", body="x",
                        gateway_id=made.elid))
    session.flush()
    with pytest.raises(FuncError) as exc:
        fn(session, "msg_gateway.delete", tree["anna"], elid=str(made.elid))
    assert exc.value.field == "elid" and "switch it off" in exc.value.message
    fn(session, "msg_gateway.edit", tree["anna"], sok="ok", elid=str(made.elid), enabled="off")
    assert compose.gateway(session, tree["a"].id, "sms") is None
    unused = bulksms(session, tree["anna"], name="spare")
    fn(session, "msg_gateway.delete", tree["anna"], elid=str(unused.elid))
    assert session.get(MessageGateway, unused.elid) is None


def test_operator_messaging_settings(session, tree):
    anna, a = tree["anna"], tree["a"]
    form = fn(session, "operator.messaging", anna).values
    assert form["operator"] == "resA" and form["channels_in_force"] == "sms,email"
    fn(session, "operator.messaging", anna, sok="ok", quiet_start="22:00", quiet_end="08:00",
       notify_channels="whatsapp, sms", low_balance="500")
    assert (a.quiet_start, a.quiet_end) == (dt.time(22), dt.time(8))
    assert compose.channels(session, a.id) == ("whatsapp", "sms")
    assert a.low_balance == Decimal("500.00")
    audit = session.scalars(sa.select(AuditLog).where(AuditLog.func == "operator.messaging")).one()
    assert audit.after["quiet_start"] == "22:00" and audit.operator_id == a.id
    late = dt.datetime(2026, 12, 1, 23, 0, tzinfo=settings.get().tz)  # the ISP's 23:00
    assert compose.not_before(session, a.id, late) > late
    # clearing the channels falls back to the parent's
    fn(session, "operator.messaging", anna, sok="ok", notify_channels="")
    assert compose.channels(session, a.id) == ("sms", "email")
    for params, field in [(dict(quiet_start="25:00"), "quiet_start"),
                          (dict(quiet_start="9", quiet_end="10:00"), "quiet_start"),
                          (dict(quiet_start="", quiet_end="08:00"), "quiet_start"),
                          (dict(quiet_start="08:00", quiet_end="08:00"), "quiet_end"),
                          (dict(notify_channels="sms,fax"), "notify_channels"),
                          (dict(notify_channels="telegram"), "notify_channels"),
                          (dict(low_balance="-5"), "low_balance")]:
        with pytest.raises(FuncError) as exc:
            fn(session, "operator.messaging", anna, sok="ok", **params)
        assert field in exc.value.errors, (params, exc.value.errors)
    with pytest.raises(AccessDenied):
        fn(session, "operator.messaging", anna, elid="resB", sok="ok", quiet_start="22:00",
           quiet_end="06:00")


def test_billing_profile_reminder_days(session, tree):
    made = fn(session, "billing_profile.edit", sok="ok", name="monthly10", due_reminder_days="5",
              expiry_notice_days="2")
    profile = session.get(BillingProfile, made.elid)
    assert (profile.due_reminder_days, profile.expiry_notice_days) == (5, 2)
    other = session.get(BillingProfile, fn(session, "billing_profile.edit", sok="ok",
                                           name="plain").elid)
    session.flush()
    session.refresh(other)
    assert other.due_reminder_days == 3 and other.expiry_notice_days is None
    with pytest.raises(FuncError) as exc:
        fn(session, "billing_profile.edit", sok="ok", elid=str(made.elid), due_reminder_days="61")
    assert list(exc.value.errors) == ["due_reminder_days"]


def test_every_drivers_credentials_are_masked_wherever_a_call_is_logged():
    from messaging import drivers
    from radbill.functions.registry import SECRET_PARAMS
    from admin.accesslog import CREDENTIALS
    names = {n for cls in drivers.available().values() for n in cls.CREDENTIALS} - {"user"}
    assert names <= SECRET_PARAMS and names <= CREDENTIALS

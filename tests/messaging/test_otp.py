"""One-time codes (messaging/otp.py, otp.send / otp.check): the code arrives at the gateway (even
in quiet hours), only its HMAC is stored, it is right once (a replay is refused), 3 wrong tries
burn it, it expires after 5 minutes, a newer code supersedes an older one; rate limits per number
(3 in 15 minutes, 10 a day) and per client address, each refusal saying how long to wait; the
portal's customer may ask for a code for themselves only."""
from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from customers.functions.portal import customer_caller
from messaging import otp
from radbill.functions.caller import SYSTEM
from radbill.functions.registry import FuncError, call
from radbill.models import AuditLog, Message, Operator, OtpCode
from tests.support.factories import make_customer, make_operator
from tests.support.messaging.fixtures import add_gateway, drain

T = dt.datetime(2026, 11, 5, 10, 0, tzinfo=dt.timezone.utc)
NUMBER = "+8801711000001"


def setup(s, emu):
    isp = make_operator(s, name="isp")
    add_gateway(s, isp.id, emu)
    rahim = make_customer(s, username="rahim", name="Rahim", mobile="01711000001")
    make_customer(s, username="karim", name="Karim", mobile="01711000002")
    return isp, rahim


def code_in(emu, number=NUMBER) -> str:
    codes = [re.search(r"code is (\d{6})", m["sms"]) for m in emu.sent
             if m["msisdn"] == number.lstrip("+")]
    return [c.group(1) for c in codes if c][-1]


def test_the_code_arrives_and_is_right_once(factory, sslwireless_emu):
    with factory.begin() as s:
        isp, rahim = setup(s, sslwireless_emu)
        # quiet hours all day long: a code goes at once all the same
        op = s.get(Operator, isp.id)
        op.quiet_start, op.quiet_end = dt.time(0, 0), dt.time(23, 59)
        rahim_id = rahim.id
    sslwireless_emu.sent.clear()
    with factory.begin() as s:
        ok = call(s, SYSTEM.with_ip("198.51.100.7"), "otp.send",
                  {"customer": "rahim", "purpose": "login"})
        assert ok.extra == {"sent_to": "+880171*****01", "channel": "sms", "purpose": "login",
                            "valid_minutes": 5}
        row = s.get(OtpCode, ok.elid)
        assert (row.recipient, row.customer_id, row.ip, row.tries) == (NUMBER, rahim_id,
                                                                      "198.51.100.7", 0)
        assert row.expires_at - row.created_at == dt.timedelta(minutes=5)
        msg = s.get(Message, row.message_id)
        assert (msg.event, msg.status, msg.recipient) == ("otp", "queued", NUMBER)
        assert msg.next_attempt_at <= dt.datetime.now(dt.timezone.utc)
        audit = s.scalars(sa.select(AuditLog).where(AuditLog.func == "otp.send")).one()
        assert audit.after["recipient"] == "+880171*****01"
    sent, _ = drain()
    code = code_in(sslwireless_emu)
    assert any(f"Your code is {code}. It expires in 5 minutes" in m["sms"]
               for m in sslwireless_emu.sent)
    with factory() as s:
        row = s.scalars(sa.select(OtpCode)).one()
        assert re.fullmatch(r"[0-9a-f]{64}", row.code_hash) and code not in row.code_hash
        assert row.code_hash == otp.digest(NUMBER, "login", code)
        # once sent, the history keeps the message without its code
        body = s.get(Message, row.message_id).body
        assert code not in body and "Your code is ••••••." in body
    with factory.begin() as s:
        ok = call(s, SYSTEM, "otp.check", {"recipient": "01711-000001", "purpose": "login",
                                           "code": code})
        assert ok.extra["ok"] is True and ok.extra["customer"] == rahim_id
    with factory.begin() as s, pytest.raises(FuncError) as exc:
        call(s, SYSTEM, "otp.check", {"recipient": NUMBER, "purpose": "login", "code": code})
    assert exc.value.field == "code" and "was used already" in exc.value.message
    with factory.begin() as s, pytest.raises(FuncError) as exc:  # another purpose's code
        call(s, SYSTEM, "otp.check", {"recipient": NUMBER, "purpose": "verify", "code": code})
    assert "no code was sent" in exc.value.message


def test_three_wrong_tries_burn_the_code(factory, sslwireless_emu):
    with factory.begin() as s:
        setup(s, sslwireless_emu)
        call(s, SYSTEM, "otp.send", {"recipient": NUMBER})
    drain()
    code = code_in(sslwireless_emu)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for said in ("is wrong; 2 tries left", "is wrong; 1 try left",
                 "is wrong; no tries left: ask for a new code"):
        with factory.begin() as s:  # the caller commits a refusal that keeps its record
            with pytest.raises(FuncError) as exc:
                call(s, SYSTEM, "otp.check", {"recipient": NUMBER, "code": wrong})
            assert exc.value.keep and exc.value.message == f"code: {said}"
    with factory.begin() as s:
        assert s.scalars(sa.select(OtpCode)).one().tries == 3
        with pytest.raises(FuncError) as exc:
            call(s, SYSTEM, "otp.check", {"recipient": NUMBER, "code": code})
        assert "tried wrongly 3 times" in exc.value.message


def test_a_code_expires_after_five_minutes(session, sslwireless_emu):
    isp, _ = setup(session, sslwireless_emu)
    otp.send(session, recipient=NUMBER, purpose="login", operator_id=isp.id, now=T)
    body = session.scalars(sa.select(Message.body).where(Message.event == "otp")).one()
    code = re.search(r"\d{6}", body).group()
    with pytest.raises(otp.OtpError, match="has expired"):
        otp.check(session, recipient=NUMBER, purpose="login", code=code,
                  now=T + dt.timedelta(minutes=5))
    otp.send(session, recipient=NUMBER, purpose="login", operator_id=isp.id,
             now=T + dt.timedelta(minutes=20))
    body = session.scalars(sa.select(Message.body).where(Message.event == "otp")
                           .order_by(Message.id.desc()).limit(1)).one()
    code2 = re.search(r"\d{6}", body).group()
    row = otp.check(session, recipient=NUMBER, purpose="login", code=code2,
                    now=T + dt.timedelta(minutes=24, seconds=59))
    assert row.used_at == T + dt.timedelta(minutes=24, seconds=59)


def test_a_newer_code_supersedes_an_older_one(session, sslwireless_emu):
    isp, _ = setup(session, sslwireless_emu)
    codes = []
    for minute in (0, 1):
        otp.send(session, recipient=NUMBER, purpose="login", operator_id=isp.id,
                 now=T + dt.timedelta(minutes=minute))
        body = session.scalars(sa.select(Message.body).where(Message.event == "otp")
                               .order_by(Message.id.desc()).limit(1)).one()
        codes.append(re.search(r"\d{6}", body).group())
    if codes[0] != codes[1]:
        with pytest.raises(otp.OtpError, match="is wrong"):
            otp.check(session, recipient=NUMBER, purpose="login", code=codes[0],
                      now=T + dt.timedelta(minutes=2))
    assert otp.check(session, recipient=NUMBER, purpose="login", code=codes[1],
                     now=T + dt.timedelta(minutes=2)).used_at is not None


def test_rate_limits_per_number(session, sslwireless_emu):
    isp, _ = setup(session, sslwireless_emu)

    def send(at):
        return otp.send(session, recipient=NUMBER, purpose="login", operator_id=isp.id, now=at)

    for minute in (0, 1, 2):
        send(T + dt.timedelta(minutes=minute))
    with pytest.raises(otp.OtpError) as exc:
        send(T + dt.timedelta(minutes=3))
    assert exc.value.status == 429 and exc.value.field == "recipient"
    assert exc.value.message == ("3 codes were sent to +880171*****01 in 15 minutes, the most "
                                 "we send; try again in 12 minutes")
    send(T + dt.timedelta(minutes=15, seconds=1))  # the first left the window
    # 10 a day: 6 more, spread so that 15 minutes never see more than 3
    for i in range(1, 7):
        send(T + dt.timedelta(minutes=15 + 16 * i))
    assert session.scalar(sa.select(sa.func.count()).select_from(OtpCode)) == 10
    with pytest.raises(otp.OtpError) as exc:
        send(T + dt.timedelta(hours=5))
    assert "10 codes were sent to +880171*****01 in a day" in exc.value.message
    assert exc.value.message.endswith("try again in 19 hours")
    send(T + dt.timedelta(days=1, seconds=1))
    # another number is not limited by this one's codes
    otp.send(session, recipient="+8801711000002", purpose="login", operator_id=isp.id,
             now=T + dt.timedelta(days=1, seconds=2))


def test_rate_limit_per_address_through_the_function(session, sslwireless_emu):
    setup(session, sslwireless_emu)
    caller = SYSTEM.with_ip("203.0.113.9")
    for i in range(10):
        call(session, caller, "otp.send", {"recipient": f"+88017120000{i:02d}"})
    with pytest.raises(FuncError) as exc:
        call(session, caller, "otp.send", {"recipient": "+8801712000099"})
    assert exc.value.status == 429 and exc.value.field == "recipient"
    assert "from your address (203.0.113.9) in 15 minutes" in exc.value.message
    assert "try again in" in exc.value.message
    # from elsewhere the same number is fine
    call(session, SYSTEM.with_ip("203.0.113.10"), "otp.send", {"recipient": "+8801712000099"})
    # and per number through the function: the fourth in 15 minutes
    for _ in range(2):
        call(session, SYSTEM.with_ip("192.0.2.1"), "otp.send", {"recipient": "+8801712000099"})
    with pytest.raises(FuncError, match="3 codes were sent to") as exc:
        call(session, SYSTEM.with_ip("192.0.2.2"), "otp.send", {"recipient": "+8801712000099"})


def test_the_portal_customer_asks_for_their_own_code_only(session, sslwireless_emu):
    _, rahim = setup(session, sslwireless_emu)
    me = customer_caller(session, rahim, ip="198.51.100.20")
    ok = call(session, me, "otp.send", {"customer": "rahim", "purpose": "verify"})
    assert ok.extra["sent_to"] == "+880171*****01"
    with pytest.raises(FuncError) as exc:
        call(session, me, "otp.send", {"customer": "karim"})
    assert exc.value.field == "customer" and exc.value.status == 403
    body = session.scalars(sa.select(Message.body).where(Message.event == "otp")).one()
    code = re.search(r"\d{6}", body).group()
    assert call(session, me, "otp.check", {"customer": "rahim", "code": code}).extra["ok"]


def test_bad_input_names_the_field(session, sslwireless_emu):
    setup(session, sslwireless_emu)
    for func, params, field, words in (
            ("otp.send", {}, "recipient", "is required"),
            ("otp.send", {"recipient": "12345"}, "recipient", "not a phone number"),
            ("otp.send", {"recipient": "+88027111234"}, "recipient", "not a mobile"),
            ("otp.send", {"recipient": NUMBER, "channel": "email"}, "channel", "is not one of"),
            ("otp.send", {"recipient": NUMBER, "channel": "whatsapp"}, "channel",
             "no whatsapp gateway"),
            ("otp.send", {"recipient": NUMBER, "purpose": "Log In"}, "purpose", "lower-case"),
            ("otp.send", {"customer": "nobody"}, "customer", "no customer"),
            ("otp.check", {"recipient": NUMBER, "code": "12a456"}, "code", "6 digits"),
            ("otp.check", {"recipient": NUMBER, "code": "١٢٣٤٥٦"}, "code", "6 digits"),
            ("otp.check", {"recipient": NUMBER, "code": "123456"}, "code", "no code was sent")):
        with pytest.raises(FuncError) as exc:
            call(session, SYSTEM, func, params)
        assert field in exc.value.errors and words in exc.value.errors[field], \
            (func, params, exc.value.errors)


def test_a_code_goes_ahead_of_messages_already_queued(factory, sslwireless_emu):
    from messaging import compose, sender
    from radbill.models import MessageGateway
    with factory.begin() as s:
        isp, rahim = setup(s, sslwireless_emu)
        gw = s.scalars(sa.select(MessageGateway)).one()
        for i in range(3):  # a broadcast's batch waiting to be sent
            compose.queue(s, operator_id=isp.id, event="broadcast", channel="sms",
                          recipient=f"+88017130000{i:02d}", body=f"News {i}", gateway=gw)
    with factory.begin() as s:
        call(s, SYSTEM, "otp.send", {"recipient": NUMBER})
    assert sender.send_one(factory)
    assert [m["sms"][:12] for m in sslwireless_emu.sent] == ["Your code is"]

"""E-mail end to end against a real local SMTP server (aiosmtpd): an event -> the worker composes
the notice -> the sender -> the operator's SMTP server; text and HTML parts, Bangla encoded
properly, the login, and the server's refusals judged permanent, gateway-wide or transient."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from radbill import db
from radbill.models import Customer, Event, Message, MessageGateway, MessageTemplate, Operator
from tests.support.factories import make_customer, make_operator, make_package
from tests.support.messaging import channel_fixtures
from tests.support.messaging.channel_fixtures import (MailServer, add_channel_gateway,
                                                      edit_gateway, free_tcp_port)
from tests.support.messaging.fixtures import drain
from tests.support.rating_factories import pay

mail_server = channel_fixtures.mail_server  # fixtures

ADDRESS = "rahim@example.net"
# the test server takes a plain-text login on loopback
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def setup(server, *, lang="en", config=None, **creds):
    with db.session_scope() as s:
        isp = make_operator(s, name="isp")
        make_package(s, name="home10", price="500")
        c = make_customer(s, username="rahim", package="home10", email=ADDRESS, lang=lang,
                          name="Rahim", operator="isp", mobile="+8801711000001")
        gw = add_channel_gateway(s, isp.id, server, config=config, **creds)
    drain()             # the welcome
    if isinstance(server, MailServer):
        server.messages.clear()
        server.logins.clear()
    return c.id, gw.id


def paid(amount="500"):
    with db.session_scope() as s:
        pay(s, s.scalar(sa.select(Customer).where(Customer.username == "rahim")), amount=amount)


def messages(event="payment.received") -> list[Message]:
    with db.session_scope() as s:
        return list(s.scalars(sa.select(Message).where(Message.event == event)
                              .order_by(Message.id)))


def test_a_receipt_is_mailed_with_text_and_html_parts(committed, mail_server):
    cid, gid = setup(mail_server)
    paid()
    drain()
    [msg] = messages()
    assert msg.channel == "email" and msg.status == "sent", msg.reason
    assert msg.recipient == ADDRESS and msg.customer_id == cid
    [mail] = mail_server.messages
    assert mail.envelope_to == [ADDRESS] and mail.envelope_from == "billing@isp.example"
    assert mail["From"] == "Net ISP <billing@isp.example>" and mail["To"] == ADDRESS
    assert mail["Subject"] == msg.subject and "500" in msg.subject
    assert mail["Message-ID"].strip("<>") == msg.gateway_ref
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert text.replace("\r\n", "\n").rstrip("\n") == msg.body
    assert "<p>" in html and "rahim" in html and "500" in html


def test_bangla_survives_in_the_subject_the_sender_and_both_parts(committed, mail_server):
    setup(mail_server, lang="bn", config={"from_name": "নেট আইএসপি"})
    with db.session_scope() as s:
        isp = s.scalar(sa.select(Operator).where(Operator.name == "isp"))
        s.add(MessageTemplate(operator_id=isp.id, event="payment.received", channel="email",
                              lang="bn", subject="{{ amount }} টাকা পেয়েছি",
                              body="প্রিয় {{ name }},\n\nআপনার {{ amount }} টাকা পেয়েছি। "
                                   "<ধন্যবাদ> & শুভেচ্ছা"))
    paid()
    drain()
    [msg] = messages()
    assert msg.status == "sent", msg.reason
    [mail] = mail_server.messages
    raw = mail.as_bytes()
    head = raw.split(b"\n\n", 1)[0]
    assert head.isascii(), "headers are RFC 2047 encoded, not raw UTF-8"
    assert mail["Subject"] == "৫০০.০০ টাকা পেয়েছি" == msg.subject
    assert mail["From"].addresses[0].display_name == "নেট আইএসপি"
    assert mail.get_body(("plain",)).get_content().replace("\r\n", "\n").rstrip("\n") == msg.body
    html = mail.get_body(("html",)).get_content()
    assert "আপনার ৫০০.০০ টাকা পেয়েছি" in html and "&lt;ধন্যবাদ&gt; &amp; শুভেচ্ছা" in html


def test_the_server_login_is_used(committed):
    server = MailServer(users={"billing": "mail-pass-123"}).start()
    try:
        setup(server, user="billing", password="mail-pass-123")
        paid()
        drain()
        [msg] = messages()
        assert msg.status == "sent", msg.reason
        assert server.logins == ["billing"] and len(server.messages) == 1
    finally:
        server.stop()


def test_a_refused_login_stops_the_gateway_without_showing_the_password(committed):
    server = MailServer(users={"billing": "mail-pass-123"}).start()
    try:
        _, gid = setup(server, user="billing", password="wrong-pass-456")
        paid()
        drain()
        [msg] = messages()
        assert msg.status == "failed" and "535" in msg.reason and msg.attempts == 1
        assert "wrong-pass-456" not in msg.reason
        with db.session_scope() as s:
            assert s.get(MessageGateway, gid).last_error == msg.reason
            [ev] = s.scalars(sa.select(Event).where(Event.name == "gateway.error"))
            assert ev.data["gateway_id"] == gid and "wrong-pass-456" not in str(ev.data)
        assert server.messages == []
    finally:
        server.stop()


def test_a_recipient_refused_for_good_fails_that_message_only(committed, mail_server):
    _, gid = setup(mail_server)
    mail_server.refuse[ADDRESS] = "550 5.1.1 <rahim@example.net>: Recipient address rejected"
    paid()
    drain()
    [msg] = messages()
    assert msg.status == "failed" and "550" in msg.reason and msg.attempts == 1
    with db.session_scope() as s:
        assert s.get(MessageGateway, gid).last_error is None
        assert s.scalars(sa.select(Event).where(Event.name == "gateway.error")).all() == []


def test_try_later_and_a_server_that_is_down_retry(committed, mail_server):
    setup(mail_server)
    mail_server.refuse[ADDRESS] = "451 4.7.1 Greylisted, please try again later"
    paid()
    drain()
    [msg] = messages()
    assert msg.status == "queued" and "451" in msg.reason and msg.attempts == 1
    mail_server.refuse.clear()
    with db.session_scope() as s:
        s.execute(sa.update(Message).where(Message.status == "queued")
                  .values(next_attempt_at=sa.func.now()))
    drain()
    [msg] = messages()
    assert msg.status == "sent" and msg.attempts == 2 and len(mail_server.messages) == 1


def test_a_mail_server_that_is_down_keeps_the_message_queued(committed, mail_server):
    _, gid = setup(mail_server)
    with db.session_scope() as s:
        edit_gateway(s, gid, port=free_tcp_port())
    paid()
    drain()
    [msg] = messages()
    assert msg.status == "queued" and "SMTP" in msg.reason and msg.attempts == 1
    with db.session_scope() as s:
        assert s.get(MessageGateway, gid).last_error is None


def test_starttls_on_a_server_without_it_stops_the_gateway(committed, mail_server):
    _, gid = setup(mail_server, config={"security": "starttls"})
    paid()
    drain()
    [msg] = messages()
    assert msg.status == "failed" and "STARTTLS" in msg.reason
    with db.session_scope() as s:
        assert s.get(MessageGateway, gid).last_error == msg.reason
    assert mail_server.messages == []


def test_msg_gateway_edit_names_each_bad_setting(session):
    from radbill.functions.registry import FuncError
    from tests.support.factories import fn
    isp = make_operator(session, name="isp")
    with pytest.raises(FuncError) as err:
        fn(session, "msg_gateway.edit", sok="ok", name="mail", kind="smtp", operator=str(isp.id),
           host="mail host", port="٢٥", security="ssl", from_address="billing")
    assert set(err.value.errors) == {"host", "port", "security", "from_address"}
    gw = fn(session, "msg_gateway.edit", sok="ok", name="mail", kind="smtp",
            operator=str(isp.id), host="mail.isp.example", port="587", security="starttls",
            from_address="billing@isp.example", from_name="নেট আইএসপি", user="billing",
            password="mail-pass-123")
    row = session.get(MessageGateway, gw.elid)
    assert row.channel == "email" and row.config["port"] == 587
    assert b"mail-pass-123" not in row.credentials

"""Fixtures for the WhatsApp, e-mail and Telegram tests: the Meta, Twilio and Telegram emulators,
a real local SMTP server (aiosmtpd) that can demand a login, refuse a recipient for good (550)
or for now (451), and `add_channel_gateway`, a message gateway (msg_gateway.edit) pointing at
one of them.

Import the fixtures into a test module (`from tests.support.messaging.channel_fixtures import
meta_emu, ...`)."""
from __future__ import annotations

import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.support.messaging.meta_emu import MetaEmulator
from tests.support.messaging.telegram_emu import TelegramEmulator
from tests.support.messaging.twilio_emu import TwilioEmulator

__all__ = ["meta_emu", "twilio_emu", "telegram_emu", "mail_server", "MailServer",
           "add_channel_gateway", "edit_gateway", "channel_settings", "free_tcp_port"]


def free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def meta_emu():
    with MetaEmulator() as emu:
        yield emu


@pytest.fixture
def twilio_emu():
    with TwilioEmulator() as emu:
        yield emu


@pytest.fixture
def telegram_emu():
    with TelegramEmulator() as emu:
        yield emu


class MailServer:
    """An SMTP server on a free loopback port; `messages` are the parsed mails it accepted
    (email.message.EmailMessage, with .envelope_to), `refuse` maps an address to the reply its
    RCPT TO gets ("550 5.1.1 No such user"), `users` the logins it accepts (AUTH over plain
    text: loopback only)."""

    def __init__(self, users: dict[str, str] | None = None):
        self.users = dict(users or {})
        self.refuse: dict[str, str] = {}
        self.messages: list = []
        self.logins: list[str] = []
        self.port = free_tcp_port()
        kw = {}
        if self.users:
            kw = dict(auth_required=True, auth_require_tls=False, authenticator=self.auth)
        self.ctl = Controller(self, hostname="127.0.0.1", port=self.port, **kw)

    def start(self) -> "MailServer":
        self.ctl.start()
        return self

    def stop(self) -> None:
        self.ctl.stop()

    def auth(self, server, session, envelope, mechanism, data):
        if isinstance(data, LoginPassword):
            user, password = data.login.decode(), data.password.decode()
            if self.users.get(user) == password:
                self.logins.append(user)
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        msg.envelope_to = list(envelope.rcpt_tos)
        msg.envelope_from = envelope.mail_from
        self.messages.append(msg)
        return "250 Message accepted for delivery"


@pytest.fixture
def mail_server():
    server = MailServer().start()
    yield server
    server.stop()


def channel_settings(target, **over) -> tuple[str, str, dict, dict]:
    """(kind, channel, config, credentials) of a gateway row that talks to `target`."""
    if isinstance(target, MetaEmulator):
        return "meta", "whatsapp", {"url": target.url, "phone_number_id": target.phone_number_id,
                                    "api_version": "v21.0",
                                    "verify_token": target.verify_token}, \
            {"token": target.token, "app_secret": target.app_secret}
    if isinstance(target, TwilioEmulator):
        return "twilio", "whatsapp", {"url": target.url, "account_sid": target.account_sid,
                                      "from": target.sender}, {"auth_token": target.auth_token}
    if isinstance(target, TelegramEmulator):
        return "telegram", "telegram", {"url": target.url,
                                        "chat_id": sorted(target.chats)[0]}, \
            {"bot_token": target.token}
    if isinstance(target, MailServer):
        return "smtp", "email", {"host": "127.0.0.1", "port": target.port, "security": "none",
                                 "from_address": "billing@isp.example",
                                 "from_name": "Net ISP"}, {}
    raise TypeError(target)


def add_channel_gateway(session, operator_id: int, target, *, name: str | None = None,
                        price: str = "0", config: dict | None = None, **credentials):
    """A message gateway of `operator_id` for `target`, made with msg_gateway.edit;
    `config`/`credentials` override the target's."""
    from radbill.models import MessageGateway
    from tests.support.factories import fn
    kind, _, conf, creds = channel_settings(target)
    conf.update(config or {})
    creds.update(credentials)
    result = fn(session, "msg_gateway.edit", sok="ok", name=name or kind, kind=kind,
                operator=str(operator_id), price=price, **conf, **creds)
    return session.get(MessageGateway, result.elid)


def edit_gateway(session, gateway_id: int, **values) -> None:
    """Change a gateway's settings with msg_gateway.edit."""
    from tests.support.factories import fn
    fn(session, "msg_gateway.edit", sok="ok", elid=str(gateway_id), **values)

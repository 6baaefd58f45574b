"""Fixtures for the messaging tests: the SMS gateway emulators, a message gateway row pointing at
one, the admin on a free port (for the /hooks/messages webhook), and draining the worker.

Use from a conftest with `from tests.support.messaging.fixtures import *  # noqa`."""
from __future__ import annotations

import threading
from decimal import Decimal

import pytest

from tests.support.messaging.adn_emu import AdnEmulator
from tests.support.messaging.bulksmsbd_emu import BulkSmsBdEmulator
from tests.support.messaging.http_emu import HttpSmsEmulator
from tests.support.messaging.sslwireless_emu import SslWirelessEmulator

__all__ = ["bulksmsbd_emu", "sslwireless_emu", "adn_emu", "http_emu", "hooks_base", "add_gateway",
           "gateway_settings", "drain"]


@pytest.fixture
def bulksmsbd_emu():
    with BulkSmsBdEmulator() as emu:
        yield emu


@pytest.fixture
def sslwireless_emu():
    with SslWirelessEmulator() as emu:
        yield emu


@pytest.fixture
def http_emu():
    with HttpSmsEmulator() as emu:
        yield emu


@pytest.fixture
def adn_emu():
    with AdnEmulator() as emu:
        yield emu


def gateway_settings(emu) -> tuple[str, dict, dict]:
    """(kind, config, credentials) of a gateway row that talks to `emu` as its account."""
    if isinstance(emu, BulkSmsBdEmulator):
        return "bulksmsbd", {"url": emu.url, "sender_id": emu.sender_id}, {"api_key": emu.api_key}
    if isinstance(emu, SslWirelessEmulator):
        return "sslwireless", {"url": emu.url, "sid": emu.sid}, {"api_token": emu.api_token}
    if isinstance(emu, HttpSmsEmulator):
        return "http", {"url": emu.url + "/send", "method": "POST", "ok": "SMS SUBMITTED",
                        "to_format": "local",
                        "params": "api_key={key}&to={to}&msg={text}"}, {"key": emu.key}
    if isinstance(emu, AdnEmulator):
        return "adn", {"url": emu.url}, {"api_key": emu.api_key, "api_secret": emu.api_secret}
    raise TypeError(emu)


def add_gateway(session, operator_id: int, emu, price: str = "0.25", name: str | None = None,
                **credentials):
    """A message gateway row of `operator_id` for `emu` (messaging/functions/gateways.py's
    msg_gateway.edit did not exist yet when this was written: inserted through the session)."""
    from radbill.models import MessageGateway
    from rating.gateways import secrets
    kind, config, creds = gateway_settings(emu)
    creds.update(credentials)
    gw = MessageGateway(operator_id=operator_id, name=name or kind, channel="sms", kind=kind,
                        config=config, credentials=secrets.encrypt(creds), price=Decimal(price))
    session.add(gw)
    session.flush()
    return gw


@pytest.fixture
def hooks_base(committed):
    """The admin (its own sessions, real commits) on a free port: gateways post DLRs here."""
    from werkzeug.serving import make_server

    from admin import create_app
    server = make_server("127.0.0.1", 0, create_app({"SECRET_KEY": "hooks-test"}), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(5)


def drain() -> tuple[int, int]:
    """The worker's round: the outbox (notices -> messages), then the sender."""
    from provisioning import worker
    from radbill import db
    return worker.drain_all(db.session_factory(), worker.Policy(base_delay=0))

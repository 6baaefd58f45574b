"""Devices the provisioning and admin tests talk to, as pytest fixtures (a plugin of the root
conftest).

Each speaks its real protocol on a free loopback port: an SMTP server (aiosmtpd), the RouterOS
API emulator, SSH servers replaying VSOL and BDCOM CLI transcripts, and a NAS answering CoA and
Disconnect requests (pyrad).
"""
from __future__ import annotations

import socket

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.orm import sessionmaker

from tests.support.nas_sim import NasSimulator
from tests.support.routeros_emu import RouterOS, Server
from tests.support.ssh_olt import OltSshServer

__all__ = ["Inbox", "factory", "smtp", "ros", "vsol", "bdcom", "coa_nas", "free_tcp_port"]


def free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def factory(committed):
    """Sessions on committed data, for code that runs in other threads or processes too."""
    return sessionmaker(bind=committed, expire_on_commit=False)


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp():
    inbox = Inbox()
    ctl = Controller(inbox, hostname="127.0.0.1", port=free_tcp_port())
    ctl.start()
    yield ctl, inbox
    ctl.stop()


@pytest.fixture
def coa_nas():
    """A NAS that answers CoA and Disconnect-Requests for the sessions it is told it has."""
    sim = NasSimulator(secret="testing123").start()
    yield sim
    sim.stop()


@pytest.fixture
def ros():
    router = RouterOS(users={"admin": "secret"})
    srv = Server(router).start()
    router.port = srv.port
    yield router
    srv.stop()


@pytest.fixture
def vsol():
    s = OltSshServer("vsol.txt", users={"admin": "vsol-pw"}).start()
    yield s
    s.stop()


@pytest.fixture
def bdcom():
    s = OltSshServer("bdcom.txt", users={"admin": "bd-pw"}, page=4).start()  # with --More--
    yield s
    s.stop()

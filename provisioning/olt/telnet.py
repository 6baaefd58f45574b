"""Telnet (RFC 854) for OLTs that ship with it alone: a socket, option refusal, a login dialogue.

We refuse every option the device offers or asks for (WONT/DONT), which leaves the session in
plain NVT line mode; the OLT CLIs we read work that way. telnetlib is deprecated, and we need
only this much of it.
"""
from __future__ import annotations

import re
import socket

from provisioning.errors import DeviceTimeout, DeviceUnreachable, LoginRejected
from provisioning.olt.cli import PROMPT, Cli

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
LOGIN = re.compile(r"(?i)(user\s*name|login)\s*:\s*$")
PASSWORD = re.compile(r"(?i)password\s*:\s*$")
AFTER_LOGIN = re.compile(PROMPT.pattern + r"|(user\s*name|login)\s*:\s*$", re.I)


class TelnetCli(Cli):
    def __init__(self, access):
        super().__init__(access)
        self.sock: socket.socket | None = None
        self._pending = b""  # a command sequence split across two reads

    def __enter__(self) -> "TelnetCli":
        a = self.access
        try:
            self.sock = socket.create_connection((a.host, a.cli_port), timeout=a.timeout)
        except (socket.timeout, TimeoutError):
            raise DeviceTimeout(self.where, a.timeout, "Telnet answer") from None
        except OSError as exc:
            raise DeviceUnreachable(self.where, f"Telnet: {exc}") from None
        try:
            self.read_until(LOGIN, "login prompt")
            self._send((a.username or "") + "\n")
            self.read_until(PASSWORD, "password prompt")
            self._send((a.password or "") + "\n")
            after = self.read_until(AFTER_LOGIN, "prompt after login")
        except BaseException:
            self.sock.close()
            raise
        if not PROMPT.search(after.rsplit("\n", 1)[-1]):
            self.sock.close()
            raise LoginRejected(self.where, a.username, "Telnet")
        return self

    def __exit__(self, *exc) -> None:
        if self.sock is not None:
            self.sock.close()

    def _send(self, text: str) -> None:
        data = text.replace("\n", "\r\n").encode()
        self.sock.sendall(data.replace(bytes([IAC]), bytes([IAC, IAC])))

    def _recv(self) -> str:
        data = self._pending + self.sock.recv(4096)
        if not data:
            return ""
        text, self._pending, replies = strip_commands(data)
        if replies:
            self.sock.sendall(replies)
        return text.decode(errors="replace") or "\0"  # '\0': data came, all of it negotiation


def strip_commands(data: bytes) -> tuple[bytes, bytes, bytes]:
    """(text, an incomplete trailing sequence, our refusals to every option negotiated)."""
    out, replies, i = bytearray(), bytearray(), 0
    while i < len(data):
        b = data[i]
        if b != IAC:
            out.append(b)
            i += 1
            continue
        if i + 1 >= len(data):
            return bytes(out), data[i:], bytes(replies)
        cmd = data[i + 1]
        if cmd == IAC:
            out.append(IAC)
            i += 2
        elif cmd in (DO, DONT, WILL, WONT):
            if i + 2 >= len(data):
                return bytes(out), data[i:], bytes(replies)
            if cmd in (DO, WILL):
                replies += bytes([IAC, WONT if cmd == DO else DONT, data[i + 2]])
            i += 3
        elif cmd == SB:
            end = data.find(bytes([IAC, SE]), i + 2)
            if end < 0:
                return bytes(out), data[i:], bytes(replies)
            i = end + 2
        else:
            i += 2
    return bytes(out), b"", bytes(replies)

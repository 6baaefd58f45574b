"""An interactive CLI session for OLTs that only speak a Cisco-like shell, over SSH or Telnet."""
from __future__ import annotations

import base64
import re
import socket
import time
from contextlib import contextmanager
from typing import Callable, Iterator

import paramiko

from provisioning.errors import (DeviceError, DeviceTimeout, DeviceUnreachable, HostKeyMismatch,
                                 LoginRejected)
from provisioning.olt.base import Access, LogEntry, VlanInfo

PROMPT = re.compile(r"[\w.()/:-]+[>#]\s*$")
# Cisco-like '--More--', VSOL's '<--- More --->', Huawei's "---- More ( Press 'Q' to break ) ----"
MORE = re.compile(r"--\s*More\s*--|<--- More --->|-+\s*More\s*\([^)]*\)\s*-+", re.I)
ENABLE_PASSWORD = re.compile(PROMPT.pattern + r"|(?i:password)\s*:\s*$")
ERROR = re.compile(r"^\s*%\s*(Unknown|Invalid|Incomplete|Ambiguous).*$|Invalid input", re.I | re.M)


class Cli:
    """Send a command, read until the prompt comes back; paging and echoes are stripped.
    A transport supplies _recv (text, '' when closed, socket.timeout) and _send."""

    seen_key: str | None = None

    def __init__(self, access: Access):
        self.access = access
        self.where = f"{access.host}:{access.cli_port}"

    def _recv(self) -> str:
        raise NotImplementedError

    def _send(self, text: str) -> None:
        raise NotImplementedError

    def __enter__(self) -> "Cli":
        return self

    def __exit__(self, *exc) -> None:
        pass

    def read_until(self, pattern: re.Pattern, what: str = "CLI prompt") -> str:
        buf = ""
        deadline = time.monotonic() + self.access.timeout
        while time.monotonic() < deadline:
            try:
                chunk = self._recv()
            except (socket.timeout, TimeoutError):
                break
            if not chunk:
                raise DeviceUnreachable(self.where, "the OLT closed the CLI session")
            buf += chunk.replace("\0", "")  # NVT padding (CR NUL)
            if MORE.search(buf[-40:]):
                buf = MORE.sub("", buf)
                self._send(" ")  # some firmwares ignore 'terminal length 0'
                continue
            if pattern.search(buf.rsplit("\n", 1)[-1]):
                return buf.replace("\r", "")
        raise DeviceTimeout(self.where, self.access.timeout, what)

    def read_until_prompt(self) -> str:
        return self.read_until(PROMPT)

    def run(self, command: str, check: bool = True) -> str:
        self._send(command + "\n")
        out = self.read_until_prompt()
        lines = out.split("\n")
        if lines and lines[0].strip().endswith(command):
            lines = lines[1:]  # the echo of our own command
        body = "\n".join(lines[:-1])  # drop the prompt
        if check and ERROR.search(body):
            raise DeviceError(self.where, command, ERROR.search(body).group(0).strip())
        return body


class SshCli(Cli):
    def __init__(self, access: Access):
        super().__init__(access)
        self.client = paramiko.SSHClient()
        # first contact: accept and report the key (seen_key) so the caller can pin it
        self.client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        self.chan = None

    def _pin(self) -> None:
        name, _, b64 = (self.access.host_key or "").partition(" ")
        try:
            key = paramiko.PKey.from_type_string(name, base64.b64decode(b64))
        except (ValueError, paramiko.SSHException) as exc:
            raise HostKeyMismatch(self.where, self.access.host_key[:40], f"unreadable: {exc}")
        port = self.access.cli_port
        entry = self.access.host if port == 22 else f"[{self.access.host}]:{port}"
        self.client.get_host_keys().add(entry, name, key)

    def __enter__(self) -> "SshCli":
        a = self.access
        if a.host_key:
            self._pin()
        try:
            self.client.connect(a.host, port=a.cli_port, username=a.username, password=a.password,
                                timeout=a.timeout, banner_timeout=a.timeout, auth_timeout=a.timeout,
                                look_for_keys=False, allow_agent=False)
        except paramiko.AuthenticationException:
            raise LoginRejected(self.where, a.username, "SSH") from None
        except paramiko.BadHostKeyException as exc:
            raise HostKeyMismatch(self.where, exc.expected_key.get_base64()[:24] + "...",
                                  exc.key.get_base64()[:24] + "...") from None
        except (socket.timeout, TimeoutError):
            raise DeviceTimeout(self.where, a.timeout, "SSH answer") from None
        except (paramiko.SSHException, OSError) as exc:
            raise DeviceUnreachable(self.where, f"SSH: {exc}") from None
        key = self.client.get_transport().get_remote_server_key()
        self.seen_key = f"{key.get_name()} {key.get_base64()}"
        self.chan = self.client.invoke_shell(width=250, height=1000)
        self.chan.settimeout(a.timeout)
        self.read_until_prompt()
        return self

    def __exit__(self, *exc) -> None:
        self.client.close()

    def _recv(self) -> str:
        return self.chan.recv(65536).decode(errors="replace")

    def _send(self, text: str) -> None:
        self.chan.send(text)


def open_cli(access: Access) -> Cli:
    if access.transport == "telnet":
        from provisioning.olt.telnet import TelnetCli
        return TelnetCli(access)
    return SshCli(access)


class CliDriver:
    """An OLT driven over its CLI: each call is one privileged, unpaged session."""

    brand = ""
    # what makes the session privileged and unpaged; "enable" answers an enable-password
    # prompt with the login password (DBC, some BDCOM firmwares ask for one)
    setup: tuple[str, ...] = ("enable", "terminal length 0")
    # the brand's global reads: the command and the parser of what it prints
    vlan_read: tuple[str, Callable[[str], list[VlanInfo]]]
    log_read: tuple[str, Callable[[str, int], list[LogEntry]]]

    def __init__(self, access: Access):
        self.access = access
        self.host_key: str | None = None  # the SSH key the OLT showed, to pin on first use

    @contextmanager
    def session(self) -> Iterator[Cli]:
        with open_cli(self.access) as cli:
            self.host_key = cli.seen_key
            for command in self.setup:
                if command == "enable":
                    self._enable(cli)
                else:
                    cli.run(command)
            yield cli

    def _enable(self, cli: Cli) -> None:
        cli._send("enable\n")
        out = cli.read_until(ENABLE_PASSWORD, "prompt after enable")
        if not PROMPT.search(out.rsplit("\n", 1)[-1]):
            cli._send((self.access.password or "") + "\n")
            out = cli.read_until_prompt()
        last = out.rsplit("\n", 1)[-1]
        if ERROR.search(out) or not last.rstrip().endswith("#"):
            raise LoginRejected(cli.where, self.access.username, "enable")

    def pon_ports(self, cli: Cli, most: int = 16) -> Iterator[int]:
        """Walk the PON ports of a shell whose ONU commands live in a port's context
        (`interface epon 0/N`, VSOL and DBC): each port is entered, yielded, left; the first
        port the OLT refuses is past the last one of this model."""
        cli.run("configure terminal")
        for n in range(1, most + 1):
            try:
                cli.run(f"interface epon 0/{n}")
            except DeviceError:
                return
            yield n
            cli.run("exit")

    def vlans(self) -> list[VlanInfo]:
        command, parse = self.vlan_read
        with self.session() as cli:
            return parse(cli.run(command))

    def logs(self, limit: int = 200) -> list[LogEntry]:
        command, parse = self.log_read
        with self.session() as cli:
            return parse(cli.run(command), limit)

    def running_config(self) -> str:
        with self.session() as cli:
            return cli.run("show running-config").strip("\n") + "\n"

"""An interactive SSH CLI session (paramiko) for OLTs that only speak a Cisco-like shell."""
from __future__ import annotations

import base64
import re
import socket
import time

import paramiko

from provisioning.errors import (DeviceError, DeviceTimeout, DeviceUnreachable, HostKeyMismatch,
                                 LoginRejected)
from provisioning.olt.base import Access

PROMPT = re.compile(r"[\w.()/:-]+[>#]\s*$")
MORE = re.compile(r"--\s*More\s*--|<--- More --->", re.I)
ERROR = re.compile(r"^\s*%\s*(Unknown|Invalid|Incomplete|Ambiguous).*$|Invalid input", re.I | re.M)


class CliSession:
    """Send a command, read until the prompt comes back; paging and echoes are stripped."""

    def __init__(self, access: Access):
        self.access = access
        self.where = f"{access.host}:{access.ssh_port}"
        self.client = paramiko.SSHClient()
        # first contact: accept and report the key (seen_key) so the caller can pin it
        self.client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        self.chan = None
        self.seen_key: str | None = None

    def _pin(self) -> None:
        name, _, b64 = (self.access.host_key or "").partition(" ")
        try:
            key = paramiko.PKey.from_type_string(name, base64.b64decode(b64))
        except (ValueError, paramiko.SSHException) as exc:
            raise HostKeyMismatch(self.where, self.access.host_key[:40], f"unreadable: {exc}")
        port = self.access.ssh_port
        entry = self.access.host if port == 22 else f"[{self.access.host}]:{port}"
        self.client.get_host_keys().add(entry, name, key)

    def __enter__(self) -> "CliSession":
        a = self.access
        if a.host_key:
            self._pin()
        try:
            self.client.connect(a.host, port=a.ssh_port, username=a.username, password=a.password,
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

    def read_until_prompt(self) -> str:
        buf = ""
        deadline = time.monotonic() + self.access.timeout
        while time.monotonic() < deadline:
            try:
                chunk = self.chan.recv(65536).decode(errors="replace")
            except socket.timeout:
                break
            if not chunk:
                raise DeviceUnreachable(self.where, "the OLT closed the SSH session")
            buf += chunk
            if MORE.search(buf[-40:]):
                buf = MORE.sub("", buf)
                self.chan.send(" ")  # some firmwares ignore 'terminal length 0'
                continue
            if PROMPT.search(buf.rsplit("\n", 1)[-1]):
                return buf.replace("\r", "")
        raise DeviceTimeout(self.where, self.access.timeout, "CLI prompt")

    def run(self, command: str, check: bool = True) -> str:
        self.chan.send(command + "\n")
        out = self.read_until_prompt()
        lines = out.split("\n")
        if lines and lines[0].strip().endswith(command):
            lines = lines[1:]  # the echo of our own command
        body = "\n".join(lines[:-1])  # drop the prompt
        if check and ERROR.search(body):
            raise DeviceError(self.where, command, ERROR.search(body).group(0).strip())
        return body

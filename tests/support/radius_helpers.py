"""A real FreeRADIUS with radbill's configuration on free ports, and clients that talk to it:
pyrad (with MS-CHAPv2 computed per RFC 2759) and FreeRADIUS' own radclient."""
from __future__ import annotations

import hashlib
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

from pyrad import packet
from pyrad.client import Client
from pyrad.dictionary import Dictionary

DICTIONARY = Path(__file__).with_name("radius_dictionary")
SECRET = b"testing123"


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RadiusServer:
    """`freeradius -f` rendered by radbill.radiusconf into `directory`; stop() checks it exited
    cleanly (a crash would show here as a signal exit code)."""

    def __init__(self, directory: Path, **overrides) -> None:
        from radbill import radiusconf, settings
        self.auth_port, self.acct_port = free_udp_port(), free_udp_port()
        self.directory = radiusconf.render(
            settings.get(), directory, auth_port=self.auth_port, acct_port=self.acct_port,
            listen_addr="127.0.0.1", reject_delay=0, last_seen_every=0, max_threads=8,
            **overrides)
        self.log = self.directory / "stdout.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> RadiusServer:
        from radbill import radiusconf
        out = open(self.log, "w")
        self.proc = subprocess.Popen(radiusconf.argv(self.directory), stdout=out,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while "Ready to process requests" not in self.output():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("FreeRADIUS did not start:\n" + self.output()[-3000:])
            time.sleep(0.05)
        return self

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> int:
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return self.proc.returncode

    def client(self, source: str = "127.0.0.1", secret: bytes = SECRET, timeout: float = 2,
               retries: int = 1) -> Client:
        c = Client(server="127.0.0.1", authport=self.auth_port, acctport=self.acct_port,
                   secret=secret, dict=Dictionary(str(DICTIONARY)))
        c.timeout, c.retries = timeout, retries
        if source != "127.0.0.1":
            c.bind((source, 0))
        return c


def auth(server, user, password=None, source="127.0.0.1", timeout=2.0, **attrs):
    """PAP by default; returns (reply name, sorted attributes)."""
    c = server.client(source, timeout=timeout)
    req = c.CreateAuthPacket(code=packet.AccessRequest)
    if user is not None:
        req["User-Name"] = user
    if password is not None:
        req["User-Password"] = req.PwCrypt(password)
    for name, value in attrs.items():
        req[name.replace("_", "-")] = value
    reply = c.SendPacket(req)
    return code_name(reply.code), reply_pairs(reply)


def message(pairs) -> str:
    return dict(pairs).get("Reply-Message", "")


def reply_pairs(reply) -> list[tuple[str, str]]:
    """The reply's attributes as sorted (name, value) strings, for exact comparisons."""
    out = []
    for key in reply.keys():
        if not isinstance(key, str) or key.startswith("MS-MPPE") or key == "MS-CHAP2-Success":
            continue
        for value in reply[key]:
            out.append((key, value.decode() if isinstance(value, bytes) else str(value)))
    return sorted(out)


def code_name(code: int) -> str:
    return {packet.AccessAccept: "Access-Accept", packet.AccessReject: "Access-Reject",
            packet.AccountingResponse: "Accounting-Response"}.get(code, str(code))


# -- MS-CHAPv2 (RFC 2759), so the test drives FreeRADIUS' mschap module as a NAS would --------
def nt_password_hash(password: str) -> bytes:
    from Crypto.Hash import MD4
    return MD4.new(password.encode("utf-16-le")).digest()


def _des_key(seven: bytes) -> bytes:
    bits = int.from_bytes(seven, "big")
    return bytes(((bits >> (56 - 7 * (i + 1))) & 0x7F) << 1 for i in range(8))


def nt_response(auth_challenge: bytes, peer_challenge: bytes, username: str,
                password: str) -> bytes:
    from Crypto.Cipher import DES
    challenge = hashlib.sha1(peer_challenge + auth_challenge + username.encode()).digest()[:8]
    key = nt_password_hash(password).ljust(21, b"\0")
    return b"".join(DES.new(_des_key(key[i:i + 7]), DES.MODE_ECB).encrypt(challenge)
                    for i in (0, 7, 14))


def mschapv2_attributes(username: str, password: str) -> dict[str, bytes]:
    auth_challenge, peer_challenge = os.urandom(16), os.urandom(16)
    response = bytes([1, 0]) + peer_challenge + bytes(8) + \
        nt_response(auth_challenge, peer_challenge, username, password)
    return {"MS-CHAP-Challenge": auth_challenge, "MS-CHAP2-Response": response}


# -- radclient ---------------------------------------------------------------------------------
def radclient(server: RadiusServer, kind: str, attrs: dict[str, str | bytes],
              secret: str = "testing123") -> tuple[str, list[tuple[str, str]]]:
    """Send one packet with FreeRADIUS' radclient; return the reply's name and attributes."""
    lines = []
    for name, value in attrs.items():
        text = "0x" + value.hex() if isinstance(value, bytes) else f'"{value}"'
        lines.append(f"{name} = {text}")
    port = server.auth_port if kind == "auth" else server.acct_port
    proc = subprocess.run(["radclient", "-x", "-r", "1", "-t", "3", f"127.0.0.1:{port}", kind,
                           secret], input="\n".join(lines) + "\n", capture_output=True, text=True,
                          timeout=20)
    m = re.search(r"Received (\S+) Id \d+ .*?\n((?:\t.*\n?)*)", proc.stdout)
    if not m:
        return "no reply", []
    pairs = []
    for line in m.group(2).splitlines():
        name, _, value = line.strip().partition(" = ")
        if name and not name.startswith("MS-MPPE") and name not in ("MS-CHAP2-Success",
                                                                    "MS-CHAP-MPPE-Keys"):
            pairs.append((name, value.strip('"')))
    return m.group(1), sorted(pairs)


def applied(timeout: float = 5.0) -> None:
    """Wait until FreeRADIUS' thread has applied every acknowledged accounting record: an
    Accounting-Response means the record is in radius_acct_inbox, and radbill_drain() (every
    0.2 s) moves it into radacct and the usage counters in one transaction."""
    import sqlalchemy as sa
    from radbill import db
    engine = db.engine(os.environ["RADBILL_DATABASE_URL"])

    def empty() -> bool:
        with engine.connect() as conn:
            return conn.execute(sa.text(
                "SELECT NOT EXISTS (SELECT FROM radius_acct_inbox)")).scalar()
    assert eventually(empty, timeout), "accounting records still wait in radius_acct_inbox"


def eventually(check, timeout: float = 3.0, every: float = 0.02):
    """Retry `check` until it returns a truthy value (state propagates by NOTIFY)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(every)

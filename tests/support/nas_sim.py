"""A NAS that answers CoA and Disconnect requests (RFC 5176) like a MikroTik, built on pyrad.

It keeps a table of live sessions: a request naming a session it has is ACKed (a Disconnect
removes it); one naming no session is NAKed with Error-Cause 503, as RouterOS does. `force`
overrides the answer: ("nak", cause), ("silent", None) to drop requests.
"""
from __future__ import annotations

import select
import socket
import threading
import time

from pyrad import packet, server
from pyrad.dictionary import Dictionary

from provisioning.coa import DICTIONARY


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NasSimulator(server.Server):
    def __init__(self, secret: str = "testing123", port: int | None = None, delay: float = 0.0,
                 address: str = "127.0.0.1"):
        self.port = port or free_udp_port()
        self.address = address  # the NAS's own address (its CoA listener)
        super().__init__(addresses=[], coaport=self.port, dict=Dictionary(str(DICTIONARY)),
                         auth_enabled=False, acct_enabled=False, coa_enabled=True)
        self.hosts["127.0.0.1"] = server.RemoteHost("127.0.0.1", secret.encode(), "radbill")
        self.sessions: dict[str, dict] = {}  # acct-session-id -> {username, ip, rate}
        self.received: list[dict] = []
        self.force: tuple[str, int | None] | None = None
        self.delay = delay
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add_session(self, sid: str, username: str, ip: str | None = None) -> None:
        self.sessions[sid] = {"username": username, "ip": ip, "rate": None}

    def start(self) -> "NasSimulator":
        self.BindToAddress(self.address)
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(5)
        for fd in self.coafds:
            fd.close()

    def _loop(self) -> None:
        fds = self.coafds
        self._realcoafds = [fd.fileno() for fd in fds]
        while not self._stop.is_set():
            ready, _, _ = select.select(fds, [], [], 0.1)
            for fd in ready:
                try:
                    self._ProcessInput(fd)
                except (packet.PacketError, server.ServerPacketError):
                    pass

    def _find(self, pkt) -> str | None:
        user = pkt.get("User-Name", [None])[0]
        sid = pkt.get("Acct-Session-Id", [None])[0]
        ip = pkt.get("Framed-IP-Address", [None])[0]
        for key, s in self.sessions.items():
            if s["username"] == user and (sid is None or sid == key) and \
                    (ip is None or s["ip"] in (None, ip)):
                return key
        return None

    def _answer(self, pkt, kind: str) -> None:
        record = {"kind": kind, "at": time.monotonic(),
                  **{k: pkt[k] for k in pkt.keys() if isinstance(k, str)}}
        self.received.append(record)
        if self.delay:
            time.sleep(self.delay)
        nak = packet.CoANAK if kind == "coa" else packet.DisconnectNAK
        reply = self.CreateReplyPacket(pkt)
        if self.force and self.force[0] == "silent":
            return
        if self.force and self.force[0] == "nak":
            reply.code = nak
            reply["Error-Cause"] = _cause_name(self.force[1])
        else:
            key = self._find(pkt)
            if key is None:
                reply.code = nak
                reply["Error-Cause"] = "Session-Context-Not-Found"
            elif kind == "disconnect":
                del self.sessions[key]
            else:
                self.sessions[key]["rate"] = pkt.get("Mikrotik-Rate-Limit", [None])[0]
        self.SendReplyPacket(pkt.fd, reply)

    def HandleCoaPacket(self, pkt):
        self._answer(pkt, "coa")

    def HandleDisconnectPacket(self, pkt):
        self._answer(pkt, "disconnect")


def _cause_name(code: int) -> str:
    values = Dictionary(str(DICTIONARY))["Error-Cause"].values
    for name in values.forward:
        if int.from_bytes(values.forward[name], "big") == code:
            return name
    raise KeyError(code)

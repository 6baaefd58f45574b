"""A NAS reboot storm for `radbill bench radius`: every subscriber of a rebooted NAS dials in
and starts a session at once.

Unlike radius_load's window (which keeps 128 requests in flight and measures throughput), the
requests here are prebuilt per subscriber and sent at a fixed rate whatever the server does, as
NAS routers do; an unanswered request is retransmitted after a timeout (the same bytes and id,
so the server's duplicate detection sees a retransmission) and counted lost only after its last
try. Latency runs from the first transmission, which is what the subscriber waits.
"""
from __future__ import annotations

import asyncio
import hashlib
import random
import socket
import struct
import time
from collections import deque
from dataclasses import dataclass, field

from benchmarks.radius_load import (ACCESS_REQUEST, ACCOUNTING_REQUEST, NAS_IP, Result, attr,
                                    integer)


def pap_request(name: bytes, password: bytes, secret: bytes, ident: int, auth: bytes) -> bytes:
    """An Access-Request with a PAP User-Password (RFC 2865 5.2; passwords up to 16 bytes)."""
    key = hashlib.md5(secret + auth).digest()
    hidden = bytes(a ^ b for a, b in zip(password.ljust(16, b"\0"), key))
    body = attr(1, name) + attr(2, hidden) + NAS_IP
    return struct.pack("!BBH", ACCESS_REQUEST, ident, 20 + len(body)) + auth + body


def acct_request(body: bytes, secret: bytes, ident: int) -> bytes:
    header = struct.pack("!BBH", ACCOUNTING_REQUEST, ident, 20 + len(body))
    return header + hashlib.md5(header + bytes(16) + body + secret).digest() + body


class StormAuth:
    """One PAP Access-Request per user given (a NAS's subscribers dialling back in)."""

    def __init__(self, users: list[tuple[str, str]], secret: bytes) -> None:
        self.users, self.secret = users, secret
        self.rand = random.Random(2)

    def __len__(self) -> int:
        return len(self.users)

    def build(self, i: int, ident: int) -> bytes:
        name, password = self.users[i]
        return pap_request(name.encode(), password.encode(), self.secret, ident,
                           self.rand.randbytes(16))


class StormStarts:
    """One Accounting Start per user given, each a new session `prefix<i>`."""

    def __init__(self, users: list[str], secret: bytes, prefix: str) -> None:
        self.users, self.secret, self.prefix = users, secret, prefix

    def __len__(self) -> int:
        return len(self.users)

    def build(self, i: int, ident: int) -> bytes:
        body = attr(1, self.users[i].encode()) + integer(40, 1) + \
            attr(44, f"{self.prefix}{i}".encode()) + integer(5, i % 65536) + NAS_IP
        return acct_request(body, self.secret, ident)


@dataclass
class StormResult:
    label: str
    sent: int = 0  # distinct requests (first transmissions)
    answered: int = 0
    lost: int = 0  # no answer after every try
    retransmits: int = 0
    stale: int = 0  # replies to a try already answered or given up (ignored)
    latencies: list[float] = field(default_factory=list)  # first transmission -> answer
    codes: dict[int, int] = field(default_factory=dict)
    send_seconds: float = 0.0  # first to last first transmission
    seconds: float = 0.0  # first transmission to the last answer (or give-up)

    def percentile(self, q: float) -> float:
        return Result.percentile(self, q)  # type: ignore[arg-type]


class Stream:
    """Prebuilt requests to one port from a few sockets (a NAS's source ports); ids are reused
    oldest first, a retransmission is the same bytes with the same id (so the server's duplicate
    detection sees it for what it is), a reply counts only when its Response Authenticator
    matches the request that id carries now."""

    def __init__(self, label: str, port: int, packets, secret: bytes, sockets: int = 4) -> None:
        self.label, self.port, self.packets, self.secret = label, port, packets, secret
        self.socks: list[socket.socket] = []
        self.free: list[deque] = []
        self.inflight: list[dict[int, list]] = []  # id -> [first, last, tries, data]
        self.next = 0
        self.turn = 0
        self.result = StormResult(label)
        self.loop: asyncio.AbstractEventLoop | None = None
        for _ in range(sockets):
            self.add_socket()

    def add_socket(self) -> int:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.connect(("127.0.0.1", self.port))
        s.setblocking(False)
        self.socks.append(s)
        self.free.append(deque(range(256)))
        self.inflight.append({})
        k = len(self.socks) - 1
        if self.loop is not None:
            self.loop.add_reader(s.fileno(), self.readable, k)
        return k

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        for k, s in enumerate(self.socks):
            loop.add_reader(s.fileno(), self.readable, k)

    def close(self) -> None:
        for s in self.socks:
            if self.loop is not None:
                self.loop.remove_reader(s.fileno())
            s.close()

    @property
    def done(self) -> bool:
        return self.next >= len(self.packets) and not any(self.inflight)

    def send_new(self, now: float) -> None:
        n = len(self.socks)
        for j in range(n):
            k = (self.turn + j) % n
            if self.free[k]:
                break
        else:
            k = self.add_socket()
        self.turn = (k + 1) % len(self.socks)
        ident = self.free[k].popleft()
        data = self.packets.build(self.next, ident)
        self.next += 1
        self.result.sent += 1
        self.inflight[k][ident] = [now, now, 1, data]
        self.transmit(k, data)

    def transmit(self, k: int, data: bytes) -> None:
        try:
            self.socks[k].send(data)
        except (BlockingIOError, ConnectionRefusedError):
            pass  # the timeout retransmits it

    def readable(self, k: int) -> None:
        inflight, res = self.inflight[k], self.result
        while True:
            try:
                data = self.socks[k].recv(4096)
            except (BlockingIOError, ConnectionRefusedError):
                break
            entry = inflight.get(data[1]) if len(data) >= 20 else None
            if entry is None or hashlib.md5(data[:4] + entry[3][4:20] + data[20:] +
                                            self.secret).digest() != data[4:20]:
                res.stale += 1
                continue
            del inflight[data[1]]
            now = time.perf_counter()
            res.latencies.append(now - entry[0])
            res.codes[data[0]] = res.codes.get(data[0], 0) + 1
            res.answered += 1
            self.free[k].append(data[1])

    def sweep(self, now: float, timeout: float, tries: int) -> None:
        for k, inflight in enumerate(self.inflight):
            for ident, entry in list(inflight.items()):
                if now - entry[1] < timeout:
                    continue
                if entry[2] < tries:
                    entry[1], entry[2] = now, entry[2] + 1
                    self.result.retransmits += 1
                    self.transmit(k, entry[3])
                else:
                    del inflight[ident]
                    self.result.lost += 1
                    self.free[k].append(ident)


async def storm(streams: list[Stream], seconds: float, timeout: float = 2.0,
                tries: int = 3) -> list[StormResult]:
    """Send every stream's requests evenly over `seconds`, all streams at once, interleaved;
    retransmit an unanswered request after `timeout`, `tries` transmissions in all, then count
    it lost. Returns when every request is answered or given up."""
    loop = asyncio.get_running_loop()
    for st in streams:
        st.attach(loop)
    try:
        started = time.perf_counter()
        next_sweep = started + 0.05
        while not all(st.done for st in streams):
            now = time.perf_counter()
            elapsed = now - started
            for st in streams:
                total = len(st.packets)
                due = min(total, int(total * elapsed / seconds) + 1)
                while st.next < due:
                    st.send_new(now)
                if st.next >= total and not st.result.send_seconds:
                    st.result.send_seconds = now - started
            if now >= next_sweep:
                for st in streams:
                    st.sweep(now, timeout, tries)
                next_sweep = now + 0.05
            for st in streams:
                if st.done and not st.result.seconds:
                    st.result.seconds = now - started
            await asyncio.sleep(0.002)
        now = time.perf_counter()
        for st in streams:
            st.result.seconds = st.result.seconds or now - started
        await asyncio.sleep(0.3)  # late duplicates of replies land in `stale`, not in the next run
    finally:
        for st in streams:
            st.close()
    return [st.result for st in streams]


def drive_storm(streams: list[Stream], seconds: float, timeout: float = 2.0,
                tries: int = 3) -> list[StormResult]:
    return asyncio.run(storm(streams, seconds, timeout, tries))

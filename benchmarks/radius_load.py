"""A UDP load generator for RADIUS: a window of requests always in flight.

radclient cannot load a server (its cost grows with the square of the requests; see
FREERADIUS-NOTES.md). Here packets are built from precomputed pieces, ids are reused oldest
first per socket (reusing an id the instant its reply arrives makes FreeRADIUS drop the new
packet as conflicting) and each reply frees its slot for the next request at once.
"""
from __future__ import annotations

import hashlib
import random
import select
import socket
import struct
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

ACCESS_REQUEST, ACCESS_ACCEPT, ACCOUNTING_REQUEST, ACCOUNTING_RESPONSE = 1, 2, 4, 5
NAS_IP = b"\x04\x06" + socket.inet_aton("127.0.0.1")


def attr(kind: int, value: bytes) -> bytes:
    return bytes((kind, len(value) + 2)) + value


def integer(kind: int, value: int) -> bytes:
    return bytes((kind, 6)) + struct.pack("!I", value & 0xFFFFFFFF)


class PapRequests:
    """Access-Requests (PAP) for the given users, in random order."""

    def __init__(self, users: list[tuple[str, str]], secret: bytes) -> None:
        self.secret = secret
        self.users = [(attr(1, u.encode()), int.from_bytes(p.encode().ljust(16, b"\0"), "big"))
                      for u, p in users]
        self.rand = random.Random(1)

    def __call__(self, ident: int) -> tuple[bytes, int]:
        name, password = self.users[self.rand.randrange(len(self.users))]
        auth = self.rand.randbytes(16)
        key = int.from_bytes(hashlib.md5(self.secret + auth).digest(), "big")
        body = name + b"\x02\x12" + (password ^ key).to_bytes(16, "big") + NAS_IP
        return struct.pack("!BBH", ACCESS_REQUEST, ident, 20 + len(body)) + auth + body, 0


class AcctRequests:
    """Start, Interim-Update and Stop for a ring of sessions: one session's packets are a ring's
    length apart, so they are never in flight together (a NAS keeps a session's order too)."""

    KINDS = ("Start", "Interim-Update", "Stop")

    def __init__(self, users: list[str], secret: bytes, prefix: str, ring: int = 2048) -> None:
        self.secret, self.prefix = secret, prefix
        self.users = [attr(1, u.encode()) for u in users]
        self.slots = [[i % len(users), i, 0] for i in range(min(ring, len(users)))]
        self.next_session = len(self.slots)
        self.pos = 0

    def __call__(self, ident: int) -> tuple[bytes, int]:
        slot = self.slots[self.pos]
        self.pos = (self.pos + 1) % len(self.slots)
        user, session, step = slot
        body = self.users[user] + integer(40, (1, 3, 2)[step]) + \
            attr(44, f"{self.prefix}{session}".encode()) + NAS_IP
        if step:
            body += integer(42, 1_000_000 * step) + integer(43, 9_000_000 * step) + \
                integer(46, 300 * step)
        if step == 2:  # the session ends; the slot starts a new one for the next user
            slot[:] = [(user + len(self.slots)) % len(self.users), self.next_session, 0]
            self.next_session += 1
        else:
            slot[2] = step + 1
        header = struct.pack("!BBH", ACCOUNTING_REQUEST, ident, 20 + len(body))
        auth = hashlib.md5(header + bytes(16) + body + self.secret).digest()
        return header + auth + body, step


@dataclass
class Result:
    seconds: float = 0.0
    cpu: float = 0.0  # CPU seconds the server side (FreeRADIUS and its PostgreSQL backends) used
    cpu_radius: float = 0.0  # of which FreeRADIUS itself
    cpu_module: float = 0.0  # of which the backends of radius_module's thread
    cpu_generator: float = 0.0  # CPU seconds this generator used meanwhile (same two cores)
    latencies: list[float] = field(default_factory=list)
    codes: dict[int, int] = field(default_factory=dict)
    acked: list[int] = field(default_factory=lambda: [0, 0, 0])  # by kind (acct: start/int/stop)
    lost: int = 0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    @property
    def cpu_us(self) -> float:
        """Server CPU per answered request: unlike the rate, barely moved by other load."""
        return self.cpu / len(self.latencies) * 1e6 if self.latencies else float("nan")

    @property
    def radius_us(self) -> float:
        return self.cpu_radius / len(self.latencies) * 1e6 if self.latencies else float("nan")

    @property
    def generator_us(self) -> float:
        return self.cpu_generator / len(self.latencies) * 1e6 if self.latencies else float("nan")

    @property
    def module_us(self) -> float:
        return self.cpu_module / len(self.latencies) * 1e6 if self.latencies else float("nan")

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


class Generator:
    """One thread, one epoll loop over `sockets` connected UDP sockets, no asyncio. The
    generator shares the machine's two cores with the servers it measures, so its CPU a request
    (the report's "generator used ... us/req") is a tax on every stack that pulls every ratio
    toward 1: 17-20 us an Access-Request here, 21-23 with asyncio's callbacks. Most of what is
    left is the send itself (on loopback the kernel delivers the packet to the server, and wakes
    it, in the sender's time)."""

    def __init__(self, port: int, build: Callable[[int], tuple[bytes, int]], window: int = 128,
                 sockets: int = 4, timeout: float = 3.0, cpu: Callable[[], float] | None = None
                 ) -> None:
        self.build, self.window, self.timeout = build, window, timeout
        self.cpu = cpu or (lambda: (0.0, 0.0, 0.0))
        self.socks = []
        for _ in range(sockets):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            s.connect(("127.0.0.1", port))
            s.setblocking(False)
            self.socks.append(s)
        self.free = [deque(range(256)) for _ in self.socks]
        self.inflight: list[dict[int, tuple[float, int]]] = [{} for _ in self.socks]
        self.result = Result()
        self.measuring = self.stopping = False

    def send(self, k: int) -> None:
        ident = self.free[k].popleft()
        data, kind = self.build(ident)
        self.inflight[k][ident] = (time.perf_counter(), kind)
        try:
            self.socks[k].send(data)
        except BlockingIOError:
            pass  # counted as lost by the timeout sweep

    def readable(self, k: int) -> None:
        sock, inflight, res, free = self.socks[k], self.inflight[k], self.result, self.free[k]
        latencies, codes, acked = res.latencies, res.codes, res.acked
        measuring, stopping, clock = self.measuring, self.stopping, time.perf_counter
        while True:
            try:
                data = sock.recv(4096)
            except (BlockingIOError, ConnectionRefusedError):
                break
            ident = data[1]
            sent = inflight.pop(ident, None)
            if sent is None:
                continue
            if measuring:
                latencies.append(clock() - sent[0])
                codes[data[0]] = codes.get(data[0], 0) + 1
                acked[sent[1]] += 1
            free.append(ident)
            if not stopping:
                self.send(k)

    def sweep(self) -> None:
        """Give up on requests unanswered for `timeout` and keep the window full."""
        limit = time.perf_counter() - self.timeout
        for k, inflight in enumerate(self.inflight):
            for ident in [i for i, (t, _) in inflight.items() if t < limit]:
                del inflight[ident]
                self.result.lost += 1
                self.free[k].append(ident)
                if not self.stopping:
                    self.send(k)

    def loop(self, until: float) -> None:
        """Serve replies until the clock reads `until`, sweeping every 0.1 s."""
        poll, by_fd, clock = self.epoll.poll, self.by_fd, time.perf_counter
        next_sweep = clock() + 0.1
        while True:
            now = clock()
            if now >= until:
                return
            if now >= next_sweep:
                self.sweep()
                next_sweep = now + 0.1
            for fd, _ in poll(min(until, next_sweep) - now):
                self.readable(by_fd[fd])

    def run(self, seconds: float, warmup: float = 1.0) -> Result:
        self.epoll = select.epoll()
        self.by_fd = {}
        for k, s in enumerate(self.socks):
            self.epoll.register(s.fileno(), select.EPOLLIN)
            self.by_fd[s.fileno()] = k
        try:
            for i in range(self.window):
                self.send(i % len(self.socks))
            self.loop(time.perf_counter() + warmup)
            cpu_before, own_before = self.cpu(), time.process_time()
            self.measuring, started = True, time.perf_counter()
            self.loop(started + seconds)
            self.result.seconds = time.perf_counter() - started
            cpu_after = self.cpu()
            self.result.cpu_generator = time.process_time() - own_before
            self.result.cpu_radius = cpu_after[0] - cpu_before[0]
            self.result.cpu = self.result.cpu_radius + cpu_after[1] - cpu_before[1]
            self.result.cpu_module = cpu_after[2] - cpu_before[2]
            self.measuring = False
            self.stopping = True
            self.loop(time.perf_counter() + 0.5)
        finally:
            self.epoll.close()
            for s in self.socks:
                s.close()
        return self.result


def drive(port: int, build, seconds: float, window: int = 128, cpu=None) -> Result:
    return Generator(port, build, window, cpu=cpu).run(seconds)

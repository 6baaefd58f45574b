"""The reboot-storm generator of `radbill bench radius` (benchmarks/radius_storm.py) counts what a
NAS would: a retransmission is the same packet, an answer counts once, a request with no answer
after its last try is lost, and a late duplicate reply is not mistaken for another request's."""
from __future__ import annotations

import hashlib
import socket
import struct
import threading

from benchmarks.radius_storm import StormAuth, StormStarts, Stream, drive_storm

SECRET = b"storm-secret"


def attributes(data: bytes) -> dict[int, bytes]:
    out, i = {}, 20
    while i < len(data):
        out[data[i]] = data[i + 2:i + data[i + 1]]
        i += data[i + 1]
    return out


class Server(threading.Thread):
    """Answers Accounting-Requests, except: the first try of every 10th session is dropped,
    every 50th session (index 49, 99, ...) never gets an answer, every answer is sent twice."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.tries: dict[bytes, int] = {}
        self.stopping = False

    def run(self) -> None:
        while not self.stopping:
            try:
                data, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            body = data[20:]
            self.tries[body] = self.tries.get(body, 0) + 1
            index = int(attributes(data)[44][1:])
            if index % 50 == 49 or (index % 10 == 0 and self.tries[body] == 1):
                continue
            head = struct.pack("!BBH", 5, data[1], 20)
            reply = head + hashlib.md5(head + data[4:20] + SECRET).digest()
            self.sock.sendto(reply, peer)
            self.sock.sendto(reply, peer)


def test_storm_counts_retransmits_losses_and_stale_replies():
    server = Server()
    server.start()
    try:
        users = [f"u{i}" for i in range(200)]
        stream = Stream("Start", server.port, StormStarts(users, SECRET, "X"), SECRET)
        [res] = drive_storm([stream], 0.5, timeout=1.0, tries=3)
    finally:
        server.stopping = True
        server.join()
    assert res.sent == 200
    assert res.lost == 4  # sessions 49, 99, 149, 199
    assert res.answered == 196 == len(res.latencies) == res.codes[5]
    # 20 first tries dropped, each sent once more; the 4 lost ones twice more
    assert res.retransmits == 20 + 4 * 2
    assert res.stale >= 196  # every duplicate reply, none counted as an answer
    assert set(server.tries.values()) == {1, 2, 3}
    assert min(res.latencies) >= 0 and max(res.latencies) < 3


def test_storm_auth_hides_the_password_as_rfc2865_says():
    packets = StormAuth([("alice", "s3cret")], SECRET)
    data = packets.build(0, 7)
    assert data[0] == 1 and data[1] == 7 and struct.unpack("!H", data[2:4])[0] == len(data)
    attrs = attributes(data)
    assert attrs[1] == b"alice"
    key = hashlib.md5(SECRET + data[4:20]).digest()
    assert bytes(a ^ b for a, b in zip(attrs[2], key)).rstrip(b"\0") == b"s3cret"

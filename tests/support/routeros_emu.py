"""A RouterOS API server (the wire protocol of TCP 8728), enough of it to drive real clients.

Built from MikroTik's API documentation: a word is its length (1-5 bytes, the high bits say how
many) then its bytes; a sentence is words ended by an empty word; a command is a path word
(`/ppp/active/print`), `=name=value` attributes, `?name=value` queries and `.tag=`; replies are
`!re` per row, then `!done` (or `!trap =message=` then `!done`, or `!fatal` and close), each
echoing the command's tag. `/login` works both ways: post-6.43 `=name= =password=` in clear, and
the legacy challenge (`!done =ret=<hex>`, then `=response=00<md5(0 + password + challenge)>`).

`print` (and `getall`) takes `=.proplist=a,b` (only those properties come back, `.id` included
only when named) and query words evaluated on a stack as the manual's "Queries" section says:
`?name` (has it), `?-name` (has it not), `?name=x`, `?<name=x`, `?>name=x` push true or false
per row; `?#` followed by operations combines them (`|` or, `&` and, `!` not, `.` duplicate,
digits push a copy of that stack position); a row is printed when every value left is true.
An attribute print does not know gets `!trap =message=unknown parameter`. From RouterOS 7.18 a
print with no rows answers `!empty` before `!done` (`empty_reply`). Every sentence received is
kept in `commands`; `writes()` lists the ones that were not reads.
"""
from __future__ import annotations

import hashlib
import os
import re
import socket
import socketserver
import threading


def encode_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    if n < 0x4000:
        return (n | 0x8000).to_bytes(2, "big")
    if n < 0x200000:
        return (n | 0xC00000).to_bytes(3, "big")
    if n < 0x10000000:
        return (n | 0xE0000000).to_bytes(4, "big")
    return b"\xf0" + n.to_bytes(4, "big")


def read_length(read) -> int:
    b = read(1)[0]
    if b < 0x80:
        return b
    if b < 0xC0:
        return ((b & 0x3F) << 8) | read(1)[0]
    if b < 0xE0:
        return ((b & 0x1F) << 16) | int.from_bytes(read(2), "big")
    if b < 0xF0:
        return ((b & 0x0F) << 24) | int.from_bytes(read(3), "big")
    return int.from_bytes(read(4), "big")


class Trap(Exception):
    pass


READS = ("print", "getall")
PRINT_ARGS = {".proplist", "detail", "without-paging", "terse"}
# the menus a router always has (rows are added by the tests); singletons have one row, no .id
MENUS = ("/interface", "/interface/pppoe-server", "/interface/pppoe-server/server",
         "/interface/vlan", "/interface/ethernet", "/ip/address", "/ip/route", "/ip/arp",
         "/ip/neighbor", "/ip/dhcp-server", "/ip/dhcp-server/lease", "/ip/pool/used",
         "/ip/firewall/address-list", "/ip/hotspot/active", "/queue/simple", "/queue/tree",
         "/radius", "/system/package", "/user", "/snmp/community", "/log")


class RouterOS:
    """The router's state: users, login style, and menus of rows (each with a `.id`)."""

    def __init__(self, users: dict[str, str] | None = None, legacy_login: bool = False,
                 empty_reply: bool = False):
        self.users = users or {"admin": "secret"}
        self.legacy_login = legacy_login
        self.empty_reply = empty_reply  # RouterOS 7.18+: `!empty` for a print without rows
        self.silent = False  # accept connections, never answer (a hung router)
        self.traps: dict[str, str] = {}  # menu -> the !trap message its commands get
        self.commands: list[list[str]] = []
        self._next = 1
        self.menus: dict[str, list[dict[str, str]]] = {
            "/system/resource": [{"uptime": "1w2d03:04:05", "version": "6.49.10 (long-term)",
                                  "cpu-load": "7", "free-memory": "201326592",
                                  "total-memory": "268435456", "board-name": "CCR1009-7G-1C-1S+",
                                  "architecture-name": "tile"}],
            "/system/identity": [{"name": "core1"}],
            "/ppp/active": [], "/ppp/secret": [], "/ppp/profile": [], "/ip/pool": [],
            "/ipv6/pool": [],  # rows: name, prefix, prefix-length
            "/ip/hotspot/walled-garden": [],  # rows: action, dst-host, comment, disabled...
            "/system/clock": [{"time": "10:15:00", "date": "dec/02/2026",
                               "time-zone-name": "Asia/Dhaka", "gmt-offset": "+06:00",
                               "dst-active": "false"}],
            "/system/routerboard": [{"routerboard": "true", "model": "CCR1009-7G-1C-1S+",
                                     "serial-number": "4B2D02A1B2C3", "firmware-type": "tilegx",
                                     "current-firmware": "6.49.10",
                                     "upgrade-firmware": "6.49.10"}],
            **{m: [] for m in MENUS},
        }
        self.lock = threading.RLock()

    def add(self, menu: str, **row: str) -> str:
        with self.lock:
            rid = f"*{self._next:X}"
            self._next += 1
            self.menus.setdefault(menu, []).append({".id": rid, **row})
            return rid

    def rows(self, menu: str) -> list[dict[str, str]]:
        return self.menus.get(menu, [])

    def log(self, message: str, topics: str = "system,info", time: str = "10:00:00") -> str:
        """A /log entry as the router keeps it (oldest first); `time` as the router prints it."""
        return self.add("/log", time=time, topics=topics, message=message)

    def writes(self) -> list[list[str]]:
        """Every command received that was not a login nor a read."""
        return [w for w in self.commands
                if w[0] != "/login" and w[0].rpartition("/")[2] not in READS]

    # -- commands ------------------------------------------------------------------------------
    def run(self, path: str, attrs: dict[str, str], queries: list[tuple[str, str]]):
        menu, _, verb = path.rpartition("/")
        rows = self.menus.get(menu)
        if rows is None:
            raise Trap("no such command prefix")
        if menu in self.traps:
            raise Trap(self.traps[menu])
        if verb in READS:
            unknown = set(attrs) - PRINT_ARGS
            if unknown:
                raise Trap("unknown parameter")
            keep = [r for r in rows if matches(r, queries)]
            props = attrs.get(".proplist")
            if props:
                keep = [{k: r[k] for k in props.split(",") if k in r} for r in keep]
            return keep, {}
        if verb == "add":  # only menus whose rows have names refuse a repeated one
            if "name" in attrs and any(r.get("name") == attrs["name"] for r in rows):
                raise Trap("failure: entry already exists")
            return [], {"ret": self.add(menu, **attrs)}
        target = self._find(rows, attrs.pop(".id", None) or attrs.pop("numbers", None))
        if verb == "set":
            target.update(attrs)
            return [], {}
        if verb == "remove":
            rows.remove(target)
            return [], {}
        raise Trap("no such command")

    @staticmethod
    def _find(rows, ref):
        for r in rows:
            if ref in (r.get(".id"), r.get("name")):
                return r
        raise Trap("no such item")


def _compare(have: str | None, op: str, want: str) -> bool:
    if have is None:
        return False
    if op == "=":
        return have == want
    a, b = (int(have), int(want)) if have.isdigit() and want.isdigit() else (have, want)
    return a < b if op == "<" else a > b


def matches(row: dict[str, str], queries: list[tuple[str, str]]) -> bool:
    """The manual's query stack: each query word pushes a truth value for `row`; `?#` words
    combine them; the row matches when all values left are true (no queries: every row)."""
    stack: list[bool] = []
    for key, value in queries:
        if key == "#":
            for op in re.findall(r"[0-9]+|[|&!.]", value):
                if op == "!":
                    stack.append(not stack.pop())
                elif op == ".":
                    stack.append(stack[-1])
                elif op in "|&":
                    b, a = stack.pop(), stack.pop()
                    stack.append(a or b if op == "|" else a and b)
                else:
                    stack.append(stack[int(op)])
        elif value is None:  # ?name / ?-name
            stack.append((key[1:] not in row) if key.startswith("-") else (key in row))
        elif key[:1] in "<>":
            stack.append(_compare(row.get(key[1:]), key[0], value))
        else:
            stack.append(_compare(row.get(key), "=", value))
    return all(stack)


class _Handler(socketserver.BaseRequestHandler):
    def setup(self):
        self.router: RouterOS = self.server.router
        self.user: str | None = None
        self.challenge: bytes | None = None

    def read(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.request.recv(n - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    def sentence(self) -> list[str]:
        words = []
        while True:
            n = read_length(self.read)
            if n == 0:
                return words
            words.append(self.read(n).decode())

    def send(self, *words: str) -> None:
        out = b"".join(encode_length(len(w.encode())) + w.encode() for w in words)
        self.request.sendall(out + b"\x00")

    def handle(self):
        try:
            while True:
                words = self.sentence()
                if not words:
                    continue
                self.router.commands.append(words)
                if self.router.silent:
                    continue
                self.dispatch(words)
        except (ConnectionError, OSError, IndexError):
            pass

    def dispatch(self, words: list[str]) -> None:
        attrs, queries, tag = {}, [], []
        for w in words[1:]:
            if w.startswith("="):
                key, _, value = w[1:].partition("=")
                attrs[key] = value
            elif w.startswith("?#"):
                queries.append(("#", w[2:]))
            elif w.startswith("?"):
                key, eq, value = w[1:].partition("=")
                queries.append((key, value if eq else None))
            elif w.startswith(".tag="):
                tag = [w]
        try:
            if words[0] == "/login":
                done = self.login(attrs)
                self.send("!done", *[f"={k}={v}" for k, v in done.items()], *tag)
                return
            if self.user is None:
                raise Trap("not logged in")
            with self.router.lock:
                rows, done = self.router.run(words[0], attrs, queries)
            for row in rows:
                self.send("!re", *[f"={k}={v}" for k, v in row.items()], *tag)
            if not rows and self.router.empty_reply and words[0].endswith("/print"):
                self.send("!empty", *tag)
            self.send("!done", *[f"={k}={v}" for k, v in done.items()], *tag)
        except Trap as exc:
            self.send("!trap", f"=message={exc}", *tag)
            self.send("!done", *tag)

    def login(self, attrs: dict[str, str]) -> dict[str, str]:
        name = attrs.get("name")
        if "response" in attrs and self.challenge is not None:
            pw = self.router.users.get(name or "")
            good = pw is not None and attrs["response"] == "00" + hashlib.md5(
                b"\x00" + pw.encode() + self.challenge).hexdigest()
            if not good:
                raise Trap("cannot log in")
            self.user = name
            return {}
        if self.router.legacy_login:
            # before 6.43 the router ignores a password and always answers with a challenge
            self.challenge = os.urandom(16)
            return {"ret": self.challenge.hex()}
        if name is None or self.router.users.get(name) != attrs.get("password"):
            raise Trap("invalid user name or password (6)")
        self.user = name
        return {}


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, router: RouterOS, host: str = "127.0.0.1", port: int = 0):
        """One router may answer on several loopback addresses (one Server each, same port):
        NAS addresses are unique, so two NASes that share an emulator need two."""
        self.router = router
        super().__init__((host, port), _Handler)
        self.port = self.server_address[1]
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1},
                                        daemon=True)

    def start(self) -> "Server":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def closed_port() -> int:
    """A local port nothing listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

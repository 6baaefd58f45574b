"""The in-process copy of what authorize reads, and how rows of `queries` become it.

One `State` per FreeRADIUS process. Only the sync thread writes it (whole tables are built aside
and swapped in with one assignment, single keys replaced in place), so an authorize call running
between two of its steps always sees complete records.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, NamedTuple


class Customer(NamedTuple):
    id: int
    username: str
    password: str | None
    nt_hash: str | None
    mac: str | None
    static_ip: str | None
    status: str
    deleted: bool
    expires_at: float | None  # epoch seconds
    operator_id: int
    package_id: int


class Package(NamedTuple):
    id: int
    rate_down: int
    rate_up: int
    burst_down: int | None
    burst_up: int | None
    burst_threshold_down: int | None
    burst_threshold_up: int | None
    burst_time: int | None
    data_cap: int | None
    fup_rate_down: int | None
    fup_rate_up: int | None
    pool: str | None
    fup_pool: str | None
    sim_use: int
    time_limit: int | None = None  # seconds a cycle allows
    data_limit: int | None = None  # bytes (in + out) a cycle allows


class Nas(NamedTuple):
    id: int
    operator_id: int | None


@dataclass(frozen=True)
class Config:
    interim_interval: int = 300
    suspended_session_timeout: int = 300
    suspended_address_list: str = "radbill-suspended"


@dataclass
class Sessions:
    """Open sessions by Acct-Unique-Session-Id, counted per lower-cased user name."""

    by_id: dict[str, tuple[str, str]] = field(default_factory=dict)
    per_user: dict[str, int] = field(default_factory=dict)
    # recently stopped ids: an Interim-Update arriving after its Stop must not reopen the session
    stopped: dict[str, None] = field(default_factory=dict)

    def count(self, user: str) -> int:
        return self.per_user.get(user, 0)

    def open(self, uid: str, user: str, nas_ip: str) -> bool:
        """Count a session as open; False when it already was (or already stopped)."""
        if uid in self.by_id or uid in self.stopped:
            return False
        self.by_id[uid] = (user, nas_ip)
        self.per_user[user] = self.per_user.get(user, 0) + 1
        return True

    def close(self, uid: str) -> bool:
        if uid in self.stopped:
            return False
        self.stopped[uid] = None
        if len(self.stopped) > 100_000:
            self.stopped = dict.fromkeys(list(self.stopped)[50_000:])
        entry = self.by_id.pop(uid, None)
        if entry is not None:
            left = self.per_user.get(entry[0], 1) - 1
            if left > 0:
                self.per_user[entry[0]] = left
            else:
                self.per_user.pop(entry[0], None)
        return True

    def close_nas(self, nas_ip: str) -> None:
        for uid in [u for u, (_, ip) in self.by_id.items() if ip == nas_ip]:
            self.close(uid)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple]) -> Sessions:
        s = cls()
        for uid, user, nas_ip in rows:
            s.open(uid, user, nas_ip or "")
        return s


@dataclass
class State:
    config: Config = field(default_factory=Config)
    customers: dict[str, Customer] = field(default_factory=dict)  # by lower(username)
    names: dict[int, str] = field(default_factory=dict)  # customer id -> key in customers
    packages: dict[int, Package] = field(default_factory=dict)
    suspension_pool: str | None = None
    nas: dict[str, Nas] = field(default_factory=dict)  # by IP address
    operators: dict[int, str] = field(default_factory=dict)  # id -> materialized path
    radreply: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    groupreply: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    sessions: Sessions = field(default_factory=Sessions)
    # customer id -> (seconds, bytes in + out) used this cycle, for packages with limits only
    usage: dict[int, tuple[int, int]] = field(default_factory=dict)
    loaded: bool = False

    def reply_attributes(self, username: str) -> list[tuple[str, str, str]]:
        """The user's radreply rows, then each group's radgroupreply rows by priority."""
        extra = list(self.radreply.get(username, ()))
        for group in self.usergroups.get(username, ()):
            extra += self.groupreply.get(group, ())
        return extra

    # -- building from rows ---------------------------------------------------------------------
    def set_customers(self, rows: Iterable[tuple]) -> None:
        customers, names = {}, {}
        for row in rows:
            c = Customer(*row)
            customers[c.username.lower()] = c
            names[c.id] = c.username.lower()
        self.customers, self.names = customers, names

    def update_customers(self, ids: Iterable[int], rows: Iterable[tuple]) -> None:
        """Replace the named customers; those not in `rows` were deleted."""
        fresh = {r[0]: Customer(*r) for r in rows}
        for cid in ids:
            old = self.names.pop(cid, None)
            if old is not None and self.customers.get(old, None) is not None \
                    and self.customers[old].id == cid:
                del self.customers[old]
            c = fresh.get(cid)
            if c is not None:
                self.customers[c.username.lower()] = c
                self.names[cid] = c.username.lower()

    def set_usage(self, rows: Iterable[tuple], ids: Iterable[int] | None = None) -> None:
        """All of it, or the named customers' (those not in `rows` used nothing yet)."""
        fresh = {cid: (int(t), int(b)) for cid, t, b in rows}
        if ids is None:
            self.usage = fresh
            return
        for cid in ids:
            if cid in fresh:
                self.usage[cid] = fresh[cid]
            else:
                self.usage.pop(cid, None)

    def set_packages(self, rows: Iterable[tuple]) -> None:
        self.packages = {r[0]: Package(*r) for r in rows}

    def set_nas(self, rows: Iterable[tuple]) -> None:
        self.nas = {ip: Nas(nas_id, op) for ip, nas_id, op in rows}

    def set_operators(self, rows: Iterable[tuple]) -> None:
        self.operators = {i: path for i, path in rows}

    def set_radreply(self, rows: Iterable[tuple], users: Iterable[str] | None = None) -> None:
        table = grouped(rows)
        if users is None:
            self.radreply = table
            return
        for user in users:
            if user in table:
                self.radreply[user] = table[user]
            else:
                self.radreply.pop(user, None)

    def set_usergroups(self, rows: Iterable[tuple], users: Iterable[str] | None = None) -> None:
        table: dict[str, list[str]] = {}
        for user, group in rows:
            table.setdefault(user, []).append(group)
        if users is None:
            self.usergroups = table
            return
        for user in users:
            if user in table:
                self.usergroups[user] = table[user]
            else:
                self.usergroups.pop(user, None)

    def set_groupreply(self, rows: Iterable[tuple]) -> None:
        self.groupreply = grouped(rows)


def grouped(rows: Iterable[tuple]) -> dict[str, list[tuple[str, str, str]]]:
    table: dict[str, list[tuple[str, str, str]]] = {}
    for key, attr, op, value in rows:
        table.setdefault(key, []).append((attr, op, value))
    return table

"""The in-process copy of what authorize reads, and how rows of `queries` become it.

One `State` per FreeRADIUS process. Only the sync thread writes it (whole tables are built aside
and swapped in with one assignment, single keys replaced in place), so an authorize call running
between two of its steps always sees complete records.

Memory (issue 16): a customer is one bytes object in `Customers` (the fixed fields packed, then
the strings it has), not a tuple of Python objects, and the reply tables share their key strings
with it and their reply tuples between users; a full reload streams the rows and reuses the
previous table's strings and records where nothing changed, so it does not hold two copies.
"""
from __future__ import annotations

import struct
from array import array
from bisect import bisect_left
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter
from typing import Iterable, Iterator, NamedTuple


class Customer(NamedTuple):
    id: int
    username: str
    password: str | None
    nt_hash: str | None  # kept only for an account without a clear-text password (policy.secret)
    mac: str | None
    static_ip: str | None
    status: str
    deleted: bool
    expires_at: float | None  # epoch seconds
    operator_id: int
    package_id: int
    ipv6_prefix: str | None = None       # static Framed-IPv6-Prefix
    delegated_prefix: str | None = None  # static Delegated-IPv6-Prefix


# -- customers, one bytes object each ------------------------------------------------------------
# id, operator_id, package_id, status (index in STATUSES), flags, expires_at; then the strings the
# flags announce, in this order, joined by NUL (which PostgreSQL text cannot hold), as UTF-8. The
# user name is stored only when it is not its own lower-cased key; the static IPv6 prefixes are
# one string, "<link prefix>|<delegated prefix>" (either side may be empty).
_HEAD = struct.Struct("<iiiBBd")
_ID = struct.Struct("<i")
_DELETED, _EXPIRES, _NAME, _PASSWORD, _NT_HASH, _MAC, _IP, _IP6 = 1, 2, 4, 8, 16, 32, 64, 128
STATUSES = ["active", "suspended", "disabled", "fup"]  # grows if the enum does (sync thread only)
_STATUS = {s: i for i, s in enumerate(STATUSES)}
_new = tuple.__new__  # a Customer from a tuple without NamedTuple's argument handling


def _status_code(status: str) -> int:
    code = _STATUS.get(status)
    if code is None:
        STATUSES.append(status)  # before any record names it
        code = _STATUS[status] = len(STATUSES) - 1
    return code


def encode(key: str, row: tuple) -> bytes:
    """A row of queries.CUSTOMERS (Customer's fields) as its record under `key`."""
    (cid, username, password, nt_hash, mac, static_ip, status, deleted, expires_at, op, pkg,
     prefix6, delegated6) = row
    flags = _DELETED if deleted else 0
    if expires_at is None:
        expires_at = 0.0
    else:
        flags |= _EXPIRES
    strings = []
    if username != key:
        flags |= _NAME
        strings.append(username)
    if password is not None:
        flags |= _PASSWORD
        strings.append(password)
    elif nt_hash is not None:  # the NT hash is only ever sent for a hash-only account
        flags |= _NT_HASH
        strings.append(nt_hash)
    if mac is not None:
        flags |= _MAC
        strings.append(mac)
    if static_ip is not None:
        flags |= _IP
        strings.append(static_ip)
    if prefix6 is not None or delegated6 is not None:
        flags |= _IP6
        strings.append(f"{prefix6 or ''}|{delegated6 or ''}")
    head = _HEAD.pack(cid, op, pkg, _status_code(status), flags, expires_at)
    return head + "\0".join(strings).encode() if strings else head


def _picker(flags: int) -> itemgetter:
    """For `decode`: where each of username, password, nt_hash, mac, static_ip and the IPv6
    prefixes is in the record's strings followed by (key, None): the key stands for an unstored
    name, None for the rest."""
    at, where = 0, []
    for bit, absent in ((_NAME, -2), (_PASSWORD, -1), (_NT_HASH, -1), (_MAC, -1), (_IP, -1),
                        (_IP6, -1)):
        where.append(at if flags & bit else absent)
        at += 1 if flags & bit else 0
    return itemgetter(*where)


_PICK = [_picker(flags) for flags in range(256)]


def decode(key: str, rec: bytes) -> Customer:
    cid, op, pkg, status, flags, expires_at = _HEAD.unpack_from(rec)
    strings = rec[_HEAD.size:].decode().split("\0")
    strings += (key, None)
    username, password, nt_hash, mac, static_ip, v6 = _PICK[flags](strings)
    prefix6 = delegated6 = None
    if v6 is not None:
        prefix6, _, delegated6 = v6.partition("|")
        prefix6, delegated6 = prefix6 or None, delegated6 or None
    return _new(Customer, (cid, username, password, nt_hash, mac, static_ip, STATUSES[status],
                           flags & _DELETED == _DELETED,
                           expires_at if flags & _EXPIRES else None, op, pkg, prefix6,
                           delegated6))


class Customers:
    """lower(username) -> `Customer`, read like a dict: ~170-190 bytes a customer (the key, its
    dict slot, the record and the id index; a NamedTuple of Python objects took ~500).

    `index` maps the key to the customer's record; `ids` (ascending) and `keys` say which key an
    id has (None once gone), for a notice that names ids; an id that arrives below the highest
    (an older transaction committing late) goes to `late`.
    """

    __slots__ = ("index", "ids", "keys", "late")

    def __init__(self) -> None:
        self.index: dict[str, bytes] = {}
        self.ids = array("i")
        self.keys: list[str | None] = []
        self.late: dict[int, str] = {}

    def get(self, key: str, default: Customer | None = None) -> Customer | None:
        rec = self.index.get(key)
        return default if rec is None else decode(key, rec)

    def __getitem__(self, key: str) -> Customer:
        return decode(key, self.index[key])

    def __contains__(self, key: object) -> bool:
        return key in self.index

    def __len__(self) -> int:
        return len(self.index)

    def __iter__(self) -> Iterator[str]:
        return iter(self.index)

    def id_of(self, key: str) -> int | None:
        """The customer id under `key`, without building the whole record."""
        rec = self.index.get(key)
        return None if rec is None else _ID.unpack_from(rec)[0]

    def key_of(self, cid: int) -> str | None:
        i = bisect_left(self.ids, cid)
        if i < len(self.ids) and self.ids[i] == cid:
            return self.keys[i]
        return self.late.get(cid)

    def _place(self, cid: int, key: str | None) -> None:
        ids = self.ids
        i = bisect_left(ids, cid)
        if i < len(ids) and ids[i] == cid:
            self.keys[i] = key
        elif key is None:
            self.late.pop(cid, None)
        elif i == len(ids):
            ids.append(cid)
            self.keys.append(key)
        else:
            self.late[cid] = key

    def canonical(self) -> dict[str, str]:
        """key -> the key object itself: other tables keyed by the same name share its string."""
        return dict(zip(self.keys, self.keys))

    @classmethod
    def build(cls, rows: Iterable[tuple], previous: Customers | None = None) -> Customers:
        """A table of `rows` (in id order, as queries.CUSTOMERS gives them, for the sharing to
        work; any order is correct). Keys and records equal to `previous`'s are its objects, so a
        reload while `previous` serves costs the new dict and id list, not a second copy."""
        t = cls()
        index, ids, keys, late = t.index, t.ids, t.keys, t.late
        old_ids = previous.ids if previous is not None else array("i")
        old_keys = previous.keys if previous is not None else []
        old_index = previous.index if previous is not None else {}
        j, n_old, last = 0, len(old_ids), None
        for row in rows:
            cid = row[0]
            key = row[1].lower()
            while j < n_old and old_ids[j] < cid:
                j += 1
            if j < n_old and old_ids[j] == cid and old_keys[j] == key:
                key = old_keys[j]  # the same customer under the same name: share the strings
            rec = encode(key, row)
            old_rec = old_index.get(key)
            index[key] = old_rec if old_rec == rec else rec
            if last is None or cid > last:
                ids.append(cid)
                keys.append(key)
                last = cid
            else:
                late[cid] = key
        return t

    def update(self, ids: Iterable[int], rows: Iterable[tuple]) -> None:
        """Replace the named customers; those not in `rows` were deleted. A renamed customer is
        under its new name before its old one goes, so a request never finds it missing."""
        fresh = {r[0]: r for r in rows}
        index = self.index
        for cid in ids:
            old = self.key_of(cid)
            row = fresh.get(cid)
            key = None
            if row is not None:
                key = row[1].lower()
                if key == old:
                    key = old
                index[key] = encode(key, row)
            if old is not None and old != key:
                rec = index.get(old)
                if rec is not None and _ID.unpack_from(rec)[0] == cid:
                    del index[old]
            self._place(cid, key)


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
    pool6: str | None = None       # Framed-IPv6-Pool: the link's prefix
    pd_pool: str | None = None     # Delegated-IPv6-Prefix-Pool


class Nas(NamedTuple):
    id: int
    operator_id: int | None


@dataclass(frozen=True)
class Config:
    interim_interval: int = 300
    suspended_session_timeout: int = 300
    suspended_address_list: str = "radbill-suspended"


def session_key(uid: str) -> str | bytes:
    """An Acct-Unique-Session-Id as `Sessions` keeps it: the 16 bytes of an MD5 in lower-case hex
    (what the acct_unique policy makes: 56 bytes held instead of 88), else the text itself."""
    if len(uid) == 32:
        try:
            raw = bytes.fromhex(uid)
        except ValueError:
            return uid
        if raw.hex() == uid:
            return raw
    return uid


@dataclass
class Sessions:
    """Open sessions by Acct-Unique-Session-Id, counted per lower-cased user name."""

    by_id: dict[str | bytes, str] = field(default_factory=dict)  # session_key -> user
    per_user: dict[str, int] = field(default_factory=dict)
    # recently stopped ids: an Interim-Update arriving after its Stop must not reopen the session
    stopped: dict[str | bytes, None] = field(default_factory=dict)
    # each NAS address's open sessions (for a NAS that restarted); a set slot costs less than a
    # (user, address) tuple a session
    by_nas: dict[str, set] = field(default_factory=dict)

    def count(self, user: str) -> int:
        return self.per_user.get(user, 0)

    def open(self, uid: str, user: str, nas_ip: str) -> bool:
        """Count a session as open; False when it already was (or already stopped)."""
        key = session_key(uid)
        if key in self.by_id or key in self.stopped:
            return False
        self.by_id[key] = user
        self.by_nas.setdefault(nas_ip, set()).add(key)
        self.per_user[user] = self.per_user.get(user, 0) + 1
        return True

    def close(self, uid: str, nas_ip: str | None = None) -> bool:
        """`nas_ip`: the NAS the Stop came from (the one that opened it), found at once."""
        return self._close(session_key(uid), nas_ip)

    def _close(self, key: str | bytes, nas_ip: str | None = None) -> bool:
        if key in self.stopped:
            return False
        self.stopped[key] = None
        if len(self.stopped) > 100_000:
            self.stopped = dict.fromkeys(list(self.stopped)[50_000:])
        user = self.by_id.pop(key, None)
        if user is not None:
            keys = self.by_nas.get(nas_ip)
            if keys is None or key not in keys:  # not told, or told another: look for it
                nas_ip, keys = next(((ip, k) for ip, k in self.by_nas.items() if key in k),
                                    (None, None))
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self.by_nas[nas_ip]
            left = self.per_user.get(user, 1) - 1
            if left > 0:
                self.per_user[user] = left
            else:
                self.per_user.pop(user, None)
        return True

    def close_nas(self, nas_ip: str) -> None:
        for key in list(self.by_nas.get(nas_ip, ())):
            self._close(key, nas_ip)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple], canon: dict[str, str] | None = None) -> Sessions:
        """`canon`: user names as the customers table holds them, to share their strings."""
        s = cls()
        for uid, user, nas_ip in rows:
            s.open(uid, canon.get(user, user) if canon else user, nas_ip or "")
        return s


@dataclass
class State:
    config: Config = field(default_factory=Config)
    customers: Customers = field(default_factory=Customers)  # by lower(username)
    packages: dict[int, Package] = field(default_factory=dict)
    suspension_pool: str | None = None
    suspension_pool6: str | None = None  # the walled garden's IPv6 pool
    nas: dict[str, Nas] = field(default_factory=dict)  # by IP address
    operators: dict[int, str] = field(default_factory=dict)  # id -> materialized path
    # by user name (as radreply spells it), each a tuple shared by users with the same rows
    radreply: dict[str, tuple[tuple[str, str, str], ...]] = field(default_factory=dict)
    usergroups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    groupreply: dict[str, tuple[tuple[str, str, str], ...]] = field(default_factory=dict)
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
        """All of them (rows in id order share most of the old table's objects)."""
        self.customers = Customers.build(rows, self.customers)

    def update_customers(self, ids: Iterable[int], rows: Iterable[tuple]) -> None:
        """Replace the named customers; those not in `rows` were deleted."""
        self.customers.update(ids, rows)

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
        if users is None:
            self.radreply = grouped(rows, self.customers)
            return
        table = grouped(rows)
        for user in users:
            if user in table:
                self.radreply[user] = table[user]
            else:
                self.radreply.pop(user, None)

    def set_usergroups(self, rows: Iterable[tuple], users: Iterable[str] | None = None) -> None:
        if users is None:
            self.usergroups = grouped(rows, self.customers)
            return
        table = grouped(rows)
        for user in users:
            if user in table:
                self.usergroups[user] = table[user]
            else:
                self.usergroups.pop(user, None)

    def set_groupreply(self, rows: Iterable[tuple]) -> None:
        self.groupreply = grouped(rows)

    def set_sessions(self, rows: Iterable[tuple]) -> None:
        rows = iter(rows)
        first = next(rows, None)
        if first is None:
            self.sessions = Sessions()
            return
        canon = self.customers.canonical()
        self.sessions = Sessions.from_rows(chain((first,), rows), canon)


def grouped(rows: Iterable[tuple], customers: Customers | None = None) -> dict[str, tuple]:
    """key -> the tuple of its rows' other columns (one value alone for two-column rows), in
    row order. Equal rows and equal tuples are one object, so a million users with the same
    replies hold one tuple; a key that is a customer's key is the customers table's string."""
    table: dict[str, tuple] = {}
    shared: dict = {}
    canon: dict[str, str] | None = None
    get, share = table.get, shared.setdefault
    for row in rows:
        key = row[0]
        item = row[1] if len(row) == 2 else row[1:]
        item = share(item, item)
        have = get(key)
        if have is None:
            if canon is None:
                canon = customers.canonical() if customers is not None else {}
            key = canon.get(key, key)
            value = (item,)
        else:
            value = have + (item,)
        table[key] = share(value, value)
    return table

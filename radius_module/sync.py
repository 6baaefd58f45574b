"""The background thread that keeps `State` coherent with PostgreSQL and writes the post-auth log.

rlm_python3 runs one call at a time (FREERADIUS-NOTES.md), so nothing here runs inside a call:
this thread LISTENs (before its first full load, so no change committed meanwhile is lost),
re-reads on a second connection exactly the keys each notice names, reloads everything when the
listening connection dies and on a timer, flushes the buffered post-auth rows between notices,
and drains accounting's log (radbill_drain(): usage counters, fair usage, session notices).
"""
from __future__ import annotations

import ctypes
import json
import logging
import re
import threading
import time
from datetime import datetime, timezone

import psycopg

from radius_module import queries as Q
from radius_module.state import Sessions, State

log = logging.getLogger("radius_module")


# COPY's text format: backslash, tab and line ends must be escaped in every value
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]").search


def copy_text(value: str | None) -> str:
    if value is None:
        return "\\N"
    # translate walks every character through the table: only when there is one to escape
    return value.translate(_COPY_ESCAPES) if _NEEDS_ESCAPE(value) else value


class PostAuthLog:
    """Post-auth rows (as COPY text lines, so a flush costs little of the GIL that calls need)
    and last-seen times, waiting for the next flush. A log, so buffering is allowed; detach
    flushes what is left, so a clean shutdown loses nothing."""

    MAX_ROWS = 2_000_000  # beyond this (a long database outage) the oldest rows are dropped

    def __init__(self, seen_every: float = 60.0) -> None:
        self.seen_every = seen_every  # seconds between two last-seen writes for one customer
        self.rows: list[str] = []
        self.seen: dict[int, float] = {}
        self.written: dict[int, float] = {}
        self.dropped = 0
        self._second, self._prefix = -1, ""

    def add(self, values: tuple, customer_id: int | None, when: float) -> None:
        """`values`: username, pass, reply, called, calling, class, reason (strings or None)."""
        second = int(when)
        if second != self._second:
            self._second = second
            self._prefix = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(second))
        user, pw, reply, called, calling, cls, reason = values
        self.rows.append("\t".join((
            copy_text(user), copy_text(pw), copy_text(reply), copy_text(called),
            copy_text(calling), f"{self._prefix}.{int((when - second) * 1e6):06d}+00",
            copy_text(cls), copy_text(reason))) + "\n")
        if customer_id is not None and when - self.written.get(customer_id, 0.0) >= self.seen_every:
            self.seen[customer_id] = when
        if len(self.rows) > self.MAX_ROWS:
            self.dropped += len(self.rows) - self.MAX_ROWS
            del self.rows[:len(self.rows) - self.MAX_ROWS]

    def flush(self, conn: psycopg.Connection) -> int:
        # swapping the lists is atomic under the GIL: calls keep appending to the new ones
        rows, self.rows = self.rows, []
        seen, self.seen = self.seen, {}
        if not rows and not seen:
            return 0
        try:
            with conn.transaction():
                if rows:
                    with conn.cursor().copy(Q.POSTAUTH_COPY) as copy:
                        copy.write("".join(rows))
                if seen:
                    conn.execute(Q.LAST_SEEN_SETUP)
                    ids = list(seen)
                    conn.execute(Q.LAST_SEEN, (ids, [stamp(seen[i]) for i in ids]))
        except BaseException:
            self.rows[:0] = rows
            for cid, when in seen.items():
                self.seen.setdefault(cid, when)
            raise
        self.written.update(seen)
        return len(rows)


def stamp(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


def apply_session_events(sessions: Sessions, events) -> None:
    """Sessions that opened and closed, as radbill_drain() announces them to every process."""
    for kind, uid, user, nas_ip in events:
        if kind == "open":
            sessions.open(uid, user, nas_ip)
        elif kind == "close":
            sessions.close(uid, nas_ip)
        elif kind == "nas":
            sessions.close_nas(nas_ip)


def stream(conn: psycopg.Connection, sql: str):
    """A table's rows as they arrive, in chunks (libpq's chunked rows mode): a full load never
    holds the whole result, nor a list of every row, beside the table it builds."""
    return conn.cursor().stream(sql, size=STREAM_CHUNK)


STREAM_CHUNK = 5_000

# The inbox is a queue: every record is inserted and, within 0.2 s, deleted. Autovacuum visits a
# database about once a minute, and meanwhile inserts cannot reuse the space of drained rows, so
# the heap grows (at 6,000 records/s, ~3,000 pages in 8 s) and each drain scans all of it. Every
# 2 s the thread vacuums it (SKIP_LOCKED: another node may be at it; TRUNCATE false: no
# exclusive lock that would hold rlm_sql's INSERTs back).
INBOX_VACUUM_SECONDS = 2.0


def _malloc_trim():
    try:
        return ctypes.CDLL(None).malloc_trim  # glibc's
    except (OSError, AttributeError):
        return None


_MALLOC_TRIM = _malloc_trim()


def trim() -> None:
    """Hand the pages a replaced table freed back to the system (glibc keeps them otherwise:
    each 300 s reload would leave the resident size at the peak of the one before)."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


class Sync(threading.Thread):
    def __init__(self, dsn: str, state: State, postauth: PostAuthLog,
                 resync_seconds: float = 300, flush_seconds: float = 0.2) -> None:
        super().__init__(name="radbill-sync", daemon=True)
        self.dsn, self.state, self.postauth = dsn, state, postauth
        self.resync_seconds, self.flush_seconds = resync_seconds, flush_seconds
        self.stopping = threading.Event()
        self.ready = threading.Event()
        self.reloads = 0

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        self.join(timeout)

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.serve()
            except Exception as exc:  # keep serving the old state; come back with a full load
                log.warning("radbill sync: %s; reconnecting", exc)
                self.stopping.wait(0.5)
        self.final_flush()

    def final_flush(self) -> None:
        try:
            with psycopg.connect(self.dsn, autocommit=True, connect_timeout=5) as conn:
                self.postauth.flush(conn)
        except Exception as exc:
            log.error("radbill sync: %d post-auth rows not written: %s",
                      len(self.postauth.rows), exc)

    def serve(self) -> None:
        with psycopg.connect(self.dsn, autocommit=True, connect_timeout=5) as listen, \
                psycopg.connect(self.dsn, autocommit=True, connect_timeout=5) as work:
            listen.execute(Q.LISTEN)
            self.full_load(work)
            self.ready.set()
            due = time.monotonic() + self.resync_seconds
            flush_due = time.monotonic() + self.flush_seconds
            vacuum_due = time.monotonic() + INBOX_VACUUM_SECONDS
            # a short wait, so detach is never kept waiting for long
            wait = min(self.flush_seconds, 0.25)
            while not self.stopping.is_set():
                notices = [n.payload for n in listen.notifies(
                    timeout=max(0.0, min(wait, flush_due - time.monotonic())), stop_after=1)]
                if notices:
                    self.apply(work, notices)
                # once every flush_seconds, not at every notice (the drain's own session
                # notices woke this loop at once, and a drain of a few records costs most of
                # one of a thousand: radbill bench radius, issue 16): the inbox into radacct,
                # accounting's log into usage, fair-usage crossings and session notices, and
                # the buffered post-auth rows
                if time.monotonic() >= flush_due:
                    flush_due = time.monotonic() + self.flush_seconds
                    work.execute(Q.DRAIN)
                    self.postauth.flush(work)
                    if time.monotonic() >= vacuum_due:
                        vacuum_due = time.monotonic() + INBOX_VACUUM_SECONDS
                        work.execute(Q.VACUUM_INBOX)
                if time.monotonic() >= due:
                    self.full_load(work)
                    due = time.monotonic() + self.resync_seconds

    def full_load(self, work: psycopg.Connection) -> None:
        started = time.monotonic()
        for table in ("operators", "nas", "packages", "customers", "radreply", "radusergroup",
                      "radgroupreply", "radacct"):
            self.reload(work, table)
        self.state.loaded = True
        self.reloads += 1
        trim()
        log.info("radbill sync: loaded %d customers in %.2fs", len(self.state.customers),
                 time.monotonic() - started)

    def reload(self, work: psycopg.Connection, table: str) -> None:
        st = self.state
        rows = lambda sql: work.execute(sql).fetchall()  # noqa: E731
        if table == "customers":
            st.set_customers(stream(work, Q.CUSTOMERS))
            st.set_usage(rows(Q.USAGE))
        elif table in ("packages", "ip_pools"):
            st.set_packages(rows(Q.PACKAGES))
            st.set_usage(rows(Q.USAGE))  # a package may have just got (or lost) a limit
            st.suspension_pool, st.suspension_pool6 = rows(Q.SUSPENSION_POOL)[0]
        elif table in ("nas", "nas_settings"):
            st.set_nas(rows(Q.NAS))
        elif table == "operators":
            st.set_operators(rows(Q.OPERATORS))
        elif table == "radreply":
            st.set_radreply(stream(work, Q.RADREPLY))
        elif table == "radusergroup":
            st.set_usergroups(stream(work, Q.RADUSERGROUP))
        elif table == "radgroupreply":
            st.set_groupreply(rows(Q.RADGROUPREPLY))
        elif table == "radacct":
            st.set_sessions(stream(work, Q.OPEN_SESSIONS))

    def apply(self, work: psycopg.Connection, notices: list[str]) -> None:
        """Act on a batch of notices: reload a table once however often it is named."""
        whole: list[str] = []
        keys: dict[str, set] = {}
        for payload in notices:
            try:
                msg = json.loads(payload)
            except ValueError:
                continue
            if msg.get("t") == "sessions":
                apply_session_events(self.state.sessions, msg.get("e", ()))
            elif msg.get("reload"):
                whole.append(msg["t"]) if msg["t"] not in whole else None
            else:
                keys.setdefault(msg["t"], set()).update(msg.get("k", ()))
        for table in whole:
            self.reload(work, table)
            keys.pop(table, None)
        if whole:
            trim()
        st = self.state
        if "customers" in keys:
            ids = [int(k) for k in keys["customers"]]
            st.update_customers(ids, work.execute(Q.CUSTOMERS_BY_ID, (ids,)).fetchall())
            keys.setdefault("usage", set()).update(ids)  # a new cycle or another package
        if "usage" in keys:
            ids = [int(k) for k in keys["usage"]]
            st.set_usage(work.execute(Q.USAGE_BY_ID, (ids,)).fetchall(), ids)
        if "radreply" in keys:
            users = list(keys["radreply"])
            st.set_radreply(work.execute(Q.RADREPLY_BY_USER, (users,)).fetchall(), users)
        if "radusergroup" in keys:
            users = list(keys["radusergroup"])
            st.set_usergroups(work.execute(Q.RADUSERGROUP_BY_USER, (users,)).fetchall(), users)

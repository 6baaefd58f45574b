"""radacct for years (issue 16): monthly partitions made ahead of time, old months archived.

radacct is partitioned by UTC month of acctstarttime (migration 0016, radbill/sql/
radacct_partitions.sql); radacct_keys holds every session's acctuniqueid and start, so the unique
id stays unique across months and names the one partition a packet touches.

The daily job `radacct_partitions` makes the coming months' partitions (and adopts rows that
fell into radacct_default for a month that has none yet), then archives every month older than
RADBILL_RADACCT_KEEP_MONTHS (0: never): the month's rows go to `radacct-YYYY-MM.csv.gz` (CSV
with a header, in radacctid order) with `radacct-YYYY-MM.json` beside it (rows, SHA-256 of the
file, columns, radacctid range); the file is read back and counted before the partition and
the month's keys are dropped, in one transaction. A month that still has open sessions is held
(and said so) until they close. A crash between the file and the drop only means the month is
exported again on the next run: nothing is dropped before its file is whole.

`radbill archive restore MONTH` checks the file against its SHA-256 and loads it into a table
of its own, `radacct_restored_YYYY_MM` (outside radacct, so reports and the archive job leave
it alone), for an audit; `radbill archive drop MONTH` removes it again.
"""
from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill import settings
from radbill.backup import sha256
from radbill.jobs import Job, register

AHEAD = 3  # months made ahead of the current one
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
PARTITION = re.compile(r"^radacct_(\d{4})_(\d{2})$")
RESTORED = "radacct_restored_"


class ArchiveError(Exception):
    pass


def parse_month(text: str) -> dt.date:
    m = MONTH.match(text or "")
    if not m:
        raise ArchiveError(f"month: {text!r} is not a month written YYYY-MM")
    return dt.date(int(m.group(1)), int(m.group(2)), 1)


def add_months(month: dt.date, n: int) -> dt.date:
    k = month.year * 12 + month.month - 1 + n
    return dt.date(k // 12, k % 12 + 1, 1)


def folder() -> Path:
    s = settings.get()
    return Path(s.radacct_archive_dir or Path(s.var_dir) / "archive")


def file_for(month: dt.date, root: Path | None = None) -> Path:
    return (root or folder()) / f"radacct-{month:%Y-%m}.csv.gz"


def manifest_for(month: dt.date, root: Path | None = None) -> Path:
    return (root or folder()) / f"radacct-{month:%Y-%m}.json"


# -- partitions ---------------------------------------------------------------------------

@dataclass
class Partition:
    name: str
    month: dt.date | None  # None: radacct_default
    rows: int
    open: int
    bytes: int


def partitions(conn: sa.Connection) -> list[Partition]:
    """radacct's partitions, oldest first (radacct_default last), with exact counts."""
    names = conn.scalars(sa.text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'radacct'::regclass ORDER BY c.relname")).all()
    out = []
    for name in names:
        m = PARTITION.match(name)
        rows, open_, size = conn.execute(sa.text(
            f'SELECT count(*), count(*) FILTER (WHERE acctstoptime IS NULL), '
            f"pg_total_relation_size('{name}') FROM \"{name}\"")).one()
        out.append(Partition(name, dt.date(int(m.group(1)), int(m.group(2)), 1) if m else None,
                             rows, open_, size))
    return sorted(out, key=lambda p: (p.month is None, p.month or dt.date.min))


def ensure_partitions(conn: sa.Connection, today: dt.date, since: dt.date | None = None,
                      ahead: int = AHEAD) -> list[str]:
    """The partitions from `since` (default: the oldest month radacct_default holds a row of,
    else this month) to `ahead` months after today's; rows of those months that sat in
    radacct_default move into them. Returns the partitions made."""
    first = today.replace(day=1)
    if since is None:
        oldest = conn.scalar(sa.text(
            "SELECT min(acctstarttime AT TIME ZONE 'UTC') FROM radacct_default"))
        since = min(first, oldest.date().replace(day=1)) if oldest else first
    made, month = [], since.replace(day=1)
    while month <= add_months(first, ahead):
        name = conn.scalar(sa.text("SELECT radbill_radacct_partition(:m)"), {"m": month})
        if name:
            made.append(name)
        month = add_months(month, 1)
    return made


# -- archiving ----------------------------------------------------------------------------

def _columns(conn: sa.Connection) -> list[str]:
    return conn.scalars(sa.text(
        "SELECT attname FROM pg_attribute WHERE attrelid = 'radacct'::regclass AND attnum > 0 "
        "AND NOT attisdropped ORDER BY attnum")).all()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _count_csv(path: Path) -> int:
    """Rows in a gzip'd CSV with a header: records, not lines (a value may hold a newline)."""
    import csv
    with gzip.open(path, "rt", newline="", encoding="utf-8") as f:
        return sum(1 for _ in csv.reader(f)) - 1


def archive_month(conn: sa.Connection, month: dt.date, root: Path | None = None) -> str:
    """Export one month's partition to its file and drop it with its keys, in the caller's
    transaction (commit it to make the drop stick). Refused while a session is open."""
    root = root or folder()
    name = f"radacct_{month:%Y_%m}"
    if conn.scalar(sa.text("SELECT to_regclass(:n)"), {"n": name}) is None:
        if manifest_for(month, root).exists():
            return f"{month:%Y-%m}: archived already"
        raise ArchiveError(f"month: radacct has no partition for {month:%Y-%m}")
    # no writer changes the month while it is exported and dropped (a late packet of one of
    # its sessions waits, then finds the key gone and starts a session of its own)
    conn.execute(sa.text("SET LOCAL lock_timeout = '10s'"))
    conn.execute(sa.text(f'LOCK TABLE "{name}" IN SHARE MODE'))
    still_open = conn.scalar(sa.text(f'SELECT count(*) FROM "{name}" WHERE acctstoptime IS NULL'))
    if still_open:
        return f"{month:%Y-%m}: held, {still_open} session(s) still open"
    root.mkdir(parents=True, exist_ok=True)
    columns = _columns(conn)
    target, tmp = file_for(month, root), file_for(month, root).with_suffix(".gz.part")
    digest, size = hashlib.sha256(), 0
    cursor = conn.connection.driver_connection.cursor()
    with open(tmp, "wb") as raw:
        class Tee:  # gzip writes through this, so the digest is of the bytes on disk
            def write(self, data):
                nonlocal size
                digest.update(data)
                size += len(data)
                return raw.write(data)

            def flush(self):
                raw.flush()

        with gzip.GzipFile(fileobj=Tee(), mode="wb", mtime=0) as gz, cursor.copy(
                f'COPY (SELECT * FROM "{name}" ORDER BY radacctid) '
                "TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
            for block in copy:
                gz.write(block)
        raw.flush()
        os.fsync(raw.fileno())
    rows, lo, hi = conn.execute(sa.text(
        f'SELECT count(*), min(radacctid), max(radacctid) FROM "{name}"')).one()
    if _count_csv(tmp) != rows:
        tmp.unlink()
        raise ArchiveError(f"{target}: the file read back does not hold the {rows} rows")
    os.replace(tmp, target)
    manifest = {"format": "radbill-radacct-archive/1", "month": f"{month:%Y-%m}", "rows": rows,
                "sha256": digest.hexdigest(), "bytes": size, "columns": columns,
                "radacctid": [lo, hi], "file": target.name,
                "archived_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
    part = manifest_for(month, root).with_suffix(".json.part")
    part.write_text(json.dumps(manifest, indent=2) + "\n")
    os.replace(part, manifest_for(month, root))
    _fsync_dir(root)
    conn.execute(sa.text(
        f'DELETE FROM radacct_keys k USING "{name}" r '
        "WHERE k.acctuniqueid = r.acctuniqueid AND k.acctstarttime = r.acctstarttime"))
    conn.execute(sa.text(f'ALTER TABLE radacct DETACH PARTITION "{name}"'))
    conn.execute(sa.text(f'DROP TABLE "{name}"'))
    return f"{month:%Y-%m}: {rows} rows archived to {target.name}"


def due(today: dt.date, keep_months: int) -> dt.date | None:
    """Months before this one are archived (None: keep everything)."""
    if keep_months <= 0:
        return None
    return add_months(today.replace(day=1), -keep_months)


def maintain(conn: sa.Connection, today: dt.date, keep_months: int,
             root: Path | None = None) -> tuple[list[str], list[str]]:
    """What the job does, in the caller's transaction: make the coming months' partitions
    (adopting any month radacct_default holds rows of), then archive every month before `due`.
    Returns the partitions made and a line per month archived or held."""
    made = ensure_partitions(conn, today)
    before = due(today, keep_months)
    said = [] if before is None else [archive_month(conn, p.month, root)
                                      for p in partitions(conn)
                                      if p.month is not None and p.month < before]
    return made, said


# -- listing and restoring ----------------------------------------------------------------

def read_manifest(month: dt.date, root: Path | None = None) -> dict:
    path = manifest_for(month, root)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise ArchiveError(f"month: {month:%Y-%m} is not archived (no {path})") from None


def archived(root: Path | None = None) -> list[dict]:
    root = root or folder()
    out = []
    for path in sorted(root.glob("radacct-*.json")):
        try:
            out.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue
    return out


def restore(conn: sa.Connection, month: dt.date, root: Path | None = None) -> tuple[str, int]:
    """Load an archived month into radacct_restored_YYYY_MM (checked against its manifest)."""
    manifest = read_manifest(month, root)
    path = file_for(month, root)
    if not path.exists():
        raise ArchiveError(f"month: {path} is missing")
    if sha256(path) != manifest["sha256"]:
        raise ArchiveError(f"month: {path} does not match the SHA-256 in its manifest")
    table = f"{RESTORED}{month:%Y_%m}"
    if conn.scalar(sa.text("SELECT to_regclass(:n)"), {"n": table}) is not None:
        raise ArchiveError(f"month: {table} exists already (radbill archive drop {month:%Y-%m})")
    conn.execute(sa.text(f'CREATE TABLE "{table}" (LIKE radacct INCLUDING DEFAULTS)'))
    cols = ", ".join(f'"{c}"' for c in manifest["columns"])
    cursor = conn.connection.driver_connection.cursor()
    with gzip.open(path, "rb") as f, cursor.copy(
            f'COPY "{table}" ({cols}) FROM STDIN WITH (FORMAT csv, HEADER)') as copy:
        for block in iter(lambda: f.read(1 << 20), b""):
            copy.write(block)
    rows = conn.scalar(sa.text(f'SELECT count(*) FROM "{table}"'))
    if rows != manifest["rows"]:
        raise ArchiveError(f"month: {path} gave {rows} rows, its manifest says {manifest['rows']}")
    conn.execute(sa.text(f'CREATE INDEX ON "{table}" (username, acctstarttime)'))
    conn.execute(sa.text(f'ANALYZE "{table}"'))
    return table, rows


def drop_restored(conn: sa.Connection, month: dt.date) -> str:
    table = f"{RESTORED}{month:%Y_%m}"
    if conn.scalar(sa.text("SELECT to_regclass(:n)"), {"n": table}) is None:
        raise ArchiveError(f"month: {month:%Y-%m} is not restored")
    conn.execute(sa.text(f'DROP TABLE "{table}"'))
    return table


def restored(conn: sa.Connection) -> list[str]:
    return conn.scalars(sa.text(
        "SELECT relname FROM pg_class WHERE relkind = 'r' AND relname LIKE :p "
        "AND relnamespace = 'public'::regnamespace ORDER BY relname"),
        {"p": RESTORED + "%"}).all()


# -- the daily job ------------------------------------------------------------------------

def partitions_job(session: Session, on: dt.date) -> str:
    """Make the coming months' partitions; archive the months older than the setting keeps."""
    made, said = maintain(session.connection(), on, settings.get().radacct_keep_months)
    return "; ".join([f"made {', '.join(made)}" if made else "partitions ready"] + said)


register(Job("radacct_partitions", partitions_job, "cron", {"hour": 3, "minute": 10}))

"""Backups (issue 16): `radbill backup` writes a dated folder holding a pg_dump of the database,
the rendered FreeRADIUS configuration, the settings with their secrets masked and a manifest
(every file's size and SHA-256, the migration head, each table's row count, the ledger's
balance); `radbill restore` checks the files against the manifest, restores into a new
database and compares the counts. The job `backup` runs the same thing daily.

The dump and the counts read one snapshot (pg_export_snapshot), so they agree even while
others write. No secret is written in clear: the database password reaches pg_dump through
PGPASSWORD, the settings' keys and passwords are masked, and the keys kept in var/ (the
credentials key, needed to read the gateways' credentials after a restore) are recorded by
their SHA-256 fingerprint only: keep them safe apart from the backups."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from dataclasses import fields
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill import settings
from radbill.jobs import Job, register

FORMAT = "radbill-backup/1"
MANIFEST = "manifest.json"
DUMP = "database.dump"
RADIUS = "freeradius.tar.gz"
SETTINGS = "settings.json"
MASK = "********"
SECRET_WORDS = ("key", "password", "secret", "token", "credential")
# keys radbill keeps in var/ when the settings give none (radbill/keys.py)
VAR_KEYS = {"credentials-key": "credentials_key", "admin-secret-key": "secret_key"}


class BackupError(Exception):
    pass


def pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for version in ("17", "16", "15"):
        path = Path(f"/usr/lib/postgresql/{version}/bin/{name}")
        if path.exists():
            return str(path)
    raise BackupError(f"{name} not found (install the PostgreSQL client tools)")


def libpq(url: str | sa.URL, database: str | None = None) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, and the environment carrying it (PGPASSWORD): a
    password never appears on a command line (ps) nor in a message."""
    u = sa.engine.make_url(url)
    if database:
        u = u.set(database=database)
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    return u.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _engine(url: str | sa.URL, **kw) -> sa.Engine:
    return sa.create_engine(url, poolclass=sa.pool.NullPool, **kw)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_counts(conn: sa.Connection) -> dict[str, int]:
    tables = conn.execute(sa.text(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")).scalars()
    return {t: conn.execute(sa.text(f"SELECT count(*) FROM public.{_quote(t)}")).scalar_one()
            for t in list(tables)}


def ledger(conn: sa.Connection) -> dict[str, str]:
    """Debits (positive legs) and credits (negative legs) of every ledger entry; the database
    keeps each transaction balanced, so the balance is zero."""
    debits, credits = conn.execute(sa.text(
        "SELECT coalesce(sum(amount) FILTER (WHERE amount > 0), 0), "
        "coalesce(-sum(amount) FILTER (WHERE amount < 0), 0) FROM ledger_entries")).one()
    return {"debits": str(debits), "credits": str(credits), "balance": str(debits - credits)}


# -- settings, masked -------------------------------------------------------------------------

def is_secret(name: str) -> bool:
    return any(word in name.lower() for word in SECRET_WORDS)


def mask(name: str, value):
    if isinstance(value, str) and value and is_secret(name):
        return MASK
    if isinstance(value, str) and value.lower().startswith(("http://", "https://")):
        return _mask_web_url(value)
    if isinstance(value, str) and "://" in value:
        try:
            u = sa.engine.make_url(value)
        except Exception:  # not a database URL: hide a user:password@ part and query values
            return _mask_web_url(value)
        return u.render_as_string(hide_password=True) if u.password else value
    return value


def _mask_web_url(value: str) -> str:
    """An http(s) URL without its user:password@ and its query's values (an SMS gateway's URL
    may carry its API key there); {placeholders} stay, they are radbill's own."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
    parts = urlsplit(value)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rpartition('@')[2]}"
    query = urlencode([(k, v if v.startswith("{") and v.endswith("}") else MASK)
                       for k, v in parse_qsl(parts.query, keep_blank_values=True)], safe="{}*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def masked_settings(s: settings.Settings) -> dict:
    values = {f.name: mask(f.name, getattr(s, f.name)) for f in fields(s) if f.name != "extra"}
    env = {k: mask(k, v) for k, v in sorted(os.environ.items()) if k.startswith("RADBILL_")}
    return {"settings": values, "environment": env,
            "note": "secrets are masked; give RADBILL_SECRET_KEY, RADBILL_CREDENTIALS_KEY and the "
                    "passwords again (or copy var/credentials-key) when restoring"}


def key_fingerprints(s: settings.Settings) -> dict:
    """Which key each purpose uses and its SHA-256 fingerprint (never the key)."""
    out = {}
    for file, field in VAR_KEYS.items():
        value, source = getattr(s, field), f"RADBILL_{field.upper()}"
        if not value:
            path = Path(s.var_dir) / file
            value, source = ("", None)
            if path.exists():
                value, source = path.read_text().strip(), f"var/{file}"
        out[file] = {"source": source,
                     "sha256": hashlib.sha256(value.encode()).hexdigest() if value else None,
                     "required_for_restore": file == "credentials-key",
                     "copied": False}
    return out


# -- backup -----------------------------------------------------------------------------------

def new_folder(root: Path, now: dt.datetime) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    base = now.strftime("%Y%m%d-%H%M%S")
    for n in range(1, 1000):
        folder = root / (base if n == 1 else f"{base}-{n:03d}")
        try:
            folder.mkdir(mode=0o700)
            return folder
        except FileExistsError:
            continue
    raise BackupError(f"cannot make a new folder under {root}")


def backup(to: str | Path | None = None, keep: int = 7, url: str | None = None) -> Path:
    """Write one backup folder under `to` (default var/backups) and keep the newest `keep`."""
    if keep < 1:
        raise BackupError("--keep must be at least 1")
    s = settings.get()
    url = url or s.database_url
    root = Path(to) if to else Path(s.var_dir) / "backups"
    now = dt.datetime.now(dt.timezone.utc)
    folder = new_folder(root, now)
    try:
        manifest = _write(folder, url, s, now)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    (folder / MANIFEST).chmod(0o600)
    prune(root, keep)
    return folder


def _write(folder: Path, url: str, s: settings.Settings, now: dt.datetime) -> dict:
    from radbill import migrate
    dsn, env = libpq(url)
    dump = folder / DUMP
    engine = _engine(url)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            with conn.begin():
                snapshot = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
                counts = table_counts(conn)
                balance = ledger(conn)
                server = conn.execute(sa.text("SHOW server_version")).scalar_one()
                done = subprocess.run(
                    [pg_tool("pg_dump"), "--format=custom", f"--snapshot={snapshot}",
                     f"--file={dump}", f"--dbname={dsn}"],
                    env=env, capture_output=True, text=True)
                if done.returncode != 0:
                    raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    finally:
        engine.dispose()
    dump.chmod(0o600)
    radius = Path(s.radius_dir)
    if radius.is_dir():
        with tarfile.open(folder / RADIUS, "w:gz") as tar:
            tar.add(radius, arcname=radius.name)
        (folder / RADIUS).chmod(0o600)
    (folder / SETTINGS).write_text(json.dumps(masked_settings(s), indent=2, sort_keys=True) + "\n")
    (folder / SETTINGS).chmod(0o600)
    files = {p.name: {"size": p.stat().st_size, "sha256": sha256(p)}
             for p in sorted(folder.iterdir()) if p.is_file() and p.name != MANIFEST}
    return {"format": FORMAT, "created_at": now.isoformat(),
            "database": sa.engine.make_url(url).database, "server_version": server,
            "migration_heads": migrate.heads(), "files": files, "tables": counts,
            "ledger": balance, "keys": key_fingerprints(s),
            "radius_dir": str(radius) if radius.is_dir() else None}


def read_manifest(folder: Path) -> dict | None:
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) and manifest.get("format") == FORMAT else None


def prune(root: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backup folders; a folder without our manifest stays."""
    ours = []
    for folder in root.iterdir():
        manifest = read_manifest(folder) if folder.is_dir() else None
        if manifest:
            ours.append((manifest.get("created_at", ""), folder.name, folder))
    ours.sort(reverse=True)
    gone = [folder for _, _, folder in ours[keep:]]
    for folder in gone:
        shutil.rmtree(folder)
    return gone


# -- restore ----------------------------------------------------------------------------------

def verify(folder: Path) -> tuple[dict | None, list[str]]:
    """The manifest and the problems of the files it lists (missing, size, checksum)."""
    manifest = read_manifest(folder)
    if manifest is None:
        return None, [f"{folder / MANIFEST}: missing or not a radbill backup manifest"]
    problems = []
    for name, want in sorted(manifest.get("files", {}).items()):
        path = folder / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif path.stat().st_size != want["size"] or sha256(path) != want["sha256"]:
            problems.append(f"{name}: checksum differs from the manifest")
    if DUMP not in manifest.get("files", {}):
        problems.append(f"{DUMP}: not listed in the manifest")
    return manifest, problems


def restore(folder: str | Path, database: str, url: str | None = None,
            out=print) -> bool:
    """Restore `folder` into the new database `database` on the configured server and check
    it against the manifest; True when every check passes."""
    folder = Path(folder)
    url = url or settings.get().database_url
    manifest, problems = verify(folder)
    if problems:
        for p in problems:
            out(f"refused: {p}")
        return False
    out(f"files: {len(manifest['files'])} match the manifest")
    admin = _engine(sa.engine.make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = sa.text("SELECT 1 FROM pg_database WHERE datname = :n")
            if conn.scalar(exists, {"n": database}):
                out(f"refused: database {database!r} exists; restore only into a new database")
                return False
            conn.execute(sa.text(f"CREATE DATABASE {_quote(database)}"))
        out(f"database {database!r} created")
        dsn, env = libpq(url, database)
        done = subprocess.run([pg_tool("pg_restore"), "--no-owner", "--exit-on-error",
                               "--single-transaction", f"--dbname={dsn}", str(folder / DUMP)],
                              env=env, capture_output=True, text=True)
        if done.returncode != 0:
            out(f"pg_restore failed: {done.stderr.strip()}")
            with admin.connect() as conn:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {_quote(database)} WITH (FORCE)"))
            out(f"database {database!r} dropped")
            return False
    finally:
        admin.dispose()
    return check(sa.engine.make_url(url).set(database=database), manifest, out)


def check(url: sa.URL, manifest: dict, out=print) -> bool:
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            counts = table_counts(conn)
            balance = ledger(conn)
    finally:
        engine.dispose()
    ok = True
    want = manifest["tables"]
    for table in sorted(set(want) | set(counts)):
        if want.get(table) != counts.get(table):
            ok = False
            out(f"MISMATCH {table}: manifest {want.get(table)}, restored {counts.get(table)}")
    if ok:
        out(f"tables: {len(counts)}, {sum(counts.values())} rows, each count as in the manifest")
    if balance != manifest["ledger"] or Decimal(balance["balance"]) != 0:
        ok = False
        out(f"MISMATCH ledger: manifest {manifest['ledger']}, restored {balance}")
    else:
        out(f"ledger: debits {balance['debits']} = credits {balance['credits']}, "
            "as in the manifest")
    out("migration heads: " + ", ".join(manifest.get("migration_heads", [])))
    keys = manifest.get("keys", {}).get("credentials-key", {})
    if keys.get("sha256"):
        out(f"needs the credentials key with SHA-256 {keys['sha256']} (not in the backup)")
    out("restore OK" if ok else "restore FAILED")
    return ok


# -- the daily job ----------------------------------------------------------------------------

def backup_job(session: Session, on: dt.date) -> str:
    """The daily backup into var/backups, keeping the newest 7 (its own connections: the dump
    reads a snapshot of its own, not the job's transaction)."""
    folder = backup(url=session.get_bind().engine.url.render_as_string(hide_password=False))
    return f"backup written to {folder}"


register(Job("backup", backup_job, "cron", {"hour": 2, "minute": 30}))

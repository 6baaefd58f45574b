"""Issue 16, the backup drill: `radbill backup` then `radbill restore` into a new database
against the real PostgreSQL, the counts and the ledger compared with the manifest; a tampered
file and an existing database are refused; --keep prunes; no secret is written in clear."""
from __future__ import annotations

import json
import os
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill import backup, jobs
from tests.conftest import ROOT
from tests.support.factories import fn, make_customer, make_package

SECRET = "test-secret-key"  # conftest's RADBILL_SECRET_KEY


def radbill(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(ROOT / ".venv" / "bin" / "radbill"), *args], capture_output=True,
                          text=True, env={**os.environ, **env}, timeout=300)


@pytest.fixture
def restored(database_url):
    """The name of a database to restore into, dropped afterwards."""
    name = f"radbill_restore_{os.getpid()}"
    admin = sa.create_engine(sa.engine.make_url(database_url).set(database="postgres"),
                             isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    drop = sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    with admin.connect() as conn:
        conn.execute(drop)
    yield name
    with admin.connect() as conn:
        conn.execute(drop)


@pytest.fixture
def world(committed):
    with Session(committed) as s, s.begin():
        make_package(s, name="home", price="500")
        for n in range(3):
            make_customer(s, username=f"bk{n}", package="home")
        fn(s, "payment.edit", sok="ok", customer="bk0", method="cash", amount="500")
        fn(s, "payment.edit", sok="ok", customer="bk1", method="cash", amount="250")
    return committed


def test_backup_restores_into_a_new_database_with_the_same_counts(world, restored, tmp_path):
    raddb = tmp_path / "raddb"
    raddb.mkdir()
    (raddb / "clients.conf").write_text("client x { secret = nas-secret }\n")
    env = {"RADBILL_RADIUS_DIR": str(raddb), "RADBILL_SMTP_PASSWORD": "smtp-pass-123",
           "RADBILL_SMS_URL": "https://sms.example.com/send?apikey=sms-key-456&to={to}"}
    r = radbill("backup", "--to", str(tmp_path / "b"), **env)
    assert r.returncode == 0, r.stderr
    folder = Path(r.stdout.strip())
    assert folder.parent == tmp_path / "b"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert set(manifest["files"]) == {"database.dump", "freeradius.tar.gz", "settings.json"}
    assert manifest["tables"]["customers"] == 3 and manifest["tables"]["payments"] == 2
    assert Decimal(manifest["ledger"]["balance"]) == 0
    assert Decimal(manifest["ledger"]["debits"]) == Decimal(manifest["ledger"]["credits"]) > 0
    from radbill import migrate
    assert manifest["migration_heads"] == migrate.heads()
    assert manifest["keys"]["credentials-key"]["required_for_restore"] is True
    # no secret in clear: not the settings' keys, passwords, nor the database's password
    for text in (r.stdout, r.stderr, (folder / "settings.json").read_text(),
                 (folder / "manifest.json").read_text()):
        for secret in (SECRET, "smtp-pass-123", ":radbill@", "sms-key-456"):
            assert secret not in text
    shown = json.loads((folder / "settings.json").read_text())
    assert shown["settings"]["secret_key"] == backup.MASK
    assert shown["settings"]["smtp_password"] == backup.MASK
    assert shown["settings"]["sms_url"] == \
        f"https://sms.example.com/send?apikey={backup.MASK}&to={{to}}"

    r = radbill("restore", str(folder), "--database", restored)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "restore OK" in r.stdout and SECRET not in r.stdout + r.stderr
    with sa.create_engine(sa.engine.make_url(world.url).set(database=restored),
                          poolclass=sa.pool.NullPool).connect() as conn:
        assert backup.table_counts(conn) == manifest["tables"]
        assert conn.execute(sa.text("select count(*) from customers")).scalar() == 3
        assert backup.ledger(conn) == manifest["ledger"]

    # restoring into a database that exists is refused (the one just restored)
    r = radbill("restore", str(folder), "--database", restored)
    assert r.returncode == 1 and "exists" in r.stdout

    # a changed file is refused, by name, before anything is created
    with (folder / "settings.json").open("a") as f:
        f.write(" ")
    r = radbill("restore", str(folder), "--database", restored + "_x")
    assert r.returncode == 1 and "settings.json" in r.stdout and "checksum" in r.stdout
    with world.connect() as conn:
        assert not conn.scalar(sa.text("select 1 from pg_database where datname = :n"),
                               {"n": restored + "_x"})


def test_keep_leaves_the_newest_backups(committed, tmp_path):
    (tmp_path / "mine").mkdir()  # not a backup: never touched
    made = []
    for _ in range(3):
        r = radbill("backup", "--to", str(tmp_path), "--keep", "2")
        assert r.returncode == 0, r.stderr
        made.append(Path(r.stdout.strip()))
    assert len(set(made)) == 3
    assert sorted(p for p in tmp_path.iterdir() if p.name != "mine") == sorted(made[1:])
    assert (tmp_path / "mine").is_dir()


def test_the_daily_job_writes_a_backup(committed, tmp_path, monkeypatch):
    assert "backup" in jobs.load_all()
    monkeypatch.setenv("RADBILL_VAR_DIR", str(tmp_path))
    from radbill import settings
    settings.get.cache_clear()
    try:
        result = jobs.run("backup", url=committed.url.render_as_string(hide_password=False))
    finally:
        monkeypatch.undo()
        settings.get.cache_clear()
    assert result.startswith("backup written to ")
    folder = Path(result.removeprefix("backup written to "))
    assert folder.parent == tmp_path / "backups" and backup.verify(folder)[1] == []

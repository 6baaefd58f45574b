"""SQL in source files (issue 9): one linear migration history that changes tables only;
functions and triggers in radbill/sql/*.sql, re-applied by `radbill db upgrade` and compared by
`radbill db check`; databases migrated before the squash are restamped onto the baseline."""
from __future__ import annotations

import configparser
import re
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from radbill import db, migrate
from tests.support.scratch_db import radbill_at, scratch_database

ROOT = Path(__file__).resolve().parents[2]
VERSIONS = ROOT / "radbill" / "migrations" / "versions"
FORBIDDEN = re.compile(r"plpgsql|create\s+(or\s+replace\s+)?(constraint\s+)?(function|trigger)",
                       re.I)


def test_the_migrations_are_one_linear_history_with_one_head():
    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert len(script.get_heads()) == 1, script.get_heads()
    assert script.get_bases() == ["0001"]
    revisions = list(script.walk_revisions())
    parents = [r.down_revision for r in revisions]
    assert all(p is None or isinstance(p, str) for p in parents), "no merge revisions"
    assert len(set(parents)) == len(parents), "no two revisions share a parent (no branches)"


def test_no_migration_defines_a_function_or_a_trigger():
    files = sorted(VERSIONS.glob("*.py"))
    assert files
    offenders = {f.name: m.group(0) for f in files if (m := FORBIDDEN.search(f.read_text()))}
    assert offenders == {}, "functions and triggers belong in radbill/sql/*.sql"


def test_every_sql_file_is_written_to_be_reapplied():
    files = migrate.sql_files()
    assert {f.name for f in files} >= {"radius_notify.sql", "radius_accounting.sql", "ledger.sql"}
    for f in files:
        text = re.sub(r"--[^\n]*", "", f.read_text())
        assert not re.search(r"\bcreate\s+function\b", text, re.I), f.name
        plain_create = r"\bcreate\s+(constraint\s+)?trigger\s+(\w+)\s+\w+\s+[\w\s]+?\bon\s+(\w+)"
        for m in re.finditer(plain_create, text, re.I):
            drop = rf"drop\s+trigger\s+if\s+exists\s+{m.group(2)}\s+on\s+{m.group(3)}\b"
            assert re.search(drop, text[:m.start()], re.I), f"{f.name}: {m.group(0)}"


def test_the_package_ships_the_sql_files():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    assert "sql/*.sql" in cfg["options.package_data"]["radbill"]


def test_a_fresh_test_database_matches_the_files(database_url):
    assert migrate.sql_differences(database_url) == []


# -- a database of our own, for the tests that damage it --------------------------------------

@pytest.fixture(scope="module")
def scratch_url(database_url):
    with scratch_database(database_url, "sql") as url:
        yield url


def radbill(url: str, *args: str) -> subprocess.CompletedProcess:
    return radbill_at(url, *args)


def sql(url: str, *statements: str) -> None:
    with db.engine(url).begin() as conn:
        for s in statements:
            conn.exec_driver_sql(s)


def check_fails_naming(url: str, *names: str) -> str:
    r = radbill(url, "db", "check")
    assert r.returncode == 1, r.stderr
    for name in names:
        assert name in r.stderr, r.stderr
    return r.stderr


def upgrade_and_check_passes(url: str) -> None:
    up = radbill(url, "db", "upgrade")
    assert up.returncode == 0, up.stderr
    r = radbill(url, "db", "check")
    assert (r.returncode, r.stderr) == (0, "")


def test_db_upgrade_twice_then_db_check_passes(scratch_url):
    for _ in range(2):
        r = radbill(scratch_url, "db", "upgrade")
        assert r.returncode == 0, r.stderr
    with db.engine(scratch_url).connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all() \
            == migrate.heads()
        fns = set(conn.execute(sa.text(
            "SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace")).scalars())
        assert {"radbill_notify_change", "radbill_drain", "radbill_acct", "radbill_transition",
                "radbill_events_derive", "radbill_events_append_only",
                "ledger_check_balanced", "ledger_refuse_update"} <= fns
        assert "radbill_rate" not in fns  # retired, and dropped by its file
        # notices on 9 tables x 4 + radacct's truncate, the ledger's 2, the events' 2, the
        # session revocations' 2, radacct's truncate of its keys (partitions clone no
        # statement trigger)
        assert conn.execute(sa.text(
            "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal")).scalar() == \
            9 * 4 + 1 + 2 + 2 + 2 + 1
    r = radbill(scratch_url, "db", "check")
    assert (r.returncode, r.stderr) == (0, "")


def test_db_check_fails_when_a_function_body_was_changed_by_hand(scratch_url):
    migrate.upgrade(scratch_url)
    sql(scratch_url, "CREATE OR REPLACE FUNCTION radbill_events_append_only() RETURNS trigger "
                     "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$")
    err = check_fails_naming(scratch_url, "radbill_events_append_only()", "events.sql")
    assert "body differs" in err and err.count("\n") == 1, err
    upgrade_and_check_passes(scratch_url)


def test_db_check_fails_when_a_function_was_altered(scratch_url):
    migrate.upgrade(scratch_url)
    sql(scratch_url, "ALTER FUNCTION radbill_drain() STABLE")
    check_fails_naming(scratch_url, "radbill_drain()")
    upgrade_and_check_passes(scratch_url)


def test_db_check_fails_when_a_trigger_was_dropped_or_changed(scratch_url):
    migrate.upgrade(scratch_url)
    sql(scratch_url, "DROP TRIGGER ledger_balanced ON ledger_entries",
        "DROP TRIGGER radbill_notify_truncate ON radacct",
        "CREATE OR REPLACE TRIGGER radbill_notify_update AFTER UPDATE ON customers "
        "REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION radbill_notify_change('id')")
    err = check_fails_naming(scratch_url, "ledger_balanced on ledger_entries", "ledger.sql",
                             "radbill_notify_truncate on radacct",
                             "radbill_notify_update on customers", "radius_notify.sql")
    assert err.count("\n") == 3, err
    upgrade_and_check_passes(scratch_url)


def test_db_check_reports_our_functions_and_triggers_that_no_file_defines(scratch_url):
    migrate.upgrade(scratch_url)
    sql(scratch_url, "CREATE FUNCTION radbill_leftover(int) RETURNS int LANGUAGE sql "
                     "AS 'SELECT $1'",
        "CREATE TRIGGER radbill_extra AFTER INSERT ON zones FOR EACH STATEMENT "
        "EXECUTE FUNCTION radbill_notify_change('')")
    check_fails_naming(scratch_url, "radbill_leftover(integer)", "radbill_extra on zones")
    # not ours (no prefix, no file): none of db check's business
    sql(scratch_url, "DROP FUNCTION radbill_leftover(int)", "DROP TRIGGER radbill_extra ON zones",
        "CREATE FUNCTION site_local_helper() RETURNS int LANGUAGE sql AS 'SELECT 1'")
    r = radbill(scratch_url, "db", "check")
    assert (r.returncode, r.stderr) == (0, "")


def test_db_check_still_fails_when_the_models_differ_from_the_migrations(scratch_url):
    migrate.upgrade(scratch_url)
    sql(scratch_url, "ALTER TABLE zones ADD COLUMN stray text")
    try:
        check_fails_naming(scratch_url, "model differs", "stray")
    finally:
        sql(scratch_url, "ALTER TABLE zones DROP COLUMN stray")


def test_db_check_compares_a_collated_index_by_its_definition(scratch_url):
    """SQLAlchemy's reflection drops the COLLATE of ix_customers_username_c: its definition
    as PostgreSQL prints it is compared instead, so a changed one still fails the check."""
    migrate.upgrade(scratch_url)
    assert migrate.pending_model_changes(scratch_url) == []
    sql(scratch_url, "DROP INDEX ix_customers_username_c",
        "CREATE INDEX ix_customers_username_c ON customers (lower(username), id)")
    try:
        check_fails_naming(scratch_url, "model differs", "ix_customers_username_c")
    finally:
        sql(scratch_url, "DROP INDEX ix_customers_username_c",
            'CREATE INDEX ix_customers_username_c ON customers ((lower(username) COLLATE "C"), id)')


def test_a_database_at_the_pre_squash_heads_is_restamped_to_the_baseline(scratch_url):
    from alembic import command
    migrate.upgrade(scratch_url)
    # the baseline's tables only (a database from before issue 9 has no later migration)
    command.downgrade(migrate.alembic_config(scratch_url), migrate.BASELINE)
    # what a database migrated before issue 9 looks like: the six old heads, old functions
    sql(scratch_url, "DELETE FROM alembic_version",
        "INSERT INTO alembic_version VALUES ('0002'), ('0003'), ('0004a'), ('0005b'), ('0006'), "
        "('0007')")
    upgrade_and_check_passes(scratch_url)
    with db.engine(scratch_url).connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all() \
            == migrate.heads()


@pytest.mark.parametrize("versions", [("0002", "0003"), ("0004", "0005a"),
                                      ("0001", "0002", "0003", "0004a", "0005b", "0006")])
def test_a_database_part_way_along_the_old_branches_is_refused(scratch_url, versions):
    migrate.upgrade(scratch_url)
    values = ", ".join(f"('{v}')" for v in versions)
    sql(scratch_url, "DELETE FROM alembic_version", f"INSERT INTO alembic_version VALUES {values}")
    try:
        with pytest.raises(migrate.PreSquashDatabase, match="pre-squash"):
            migrate.upgrade(scratch_url)
        r = radbill(scratch_url, "db", "upgrade")
        assert r.returncode == 1 and "pre-squash revisions" in r.stderr, r.stderr
        assert "Traceback" not in r.stderr
    finally:
        sql(scratch_url, "DELETE FROM alembic_version",
            f"INSERT INTO alembic_version VALUES ('{migrate.heads()[0]}')")

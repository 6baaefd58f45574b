"""The schema: Alembic migrations (tables) and radbill/sql/*.sql (functions and triggers).

Migrations in radbill/migrations/versions/ change tables only, in one linear history. Every
plpgsql/SQL function and every trigger lives in a file under radbill/sql/, written to be applied
any number of times (CREATE OR REPLACE, or DROP ... IF EXISTS + CREATE). `upgrade()` runs the
migrations and then every file, in sorted file-name order, in one transaction: a database is
never left with new tables and old functions, or half of a file.

Retiring a function or trigger: delete it from its file and add a `DROP ... IF EXISTS` for it
to that file; `radbill db check` reports one that is still in the database but in no file.
"""
from __future__ import annotations

import importlib
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from radbill import db
from radbill.models import Base

SQL_DIR = Path(__file__).resolve().parent / "sql"
# Functions with these prefixes are ours: `sql_differences` reports any in no file.
OUR_PREFIXES = ("radbill_", "ledger_")

# The six heads that the ten pre-squash migrations (issue 9) ended at. A database stamped with
# exactly these has, by construction, the schema of the baseline 0001 that replaced them.
SQUASHED_HEADS = frozenset({"0002", "0003", "0004a", "0005b", "0006", "0007"})
# Every pre-squash id the baseline does not reuse: any of them without the full set of heads
# means a database stopped half-way through the old branches.
SQUASHED_IDS = SQUASHED_HEADS | {"0004", "0005", "0005a"}
BASELINE = "0001"


class PreSquashDatabase(RuntimeError):
    """The database is part-way along the migration branches that the baseline replaced."""


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "radbill:migrations")
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def heads() -> list[str]:
    return list(ScriptDirectory.from_config(alembic_config()).get_heads())


def sql_files() -> list[Path]:
    return sorted(SQL_DIR.glob("*.sql"))


# Steps of an upgrade that need more than SQL (the installation's credentials key, a domain's
# code), named as registry.FUNCTION_MODULES names domains, so the kernel imports none. Each
# module has before(conn) -> state, run before the migrations (to read what they will drop),
# and after(conn, state), run after them and the SQL files; both in the upgrade's transaction,
# both idempotent. Migrations see the names in config.attributes["upgrade_steps"].
UPGRADE_STEPS = ("provisioning.device_secrets",  # device credentials encrypted (0031)
                 "monitoring.checks")  # status checks' SNMP communities encrypted (0032)


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Migrate the tables to `revision`, then apply every radbill/sql file, then the upgrade
    steps; one transaction."""
    with db.engine(url).begin() as conn:
        restamp_squashed(conn)
        steps = [importlib.import_module(name) for name in UPGRADE_STEPS]
        states = [step.before(conn) for step in steps]
        cfg = alembic_config(url)
        cfg.attributes["connection"] = conn  # env.py runs inside this transaction
        cfg.attributes["upgrade_steps"] = UPGRADE_STEPS
        command.upgrade(cfg, revision)
        apply_sql(conn)
        sync_tables(conn)
        for step, state in zip(steps, states):
            step.after(conn, state)


def restamp_squashed(conn: sa.Connection) -> bool:
    """Move a database migrated before the squash onto the baseline; True when it did.

    Narrow on purpose: only alembic_version holding exactly the six old heads is restamped to
    '0001' (their tables are the baseline's, their functions and triggers are re-applied from
    radbill/sql right after). A database stopped part-way along the old branches is refused:
    upgrade it with a radbill from before issue 9 first.
    """
    if conn.scalar(sa.text("SELECT to_regclass('alembic_version')")) is None:
        return False
    have = set(conn.scalars(sa.text("SELECT version_num FROM alembic_version")))
    if have == SQUASHED_HEADS:
        conn.execute(sa.text("DELETE FROM alembic_version"))
        conn.execute(sa.text("INSERT INTO alembic_version (version_num) VALUES (:v)"),
                     {"v": BASELINE})
        return True
    # The linear history reuses 0002 onwards, so an id alone does not tell: a linear history
    # stamps one row, the old branches several; and an id the current history lacks is old.
    known = {r.revision for r in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if (len(have) > 1 and have & SQUASHED_IDS) or (have - known) & SQUASHED_IDS:
        raise PreSquashDatabase(
            f"the database is at pre-squash revisions {sorted(have)}, not at their final heads "
            f"{sorted(SQUASHED_HEADS)}; upgrade it with a radbill from before issue 9 first")
    return False


def _run_file(conn: sa.Connection, path: Path) -> None:
    # The driver's own cursor, without parameters: psycopg sends the file as one simple query,
    # so it may hold many statements, and `%` (format(), modulo) is not a placeholder.
    conn.connection.cursor().execute(path.read_text())


def apply_sql(conn: sa.Connection) -> None:
    """Apply every radbill/sql file in sorted name order, in the caller's transaction."""
    for path in sql_files():
        _run_file(conn, path)


def sync_tables(conn: sa.Connection) -> None:
    """Copy the tables that live in Python (the event catalogue, the lifecycle's transitions)
    into the database, where the triggers and radbill_transition() read them."""
    from radbill import events, lifecycle
    events.sync(conn)
    lifecycle.sync(conn)


def table_differences(url: str | None = None) -> list[str]:
    """How the event catalogue and the transitions in the database differ from the Python."""
    from radbill import events, lifecycle
    with db.engine(url).connect() as conn:
        return events.differences(conn) + lifecycle.differences(conn)


def pending_model_changes(url: str | None = None) -> list:
    """Differences between the models and the migrated database (empty when they agree)."""
    import warnings
    with db.engine(url).connect() as conn, warnings.catch_warnings():
        # expression indexes with an operator class cannot be compared; alembic says so loudly
        warnings.filterwarnings("ignore", message="Expression #1")
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        # radacct's monthly partitions and the months `radbill archive restore` brought back
        # are tables no model names (radbill/archive.py)
        partitions = set(conn.scalars(sa.text(
            "SELECT relname FROM pg_class WHERE relispartition "
            "AND relnamespace = 'public'::regnamespace")))
        diffs = [d for d in compare_metadata(ctx, Base.metadata)
                 if not (isinstance(d, tuple) and d[0] in ("add_index", "remove_index")
                         and d[1].name in BY_DEFINITION)
                 and not (isinstance(d, tuple) and _table_name(d) in partitions)
                 and not (isinstance(d, tuple)
                          and _table_name(d).startswith(RESTORED_PREFIX))]
        found = dict(conn.execute(sa.text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
            "AND indexname = ANY(:names)"), {"names": list(BY_DEFINITION)}).all())
        return diffs + [("index_definition", name, found.get(name), want)
                        for name, want in BY_DEFINITION.items() if found.get(name) != want]


def _table_name(diff: tuple) -> str:
    """The table an alembic difference is about (a table's, or an index's or constraint's)."""
    obj = diff[1]
    table = getattr(obj, "table", None)
    return getattr(table if table is not None else obj, "name", "") or ""


RESTORED_PREFIX = "radacct_restored_"  # radbill/archive.py restores a month as this + YYYY_MM

# Indexes whose expression SQLAlchemy's reflection cannot read back whole (it drops a COLLATE),
# compared by their definition as PostgreSQL prints it instead
BY_DEFINITION = {
    "ix_customers_username_c": 'CREATE INDEX ix_customers_username_c ON public.customers '
                               'USING btree (lower(username) COLLATE "C", id)',
}


_FUNCTIONS = """
SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS key,
       p.proname AS name, p.prosrc AS body, pg_get_functiondef(p.oid) AS definition
  FROM pg_proc p
 WHERE p.pronamespace = 'public'::regnamespace AND p.prokind IN ('f', 'p')
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                   AND d.objid = p.oid AND d.deptype = 'e')
"""
_TRIGGERS = """
SELECT t.tgname || ' on ' || c.relname AS key, pg_get_triggerdef(t.oid) AS definition
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal
"""


def _catalog(conn: sa.Connection) -> tuple[dict, dict]:
    functions = {r.key: r for r in conn.execute(sa.text(_FUNCTIONS))}
    triggers = {r.key: r.definition for r in conn.execute(sa.text(_TRIGGERS))}
    return functions, triggers


def sql_differences(url: str | None = None) -> list[str]:
    """Where the database's functions and triggers differ from radbill/sql; empty when equal.

    How: in one transaction that is always rolled back, read the catalog as it is (`actual`:
    every function in schema public that no extension owns, with its body `prosrc` and full
    `pg_get_functiondef`, and every user trigger's `pg_get_triggerdef`); then drop every
    function named with our prefixes (CASCADE, which drops the triggers calling them), apply the
    files one by one and read the catalog again (`expected`). Both sides come from the same
    server printing the same catalog, so formatting never differs; a file applied to a clean
    slate is exactly what `radbill db upgrade` would leave; and what each file added tells
    which file to name. Then: a function or trigger in `expected` but not `actual` is missing,
    in both but unequal differs, in `actual` only was dropped from the files. Functions and
    triggers that are not ours and no file touches are equal on both sides, so never reported.

    The drop and re-create lock the watched tables for the (millisecond) transaction; a
    lock_timeout keeps the check from queueing behind a long transaction and blocking others.
    """
    with db.engine(url).connect() as conn:
        trans = conn.begin()
        try:
            conn.execute(sa.text("SET LOCAL lock_timeout = '5s'"))
            actual_fns, actual_trg = _catalog(conn)
            for key, fn in actual_fns.items():
                if fn.name.startswith(OUR_PREFIXES):
                    conn.execute(sa.text(f"DROP FUNCTION IF EXISTS public.{key} CASCADE"))
            origin: dict[str, str] = {}
            left_fns, seen_trg = _catalog(conn)
            seen_fns = set(left_fns)
            for path in sql_files():
                _run_file(conn, path)
                fns, trg = _catalog(conn)
                for key in set(fns) - seen_fns:
                    origin["function " + key] = path.name
                for key, definition in trg.items():
                    if seen_trg.get(key) != definition:
                        origin["trigger " + key] = path.name
                seen_fns, seen_trg = set(fns), trg
            expected_fns, expected_trg = _catalog(conn)
        finally:
            trans.rollback()

    out = []
    for key in sorted(set(actual_fns) | set(expected_fns)):
        have, want = actual_fns.get(key), expected_fns.get(key)
        where = origin.get("function " + key, "radbill/sql")
        if want is None:
            out.append(f"function {key}: in the database but in no file under radbill/sql")
        elif have is None:
            out.append(f"function {key}: defined in {where} but missing from the database")
        elif have.body != want.body:
            out.append(f"function {key}: body differs from {where}")
        elif have.definition != want.definition:
            out.append(f"function {key}: definition (return type, language, volatility or "
                       f"options) differs from {where}")
    for key in sorted(set(actual_trg) | set(expected_trg)):
        have, want = actual_trg.get(key), expected_trg.get(key)
        where = origin.get("trigger " + key, "radbill/sql")
        if want is None:
            out.append(f"trigger {key}: in the database but in no file under radbill/sql")
        elif have is None:
            out.append(f"trigger {key}: created by {where} but missing from the database")
        elif have != want:
            out.append(f"trigger {key}: differs from {where}: the database has {have!r}; "
                       f"the file makes {want!r}")
    return out

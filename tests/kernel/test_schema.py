"""The database: FreeRADIUS' stock tables as shipped, models equal to migrations, constraints."""
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from radbill import migrate

STOCK_SCHEMA = Path("/etc/freeradius/3.0/mods-config/sql/main/postgresql/schema.sql")


def stock_tables() -> dict[str, tuple[list[str], list[str]]]:
    """Columns and index names of every table in FreeRADIUS' own schema.sql."""
    sql = re.sub(r"/\*.*?\*/", "", STOCK_SCHEMA.read_text(), flags=re.S)
    sql = re.sub(r"--[^\n]*", "", sql)
    tables = {}
    for name, body in re.findall(r"CREATE TABLE IF NOT EXISTS (\w+) \((.*?)\n\);", sql, re.S):
        cols = [line.split()[0].lower() for line in body.strip().splitlines() if line.strip()]
        idx = [i.lower() for i in re.findall(rf"create (?:unique )?index (\w+) on {name}\b", sql, re.I)]
        tables[name.lower()] = (cols, idx)
    return tables


def test_stock_freeradius_tables_have_every_column_and_index(engine):
    tables = stock_tables()
    assert {"radacct", "radcheck", "radreply", "radgroupcheck", "radgroupreply", "radusergroup",
            "radpostauth", "nas", "nasreload"} <= set(tables)
    insp = sa.inspect(engine)
    for table, (cols, indexes) in tables.items():
        have = {c["name"] for c in insp.get_columns(table)}
        assert set(cols) <= have, f"{table} lacks {set(cols) - have}"
        have_idx = {i["name"] for i in insp.get_indexes(table)} | \
            {u["name"] for u in insp.get_unique_constraints(table)}
        assert set(indexes) <= have_idx, f"{table} lacks indexes {set(indexes) - have_idx}"


def test_stock_rlm_sql_queries_run_against_our_tables(engine):
    """The statements stock rlm_sql sends at authorize and accounting time work here."""
    with engine.connect() as conn:
        trans = conn.begin()
        conn.execute(sa.text("INSERT INTO radcheck (UserName, Attribute, op, Value) "
                             "VALUES ('x', 'Cleartext-Password', ':=', 'pw')"))
        rows = conn.execute(sa.text("SELECT id, UserName, Attribute, Value, Op FROM radcheck "
                                    "WHERE Username = 'x' ORDER BY id")).all()
        assert [(r.attribute, r.value, r.op) for r in rows] == [("Cleartext-Password", "pw", ":=")]
        conn.execute(sa.text("SELECT GroupName FROM radusergroup WHERE UserName='x' ORDER BY priority"))
        conn.execute(sa.text(
            "INSERT INTO radacct (AcctSessionId, AcctUniqueId, UserName, NASIPAddress, AcctStartTime,"
            " AcctUpdateTime, AcctInputOctets, AcctOutputOctets) VALUES ('s', 'u', 'x', '10.0.0.1',"
            " now(), now(), 0, 0)"))
        conn.execute(sa.text("INSERT INTO radpostauth (username, pass, reply, authdate) "
                             "VALUES ('x', '', 'Access-Accept', now())"))
        assert conn.execute(sa.text("SELECT count(*) FROM radacct WHERE AcctUniqueId = 'u' "
                                    "AND AcctStopTime IS NULL")).scalar() == 1
        trans.rollback()


def test_models_and_migrations_agree(database_url):
    diff = migrate.pending_model_changes(database_url)
    assert diff == [], f"models differ from the migrations; add a migration: {diff}"


@pytest.mark.parametrize("sql,constraint", [
    ("UPDATE customers SET mac = 'zz'", "mac_format"),
    ("UPDATE customers SET advance_balance = -1", "advance_nonneg"),
    ("UPDATE customers SET password = NULL, nt_hash = NULL", "has_secret"),
    ("UPDATE customers SET service = 'static', static_ip = NULL", "static_needs_ip"),
    ("UPDATE packages SET price = -1", "price_nonneg"),
    ("UPDATE packages SET data_cap = 1000, fup_rate_down = NULL, fup_rate_up = NULL", "cap_needs_fup"),
])
def test_the_database_refuses_bad_states_whoever_writes(session, sql, constraint):
    from tests.support.factories import make_customer
    make_customer(session)
    with pytest.raises(sa.exc.IntegrityError, match=constraint):
        with session.begin_nested():
            session.execute(sa.text(sql))


def test_usernames_are_unique_ignoring_case_in_the_database(session):
    from tests.support.factories import make_customer
    c = make_customer(session, username="Alice")
    with pytest.raises(sa.exc.IntegrityError, match="uq_customers_username_lower"):
        with session.begin_nested():
            session.execute(sa.text(
                "INSERT INTO customers (username, password, operator_id, package_id) "
                "VALUES ('ALICE', 'x', :o, :p)"), {"o": c.operator_id, "p": c.package_id})

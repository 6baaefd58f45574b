"""`radbill call` end to end: the real command line against the real database."""
import json
from xml.etree import ElementTree as ET

import sqlalchemy as sa


def count(engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text(f"select count(*) from {table}")).scalar()


def test_the_issue_example_creates_a_package_and_alice_and_lists_her(cli, committed):
    r = cli("call", "package.edit", "sok=ok", "name=Home-10M", "rate_down=10M", "rate_up=5M",
            "price=500", "validity_days=30")
    assert r.returncode == 0, r.stderr
    r = cli("call", "customer.edit", "sok=ok", "username=alice", "password=s3cret", "package=Home-10M")
    assert r.returncode == 0, r.stderr
    r = cli("call", "customer", "out=json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)["doc"]["elem"]
    assert [(c["username"], c["package"], c["status"]) for c in rows] == [("alice", "Home-10M", "active")]


def test_errors_exit_non_zero_name_the_field_and_change_nothing(cli, committed):
    assert cli("call", "package.edit", "sok=ok", "name=Home", "rate_down=10M", "rate_up=5M",
               "price=500").returncode == 0
    assert cli("call", "customer.edit", "sok=ok", "username=alice", "password=x",
               "package=Home").returncode == 0
    before = {t: count(committed, t) for t in ("customers", "packages", "audit_log")}
    cases = [
        (["customer.edit", "sok=ok", "username=ALICE", "password=x", "package=Home"], "username",
         "'ALICE' is taken"),
        (["customer.edit", "sok=ok", "username=bob", "password=x", "package=Home", "mac=12:34"],
         "mac", "is not a MAC address"),
        (["package.edit", "sok=ok", "name=Cheap", "rate_down=1M", "rate_up=1M", "price=-5"],
         "price", "must not be negative"),
        (["customer.edit", "sok=ok", "username=bob", "password=x", "package=Nope"], "package",
         "no package 'Nope'"),
    ]
    for args, field, reason in cases:
        r = cli("call", *args, "out=xml")
        assert r.returncode == 1, args
        err = ET.fromstring(r.stderr).find("error")
        assert err.get("object") == field and reason in err.text, r.stderr
        r = cli("call", *args, "out=json")
        assert json.loads(r.stderr)["doc"]["error"]["field"] == field
    assert {t: count(committed, t) for t in before} == before


def test_form_without_sok_returns_values_and_delete_of_nothing_succeeds(cli, committed):
    cli("call", "package.edit", "sok=ok", "name=Home", "rate_down=10M", "rate_up=5M", "price=500",
        check=True)
    r = cli("call", "package.edit", "elid=Home", "out=json", check=True)
    doc = json.loads(r.stdout)["doc"]
    assert doc["name"] == "Home" and doc["rate_down"] == "10M" and doc["price"] == "500.00"
    assert cli("call", "customer.delete", "elid=nobody").stdout.strip() == "OK"


def test_call_info_lists_every_function_with_its_parameters(cli):
    r = cli("call", "-i")
    assert r.returncode == 0
    for name in ("customer.edit", "package.edit", "pool.edit", "nas.edit", "operator.edit",
                 "user.edit", "customer.suspend", "customer.resume", "customer.restore"):
        assert name in r.stdout
    assert "    rate_down (required)" in cli("call", "-i", "package.edit").stdout


def test_su_acts_as_a_staff_login_with_its_rights(cli, committed):
    cli("call", "operator.edit", "sok=ok", "name=ISP", check=True)
    cli("call", "operator.edit", "sok=ok", "name=resellerA", "parent=ISP", check=True)
    cli("call", "operator.edit", "sok=ok", "name=resellerB", "parent=ISP", check=True)
    cli("call", "user.edit", "sok=ok", "login=anna", "password=long-enough", "role=operator",
        "operator=resellerA", check=True)
    r = cli("call", "operator", "su=anna")
    assert r.returncode == 0 and "resellerA" in r.stdout and "resellerB" not in r.stdout
    r = cli("call", "operator.edit", "sok=ok", "name=sub", "parent=resellerB", "su=anna")
    assert r.returncode == 1 and "parent: is outside your subtree" in r.stderr
    r = cli("call", "customer", "su=nobody")
    assert r.returncode == 1 and "no staff login" in r.stderr

"""The compact in-process tables of radius_module.state (issue 16): what goes in comes out."""
from __future__ import annotations

import pytest

from radius_module.state import (STATUSES, Customer, Customers, State, decode, encode, grouped,
                                  session_key)


def row(cid=7, username="alice", password="pw", nt_hash=None, mac=None, static_ip=None,
        status="active", deleted=False, expires_at=None, operator_id=2, package_id=1,
        ipv6_prefix=None, delegated_prefix=None) -> tuple:
    return (cid, username, password, nt_hash, mac, static_ip, status, deleted, expires_at,
            operator_id, package_id, ipv6_prefix, delegated_prefix)


@pytest.mark.parametrize("fields", [
    row(),
    row(username="MiXed.Case@x", password="p\u00e4ss\\w\tord"),
    row(password=None, nt_hash="0123456789ABCDEF0123456789ABCDEF"),
    row(password="", mac="AA:BB:CC:DD:EE:FF", static_ip="10.1.2.3"),
    row(status="fup", deleted=True, expires_at=1_800_000_000.25, operator_id=2**31 - 1),
    row(status="suspended", expires_at=0.0),
    row(static_ip="10.1.2.3", ipv6_prefix="2001:db8:1:2::/64", delegated_prefix="2001:db8:ff00::/56"),
    row(ipv6_prefix="2001:db8:1:2::/64"),
    row(mac="AA:BB:CC:DD:EE:FF", delegated_prefix="2001:db8:ff00::/56"),
])
def test_a_record_gives_back_the_customer(fields):
    key = fields[1].lower()
    c = decode(key, encode(key, fields))
    assert isinstance(c, Customer)
    assert tuple(c) == fields


def test_the_nt_hash_is_kept_only_for_a_hash_only_account():
    c = decode("alice", encode("alice", row(nt_hash="A" * 32)))
    assert c.password == "pw" and c.nt_hash is None


def test_a_status_the_module_did_not_know_gets_its_own_byte():
    c = decode("alice", encode("alice", row(status="frozen")))
    assert c.status == "frozen" and STATUSES.count("frozen") == 1


def test_lookups_by_name_and_by_id():
    t = Customers.build([row(3, "Bob"), row(5, "carol"), row(4, "dave")])
    assert len(t) == 3 and "bob" in t and "Bob" not in t
    assert t["bob"].username == "Bob" and t.get("carol").id == 5 and t.get("eve") is None
    assert t.id_of("dave") == 4 and t.id_of("eve") is None
    assert [t.key_of(i) for i in (3, 4, 5, 6)] == ["bob", "dave", "carol", None]
    assert t.late == {4: "dave"}  # came after a higher id


def test_updates_rename_delete_and_add():
    s = State()
    s.set_customers([row(1, "a"), row(2, "b"), row(3, "c")])
    # a and b swap names in one batch, c is deleted, 9 is new and 5 commits late
    s.update_customers([1, 2, 3, 9, 5], [row(1, "b", "pw1"), row(2, "a", "pw2"), row(9, "z"),
                                         row(5, "y")])
    t = s.customers
    assert (t["a"].id, t["a"].password, t["b"].id, t["b"].password) == (2, "pw2", 1, "pw1")
    assert "c" not in t and t.key_of(3) is None
    assert t["z"].id == 9 and t["y"].id == 5 and t.key_of(5) == "y"
    s.update_customers([5, 1], [row(1, "Renamed")])
    assert "y" not in s.customers and s.customers.key_of(5) is None
    assert "b" not in s.customers and s.customers["renamed"].username == "Renamed"
    assert sorted(s.customers) == ["a", "renamed", "z"]


def test_a_full_reload_reuses_what_did_not_change():
    s = State()
    s.set_customers([row(1, "a"), row(2, "b"), row(3, "c")])
    before = s.customers
    s.set_customers([row(1, "a"), row(2, "b", "new"), row(4, "d")])
    after = s.customers
    assert after is not before  # built aside, swapped in
    key_a = next(k for k in after if k == "a")
    assert key_a is next(k for k in before if k == "a")
    assert after.index["a"] is before.index["a"]
    assert after.index["b"] is not before.index["b"] and after["b"].password == "new"
    assert "c" not in after and after["d"].id == 4


def test_reply_rows_share_tuples_and_keys():
    s = State()
    s.set_customers([row(1, "u1"), row(2, "u2")])
    s.set_radreply([("u1", "Framed-Pool", ":=", "main"), ("u2", "Framed-Pool", ":=", "main"),
                    ("u1", "Class", "+=", "x"), ("u2", "Class", "+=", "x"),
                    ("Other", "A", "=", "1")])
    assert s.radreply["u1"] == (("Framed-Pool", ":=", "main"), ("Class", "+=", "x"))
    assert s.radreply["u1"] is s.radreply["u2"]
    assert next(k for k in s.radreply if k == "u1") is next(k for k in s.customers if k == "u1")
    assert s.reply_attributes("Other") == [("A", "=", "1")]
    s.set_radreply([("u2", "Framed-Pool", ":=", "other")], users=["u2", "Other"])
    assert s.radreply["u2"] == (("Framed-Pool", ":=", "other"),) and "Other" not in s.radreply
    assert grouped([("g", "x"), ("g", "y"), ("h", "x")]) == {"g": ("x", "y"), "h": ("x",)}


def test_open_sessions_by_id_user_and_nas():
    s = State()
    s.set_customers([row(1, "u1")])
    md5 = "0123456789abcdef0123456789abcdef"
    s.set_sessions([(md5, "u1", "10.0.0.1"), ("s2", "u1", "10.0.0.1"), ("s3", "u2", None)])
    assert s.sessions.count("u1") == 2 and s.sessions.count("u2") == 1
    assert bytes.fromhex(md5) in s.sessions.by_id and "s2" in s.sessions.by_id
    assert session_key(md5.upper()) == md5.upper()  # kept as given unless it round-trips
    assert not s.sessions.open(md5, "u1", "10.0.0.1")  # already open
    assert s.sessions.close(md5) and not s.sessions.close(md5)
    assert not s.sessions.open(md5, "u1", "10.0.0.1")  # a late Interim after its Stop
    assert s.sessions.count("u1") == 1
    s.sessions.open("s4", "u3", "10.0.0.2")
    s.sessions.open("s5", "u3", "10.0.0.2")
    assert s.sessions.close("s5", "10.0.0.9")  # told another NAS: still found
    assert s.sessions.count("u3") == 1 and s.sessions.by_nas["10.0.0.2"] == {"s4"}
    s.sessions.close_nas("10.0.0.1")
    assert s.sessions.count("u1") == 0 and s.sessions.count("u3") == 1
    assert set(s.sessions.by_nas) == {"", "10.0.0.2"}
    s.set_sessions([])
    assert s.sessions.count("u2") == 0

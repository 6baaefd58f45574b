"""IPv6 dual stack (issue 17): pools, packages and static prefixes made through radbill, the
Access-Accept seen by radclient, radacct's IPv6 columns from accounting, and the admin's search
by an address inside a customer's prefix."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from pyrad import packet
from sqlalchemy.orm import Session

from radbill.functions.registry import FuncError
from tests.support.factories import (caller_of, fn, make, make_customer, make_isp, make_operator,
                                     make_package, make_user)
from tests.support.radius_helpers import applied, eventually, radclient

pytestmark = pytest.mark.integration


@pytest.fixture
def world(committed, server):
    with Session(committed, expire_on_commit=False) as s:
        isp = make_isp(s)
        make_operator(s, name="resA", parent=isp.name)
        make_operator(s, name="resB", parent=isp.name)
        fn(s, "nas.edit", sok="ok", name="lo", ip="127.0.0.1", secret="testing123")
        make(s, "pool", name="main", cidr="100.64.0.0/16")
        make(s, "pool", name="walled", cidr="10.255.0.0/16", suspended="on")
        make(s, "pool", name="v6-link", cidr="2001:db8:100::/40", prefix_length="64")
        make(s, "pool", name="v6-pd", cidr="2001:db8:200::/40", prefix_length="56")
        make(s, "pool", name="walled6", cidr="fd00:dead::/48", prefix_length="64", suspended="on")
        make_package(s, name="Dual", pool="main", pool6="v6-link", pd_pool="v6-pd")
        make_customer(s, username="dana", password="pw", package="Dual", operator="resA")
        make_customer(s, username="sam", password="pw", package="Dual", operator="resA",
                      static_ip="100.64.9.9", delegated_prefix="2001:db8:300:100::/56",
                      ipv6_prefix="2001:db8:300:1::/64")
        s.commit()
        yield s


def accepted(server, user):
    code, pairs = radclient(server, "auth", {"User-Name": user, "User-Password": "pw"})
    return dict(pairs) if code == "Access-Accept" else None


def test_a_dual_stack_subscriber_gets_an_ipv4_pool_and_ipv6_pools(server, world):
    reply = eventually(lambda: accepted(server, "dana"))
    assert reply["Framed-Pool"] == "main"
    assert reply["Framed-IPv6-Pool"] == "v6-link"
    assert reply["Delegated-IPv6-Prefix-Pool"] == "v6-pd"


def test_static_prefixes_are_sent_as_prefixes(server, world):
    reply = eventually(lambda: accepted(server, "sam"))
    assert reply["Framed-IP-Address"] == "100.64.9.9"
    assert reply["Framed-IPv6-Prefix"] == "2001:db8:300:1::/64"
    assert reply["Delegated-IPv6-Prefix"] == "2001:db8:300:100::/56"
    assert "Delegated-IPv6-Prefix-Pool" not in reply and "Framed-IPv6-Pool" not in reply


def test_suspended_get_the_walled_gardens_of_both_families(server, world):
    fn(world, "customer.suspend", elid=world.scalar(sa.text(
        "select id from customers where username = 'sam'")), reason="unpaid")
    world.commit()
    reply = eventually(lambda: (r := accepted(server, "sam")) and
                       r.get("Framed-Pool") == "walled" and r)
    assert reply["Framed-IPv6-Pool"] == "walled6"
    assert reply["Delegated-IPv6-Prefix-Pool"] == "walled6"
    assert "Delegated-IPv6-Prefix" not in reply and "Framed-IP-Address" not in reply


def test_accounting_fills_radacct_ipv6_columns_and_the_admin_finds_the_address(server, world):
    code, _ = radclient(server, "acct", {
        "User-Name": "dana", "Acct-Status-Type": "Start", "Acct-Session-Id": "v6-1",
        "NAS-IP-Address": "127.0.0.1", "Framed-IP-Address": "100.64.0.77",
        "Framed-IPv6-Prefix": "2001:db8:100:5::/64",
        "Delegated-IPv6-Prefix": "2001:db8:200:1100::/56"})
    assert code == "Accounting-Response"
    applied()
    row = world.execute(sa.text(
        "select host(framedipaddress), framedipv6prefix::text, delegatedipv6prefix::text "
        "from radacct where acctsessionid = 'v6-1'")).one()
    assert tuple(row) == ("100.64.0.77", "2001:db8:100:5::/64", "2001:db8:200:1100::/56")

    def found(q, caller=None):
        args = (caller,) if caller else ()
        return sorted(r["username"] for r in fn(world, "customer", *args, q=q).rows)

    # an address inside the delegated prefix of dana's open session, and inside sam's static one
    assert found("2001:db8:200:1100:abcd::1") == ["dana"]
    assert found("2001:db8:100:5::9") == ["dana"]
    assert found("2001:DB8:300:100:ffff::1") == ["sam"]
    assert found("2001:db8:300:1::1") == ["sam"]
    assert found("2001:db8:999::1") == []
    # another reseller sees none of resA's customers by their addresses
    other = caller_of(world, make_user(world, login="resb-admin", role="operator",
                                       operator="resB"))
    assert found("2001:db8:300:100::1", other) == []
    assert found("2001:db8:200:1100::1", other) == []
    # once the session stops, its prefix no longer names dana
    code, _ = radclient(server, "acct", {
        "User-Name": "dana", "Acct-Status-Type": "Stop", "Acct-Session-Id": "v6-1",
        "NAS-IP-Address": "127.0.0.1", "Acct-Session-Time": "60"})
    assert code == "Accounting-Response"
    applied()
    assert found("2001:db8:200:1100::1") == []


def refused(db, func, caller=None, **params):
    args = (caller,) if caller else ()
    with pytest.raises(FuncError) as exc:
        with db.begin_nested():
            fn(db, func, *args, **params)
    return exc.value.errors


def test_bad_ipv6_input_is_refused_naming_the_field(world):
    db = world
    assert "prefix_length" in refused(db, "pool.edit", sok="ok", name="x6", cidr="2001:db8:400::/40")
    assert "prefix_length" in refused(db, "pool.edit", sok="ok", name="x4", cidr="100.66.0.0/16",
                                      prefix_length="64")
    assert "prefix_length" in refused(db, "pool.edit", sok="ok", name="x6",
                                      cidr="2001:db8:400::/40", prefix_length="32")
    for bad in ("fe80::/64", "ff02::/16", "2001:db8:400::1/40", "::/0", "::ffff:0:0/96", "2001:db8::/8"):
        assert "cidr" in refused(db, "pool.edit", sok="ok", name="x6", cidr=bad,
                                 prefix_length="64"), bad
    assert "pd_pool" in refused(db, "package.edit", sok="ok", name="Bad", rate_down="1M",
                                rate_up="1M", price="1", pd_pool="main")
    assert "pool" in refused(db, "package.edit", sok="ok", name="Bad", rate_down="1M",
                             rate_up="1M", price="1", pool="v6-pd")
    assert "suspended" in refused(db, "pool.edit", sok="ok", name="walled6b",
                                  cidr="fd00:beef::/48", prefix_length="64", suspended="on")
    for bad in ("10.0.0.0/24", "2001:db8::/32", "fe80::/64", "not-a-prefix"):
        assert "delegated_prefix" in refused(db, "customer.edit", sok="ok", username="eve",
                                             password="pw", package="Dual",
                                             delegated_prefix=bad), bad
    # overlapping another live customer's static prefix: refused; the holder is named only to
    # a caller who may see them
    errors = refused(db, "customer.edit", sok="ok", username="eve", password="pw",
                     package="Dual", delegated_prefix="2001:db8:300:100::/60")
    assert "sam" in errors["delegated_prefix"]
    make_package(db, name="DualB", operator="resB", pd_pool="v6-pd")
    other = caller_of(db, make_user(db, login="resb-op", role="operator", operator="resB"))
    errors = refused(db, "customer.edit", other, sok="ok", username="eve", password="pw",
                     package="DualB", ipv6_prefix="2001:db8:300:1::/64")
    assert "sam" not in errors["ipv6_prefix"] and "another customer" in errors["ipv6_prefix"]
    # the pool in use cannot go
    pool_id = db.scalar(sa.text("select id from ip_pools where name = 'v6-pd'"))
    assert "elid" in refused(db, "pool.delete", elid=pool_id)

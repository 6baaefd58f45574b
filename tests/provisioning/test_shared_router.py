"""The ISP's shared router as another reseller's NOC sees it (issue 10, Tenancy): only its own
subtree's sessions, kicks only its own customers, no push or import. Real RouterOS API client
against the wire-protocol emulator."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from radbill.functions.registry import AccessDenied
from radbill.models import IpPool
from tests.support.factories import (caller_of, fn, make, make_customer, make_isp, make_operator,
                                     make_package, make_user)

pytestmark = pytest.mark.integration


@pytest.fixture
def tenants(session, ros):
    isp = make_isp(session)
    a = make_operator(session, name="resA", parent=isp.name)
    b = make_operator(session, name="resB", parent=isp.name)
    a_sub = make_operator(session, name="resA-sub", parent=a.name)
    pkg = make_package(session, name="Home")
    make_customer(session, username="alice", package=pkg.name, operator=a.name)
    make_customer(session, username="Ann", package=pkg.name, operator=a_sub.name)
    make_customer(session, username="bob", package=pkg.name, operator=b.name)
    # the ISP's shared router (global: made by the system administrator, no operator)
    make(session, "nas", name="shared", ip="127.0.0.1", secret="testing123",
         api_user="admin", api_password="secret", api_port=ros.port)
    for name, ip in (("alice", "10.0.0.5"), ("ann", "10.0.0.6"), ("bob", "10.0.0.7"),
                     ("stranger", "10.0.0.8")):
        ros.add("/ppp/active", name=name, service="pppoe", address=ip,
                **{"caller-id": f"AA:BB:CC:00:11:{ip[-1]}0"})
    noc = {op.name: caller_of(session, make_user(session, login=f"noc-{op.name}", role="noc",
                                                 operator=op.name))
           for op in (isp, a, b)}
    return isp, noc


def names(session, caller) -> list[str]:
    return [r["name"] for r in fn(session, "router.sessions", caller, elid="shared").rows]


def test_a_resellers_noc_sees_only_its_own_subtree(session, tenants):
    isp, noc = tenants
    assert names(session, noc["resA"]) == ["alice", "ann"]
    assert names(session, noc["resB"]) == ["bob"]
    # the ISP's own NOC owns the shared router: everything, strangers included
    assert names(session, noc[isp.name]) == ["alice", "ann", "bob", "stranger"]


def test_a_resellers_noc_kicks_only_its_own_customers(session, tenants, ros):
    _, noc = tenants
    refused = []
    for user in ("bob", "stranger", "nobody-at-all"):
        with pytest.raises(AccessDenied) as exc:
            fn(session, "router.kick", noc["resA"], elid="shared", username=user)
        refused.append((exc.value.field, str(exc.value)))
    # the same words for another tenant's customer, an unknown user and nobody: nothing leaks
    assert len(set(refused)) == 1 and refused[0][0] == "username"
    assert "bob" not in refused[0][1] and "resB" not in refused[0][1]
    assert [r["name"] for r in ros.rows("/ppp/active")] == ["alice", "ann", "bob", "stranger"]
    assert fn(session, "router.kick", noc["resA"], elid="shared", username="ann").extra == \
        {"removed": 1}
    assert [r["name"] for r in ros.rows("/ppp/active")] == ["alice", "bob", "stranger"]
    assert fn(session, "router.kick", noc["resB"], elid="shared", username="bob").extra == \
        {"removed": 1}


def test_a_resellers_noc_cannot_push_or_import_on_a_shared_router(session, tenants, ros):
    isp, noc = tenants
    make(session, "pool", name="pppoe-a", cidr="10.70.0.0/24")
    before = len(ros.commands)
    with pytest.raises(AccessDenied, match="shared with other operators; only its owner "
                                           "pushes profiles"):
        fn(session, "router.push_profiles", noc["resA"], elid="shared")
    with pytest.raises(AccessDenied):  # by role and by ownership
        fn(session, "router.import", noc["resA"], elid="shared")
    assert len(ros.commands) == before and ros.rows("/ip/pool") == []
    # the ISP's NOC may push onto its own router
    rows = fn(session, "router.push_profiles", noc[isp.name], elid="shared").rows
    assert ("profile", "Home", "added") in {(r["kind"], r["name"], r["action"]) for r in rows}
    assert session.scalar(sa.select(sa.func.count()).select_from(IpPool)) == 1


def test_a_router_the_reseller_owns_is_all_its_own(session, tenants, ros):
    _, noc = tenants
    fn(session, "nas.edit", elid="shared", sok="ok", operator="resA")
    assert names(session, noc["resA"]) == ["alice", "ann", "bob", "stranger"]
    rows = fn(session, "router.push_profiles", noc["resA"], elid="shared").rows
    assert rows

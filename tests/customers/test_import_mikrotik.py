"""customer.import_mikrotik (issue 17): a MikroTik's PPP secrets (read over the RouterOS API
from the emulator in tests/support) become customers through customer.import's checks: the
password kept, the profile mapped to a package (by name or a mapping), the remote address as
the static IP, a disabled secret a disabled customer."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from radbill.functions.registry import FuncError
from radbill.models import Customer
from tests.support.factories import fn, make, make_isp, make_package


@pytest.fixture
def router(session, ros):
    make_isp(session)
    make_package(session, name="Home 10M")
    make_package(session, name="basic")
    make(session, "nas", name="core1", ip="127.0.0.1", secret="testing123",
         api_user="admin", api_password="secret", api_port=ros.port)
    ros.add("/ppp/profile", name="10M", **{"rate-limit": "5M/10M"})
    ros.add("/ppp/profile", name="basic")
    ros.add("/ppp/secret", name="alice", password="pw-a", profile="10M", service="pppoe",
            **{"remote-address": "10.80.0.10", "caller-id": "AA:BB:CC:00:80:10"})
    ros.add("/ppp/secret", name="bob", password="pw-b", profile="basic", service="pppoe",
            disabled="true", comment="moved to fiber")
    ros.add("/ppp/secret", name="carol", password="pw-c", profile="basic", service="pppoe",
            **{"remote-address": "pool-a"})  # a pool's name: no static address
    return ros


def test_secrets_become_customers_with_their_passwords_profiles_and_addresses(session, router):
    dry = fn(session, "customer.import_mikrotik", router="core1", packages="10M:Home 10M",
             dry_run="yes")
    assert dry.extra["creates"] == 3
    assert session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 0
    done = fn(session, "customer.import_mikrotik", router="core1", packages="10M:Home 10M")
    assert done.extra["created"] == 3
    got = {c.username: c for c in session.scalars(sa.select(Customer))}
    alice, bob, carol = got["alice"], got["bob"], got["carol"]
    assert (alice.password, alice.package.name, str(alice.static_ip), alice.mac) == \
        ("pw-a", "Home 10M", "10.80.0.10", "AA:BB:CC:00:80:10")
    assert (bob.status, bob.package.name, bob.notes) == ("disabled", "basic", "moved to fiber")
    assert carol.static_ip is None and carol.nt_hash
    # again: the same secrets update nobody twice (they exist: updates, nothing changed)
    again = fn(session, "customer.import_mikrotik", router="core1", packages="10M:Home 10M")
    assert (again.extra["created"], again.extra["updated"]) == (0, 0)


def test_an_unmapped_profile_is_named_by_line(session, router):
    with pytest.raises(FuncError) as err:
        fn(session, "customer.import_mikrotik", router="core1", dry_run="yes")
    assert err.value.errors == {"row 1: package": "no package '10M'"}
    with pytest.raises(FuncError) as err:
        fn(session, "customer.import_mikrotik", router="core1", packages="10M")
    assert err.value.field == "packages"

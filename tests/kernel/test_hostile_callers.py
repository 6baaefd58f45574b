"""Bad input through the real callers (issue 10): /billmgr answers 4xx naming the field and
`radbill call` exits 1 without a traceback, and nothing is written. (The property-based run over
every function is test_hostile_input.py; these run apart from its module-wide world, whose
uncommitted rows would hold the same names.)"""
from __future__ import annotations

import sqlalchemy as sa

from tests.support.factories import make_customer, make_package, make_user


def test_over_http_bad_input_is_a_4xx_naming_the_field(client, dbs):
    """/billmgr with the Flask test client, as the system administrator by authinfo."""
    from tests.support.admin_fixtures import PASSWORD, fast_hash
    import staff.functions.users as users
    real = users.hash_password
    users.hash_password = fast_hash
    try:
        make_user(dbs, login="root9", role="admin", password=PASSWORD)
        make_package(dbs, name="Home")
        make_customer(dbs, username="alice", package="Home")
        make_customer(dbs, username="sam", package="Home", service="static",
                      static_ip="10.60.0.5")
    finally:
        users.hash_password = real
    dbs.commit()
    cases = [
        ({"func": "customer.edit", "elid": "²", "sok": "ok", "name": "x"}, "elid"),
        ({"func": "payment.edit", "sok": "ok", "customer": "alice", "amount": "1e30"}, "amount"),
        ({"func": "customer.edit", "elid": "alice", "sok": "ok", "name": "a\x00b"}, "name"),
        ({"func": "customer", "page": "99999999999999999999"}, "page"),
        ({"func": "customer.edit", "elid": "sam", "sok": "ok", "username": "alice"}, "username"),
        ({"func": "customer.edit", "elid": "alice", "sok": "ok", "static_ip": "10.60.0.5"},
         "static_ip"),
        ({"func": "card.generate", "count": "1", "amount": "5", "batch": "bad batch"}, "batch"),
    ]
    for params, field in cases:
        resp = client.post("/billmgr", data={**params, "authinfo": f"root9:{PASSWORD}",
                                             "out": "json"},
                           environ_base={"REMOTE_ADDR": "127.0.0.1"})
        body = resp.get_data(as_text=True)
        assert 400 <= resp.status_code < 500, (params, resp.status_code, body)
        assert f'"{field}"' in body and "Traceback" not in body, body
    # a repeated name: refused, not joined into "one,two"
    resp = client.get("/billmgr?func=customer.edit&elid=alice&sok=ok&name=one&name=two"
                      f"&authinfo=root9:{PASSWORD}&out=json",
                      environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert resp.status_code == 400 and '"name"' in resp.get_data(as_text=True)
    from radbill.models import Customer
    names = dbs.scalars(sa.select(Customer.name).where(Customer.username == "alice")).all()
    assert names == [None]


def test_the_command_line_exits_1_without_a_traceback(cli):
    assert cli("call", "package.edit", "sok=ok", "name=Home", "rate_down=10M", "rate_up=5M",
               "price=500").returncode == 0
    for args in (["customer.edit", "sok=ok", "username=alice", "password=pw", "package=Home"],
                 ["customer.edit", "sok=ok", "username=sam", "password=pw", "package=Home",
                  "service=static", "static_ip=10.60.0.5"]):
        assert cli("call", *args).returncode == 0
    cases = [
        (["customer.edit", "elid=²", "sok=ok", "name=x"], "elid"),
        (["payment.edit", "sok=ok", "customer=alice", "amount=1_000"], "amount"),
        (["customer.edit", "elid=sam", "sok=ok", "username=alice"], "username"),
        (["customer.edit", "elid=alice", "sok=ok", "static_ip=10.60.0.5"], "static_ip"),
        (["customer", "page=99999999999999999999"], "page"),
        (["card.generate", "count=1", "amount=5", "batch=bad batch"], "batch"),
        (["customer.edit", "elid=alice", "sok=ok", "name=one", "name=two"], "name"),
        (["nas.edit", "sok=ok", "name=n1", "ip=0.0.0.0", "secret=secret1"], "ip"),
    ]
    for args, field in cases:
        r = cli("call", *args, "out=json")
        assert r.returncode == 1, (args, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr and f'"{field}"' in r.stderr, (args, r.stderr)

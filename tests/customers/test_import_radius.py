"""Done when (issue 17): customers a cut-over import made authenticate against the real
FreeRADIUS (sampled with radclient: PAP with a kept password, MS-CHAPv2 with an NT hash only),
and the ledger balances."""
from __future__ import annotations

import random

import pytest
from sqlalchemy.orm import Session, sessionmaker

from customers.importing import runs
from radbill import tasks
from radbill.nthash import nt_hash
from rating import ledger
from tests.support.factories import fn, make, make_package
from tests.support.radius_helpers import RadiusServer, eventually, mschapv2_attributes, radclient

pytestmark = pytest.mark.integration
ROWS = 300


@pytest.fixture(scope="module")
def server(database_url, tmp_path_factory):
    srv = RadiusServer(tmp_path_factory.mktemp("radius")).start()
    yield srv
    assert srv.stop() == 0, srv.output()[-3000:]


def test_imported_customers_authenticate_and_the_ledger_balances(committed, server,
                                                                 monkeypatch):
    monkeypatch.setattr(runs, "CHUNK", 120)  # three chunks of the task
    factory = sessionmaker(bind=committed, expire_on_commit=False)
    with factory.begin() as s:
        fn(s, "nas.edit", sok="ok", name="lo", ip="127.0.0.1", secret="testing123")
        make(s, "pool", name="main", cidr="100.64.0.0/16")
        make(s, "pool", name="walled", cidr="10.255.0.0/16", suspended="on")
        make_package(s, name="Home", rate_down="10M", rate_up="5M", pool="main")
    lines = ["username,password,nt_hash,package,advance_balance,opening_due"]
    for i in range(ROWS):
        hashed = i % 2 == 1
        lines.append(f"imp{i:03d},{'' if hashed else f'pw-{i}'},"
                     f"{nt_hash(f'pw-{i}') if hashed else ''},Home,"
                     f"{'25' if i % 3 == 0 else ''},{'500' if i % 5 == 0 else ''}")
    with factory.begin() as s:
        result = fn(s, "customer.import", file="\n".join(lines) + "\n", background="yes")
    assert result.extra["creates"] == ROWS
    while tasks.run_due(factory):
        pass
    sample = random.Random(17).sample(range(ROWS), 12)
    for i in sample:
        user, password = f"imp{i:03d}", f"pw-{i}"
        if i % 2 == 0:
            attrs = {"User-Name": user, "User-Password": password}
        else:  # only the NT hash was imported: MS-CHAPv2
            attrs = {"User-Name": user, **mschapv2_attributes(user, password)}
        assert eventually(lambda: radclient(server, "auth", attrs)[0] == "Access-Accept",
                          timeout=10), user
        wrong = {"User-Name": user, "User-Password": "wrong"}
        assert radclient(server, "auth", wrong)[0] == "Access-Reject"
    with Session(committed) as s:
        op = s.scalar(__import__("sqlalchemy").text("SELECT id FROM operators LIMIT 1"))
        dues = 500 * sum(1 for i in range(ROWS) if i % 5 == 0)
        adv = 25 * sum(1 for i in range(ROWS) if i % 3 == 0)
        assert ledger.balance(s, op, "receivable") == dues
        assert ledger.balance(s, op, "opening_balance") == adv - dues
        assert ledger.unbalanced_transactions(s) == []

"""The hotspot's limits against a real FreeRADIUS: what a cycle has left goes to the NAS
(Session-Timeout, Mikrotik-Total-Limit), accounting moves it within a drain, nothing left is a
reject that says why, and a new cycle gives it all back."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from rating import usage
from tests.radius.test_accounting import Nas, drained
from tests.support.factories import fn, make_customer, make_package
from tests.support.radius_helpers import auth, eventually

pytestmark = pytest.mark.integration
MB = 2**20  # package sizes are 1024-based (like data_cap)


@pytest.fixture
def db(committed, server):
    with Session(committed, expire_on_commit=False) as s:
        fn(s, "nas.edit", sok="ok", name="lo", ip="127.0.0.1", secret="testing123")
        make_package(s, name="Hour", rate_down="4M", rate_up="2M", validity_days="1",
                     time_limit="1h", data_limit="500M", hotspot="yes", sim_use="2")
        make_customer(s, username="hs1", password="pw", package="Hour", service="hotspot")
        s.commit()
        yield s


def attrs(server, user="hs1"):
    code, pairs = auth(server, user, "pw")
    return code, dict(pairs)


def test_what_is_left_is_sent_and_shrinks_with_accounting(server, db):
    assert eventually(lambda: attrs(server)[0] == "Access-Accept")
    code, a = attrs(server)
    assert a["Session-Timeout"] == "3600" and a["Mikrotik-Total-Limit"] == str(500 * MB)
    nas = Nas(server)
    nas.send("Start", session="h1", user="hs1")
    nas.send("Interim-Update", session="h1", user="hs1", **nas.usage(100 * MB, 20 * MB, 1200))
    drained(db)
    # the drain names the customer in a notice: every process re-reads its counters
    assert eventually(lambda: attrs(server)[1].get("Session-Timeout") == "2400")
    assert attrs(server)[1]["Mikrotik-Total-Limit"] == str(380 * MB)
    nas.send("Stop", session="h1", user="hs1", **nas.usage(100 * MB, 20 * MB, 3600))
    drained(db)
    assert eventually(lambda: attrs(server)[0] == "Access-Reject")
    code, a = attrs(server)
    assert "online time for this cycle is used up" in a["Reply-Message"]
    # a wrong password still says "wrong password", not why the account could not get on
    assert auth(server, "hs1", "nope")[1] == [("Reply-Message", "wrong password")]
    # the next day is a new cycle (validity 1 day): the whole hour is back
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    usage.fup_reset(db, tomorrow)
    db.commit()
    assert eventually(lambda: attrs(server)[1].get("Session-Timeout") == "3600")


def test_data_used_up_is_refused_too(server, db):
    assert eventually(lambda: attrs(server)[0] == "Access-Accept")
    nas = Nas(server)
    nas.send("Start", session="d1", user="hs1")
    nas.send("Stop", session="d1", user="hs1", **nas.usage(300 * MB, 200 * MB, 60))
    drained(db)
    assert eventually(lambda: attrs(server)[0] == "Access-Reject")
    assert "data for this cycle is used up" in attrs(server)[1]["Reply-Message"]

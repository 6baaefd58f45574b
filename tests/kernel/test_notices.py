"""Notices (issue 19): a parent's notice reaches every staff login below it until that login
acknowledges it; siblings and the parent itself do not get it; withdrawn, scheduled and ended
notices are not shown; bad input names its field."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from radbill.functions.registry import AccessDenied, FuncError, NotFound
from radbill.models import AuditLog, Event, Notice, NoticeAck
from tests.support.factories import caller_of, fn, make_operator, make_user


@pytest.fixture
def tree(session):
    """isp -> opA (-> subA, subA2), opB; a login at each, two at opA and a manager."""
    make_operator(session, name="isp19n")
    for name, parent in (("opA19n", "isp19n"), ("opB19n", "isp19n"), ("subA19n", "opA19n"),
                         ("subA19n2", "opA19n")):
        make_operator(session, name=name, parent=parent)
    logins = {"boss": ("group_admin", "isp19n"), "anna": ("operator", "opA19n"),
              "anna2": ("operator", "opA19n"), "mgr": ("manager", "opA19n"),
              "ben": ("operator", "opB19n"), "sue": ("sub_operator", "subA19n"),
              "sid": ("sub_operator", "subA19n2")}
    return {who: caller_of(session, make_user(session, login=f"{who}19n", role=role,
                                              operator=op))
            for who, (role, op) in logins.items()}


def inbox(session, caller, **kw) -> list[str]:
    rows = fn(session, "notice", caller, current="yes", unread="yes", **kw).rows
    return [r["title"] for r in rows]


def test_a_notice_reaches_every_login_below_until_each_acknowledges_it(session, tree):
    sent = fn(session, "notice.edit", tree["boss"], sok="ok", title="Fibre cut in Mirpur",
              body="Back by 18:00", severity="critical")
    everyone_below = ("anna", "anna2", "mgr", "ben", "sue", "sid")
    for who in everyone_below:
        assert inbox(session, tree[who]) == ["Fibre cut in Mirpur"], who
    assert inbox(session, tree["boss"]) == []  # to its subtree, not to itself
    fn(session, "notice.ack", tree["anna"], elid=str(sent.elid))
    fn(session, "notice.ack", tree["anna"], elid=str(sent.elid))  # twice: one ack
    assert inbox(session, tree["anna"]) == []
    assert inbox(session, tree["anna2"]) == ["Fibre cut in Mirpur"]  # per login
    read = fn(session, "notice", tree["anna"]).rows  # the inbox keeps it, marked read
    assert [(r["title"], r["acked"]) for r in read] == [("Fibre cut in Mirpur", True)]
    mine = fn(session, "notice", tree["boss"], box="sent").rows
    assert [(r["title"], r["acks"], r["state"]) for r in mine] == \
        [("Fibre cut in Mirpur", 1, "active")]
    assert session.scalar(sa.select(sa.func.count()).select_from(NoticeAck)) == 1
    names = session.scalars(sa.select(Event.name).where(Event.name.like("notice.%"))
                            .order_by(Event.id)).all()
    assert names == ["notice.published", "notice.acknowledged"]
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(
        AuditLog.object_type == "notice")) == 2


def test_an_operator_speaks_to_its_subtree_not_to_its_sibling_or_parent(session, tree):
    fn(session, "notice.edit", tree["anna"], sok="ok", title="Collect before the 5th")
    fn(session, "notice.edit", tree["ben"], sok="ok", title="B's own news")
    assert inbox(session, tree["sue"]) == ["Collect before the 5th"]
    assert inbox(session, tree["sid"]) == ["Collect before the 5th"]
    for who in ("boss", "ben", "anna2", "mgr"):  # the parent, a sibling, its own staff
        assert "Collect before the 5th" not in inbox(session, tree[who]), who
    assert "B's own news" not in inbox(session, tree["sue"])  # not an ancestor's
    # the sender's parent sees what its subtree sent, a sibling does not
    assert {r["title"] for r in fn(session, "notice", tree["boss"], box="sent").rows} == \
        {"Collect before the 5th", "B's own news"}
    assert [r["title"] for r in fn(session, "notice", tree["ben"], box="sent").rows] == \
        ["B's own news"]


def test_withdrawn_scheduled_and_ended_notices_are_not_shown(session, tree):
    now = dt.datetime.now(dt.timezone.utc)
    later = (now + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    gone = fn(session, "notice.edit", tree["boss"], sok="ok", title="Old news").elid
    fn(session, "notice.edit", tree["boss"], sok="ok", title="Maintenance", starts=later)
    short = fn(session, "notice.edit", tree["boss"], sok="ok", title="Brief").elid
    assert sorted(inbox(session, tree["anna"])) == ["Brief", "Old news"]  # not Maintenance
    fn(session, "notice.withdraw", tree["boss"], elid=str(gone))
    with pytest.raises(NotFound):  # a withdrawn notice cannot be acknowledged
        fn(session, "notice.ack", tree["anna"], elid=str(gone))
    session.get(Notice, short).starts_at = now - dt.timedelta(hours=2)
    session.get(Notice, short).ends_at = now - dt.timedelta(hours=1)
    session.flush()
    assert inbox(session, tree["anna"]) == []
    states = {r["title"]: r["state"] for r in fn(session, "notice", tree["boss"], box="sent").rows}
    assert states == {"Old news": "withdrawn", "Maintenance": "scheduled", "Brief": "ended"}
    assert session.scalars(sa.select(Event.name).where(Event.name == "notice.withdrawn")).all() \
        == ["notice.withdrawn"]
    with pytest.raises(FuncError) as err:  # nor edited again
        fn(session, "notice.edit", tree["boss"], sok="ok", elid=str(gone), title="Again")
    assert err.value.field == "elid"


def test_changing_the_text_asks_everyone_to_read_it_again(session, tree):
    n = fn(session, "notice.edit", tree["boss"], sok="ok", title="Price change").elid
    fn(session, "notice.ack", tree["anna"], elid=str(n))
    fn(session, "notice.edit", tree["boss"], sok="ok", elid=str(n), ends="2099-01-01")
    assert inbox(session, tree["anna"]) == []  # only the end moved: still read
    fn(session, "notice.edit", tree["boss"], sok="ok", elid=str(n), body="From 1 July: +50")
    assert inbox(session, tree["anna"]) == ["Price change"]


def test_who_may_send_edit_and_withdraw(session, tree):
    with pytest.raises(AccessDenied):  # a sub-operator has nobody below
        fn(session, "notice.edit", tree["sue"], sok="ok", title="x")
    with pytest.raises(FuncError) as err:
        fn(session, "notice.edit", tree["anna"], sok="ok", title="x", operator="subA19n")
    assert err.value.field == "operator"
    with pytest.raises(AccessDenied) as err:  # not on behalf of a sibling
        fn(session, "notice.edit", tree["anna"], sok="ok", title="x", operator="opB19n")
    assert err.value.field == "operator"
    mine = fn(session, "notice.edit", tree["anna"], sok="ok", title="A's").elid
    with pytest.raises(NotFound):
        fn(session, "notice.edit", tree["ben"], sok="ok", elid=str(mine), title="hijack")
    with pytest.raises(NotFound):
        fn(session, "notice.withdraw", tree["ben"], elid=str(mine))
    with pytest.raises(NotFound):  # ben is not below anna: nothing to acknowledge
        fn(session, "notice.ack", tree["ben"], elid=str(mine))
    assert session.get(Notice, mine).withdrawn_at is None
    fn(session, "notice.withdraw", tree["boss"], elid=str(mine))  # the parent may
    assert session.get(Notice, mine).withdrawn_at is not None


@pytest.mark.parametrize("params,field", [
    ({"title": "   "}, "title"),
    ({"title": "t" * 201}, "title"),
    ({"title": "ok", "severity": "apocalyptic"}, "severity"),
    ({"title": "ok", "starts": "2030-01-02", "ends": "2030-01-01"}, "ends"),
    ({"title": "ok", "ends": "2020-01-01"}, "ends"),
    ({"title": "ok", "starts": "tomorrow"}, "starts"),
    ({"title": "ok", "body": "b" * 5001}, "body"),
    ({"title": "ok", "operator": "nowhere"}, "operator"),
])
def test_bad_input_names_the_field_and_writes_nothing(session, tree, params, field):
    with pytest.raises(FuncError) as err:
        fn(session, "notice.edit", tree["boss"], sok="ok", **params)
    assert field in err.value.errors, err.value.errors
    assert session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 0
    with pytest.raises(FuncError) as err:
        fn(session, "notice.ack", tree["anna"], elid="²")
    assert err.value.field == "elid"
    with pytest.raises(FuncError) as err:
        fn(session, "notice", tree["anna"], box="everything")
    assert err.value.field == "box"

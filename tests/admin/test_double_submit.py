"""Double submit (issue 10): every form that creates money carries a one-time key, and
registry.call counts a change made under a key once -- the same result, not a second row --
also when 20 identical submissions arrive at once (separate connections, real commits)."""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from radbill import db
from radbill.functions.registry import FuncError, OkResult
from radbill.models import Payment, RechargeCard
from tests.support.admin_fixtures import PASSWORD, Auth
from tests.support.factories import fn, make_customer, make_operator, make_package, make_user

KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
N = 20


def payments(session, username="alice") -> int:
    session.expire_all()
    return session.scalar(sa.text("select count(*) from payments p join customers c on "
                                  "c.id = p.customer_id where c.username = :u"), {"u": username})


# -- the forms ---------------------------------------------------------------------------------
MONEY_FORMS = ["/billmgr?func=payment.edit&customer=alice", "/billmgr?func=bill.edit",
               "/billmgr?func=bill.generate", "/billmgr?func=card.generate",
               "/billmgr?func=operator.fund&elid=opA", "/billmgr?func=operator.transfer"]


@pytest.mark.parametrize("path", MONEY_FORMS)
def test_every_form_that_creates_money_carries_a_one_time_key(world, auth, path):
    auth.login("gadmin")
    first = KEY.search(auth.get(path).get_data(as_text=True))
    second = KEY.search(auth.get(path).get_data(as_text=True))
    assert first and second and first.group(1) != second.group(1)  # one per form shown


def pay_form(auth) -> dict:
    page = auth.get("/billmgr?func=payment.edit&customer=alice").get_data(as_text=True)
    return {"func": "payment.edit", "sok": "ok", "_orig": "{}", "customer": "alice",
            "method": "cash", "amount": "300", "idempotency_key": KEY.search(page).group(1),
            "csrf_token": CSRF.search(page).group(1)}


def test_a_resubmitted_payment_form_books_once(world, auth, client, dbs):
    auth.login("gadmin")
    form = pay_form(auth)
    first = client.post("/billmgr", data=form)
    again = client.post("/billmgr", data=form)
    assert first.status_code == again.status_code == 302
    assert payments(dbs) == 1
    # a new form (a new key) is a new payment
    assert client.post("/billmgr", data=pay_form(auth)).status_code == 302
    assert payments(dbs) == 2


def test_the_key_replays_the_result_for_every_caller(world, dbs):
    """The function layer keeps the rule: the CLI, the API and the pages all get it."""
    params = dict(customer="alice", method="cash", amount="300", sok="ok")
    first = fn(dbs, "payment.edit", idempotency_key="k-1", **params)
    again = fn(dbs, "payment.edit", idempotency_key="k-1", **params)
    assert isinstance(again, OkResult) and again.elid == first.elid
    assert again.extra["replayed"] is True and again.extra["applied"] == first.extra["applied"]
    assert payments(dbs) == 1
    with pytest.raises(FuncError) as exc:  # the same key for something else: refused (Stripe)
        fn(dbs, "payment.edit", idempotency_key="k-1", **{**params, "amount": "301"})
    assert exc.value.status == 409 and exc.value.field == "idempotency_key"
    fn(dbs, "payment.edit", **params)  # no key: as before, every call is a payment
    assert payments(dbs) == 2


def test_a_refused_call_leaves_its_key_free(world, dbs):
    with pytest.raises(FuncError):
        fn(dbs, "payment.edit", idempotency_key="k-2", customer="alice", method="cash",
           amount="-5", sok="ok")
    fn(dbs, "payment.edit", idempotency_key="k-2", customer="alice", method="cash",
       amount="5", sok="ok")
    assert payments(dbs) == 1


def test_cards_funds_and_transfers_count_once(world, dbs):
    from rating.resellers import available
    before_a, before_b = available(dbs, world.op_a), available(dbs, world.op_b)
    for _ in range(2):
        fn(dbs, "card.generate", idempotency_key="c-1", count="3", amount="100", batch="b1",
           operator="opA")
        fn(dbs, "operator.fund", idempotency_key="f-1", elid="opA", amount="1000")
        fn(dbs, "operator.transfer", idempotency_key="t-1", **{"from": "opA"}, to="opB",
           amount="10")
    dbs.expire_all()
    assert dbs.scalar(sa.select(sa.func.count()).select_from(RechargeCard)) == 3
    assert available(dbs, world.op_a) - before_a == 1000 - 10
    assert available(dbs, world.op_b) - before_b == 10


# -- 20 at once, against the real database -----------------------------------------------------
@pytest.fixture
def shop(committed, monkeypatch):
    import staff.functions.users as users
    from tests.support.admin_fixtures import fast_hash
    monkeypatch.setattr(users, "hash_password", fast_hash)
    with db.session_scope() as s:
        make_operator(s, name="isp")
        make_package(s, name="home10", price="500")
        make_user(s, login="boss", role="group_admin", operator="isp", password=PASSWORD)
        make_customer(s, username="alice", package="home10", operator="isp")
    from admin import create_app
    return create_app({"TESTING": True, "SECRET_KEY": "test", "AUTHINFO_NETWORKS": "",
                       "LOCKOUT_AFTER": 50, "IDLE_MINUTES": 30})


def at_once(task, n=N):
    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(lambda _: task(), range(n)))


def test_twenty_parallel_form_submissions_book_one_payment(shop):
    browser = shop.test_client()
    auth = Auth(browser)
    assert auth.login("boss").status_code == 302
    form = pay_form(auth)
    cookie = browser.get_cookie("session").value

    def submit():
        c = shop.test_client()
        c.set_cookie("session", cookie)
        return c.post("/billmgr", data=form).status_code

    assert at_once(submit) == [302] * N
    with db.session_scope() as s:
        assert payments(s) == 1


def test_twenty_parallel_api_calls_with_one_idempotency_key_book_one_payment(shop):
    client = shop.test_client()
    body = client.get("/billmgr", query_string={"func": "auth", "username": "boss",
                                                "password": PASSWORD, "out": "json"}).get_json()
    sid = body["doc"]["auth"]["id"]

    def pay():
        resp = shop.test_client().post(
            "/billmgr", data={"func": "payment.edit", "sok": "ok", "customer": "alice",
                              "method": "cash", "amount": "250", "auth": sid, "out": "JSONdata"},
            headers={"Idempotency-Key": "order-77"})
        return resp.status_code, resp.get_data(as_text=True)

    answers = at_once(pay)
    assert {status for status, _ in answers} == {200}
    ids = {re.search(r'"id": ?"?(\d+)', text).group(1) for _, text in answers}
    assert len(ids) == 1  # the same result every time
    with db.session_scope() as s:
        assert payments(s) == 1
        assert s.scalar(sa.select(sa.func.sum(Payment.amount))) == 250

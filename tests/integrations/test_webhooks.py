"""Signed webhooks from the event stream (issue 15): a payment reaches a real receiver that
checks every signature, retries send the same envelope, a redelivery repeats its id, and a
reseller's webhook hears its own subtree only."""
from __future__ import annotations

import datetime as dt
import json
import time

import pytest
import requests
import sqlalchemy as sa

from integrations import sender
from provisioning import worker
from radbill import settings
from radbill.functions.caller import SYSTEM
from radbill.functions.registry import FuncError
from radbill.models import AuditLog, StaffUser, Webhook, WebhookDelivery
from tests.support.factories import caller_of, fn, make_customer, make_operator, make_package, \
    make_user
from tests.support.webhook_receiver import Receiver, verify

pytestmark = pytest.mark.integration


@pytest.fixture
def private_ok(monkeypatch):
    monkeypatch.setenv("RADBILL_WEBHOOK_ALLOW_PRIVATE", "1")
    settings.get.cache_clear()
    yield
    monkeypatch.delenv("RADBILL_WEBHOOK_ALLOW_PRIVATE")
    settings.get.cache_clear()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def world(factory, private_ok):
    """The ISP, reseller A (anna) with rahim, reseller B (ben) with bob."""
    with factory.begin() as s:
        make_operator(s, name="isp")
        make_operator(s, name="resA", parent="isp")
        make_operator(s, name="resB", parent="isp")
        make_user(s, login="anna", role="operator", operator="resA")
        make_user(s, login="ben", role="operator", operator="resB")
        make_package(s, name="Home", price="500")
        make_customer(s, username="rahim", package="Home", operator="resA")
        make_customer(s, username="bob", package="Home", operator="resB")
    return factory


def caller(factory, login):
    with factory() as s:
        return caller_of(s, s.scalars(sa.select(StaffUser).where(StaffUser.login == login)).one())


def add_hook(factory, who, url, events="*", **kw):
    with factory.begin() as s:
        result = fn(s, "webhook.edit", caller(factory, who), sok="ok", url=url, events=events,
                    **kw)
        return result.elid, result.extra.get("secret")


def drain(factory):
    return worker.drain_all(factory, worker.Policy(base_delay=0, coa_timeout=0.3,
                                                   coa_retries=1))


def pay(factory, who, username, amount="500"):
    with factory.begin() as s:
        fn(s, "payment.edit", caller(factory, who), sok="ok", customer=username,
           method="cash", amount=amount)


def deliveries(factory, hook_id=None):
    with factory() as s:
        stmt = sa.select(WebhookDelivery).order_by(WebhookDelivery.id)
        if hook_id is not None:
            stmt = stmt.where(WebhookDelivery.webhook_id == hook_id)
        return list(s.scalars(stmt))


def make_due(factory):
    with factory.begin() as s:
        s.execute(sa.update(WebhookDelivery).where(WebhookDelivery.status == "pending")
                  .values(next_attempt_at=sa.func.now() - dt.timedelta(seconds=1)))


def test_a_cash_payment_reaches_the_receiver_signed_within_a_second(world, receiver):
    hook, secret = add_hook(world, "anna", receiver.url, events="payment.*")
    assert secret.startswith("whsec_")
    receiver.secret = secret
    pay(world, "anna", "rahim")
    [d] = deliveries(world, hook)  # written with the event, in its transaction
    assert d.status == "pending" and d.event == "payment.received"
    started = time.monotonic()
    drain(world)
    assert time.monotonic() - started < 1.0
    [got] = receiver.received
    assert got.verified, got.why
    envelope = got.envelope
    assert envelope["event"] == "payment.received"
    assert envelope["id"] == got.headers["Radbill-Webhook-Id"] == f"evt_{d.event_id}_{hook}"
    assert envelope["data"]["username"] == "rahim" and envelope["data"]["amount"] == "500.00"
    assert dt.datetime.strptime(envelope["created_at"], "%Y-%m-%dT%H:%M:%SZ")
    assert got.headers["Content-Type"] == "application/json"
    assert got.body.decode() == d.body
    [d] = deliveries(world, hook)
    assert (d.status, d.attempts, d.response_code) == ("delivered", 1, 200)
    assert d.duration_ms is not None and d.delivered_at is not None
    with world() as s:
        assert s.get(Webhook, hook).last_status == 200


def test_a_receiver_failing_twice_gets_the_same_envelope_a_third_time(world, receiver):
    hook, receiver.secret = add_hook(world, "anna", receiver.url, events="payment.received")
    receiver.fail_next = 2
    pay(world, "anna", "rahim")
    delays = []
    for _ in range(3):
        before = time.time()
        drain(world)
        [d] = deliveries(world, hook)
        if d.status == "pending":
            delays.append(round(d.next_attempt_at.timestamp() - before))
        make_due(world)
    assert delays == [10, 20]  # 10 s, doubling
    assert [r.verified for r in receiver.received] == [True, True, True]
    assert len({r.body for r in receiver.received}) == 1
    assert receiver.seen == {receiver.received[0].envelope["id"]: 3}
    [d] = deliveries(world, hook)
    assert (d.status, d.attempts, d.response_code) == ("delivered", 3, 200)


def test_giving_up_after_the_attempts_and_a_dead_receiver(world, receiver, monkeypatch):
    monkeypatch.setenv("RADBILL_WEBHOOK_ATTEMPTS", "2")
    settings.get.cache_clear()
    hook, receiver.secret = add_hook(world, "anna", receiver.url)
    receiver.fail_next = 5
    pay(world, "anna", "rahim")
    drain(world)
    make_due(world)
    drain(world)
    failed = [d for d in deliveries(world, hook) if d.event == "payment.received"]
    assert failed[0].status == "failed" and "gave up after 2 attempts" in failed[0].last_error
    with world() as s:
        h = s.get(Webhook, hook)
        assert h.last_status == 500 and "500" in h.last_error
    monkeypatch.delenv("RADBILL_WEBHOOK_ATTEMPTS")
    settings.get.cache_clear()


def test_redeliver_sends_the_same_id_again_and_the_receiver_sees_the_duplicate(world, receiver):
    hook, receiver.secret = add_hook(world, "anna", receiver.url, events="payment.received")
    pay(world, "anna", "rahim")
    drain(world)
    [d] = deliveries(world, hook)
    with world.begin() as s:
        fn(s, "webhook.redeliver", caller(world, "anna"), elid=str(d.id))
    drain(world)
    first, again = receiver.received
    assert first.verified and again.verified and first.body == again.body
    assert receiver.duplicates() == [first.envelope["id"]]
    [d] = deliveries(world, hook)
    assert (d.status, d.attempts) == ("delivered", 2)
    with world() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(
            AuditLog.func == "webhook.redeliver", AuditLog.object_id == d.id)) == 1
    # another reseller cannot see nor resend it
    with world.begin() as s, pytest.raises(FuncError) as exc:
        fn(s, "webhook.redeliver", caller(world, "ben"), elid=str(d.id))
    assert exc.value.status == 404 and exc.value.field == "elid"


def test_a_tampered_or_stale_request_fails_verification(world, receiver):
    hook, receiver.secret = add_hook(world, "anna", receiver.url, events="payment.received")
    pay(world, "anna", "rahim")
    drain(world)
    [good] = receiver.received
    body = good.body.replace(b'"500.00"', b'"5000.00"')
    assert body != good.body
    headers = {k: v for k, v in good.headers.items()
               if k.startswith("Radbill-") or k == "Content-Type"}
    reply = requests.post(receiver.url, data=body, headers=headers, timeout=5)
    assert reply.status_code == 400 and receiver.received[-1].why == "bad signature"
    # the genuine request replayed six minutes later is outside the window
    assert verify(receiver.secret, good.headers, good.body) == ""
    assert verify(receiver.secret, good.headers, good.body, time.time() + 360) == \
        "outside the replay window"
    assert verify("whsec_another-secret-entirely", good.headers, good.body) == "bad signature"


def test_a_resellers_webhook_hears_its_own_subtree_only(world, receiver):
    a_hook, receiver.secret = add_hook(world, "anna", receiver.url)
    b_hook, _ = add_hook(world, "ben", receiver.url + "/b")
    with world.begin() as s:
        root_hook = fn(s, "webhook.edit", SYSTEM, sok="ok", url=receiver.url + "/isp",
                       events="payment.received", operator="isp").elid
    pay(world, "anna", "rahim")
    assert [d.event for d in deliveries(world, b_hook)] == []
    assert "payment.received" in [d.event for d in deliveries(world, a_hook)]
    assert [d.event for d in deliveries(world, root_hook)] == ["payment.received"]
    with world() as s:
        rows = fn(s, "webhook_delivery", caller(world, "ben")).rows
        assert rows == []
        assert fn(s, "webhook", caller(world, "ben")).total == 1
        rows = fn(s, "webhook_delivery", caller(world, "anna"), status="pending").rows
        assert rows and {r["webhook_id"] for r in rows} == {a_hook}
    with world.begin() as s, pytest.raises(FuncError):
        fn(s, "webhook.edit", caller(world, "ben"), elid=str(a_hook), sok="ok", active="off")


def test_event_patterns_choose_the_events(world, receiver):
    exact, _ = add_hook(world, "anna", receiver.url, events="customer.suspended")
    prefix, _ = add_hook(world, "anna", receiver.url, events="customer.*, bill.created")
    every, _ = add_hook(world, "anna", receiver.url, events="*")
    off, _ = add_hook(world, "anna", receiver.url, events="*", active="off")
    with world.begin() as s:
        fn(s, "customer.suspend", caller(world, "anna"), elid="rahim", reason="manual")
    with world.begin() as s:
        fn(s, "customer.resume", caller(world, "anna"), elid="rahim")
    pay(world, "anna", "rahim")
    names = {h: {d.event for d in deliveries(world, h)} for h in (exact, prefix, every, off)}
    assert names[exact] == {"customer.suspended"}
    assert "customer.suspended" in names[prefix] and "customer.activated" in names[prefix]
    assert "payment.received" not in names[prefix]
    assert {"customer.suspended", "payment.received"} <= names[every]
    assert names[off] == set()


def test_edit_validation_names_the_field(world):
    anna = caller(world, "anna")
    cases = [
        ({"url": "ftp://example.com/x", "events": "*"}, "url"),
        ({"url": "https://user:pw@example.com/x", "events": "*"}, "url"),
        ({"url": "https://example.com/x", "events": "payment.nothing"}, "events"),
        ({"url": "https://example.com/x", "events": "nothing.*"}, "events"),
        ({"url": "https://example.com/x", "events": ""}, "events"),
        ({"url": "https://example.com/x", "events": "*", "secret": "short"}, "secret"),
        ({"url": "https://example.com/x", "events": "*", "operator": "resB"}, "operator"),
    ]
    for params, field in cases:
        with world.begin() as s, pytest.raises(FuncError) as exc:
            fn(s, "webhook.edit", anna, sok="ok", **params)
        assert field in exc.value.errors, (params, exc.value.errors)


def test_private_targets_are_refused_unless_allowed(world, monkeypatch):
    monkeypatch.setenv("RADBILL_WEBHOOK_ALLOW_PRIVATE", "0")
    settings.get.cache_clear()
    anna = caller(world, "anna")
    for url in ("http://127.0.0.1:9/x", "http://localhost/x", "http://10.1.2.3/x",
                "http://169.254.169.254/latest/meta-data", "http://[::1]/x",
                "http://[::ffff:127.0.0.1]/x", "http://2130706433/x", "http://0x7f.1/x"):
        with world.begin() as s, pytest.raises(FuncError) as exc:
            fn(s, "webhook.edit", anna, sok="ok", url=url, events="*")
        assert "url" in exc.value.errors, url
    with world.begin() as s:
        assert fn(s, "webhook.edit", anna, sok="ok", url="https://hooks.example.com/rb",
                  events="*").elid
    # a name resolving to a private address is refused when sent, and never retried
    answer = sender.post(sender.Attempt(1, 1, "http://localhost.:9/x", "s" * 20, "evt_1_1",
                                        "{}"))
    assert answer.permanent and "refused" in answer.error


def test_the_secret_is_stored_encrypted_and_shown_once(world, receiver):
    hook, secret = add_hook(world, "anna", receiver.url)
    with world() as s:
        stored = s.scalar(sa.text("SELECT secret FROM webhooks WHERE id = :i"), {"i": hook})
        assert secret not in stored and stored.startswith("gAAAA")  # a Fernet token
        anna = caller(world, "anna")
        listed = fn(s, "webhook", anna).rows
        assert all("secret" not in r for r in listed)
        form = fn(s, "webhook.edit", anna, elid=str(hook)).values
        assert secret not in json.dumps(form, default=str)
        audit = s.scalars(sa.select(AuditLog).where(AuditLog.func == "webhook.edit")).all()
        assert secret not in json.dumps([a.after for a in audit], default=str)
    with world.begin() as s:  # an update answers no secret
        again = fn(s, "webhook.edit", caller(world, "anna"), elid=str(hook), sok="ok",
                   note="ours")
        assert "secret" not in again.extra
        mine = fn(s, "webhook.edit", caller(world, "anna"), elid=str(hook), sok="ok",
                  secret="whsec_chosen-by-the-integrator")
        assert "secret" not in mine.extra
    receiver.secret = "whsec_chosen-by-the-integrator"
    pay(world, "anna", "rahim")
    drain(world)
    assert receiver.received and all(r.verified for r in receiver.received)

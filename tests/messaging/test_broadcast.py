"""Broadcasts (messaging/broadcast.py, broadcast.edit / broadcast): the preview counts whom the
filters match and renders a real customer's text writing nothing; sok=ok saves the broadcast
and a task (audited) that queues one message per customer in their language and finishes once
they are sent; a large group needs confirm; a template is checked; the caller's subtree only;
a step done again queues nobody twice; a cancelled broadcast sends no more."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from messaging import broadcast as bc
from messaging import sender
from radbill import tasks
from radbill.functions.caller import SYSTEM
from radbill.functions.registry import FuncError, call
from radbill.models import AuditLog, Bill, Broadcast, Customer, Message, Task
from radbill.nthash import nt_hash
from tests.support.factories import caller_of, fn, make_customer, make_operator, make_package, \
    make_user
from tests.support.messaging.fixtures import add_gateway, drain

BODY = "Hello {{ name }}, {{ operator }} upgrades its network tonight."


def bulk_customers(session, operator_id: int, package_id: int, n: int, prefix: str = "b",
                   start: int = 1, **fixed) -> None:
    """COPY n customers of one operator and package (factories take minutes for thousands):
    usernames <prefix><number>, E.164 mobiles +88017<8 digits of the number>; `fixed` sets
    further columns (status, lang, zone_id, expires_at, ...) for all of them."""
    cols = ("username", "password", "nt_hash", "name", "mobile", "operator_id", "package_id",
            *fixed)
    raw = session.connection().connection.driver_connection
    hashed = nt_hash("s3cret")
    with raw.cursor() as cur, cur.copy(f"COPY customers ({', '.join(cols)}) FROM STDIN") as cp:
        for num in range(start, start + n):
            cp.write_row((f"{prefix}{num:06d}", "s3cret", hashed, f"Customer {num}",
                          f"+88017{num:08d}", operator_id, package_id, *fixed.values()))


@pytest.fixture
def isp(factory, sslwireless_emu):
    """An ISP with an SSL Wireless gateway, reseller A (operator anna) and B (ben), packages
    and a zone."""
    with factory.begin() as s:
        root = make_operator(s, name="isp")
        a = make_operator(s, name="resA", parent="isp")
        make_operator(s, name="resB", parent="isp")
        make_user(s, login="anna", role="operator", operator="resA")
        make_user(s, login="ben", role="operator", operator="resB")
        make_package(s, name="Home", price="500")
        make_package(s, name="Gold", price="900")
        fn(s, "zone.edit", sok="ok", name="north", operator="resA")
        gw = add_gateway(s, root.id, sslwireless_emu, price="0.25")
        gw.rate_per_second = 5000
        return {"root": root.id, "a": a.id, "gw": gw.id}


def caller(factory, login):
    from radbill.models import StaffUser
    with factory() as s:
        user = s.scalars(sa.select(StaffUser).where(StaffUser.login == login)).one()
        return caller_of(s, user)


def customers(factory, isp):
    """rahim (resA, north, Home, active, Bangla), karim (resA, Gold, suspended, owes 700, expires
    in 3 days), nomobile (resA, no mobile), bob (resB)."""
    anna = caller(factory, "anna")
    with factory.begin() as s:
        make_customer(s, anna, username="rahim", name="রহিম", mobile="01711000001",
                      lang="bn", package="Home", zone="north")
        k = make_customer(s, anna, username="karim", name="Karim", mobile="01711000002",
                          package="Gold")
        make_customer(s, anna, username="nomobile", package="Home")
        make_customer(s, SYSTEM, username="bob", mobile="01711000003", package="Home",
                      operator="resB")
        fn(s, "customer.suspend", elid="karim", reason="manual")
        fn(s, "bill.edit", sok="ok", customer="karim", description="arrears", amount="700")
        s.get(Customer, k.id).expires_at = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3)
    return anna


def ours(emu) -> list[dict]:
    """What the gateway got of the broadcast (not the customers' welcome and other notices)."""
    return [m for m in emu.sent if "upgrades its network" in m["sms"]]


def counts(factory):
    with factory() as s:
        return (s.scalar(sa.select(sa.func.count()).select_from(Broadcast)),
                s.scalar(sa.select(sa.func.count()).select_from(Message)
                         .where(Message.event == "broadcast")),
                s.scalar(sa.select(sa.func.count()).select_from(Task)))


def test_the_preview_counts_the_group_and_renders_a_real_customer_writing_nothing(factory, isp):
    anna = customers(factory, isp)
    before = counts(factory)
    with factory.begin() as s:
        pv = call(s, anna, "broadcast.edit", {"body": BODY}).values
        assert (pv["matched"], pv["with_address"], pv["without_address"]) == (3, 2, 1)
        # the first of them (rahim) in his language: Bangla name, the reseller's name
        assert pv["sample_customer"] == "rahim"
        assert pv["sample"] == "Hello রহিম, resA upgrades its network tonight."
        assert pv["segments"] == 1 and pv["gateway"] == "sslwireless"
        assert pv["cost_estimate"] == "0.50" and pv["confirm_needed"] is False
        assert pv["body"] == BODY  # OK sends the same

        def one(**kw):
            return call(s, anna, "broadcast.edit", {"body": BODY, **kw}).values
        assert one(zone="north")["with_address"] == 1
        assert one(package="Gold")["sample_customer"] == "karim"
        assert one(status="suspended")["sample_customer"] == "karim"
        assert one(status="active,suspended")["matched"] == 3
        assert one(due_above="500")["sample_customer"] == "karim"
        assert one(due_above="700")["matched"] == 0
        assert one(expiring_within="7")["sample_customer"] == "karim"
        assert one(expiring_within="1")["matched"] == 0
        # the ISP's own view reaches bob too; resB's subtree only bob
        assert call(s, SYSTEM, "broadcast.edit", {"body": BODY}).values["with_address"] == 3
        assert call(s, SYSTEM, "broadcast.edit", {"body": BODY, "operator": "resB"}
                    ).values["sample_customer"] == "bob"
        # an event's template instead of a text: the customer's language, the cascade's words
        pv = call(s, anna, "broadcast.edit", {"template": "bill.due", "package": "Gold"}).values
        assert pv["sample_customer"] == "karim" and "Karim" in pv["sample"]
    assert counts(factory) == before


def test_bad_input_is_refused_naming_each_field(factory, isp):
    anna = customers(factory, isp)
    with factory.begin() as s:
        for params, field, words in (
                ({"body": "{{ customer.__class__ }}"}, "body", "only plain variables"),
                ({"body": "Hi {{ nme }}"}, "body", "unknown variable nme"),
                ({}, "body", "is required"),
                ({"body": "x", "template": "bill.due"}, "template", "not both"),
                ({"template": "otp"}, "template", "is not one of"),
                ({"body": "x", "channel": "telegram"}, "channel", "is not one of"),
                ({"body": "x", "status": "sleeping"}, "status", "each is one of"),
                ({"body": "x", "due_above": "-5"}, "due_above", "negative"),
                ({"body": "x", "expiring_within": "²"}, "expiring_within", "whole number"),
                ({"body": "x", "zone": "south"}, "zone", "no zone"),
                ({"body": "x", "operator": "resB"}, "operator", "outside your subtree")):
            with pytest.raises(FuncError) as exc:
                call(s, anna, "broadcast.edit", params)
            assert field in exc.value.errors and words in exc.value.errors[field], \
                (params, exc.value.errors)
        with pytest.raises(FuncError) as exc:
            call(s, anna, "broadcast.edit", {"body": "x", "sok": "ok", "status": "disabled"})
        assert exc.value.field == "channel" and "0 match" in exc.value.message
    with pytest.raises(FuncError) as exc:
        with factory.begin() as s:
            call(s, caller(factory, "anna"), "broadcast.edit",
                 {"body": "x", "channel": "email", "sok": "ok"})
    assert "e-mail" in exc.value.message or "email" in exc.value.message


def test_a_broadcast_queues_one_message_per_customer_and_finishes_when_sent(factory, isp,
                                                                           sslwireless_emu):
    anna = customers(factory, isp)
    with factory.begin() as s:
        ok = call(s, anna, "broadcast.edit", {"body": BODY, "sok": "ok"})
        bid, tid = ok.elid, ok.extra["task"]
        assert ok.extra["recipients"] == 2
    with factory() as s:
        b, task = s.get(Broadcast, bid), s.get(Task, tid)
        assert (b.task_id, b.total, b.channel, b.created_by) == (tid, 2, "sms", "anna")
        assert (task.kind, task.status, task.operator_id) == ("broadcast", "queued", isp["a"])
        audit = s.scalars(sa.select(AuditLog).where(AuditLog.func == "broadcast.edit")).one()
        assert audit.object_id == bid and audit.after["body"] == BODY
    drain()  # the task queues, the sender sends
    drain()  # the task sees them sent
    with factory() as s:
        task = s.get(Task, tid)
        assert (task.status, task.done, task.failed, task.total) == ("done", 2, 0, 2)
        msgs = s.scalars(sa.select(Message).where(Message.broadcast_id == bid)
                         .order_by(Message.id)).all()
        assert [(m.recipient, m.lang, m.status, m.event) for m in msgs] == [
            ("+8801711000001", "bn", "sent", "broadcast"),
            ("+8801711000002", "en", "sent", "broadcast")]
        assert msgs[0].dedupe_key == f"broadcast:{bid}:{msgs[0].customer_id}"
        listed = call(s, anna, "broadcast", {}).rows
        assert [(r["id"], r["recipients"], r["sent"], r["progress"], r["task_status"])
                for r in listed] == [(bid, 2, 2, "100%", "done")]
        assert call(s, caller(factory, "ben"), "broadcast", {}).rows == []
    got = ours(sslwireless_emu)
    assert sorted(m["msisdn"] for m in got) == ["8801711000001", "8801711000002"]
    # the worker sends with several threads: the gateway may see them in either order
    by_number = {m["msisdn"]: m["sms"] for m in got}
    assert by_number["8801711000001"] == "Hello রহিম, resA upgrades its network tonight."


def test_a_large_group_needs_the_count_confirmed(factory, isp):
    with factory.begin() as s:
        pkg = s.scalar(sa.select(Customer.package_id).limit(1)) or \
            make_package(s, name="Bulk").id
        bulk_customers(s, isp["a"], pkg, bc_large() + 1, prefix="lg")
    with factory.begin() as s:
        pv = call(s, SYSTEM, "broadcast.edit", {"body": BODY}).values
        n = pv["with_address"]
        assert n == bc_large() + 1 and pv["confirm_needed"] and str(n) in pv["to_send"]
        for confirm, words in ((None, "needs confirm"), ("7", "confirm=7 does not match")):
            with pytest.raises(FuncError) as exc:
                call(s, SYSTEM, "broadcast.edit", {"body": BODY, "sok": "ok",
                                                   **({"confirm": confirm} if confirm else {})})
            assert exc.value.field == "confirm" and words in exc.value.message
        assert s.scalar(sa.select(sa.func.count()).select_from(Broadcast)) == 0
        ok = call(s, SYSTEM, "broadcast.edit", {"body": BODY, "sok": "ok", "confirm": str(n)})
        assert ok.extra["recipients"] == n


def bc_large() -> int:
    from messaging.functions.broadcasts import LARGE
    return LARGE


def test_a_step_done_again_queues_nobody_twice_and_the_progress_counts_the_sending(factory,
                                                                                   isp):
    with factory.begin() as s:
        pkg = make_package(s, name="Bulk").id
        bulk_customers(s, isp["a"], pkg, 1200, prefix="st")
    with factory.begin() as s:
        ok = call(s, SYSTEM, "broadcast.edit", {"body": BODY, "sok": "ok", "confirm": "1200"})
        bid, tid = ok.elid, ok.extra["task"]
    assert tasks.run_due(factory, budget=0) == 1  # one batch
    with factory() as s:
        task = s.get(Task, tid)
        assert task.params["after"] > 0 and task.note == f"queued {bc.BATCH} of 1,200"
        assert call(s, SYSTEM, "task", {"elid": str(tid)}).rows[0]["progress"] == "0%"
    assert tasks.run_due(factory) == 1  # 500 wait to be sent: the next batch waits
    with factory() as s:
        assert s.scalar(sa.select(sa.func.count()).where(Message.broadcast_id == bid)) == 500
        assert s.get(Task, tid).note == "queued 500 of 1,200, 500 waiting to be sent"
    # a runner killed after queueing but before its commit: the batch is done again
    with factory.begin() as s:
        s.get(Task, tid).params = {"broadcast_id": bid}
    while True:  # the task queues a batch, the sender sends it (as the worker's rounds do)
        tasks.run_due(factory)
        with factory() as s:
            if s.get(Task, tid).params.get("queued_all"):
                break
        sender.drain(factory, limit=300)
    with factory() as s:
        task = s.get(Task, tid)
        assert task.status == "running" and task.params["queued_all"]
        assert task.total == 1200 and task.params["queued"] == 700  # 500 were queued before
        assert s.scalar(sa.select(sa.func.count()).where(Message.broadcast_id == bid)) == 1200
        assert s.scalar(sa.select(sa.func.count(sa.distinct(Message.customer_id))).where(
            Message.broadcast_id == bid)) == 1200
        # the list's progress counts what the sender sent since the last step
        sent = s.scalar(sa.select(sa.func.count()).where(Message.broadcast_id == bid,
                                                        Message.status == "sent"))
        assert 0 < sent < 1200 and task.done <= sent
        assert call(s, SYSTEM, "task", {"elid": str(tid)}).rows[0]["progress"] == \
            f"{100 * sent // 1200}%"


def test_a_cancelled_broadcast_sends_nothing_more(factory, isp, sslwireless_emu):
    anna = customers(factory, isp)
    with factory.begin() as s:
        tid = call(s, anna, "broadcast.edit", {"body": BODY, "sok": "ok"}).extra["task"]
    tasks.run_due(factory)  # queued, not sent
    with factory.begin() as s:
        ok = call(s, anna, "task.cancel", {"elid": str(tid)})
        assert ok.extra["stopped"] == "2 queued messages will not be sent"
    drain()
    assert ours(sslwireless_emu) == []
    with factory() as s:
        assert s.get(Task, tid).status == "cancelled"
        assert [(m.status, m.reason) for m in s.scalars(sa.select(Message).where(
            Message.event == "broadcast"))] == [("failed", "the broadcast was cancelled")] * 2


def test_customers_without_a_gateway_are_skipped_and_said(factory, isp):
    # resB gets its own operator without gateways: only the ISP's gateway exists, so every
    # customer has one by the cascade; a WhatsApp broadcast has no gateway at all
    anna = customers(factory, isp)
    with factory.begin() as s:
        pv = call(s, anna, "broadcast.edit", {"body": BODY, "channel": "whatsapp"}).values
        assert pv["cannot_send"] == "no whatsapp gateway is set up" and pv["gateway"] == "none"
        with pytest.raises(FuncError) as exc:
            call(s, anna, "broadcast.edit", {"body": BODY, "channel": "whatsapp", "sok": "ok"})
        assert exc.value.field == "channel" and "no whatsapp gateway" in exc.value.message


def test_the_owed_amount_is_summed_over_open_bills(factory, isp):
    customers(factory, isp)
    with factory() as s:
        owed = s.scalar(sa.select(bc.owed()).where(Customer.username == "karim"))
        assert owed == Decimal("700.00")
        assert s.scalar(sa.select(sa.func.count()).select_from(Bill)) >= 1

"""The event stream and the lifecycle: every emitter against the catalogue, the database's own
guards, and the transitions the table refuses."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import sqlalchemy as sa

from messaging import charging, compose, sender
from provisioning import monitor
from radbill import events, lifecycle
from radbill import jobs as radbill_jobs
from radbill.functions.registry import FuncError
from radbill.models import (AuditLog, Event, GatewayCheckout, Message, MessageGateway,
                            Operator, Outbox)
from rating import billing_run, jobs
from rating.terms import today
from tests.support.factories import fn, make, make_customer, make_package
from tests.support.gateways.bkash_emu import BkashEmulator
from tests.support.rating_factories import make_profile, pay, postpaid_customer


def emitted(session) -> list[Event]:
    session.flush()
    return list(session.scalars(sa.select(Event).order_by(Event.id)))


def test_every_emitter_matches_the_catalogue(session):
    """Drive every emitter once -- functions, jobs, the accounting drain, the device monitor --
    then check each event against the catalogue, and that every catalogued type was seen."""
    on = today()
    pkg = make_package(session, price="500", data_cap="1G", fup_rate_down="1M",
                       fup_rate_up="1M", validity_days="30")
    c = make_customer(session, username="walker", package=pkg.name)  # customer.created
    fn(session, "customer.edit", sok="ok", elid="walker", mac="AA:BB:CC:00:11:22")  # updated
    fn(session, "customer.suspend", elid="walker")  # suspended
    fn(session, "customer.resume", elid="walker")  # activated
    fn(session, "customer.disable", elid="walker")  # disabled
    fn(session, "customer.enable", elid="walker")
    fn(session, "customer.delete", elid="walker")  # deleted
    fn(session, "customer.restore", elid="walker")  # restored
    # the accounting drain (SQL): usage over the cap moves walker to fup
    session.execute(sa.text("insert into radius_acct_log (kind, username, uniqueid, d_in, d_out) "
                            "values ('use', 'walker', 'u1', 1073741824, 1)"))
    session.execute(sa.text("select radbill_drain()"))
    session.refresh(c)
    assert c.status == "fup"
    jobs.fup_reset(session, c.cycle_start + dt.timedelta(days=30))  # fup_reset
    # prepaid validity ending soon, a bill due today
    prepaid = make_customer(session, package=make_package(session, price="200").name)
    prepaid.expires_at = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2)
    post = postpaid_customer(session, make_profile(session, grace_days="0"),
                             package=make_package(session, price="300").name,
                             since=on.replace(day=1) - dt.timedelta(days=40))
    # a debit reseller whose balance cannot pay for a renewal (its first period is billed)
    make(session, "operator", name="broke", kind="debit")
    fn(session, "operator.fund", elid="broke", amount="100")
    owes = postpaid_customer(session, package=make_package(session, price="400",
                                                           wholesale_price="100").name,
                             operator="broke", since=on.replace(day=1) - dt.timedelta(days=70))
    billing_run.generate(session, on.replace(day=1) - dt.timedelta(days=35),
                         customer_ids=[owes.id])
    jobs.billing(session, on)  # bill.created, bill.refused (set-based)
    due_day = session.scalar(sa.text("select due_date from bills where customer_id = :c"),
                             {"c": post.id})
    jobs.reminders(session, due_day - dt.timedelta(days=3))  # bill.due_soon (the default 3)
    jobs.reminders(session, due_day)  # bill.due, customer.expiring
    receipt = pay(session, post, "300")  # payment.received
    fn(session, "payment.reverse", elid=receipt.elid, reason="bounced")  # payment.reversed
    fn(session, "card.generate", sok="ok", count="1", amount="200")
    pin = session.scalar(sa.text("select pin from recharge_cards order by id desc limit 1"))
    pay(session, prepaid, method="card", pin=pin)  # card.redeemed
    with BkashEmulator() as emu:  # an online payment reported with another amount
        fn(session, "gateway.edit", sok="ok", name="bk", kind="bkash", base_url=emu.url,
           **emu.credentials)
        started = fn(session, "payment.checkout", customer=post.username, amount="50")
        emu.tamper_amount = Decimal("5.00")
        back = emu.pay(session.get(GatewayCheckout, started.elid).gateway_ref, "success")
        fn(session, "payment.confirm", invoice=started.extra["invoice"],
           data=json.dumps(back.params))  # payment.review
        post.mobile = "+8801711000009"
        fn(session, "payment.link", customer=post.username, send="sms")  # payment.link_sent
    # messaging: a gateway refusing our key, a reseller's balance under its threshold after
    # its messages were charged, a job that failed
    root = session.scalar(sa.select(Operator).where(Operator.parent_id.is_(None)))
    sms = MessageGateway(operator_id=root.id, name="sms", channel="sms", kind="http",
                         config={"url": "http://127.0.0.1:9/"}, price=Decimal("0.50"))
    session.add(sms)
    session.flush()
    sender.gateway_error(session, sms, "HTTP 401: bad api key")  # gateway.error
    broke = session.scalar(sa.select(Operator).where(Operator.name == "broke"))
    broke.low_balance = Decimal("1000")
    mid = compose.queue(session, operator_id=broke.id, event="broadcast", channel="sms",
                        recipient="+8801711000010", body="hello", gateway=sms)
    session.execute(sa.update(Message).where(Message.id == mid).values(status="sent"))
    charging.charge(session)  # operator.low_balance
    radbill_jobs.record_failure(session, "billing", RuntimeError("disk full"))  # job.failed
    nas = make(session, "nas", name="edge9", ip="10.250.0.9", secret="s3cret")
    monitor.set_status(session, "nas", nas.id, True)
    monitor.set_status(session, "nas", nas.id, False, error="timeout")  # device.down
    monitor.set_status(session, "nas", nas.id, True)  # device.up
    # issue 18: an OLT's optics pass reads an ONU above RADBILL_ONU_HOT_CELSIUS (onu.hot)
    from provisioning.olt import OnuInfo, sync as olt_sync
    from radbill.models import Olt
    fn(session, "olt.edit", sok="ok", name="olt-hot", brand="vsol", host="10.250.0.10",
       username="admin", password="olt-pw")
    hot_olt = session.scalars(sa.select(Olt).where(Olt.name == "olt-hot")).one()
    hot_now, hot_onus = dt.datetime.now(dt.timezone.utc), [
        OnuInfo("0/1", 2, "online", temperature=Decimal("74.50"))]
    olt_sync.hot(session, hot_olt, hot_onus,
                 olt_sync.upsert(session, hot_olt, hot_onus, True, hot_now), hot_now)
    # issue 14, package change: applied (customer.package_changed), a downgrade scheduled
    # (package_change.scheduled), cancelled, and one waiting for approval refused
    small, big = make_package(session, price="100"), make_package(session, price="900")
    mover = postpaid_customer(session, package=small.name)
    fn(session, "package.change", sok="ok", customer=mover.username, package=big.name)
    down = fn(session, "package.change", sok="ok", customer=mover.username, package=small.name)
    fn(session, "package_change.cancel", elid=str(down.elid))  # package_change.cancelled
    gated = make_package(session, price="950")
    gated.change_approval = True
    asked = fn(session, "package.change", sok="ok", customer=mover.username, package=gated.name)
    fn(session, "package_change.refuse", elid=str(asked.elid))  # package_change.refused

    # issue 14, sign-up: a confirmed sign-up approved (signup.approved), another rejected
    # (signup.rejected)
    from radbill.models.selfcare import Signup
    pkg14 = make_package(session, name="Signup14")
    s14 = [Signup(operator_id=root.id, package_id=pkg14.id, name=f"Applicant {i}",
                  mobile=f"+88017110141{i:02d}", address="Dhaka", national_id=f"140000000{i}",
                  verified_at=dt.datetime.now(dt.timezone.utc)) for i in range(2)]
    session.add_all(s14)
    session.flush()
    fn(session, "signup.approve", elid=str(s14[0].id))
    fn(session, "signup.reject", elid=str(s14[1].id), reason="no coverage")
    # -- end issue 14, sign-up

    # issue 14, complaints: created, acknowledged, a public comment, resolved, closed
    fn(session, "department.edit", sok="ok", name="Care14")
    fn(session, "complaint_category.edit", sok="ok", name="Outage14", department="Care14")
    comp = fn(session, "complaint.edit", sok="ok", customer=c.username, category="Outage14",
              subject="down", message="no link").elid
    fn(session, "complaint.edit", sok="ok", elid=str(comp), status="acknowledged")
    fn(session, "complaint.comment", complaint=str(comp), body="on our way", public="yes")
    for status in ("in_progress", "resolved", "closed"):
        fn(session, "complaint.edit", sok="ok", elid=str(comp), status=status)
    # -- end issue 14, complaints

    # issue 18, status checks: a TCP check fails 3 times (incident.opened), passes
    # (incident.resolved), fails again at once (flapping: opened without an alert) and is still
    # down FLAP_MINUTES later (incident.still_down)
    from monitoring import checks as status_checks
    from monitoring.incidents import FLAP_MINUTES
    from tests.support.check_targets import TcpTarget
    import socket
    with TcpTarget() as open_port, socket.socket() as shut:
        shut.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        chk = fn(session, "check.edit", sok="ok", name="edge tcp", kind="tcp",
                 target=f"127.0.0.1:{open_port.port}", failures="3").elid
        t0 = session.scalar(sa.select(sa.func.now())) + dt.timedelta(minutes=1)

        def aim(port, minutes):
            fn(session, "check.edit", sok="ok", elid=str(chk), target=f"127.0.0.1:{port}")
            status_checks.run_due(session, t0 + dt.timedelta(minutes=minutes))
        closed = shut.getsockname()[1]
        for m in range(3):
            aim(closed, m)
        aim(open_port.port, 3)
        for m in range(4, 7):
            aim(closed, m)
        status_checks.run_due(session, t0 + dt.timedelta(minutes=7 + FLAP_MINUTES))
    # -- end issue 18, status checks

    # issue 19, approvals: a cash payment above the threshold waits (approval.requested), a
    # second login approves it (approval.approved); another is rejected (approval.rejected)
    from tests.support.factories import caller_of, make_user
    fn(session, "approval.threshold", sok="ok", threshold="1")
    checker = caller_of(session, make_user(session, role="group_admin", operator=root.name))
    for decide, extra in (("approval.approve", {}), ("approval.reject", {"reason": "no"})):
        held = fn(session, "payment.edit", sok="ok", customer=post.username, method="cash",
                  amount="2")
        fn(session, decide, checker, elid=str(held.extra["pending"]), **extra)
    fn(session, "approval.threshold", sok="ok", threshold="")
    # -- end issue 19, approvals

    # issue 19, the books: an expense recorded, re-booked (expense.changed), reversed
    fn(session, "expense_category.edit", sok="ok", name="Rent19")
    spent = fn(session, "expense.edit", sok="ok", category="Rent19", amount="1000").elid
    fn(session, "expense.edit", sok="ok", elid=str(spent), amount="1200")
    fn(session, "expense.delete", elid=str(spent), reason="typo")
    # -- end issue 19, the books

    # issue 19, special permissions: a function granted to a login (permission.changed)
    from tests.support.factories import make_user as make_staff
    helper = make_staff(session, role="manager", operator=root.name)
    fn(session, "permission.edit", sok="ok", user=helper.login, func="olt", grant="yes")
    # -- end issue 19, special permissions

    # issue 19, the reseller tree: a customer moved (customer.transferred); a notice sent,
    # read and withdrawn; a provisioning key issued and revoked, another used to register
    from radbill.functions.caller import Caller
    from tests.support.factories import caller_of as as_login, make_user as make_login
    make(session, "operator", name="treeA", parent=root.name)
    make(session, "operator", name="treeB", parent=root.name)
    mover19 = make_customer(session, operator="treeA")
    fn(session, "customer.transfer", elid=mover19.username, to="treeB", bills="move", sok="ok")
    reader = as_login(session, make_login(session, role="operator", operator="treeA"))
    note19 = fn(session, "notice.edit", sok="ok", title="Fibre cut").elid
    fn(session, "notice.ack", reader, elid=str(note19))
    fn(session, "notice.withdraw", elid=str(note19))
    fn(session, "provisioning_key.revoke", elid=str(fn(session, "provisioning_key.edit",
                                                       sok="ok").elid))
    key19 = fn(session, "provisioning_key.edit", sok="ok").extra["secret"]
    fn(session, "operator_signup", Caller("register:visitor", "visitor", operator_path="/-/",
                                          ip="192.0.2.19", channel="web"),
       key=key19, name="treeNew", login="treenew19", password="correct-horse")
    # -- end issue 19, the reseller tree

    # issue 19, operator bills: one paid from the balance (operator_bill.issued, .paid), one
    # unpaid past due (operator.suspended), paid (operator.resumed); an operator deleted
    from rating import operator_billing
    for name in ("payer19", "late19", "gone19"):
        make(session, "operator", name=name, parent=root.name, kind="debit")
    fn(session, "operator.fund", elid="payer19", amount="10")
    for name in ("payer19", "late19"):
        fn(session, "operator_plan.edit", sok="ok", elid=name, fee_kind="flat", fee="10",
           due_days="0", grace_days="0")
    operator_billing.run(session, dt.date(2091, 1, 1))
    operator_billing.run(session, dt.date(2091, 1, 2))
    fn(session, "operator.fund", elid="late19", amount="10")
    late = session.scalar(sa.text("select b.id from operator_bills b join operators o on "
                                  "o.id = b.operator_id where o.name = 'late19'"))
    fn(session, "operator_bill.pay", elid=str(late))
    fn(session, "operator.delete", elid="gone19")
    # -- end issue 19, operator bills
    seen = emitted(session)
    for ev in seen:
        events.get(ev.name).check(ev.data)  # raises on a missing or unknown field
    assert {e.name for e in seen} == set(events.CATALOGUE)
    # each says which function or job caused it
    assert {e.func for e in seen if e.name.startswith("customer.")} >= {
        "customer.edit", "customer.suspend", "radius.accounting", "job.fup_reset"}
    # and each derived outbox row is one of its type's routes
    for row in session.scalars(sa.select(Outbox)):
        ev = session.get(Event, row.event_id)
        routes = [r for r in events.get(ev.name).routes if r.applies(ev.data)]
        assert row.kind in {r.consumer for r in routes}


def test_the_database_checks_events_against_the_catalogue(session):
    with pytest.raises(sa.exc.IntegrityError, match="does not match the catalogue"):
        with session.begin_nested():
            session.execute(sa.text("insert into events (name, data) values "
                                    "('customer.suspended', '{\"username\": \"x\"}')"))
    with pytest.raises(sa.exc.IntegrityError, match="does not match the catalogue"):
        with session.begin_nested():
            session.execute(sa.text("insert into events (name) values ('made.up')"))
    with pytest.raises(ValueError, match="missing"):
        events.emit(session, "payment.received", username="x")


def test_events_are_append_only(session):
    c = make_customer(session, username="keeper")
    ev = session.scalars(sa.select(Event).where(Event.customer_id == c.id)).first()
    for sql in ("update events set actor = 'someone else' where id = :i",
                "delete from events where id = :i"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with session.begin_nested():
                session.execute(sa.text(sql), {"i": ev.id})


def test_a_forbidden_transition_names_the_current_status(session):
    from radbill.models import Customer
    gone = make_customer(session, username="gone")
    fn(session, "customer.delete", elid="gone")
    with pytest.raises(FuncError) as err:
        fn(session, "customer.resume", elid="gone")
    assert err.value.status == 404  # the status actions do not find deleted customers
    session.refresh(gone)
    with pytest.raises(lifecycle.TransitionRefused, match="'gone' is deleted; cannot activate"):
        lifecycle.change(session, [gone], "active", "manual", lifecycle.Actor("t", "t"))
    fn(session, "customer.restore", elid="gone")
    with pytest.raises(FuncError, match="'gone' is active; cannot activate it") as err:
        fn(session, "customer.resume", elid="gone")
    assert err.value.field == "elid" and err.value.status == 409
    assert session.get(Customer, gone.id).status == "active"


def test_a_refused_change_in_a_batch_changes_nobody(session):
    make_customer(session, username="one")
    make_customer(session, username="two")
    fn(session, "customer.disable", elid="two")
    with pytest.raises(FuncError, match="'two' is disabled; cannot suspend it"):
        fn(session, "customer.suspend", elid="one,two")
    assert session.scalar(sa.text("select status from customers where username = 'one'")) == \
        "active"


def test_the_set_based_form_skips_what_the_table_refuses(session):
    a = make_customer(session, username="a1")
    b = make_customer(session, username="b1")
    fn(session, "customer.disable", elid="b1")
    moved = lifecycle.apply(session, [a.id, b.id], "suspended", "unpaid",
                            lifecycle.Actor("scheduler", "job.suspension"))
    assert moved == [a.id]
    log = fn(session, "suspension").rows
    assert [(r["customer_id"], r["from_state"], r["to_state"], r["func"]) for r in log
            if r["func"] == "job.suspension"] == [(a.id, "active", "suspended", "job.suspension")]
    audit = session.scalars(sa.select(AuditLog).where(AuditLog.func == "job.suspension")).one()
    assert (audit.before["status"], audit.after["status"], audit.actor) == \
        ("active", "suspended", "scheduler")


def test_the_python_and_database_tables_agree(session):
    conn = session.connection()
    assert events.differences(conn) == [] and lifecycle.differences(conn) == []
    # every transition's event is catalogued, and every reason is explained
    for t in lifecycle.TRANSITIONS:
        assert t.event in events.CATALOGUE
        assert set(t.reasons) <= set(lifecycle.REASONS)


def test_routes_agree_with_postgres_containment(session):
    """The Python mirror of @> (used to explain routes) decides as PostgreSQL does."""
    cases = [({"a": 1, "b": [1, 2]}, {"b": [2]}), ({"a": True}, {"a": True}),
             ({"a": "0.00"}, {"a": "0.00"}), ({"a": 1}, {"a": 2}), ({"x": {"y": 1}}, {"x": {}})]
    for data, part in cases:
        pg = session.scalar(sa.text("select cast(:d as jsonb) @> cast(:p as jsonb)"),
                            {"d": __import__("json").dumps(data), "p": __import__("json").dumps(part)})
        assert events._contains(data, part) is pg, (data, part)


def test_a_deduplicated_event_is_appended_once(session):
    c = make_customer(session, username="twice")
    first = events.emit(session, "customer.expiring", customer_id=c.id, dedupe_key="k:1",
                        username="twice", expires_at="2027-01-01", days_left=3)
    again = events.emit(session, "customer.expiring", customer_id=c.id, dedupe_key="k:1",
                        username="twice", expires_at="2027-01-01", days_left=3)
    assert first is not None and again is None
    assert session.scalar(sa.select(sa.func.count()).select_from(Outbox).where(
        Outbox.customer_id == c.id, Outbox.kind == "notify",
        Outbox.event_id >= first)) == 1  # the welcome (customer.created) came before


def test_reminders_run_twice_remind_once(session):
    on = today()
    prepaid = make_customer(session, package=make_package(session, price="200").name)
    prepaid.expires_at = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
    assert jobs.reminders(session, on) == "0 bills due soon, 0 bills due today, 1 customers expiring soon"
    assert jobs.reminders(session, on) == "0 bills due soon, 0 bills due today, 0 customers expiring soon"


def test_the_noc_sees_events_without_their_money(session):
    from tests.support.factories import caller_of, make_user
    c = make_customer(session, username="cash1")
    events.emit(session, "bill.refused", customer_id=c.id, operator_id=c.operator_id,
                actor="scheduler", username="cash1", cost="400.00", balance="100.00",
                period_from="2026-11-01", reason="balance")
    noc = caller_of(session, make_user(session, role="noc"))
    [row] = [r for r in fn(session, "event", noc, name="bill.refused").rows]
    assert row["data"]["username"] == "cash1"
    assert not {"cost", "balance"} & set(row["data"])
    [full] = fn(session, "event", name="bill.refused").rows
    assert full["data"]["cost"] == "400.00"

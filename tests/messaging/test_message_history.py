"""message, message.retry, incoming (messaging/functions/messages.py): the history inside the
caller's subtree, its filters and search, money hidden from the NOC, one-time codes never shown,
the CSV export, a failed message queued again, and the customer page's last messages."""
from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import sqlalchemy as sa

from messaging import compose
from radbill.functions.registry import AccessDenied, FuncError
from radbill.models import AuditLog, IncomingMessage, Message, MessageGateway
from tests.support.factories import caller_of, fn


@pytest.fixture
def history(world):
    s = world.dbs
    gw = MessageGateway(operator_id=world.isp.id, name="bulk", channel="sms", kind="bulksmsbd",
                        config={"sender_id": "8809617000000"}, price=Decimal("0.35"))
    mail = MessageGateway(operator_id=world.isp.id, name="mail", channel="email", kind="smtp",
                          config={"host": "127.0.0.1", "from_address": "b@isp.example.com"})
    s.add_all([gw, mail])
    s.flush()

    def queue(customer, event, body, channel="sms", **after):
        mid = compose.queue(s, operator_id=customer.operator_id, event=event, channel=channel,
                            recipient=customer.mobile if channel == "sms" else "a@example.com",
                            body=body, gateway=gw if channel == "sms" else mail,
                            customer_id=customer.id, lang="bn" if "ি" in body else "en",
                            subject="Your bill" if channel == "email" else None)
        msg = s.get(Message, mid)
        for k, v in after.items():
            setattr(msg, k, v)
        return msg

    when = dt.datetime(2026, 11, 7, 10, 0, tzinfo=dt.timezone.utc)
    m = dict(
        failed=queue(world.cust_a, "bill.due_soon", "প্রিয় Alice, বিল বাকি।", status="failed",
                     reason="1001: invalid number", attempts=1, created_at=when),
        sent=queue(world.cust_a, "payment.received", "Dear Alice, we received 500.00 BDT.",
                   status="delivered", gateway_ref="bsbd-77", sent_at=when,
                   delivered_at=when, created_at=when + dt.timedelta(days=1)),
        mail=queue(world.cust_a2, "bill.created", "Dear amos,\n\nYour bill.", channel="email",
                   status="sent", created_at=when + dt.timedelta(days=2)),
        otp=queue(world.cust_a, "otp", "Your code is 493021.", status="sent",
                  created_at=when + dt.timedelta(days=2)),
        bob=queue(world.cust_b, "bill.due", "Dear bob, pay today.", status="failed",
                  reason="timeout", created_at=when),
    )
    s.add(IncomingMessage(gateway_id=gw.id, operator_id=world.cust_a.operator_id,
                          channel="sms", sender=world.cust_a.mobile,
                          customer_id=world.cust_a.id, body="আমার লাইন কাজ করছে না",
                          gateway_ref="in-1"))
    s.add(IncomingMessage(gateway_id=gw.id, operator_id=world.cust_b.operator_id,
                          channel="sms", sender=world.cust_b.mobile,
                          customer_id=world.cust_b.id, body="bob here", gateway_ref="in-2"))
    s.commit()
    return m


def ids(result):
    return [r["id"] for r in result.rows]


def test_a_reseller_sees_its_subtrees_history_with_names_and_costs(world, history):
    opa = caller_of(world.dbs, world.operator_a)
    result = fn(world.dbs, "message", opa)
    h = history
    assert ids(result) == [h["otp"].id, h["mail"].id, h["sent"].id, h["failed"].id]
    row = next(r for r in result.rows if r["id"] == h["failed"].id)
    assert row["customer"] == "alice" and row["customer_id"] == world.cust_a.id
    assert (row["channel"], row["event"], row["status"]) == ("sms", "bill.due_soon", "failed")
    assert row["reason"] == "1001: invalid number" and row["recipient"] == "+8801711000001"
    assert row["segments"] == 1 and row["cost"] == "0.3500"
    sent = next(r for r in result.rows if r["id"] == h["sent"].id)
    assert sent["gateway_ref"] == "bsbd-77" and sent["delivered_at"] and sent["sent_at"]
    otp = next(r for r in result.rows if r["id"] == h["otp"].id)
    assert "493021" not in str(otp) and otp["body"] == "(a one-time code: not shown)"
    # the ISP sees everyone's; the other reseller only its own
    assert h["bob"].id in ids(fn(world.dbs, "message"))
    assert ids(fn(world.dbs, "message", caller_of(world.dbs, world.operator_b))) == [h["bob"].id]
    # a manager sees the customers it manages
    assert h["mail"].id not in ids(fn(world.dbs, "message", caller_of(world.dbs, world.manager)))


def test_filters_and_search(world, history):
    opa, h = caller_of(world.dbs, world.operator_a), history

    def find(**params):
        return ids(fn(world.dbs, "message", opa, **params))
    assert find(status="failed") == [h["failed"].id]
    assert find(customer="amos") == [h["mail"].id]
    assert find(customer=str(world.cust_a2.id)) == [h["mail"].id]
    assert find(channel="email") == [h["mail"].id]
    assert find(event="payment.received") == [h["sent"].id]
    assert find(**{"from": "2026-11-08", "to": "2026-11-08"}) == [h["sent"].id]
    assert find(**{"to": "2026-11-07"}) == [h["failed"].id]
    assert find(q="amo") == [h["mail"].id]                       # a username's start
    assert find(q="+88017110000") == [h["otp"].id, h["sent"].id, h["failed"].id]
    assert find(q="bsbd-77") == [h["sent"].id]                   # the gateway's id
    assert find(customer="bob") == []                            # not in the subtree
    assert find(operator="opB") == []
    assert find(sort="created_at")[0] == h["failed"].id
    for params, field in [(dict(status="lost"), "status"), (dict(channel="fax"), "channel"),
                          (dict(**{"from": "2026-02-30"}), "from"), (dict(gateway="x"), "gateway"),
                          (dict(sort="secret"), "sort")]:
        with pytest.raises(FuncError) as exc:
            fn(world.dbs, "message", opa, **params)
        assert field in exc.value.errors


def test_the_noc_sees_no_costs(world, history):
    result = fn(world.dbs, "message", caller_of(world.dbs, world.noc))
    assert "cost" not in result.columns and all("cost" not in r for r in result.rows)
    assert len(result.rows) == 5


def test_the_history_exports_as_csv(world, history, auth):
    auth.login("opera")
    resp = auth.get("/export.csv?func=message&status=failed")
    assert resp.status_code == 200
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert [r["id"] for r in rows] == [str(history["failed"].id)]
    assert rows[0]["reason"] == "1001: invalid number" and rows[0]["customer"] == "alice"


def test_the_customer_page_links_the_history(world, history, auth):
    auth.login("opera")
    page = auth.get(f"/customers/{world.cust_a.id}").get_data(as_text=True)
    assert f"func=message&amp;customer={world.cust_a.id}" in page


def test_a_failed_message_is_queued_again(world, history):
    s, h = world.dbs, history
    opa = caller_of(s, world.operator_a)
    with pytest.raises(FuncError) as exc:
        fn(s, "message.retry", opa, elid=str(h["sent"].id))
    assert exc.value.field == "elid" and "is delivered" in exc.value.message
    with pytest.raises(FuncError) as exc:
        fn(s, "message.retry", opa, elid=str(h["bob"].id))  # another reseller's
    assert exc.value.status == 404
    done = fn(s, "message.retry", opa, elid=str(h["failed"].id))
    assert done.extra == {"queued": 1}
    s.refresh(h["failed"])
    assert (h["failed"].status, h["failed"].attempts) == ("queued", 0)
    audit = s.scalars(sa.select(AuditLog).where(AuditLog.func == "message.retry")).one()
    assert audit.before["status"] == "failed" and audit.after["status"] == "queued"
    with pytest.raises(AccessDenied):
        fn(s, "message.retry", caller_of(s, world.noc), elid=str(h["bob"].id))


def test_incoming_messages(world, history):
    opa = caller_of(world.dbs, world.operator_a)
    rows = fn(world.dbs, "incoming", opa).rows
    assert [(r["customer"], r["body"]) for r in rows] == [("alice", "আমার লাইন কাজ করছে না")]
    assert len(fn(world.dbs, "incoming").rows) == 2
    assert fn(world.dbs, "incoming", q="লাইন").rows[0]["customer"] == "alice"
    assert fn(world.dbs, "incoming", customer="bob").rows[0]["body"] == "bob here"

"""Charging operators for their SMS: a message costs its segments x its gateway's price (GSM-7
160/153 per part, UCS-2 70/67), and the job message_charge books each operator's into the
ledger once: a reseller using its parent's gateway buys them from the parent (the parent earns),
an operator with its own gateway owes its provider; a reseller left under its low balance is
alerted (operator.low_balance)."""
from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from messaging import compose, segments
from radbill import db
from radbill.jobs import run
from radbill.models import Customer, Event, Message, Operator
from rating import ledger
from tests.support.factories import make_customer, make_operator, make_package
from tests.support.messaging.fixtures import add_gateway, drain

GSM_200 = "Dear customer, " + "x" * 185                      # 200 septets: 2 parts of 153
GSM_EXT = "{" * 80                                           # 160 septets: extension chars count 2
BN_100 = "আপনার বিল " * 10                                     # 100 UCS-2 units: 2 parts of 67
BN_70 = "ক" * 70                                             # exactly one UCS-2 SMS


@pytest.mark.parametrize("text,encoding,parts", [
    ("", "gsm7", 0), ("a" * 160, "gsm7", 1), ("a" * 161, "gsm7", 2), ("a" * 306, "gsm7", 2),
    ("a" * 307, "gsm7", 3), (GSM_EXT, "gsm7", 1), (GSM_EXT + "{", "gsm7", 2),
    (BN_70, "ucs2", 1), ("ক" * 71, "ucs2", 2), ("ক" * 134, "ucs2", 2), ("ক" * 135, "ucs2", 3),
    ("a" * 69 + "ক", "ucs2", 1), ("€" * 80, "gsm7", 1), ("😀" * 35, "ucs2", 1),
    ("😀" * 36, "ucs2", 2), (GSM_200, "gsm7", 2), (BN_100, "ucs2", 2)])
def test_segments(text, encoding, parts):
    c = segments.count(text)
    assert (c.encoding, c.segments) == (encoding, parts)


def world(bulksmsbd_emu, adn_emu):
    """isp (own BulkSMSBD gateway, 0.30 a part) > resA (a debit reseller using isp's gateway,
    low balance 1.00) and opB (its own ADN gateway, 0.20 a part); a customer each."""
    with db.session_scope() as s:
        isp = make_operator(s, name="isp")
        res = make_operator(s, name="resA", parent="isp", kind="debit")
        opb = make_operator(s, name="opB", parent="isp")
        # operator.edit has no low_balance field yet: set on the row
        s.get(Operator, res.id).low_balance = Decimal("1.00")
        make_package(s, name="home10", price="500")
        for n, (op, user) in enumerate(((isp, "ci"), (res, "cr"), (opb, "cb")), 1):
            make_customer(s, username=user, package="home10", mobile=f"+880171100000{n}",
                          operator=op.name)
        add_gateway(s, isp.id, bulksmsbd_emu, price="0.30")
        add_gateway(s, opb.id, adn_emu, price="0.20")
    drain()  # whatever creating them announced (the welcome): not what this test counts
    with db.session_scope() as s:
        s.execute(sa.delete(Message))
    for emu in (bulksmsbd_emu, adn_emu):
        emu.seen.clear()
        emu.sent.clear()
    return isp.id, res.id, opb.id


def queue(username: str, body: str, recipient: str | None = None) -> int:
    with db.session_scope() as s:
        c = s.scalar(sa.select(Customer).where(Customer.username == username))
        gw = compose.gateway(s, c.operator_id, "sms")
        return compose.queue(s, operator_id=c.operator_id, event="broadcast", channel="sms",
                             recipient=recipient or c.mobile, body=body, gateway=gw, customer_id=c.id)


def balances(op_id: int) -> dict[str, Decimal]:
    with db.session_scope() as s:
        return {k: ledger.balance(s, op_id, k) for k in
                ("messaging_cost", "upstream", "downstream", "revenue", "payable")}


def test_cost_is_segments_times_price_booked_once(committed, bulksmsbd_emu, adn_emu):
    isp, res, opb = world(bulksmsbd_emu, adn_emu)
    ids = [queue("cr", GSM_200), queue("cr", BN_100), queue("cr", BN_70),
           queue("cb", BN_100), queue("ci", "short")]
    with db.session_scope() as s:
        rows = {m.id: m for m in s.scalars(sa.select(Message).where(Message.id.in_(ids)))}
    assert [rows[i].segments for i in ids] == [2, 2, 1, 2, 1]
    assert [rows[i].cost for i in ids] == [Decimal("0.60"), Decimal("0.60"), Decimal("0.30"),
                                           Decimal("0.40"), Decimal("0.30")]
    queue("cb", "not sent", "+447911123456")   # refused by the gateway: costs nothing
    drain()
    with db.session_scope() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Message)
                        .where(Message.status == "failed")) == 1
    assert len(bulksmsbd_emu.sent) == 4 and len(adn_emu.sent) == 1

    assert "5 messages charged" in run("message_charge")
    assert run("message_charge").startswith("0 messages charged")   # a rerun books nothing
    # the reseller bought 1.50 of SMS from isp, whose gateway it used: isp earns it
    assert balances(res)["messaging_cost"] == Decimal("1.50")
    assert balances(res)["upstream"] == Decimal("-1.50")
    assert balances(isp)["downstream"] == Decimal("1.50")
    assert balances(isp)["revenue"] == Decimal("-1.50")
    # opB's own gateway: it owes its provider; isp earns nothing from it
    assert balances(opb)["messaging_cost"] == Decimal("0.40")
    assert balances(opb)["payable"] == Decimal("-0.40")
    assert balances(opb)["upstream"] == Decimal("0")
    # isp's own message through its own gateway
    assert balances(isp)["messaging_cost"] == Decimal("0.30")
    with db.session_scope() as s:
        charged = s.scalars(sa.select(Message).where(Message.status.in_(("sent", "delivered"))))
        assert all(m.charge_txn_id is not None for m in charged)
        assert not ledger.unbalanced_transactions(s)


def test_a_reseller_under_its_low_balance_is_alerted_once(committed, bulksmsbd_emu, adn_emu):
    isp, res, opb = world(bulksmsbd_emu, adn_emu)
    queue("cr", BN_70)
    drain()
    run("message_charge")                        # 0.30 spent: -0.30 < 1.00
    queue("cr", BN_70)
    drain()
    run("message_charge")
    with db.session_scope() as s:
        alerts = s.scalars(sa.select(Event).where(Event.name == "operator.low_balance")).all()
        assert [a.operator_id for a in alerts] == [res]     # once a day, only the reseller
        assert Decimal(alerts[0].data["threshold"]) == Decimal("1.00")
        assert Decimal(alerts[0].data["balance"]) == Decimal("-0.30")
    assert balances(res)["messaging_cost"] == Decimal("0.60")

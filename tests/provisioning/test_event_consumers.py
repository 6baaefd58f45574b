"""The spine end to end: a change goes through the lifecycle, appends its events, and the
worker carries out exactly what the events' routes say -- real RADIUS to a NAS simulator, real
mail to an SMTP server."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from provisioning import worker
from radbill.models import AuditLog, Event, Outbox, RadAcct
from rating import jobs
from rating.terms import today
from tests.support.factories import fn, make, make_package
from tests.support.messaging import channel_fixtures
from tests.support.messaging.channel_fixtures import add_channel_gateway
from tests.support.rating_factories import make_profile, pay, postpaid_customer

mail_server = channel_fixtures.mail_server  # fixtures

pytestmark = pytest.mark.integration


@pytest.fixture
def nas(coa_nas):
    return coa_nas


def policy() -> worker.Policy:
    return worker.Policy(base_delay=0, coa_timeout=0.3, coa_retries=1)


def drain(factory) -> tuple[int, int]:
    """The worker's round: the outbox (Disconnects, notices -> messages), then the messages
    (the operator's SMTP gateway, messaging/sender.py)."""
    return worker.drain_all(factory, policy())


def counts(s, customer_id: int) -> dict:
    """Everything the spine writes for one customer, counted."""
    def n(stmt):
        return s.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    return {
        "status_audit": n(sa.select(AuditLog).where(
            AuditLog.object_type == "customer", AuditLog.object_id == customer_id,
            AuditLog.after["reason"].astext == "payment")),
        "status_log": len([r for r in fn(s, "suspension", customer=str(customer_id)).rows
                           if r["reason"] == "payment"]),
        "received": n(sa.select(Event).where(Event.customer_id == customer_id,
                                             Event.name == "payment.received")),
        "activated": n(sa.select(Event).where(Event.customer_id == customer_id,
                                              Event.name == "customer.activated")),
    }


def test_a_cash_payment_that_settles_a_suspended_customer(factory, nas, mail_server):
    """One audit row (reason payment), one status-log row, one payment.received and one
    customer.activated event, exactly one Disconnect at the NAS and one notice (an e-mail
    through the operator's SMTP gateway); a replay of the same payment adds none of them."""
    inbox = mail_server
    on = today()
    with factory.begin() as s:
        make(s, "nas", name="core1", ip="127.0.0.1", secret="testing123", coa_port=str(nas.port))
        profile = make_profile(s, grace_days="0")
        c = postpaid_customer(s, profile, since=on.replace(day=1) - dt.timedelta(days=40),
                              username="settler", email="settler@example.net",
                              package=make_package(s, price="500").name)
        add_channel_gateway(s, c.operator_id, mail_server)
        jobs.billing(s, on)
        # past the due date and the grace days: the suspension job suspends
        assert jobs.suspension(s, on + dt.timedelta(days=40)).startswith("1 customers")
        s.add(RadAcct(acctsessionid="81b00001", acctuniqueid="u-81b00001", username="settler",
                      nasipaddress="127.0.0.1", framedipaddress="100.64.9.9",
                      acctstarttime=dt.datetime.now(dt.timezone.utc)))
        cid = c.id
    nas.add_session("81b00001", "settler", "100.64.9.9")
    drain(factory)  # the suspension's own Disconnect and notice
    nas.received.clear()
    inbox.messages.clear()
    nas.add_session("81b00001", "settler", "100.64.9.9")  # the walled-garden session
    with factory.begin() as s:
        s.execute(sa.update(RadAcct).where(RadAcct.acctsessionid == "81b00001")
                  .values(acctstoptime=None))
        due = s.scalar(sa.text("select sum(total - paid) from bills where customer_id = :c "
                               "and status = 'open'"), {"c": cid})
        first = pay(s, s.get(type(c), cid), str(due), reference="RCPT-77")
        assert s.get(type(c), cid).status == "active"
    assert counts_of(factory, cid) == {"status_audit": 1, "status_log": 1, "received": 1,
                                      "activated": 1}
    assert drain(factory) == (2, 1)  # the Disconnect and the receipt; one e-mail
    assert [p["kind"] for p in nas.received] == ["disconnect"]
    assert nas.received[0]["User-Name"] == ["settler"]
    [mail] = inbox.messages
    assert mail.envelope_to == ["settler@example.net"]
    text = mail.get_body(("plain",)).get_content()
    assert "received" in text.lower() and str(due) in text

    # the same payment again (a double click, a replayed callback): nothing more happens
    with factory.begin() as s:
        again = pay(s, s.get(type(c), cid), str(due), reference="RCPT-77")
        assert again.elid == first.elid and again.extra["replayed"] is True
    assert counts_of(factory, cid) == {"status_audit": 1, "status_log": 1, "received": 1,
                                      "activated": 1}
    assert drain(factory) == (0, 0)
    assert len(nas.received) == 1 and len(inbox.messages) == 1


def counts_of(factory, customer_id: int) -> dict:
    with factory() as s:
        return counts(s, customer_id)


def test_every_outbox_row_names_the_event_it_came_from(factory):
    """Nobody builds an outbox payload by hand: each row points at its event and carries its
    payload."""
    with factory.begin() as s:
        c = postpaid_customer(s, make_profile(s), package=make_package(s, price="300").name,
                              email="x@example.net")
        jobs.billing(s, today())
        pay(s, c, "300")
        s.execute(sa.text("select 1"))
    with factory() as s:
        rows = s.scalars(sa.select(Outbox).order_by(Outbox.id)).all()
        assert rows, "the bill and the payment have notices"
        for row in rows:
            ev = s.get(Event, row.event_id)
            assert ev is not None and row.payload == {**ev.data, "event": ev.name}

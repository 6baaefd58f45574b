"""Telegram staff alerts end to end: an event routed to `alert` -> the worker composes one message
per Telegram gateway on the operator's chain -> the sender -> the Bot API emulator (real HTTP);
the Bot API's refusals judged permanent, gateway-wide or transient, the token never shown."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from radbill import db, events
from radbill.models import Event, Message, MessageGateway
from tests.support.factories import make_operator
from tests.support.messaging import channel_fixtures
from tests.support.messaging.channel_fixtures import (add_channel_gateway, edit_gateway,
                                                      free_tcp_port)
from tests.support.messaging.fixtures import drain

telegram_emu = channel_fixtures.telegram_emu  # fixtures

ISP_CHAT, RESELLER_CHAT = -1001234567890, -1009876543210


def setup(emu, **creds):
    """The ISP with a Telegram gateway to `emu`'s first chat; (operator id, gateway id)."""
    with db.session_scope() as s:
        isp = make_operator(s, name="isp")
        gw = add_channel_gateway(s, isp.id, emu, **creds)
    drain()
    emu.seen.clear()
    return isp.id, gw.id


def job_failed(operator_id: int, job="billing", error="division by zero") -> int:
    with db.session_scope() as s:
        return events.emit(s, "job.failed", operator_id=operator_id, actor="scheduler",
                           func="job.any", job=job, error=error)


def alerts() -> list[Message]:
    with db.session_scope() as s:
        return list(s.scalars(sa.select(Message).where(Message.channel == "telegram")
                              .order_by(Message.id)))


def test_a_failed_job_is_posted_to_the_chat(committed, telegram_emu):
    op, gid = setup(telegram_emu)
    ev = job_failed(op)
    drain()
    [msg] = alerts()
    assert msg.status == "delivered" and msg.event == "job.failed" and msg.event_id == ev
    assert msg.recipient == str(ISP_CHAT) and msg.gateway_id == gid
    [got] = telegram_emu.sent
    assert got["chat_id"] == str(ISP_CHAT) and got["text"] == msg.body
    assert got["text"].startswith("A scheduled job failed\n")
    assert "job: billing" in got["text"] and "division by zero" in got["text"]
    assert msg.gateway_ref == f"{ISP_CHAT}:{got['message_id']}"
    [seen] = telegram_emu.seen
    assert isinstance(seen.json["chat_id"], int) and "parse_mode" not in seen.json
    assert telegram_emu.violations == []
    drain()                                              # nothing twice
    assert len(telegram_emu.sent) == 1


def test_each_chat_on_the_operators_chain_hears_it(committed):
    from tests.support.messaging.telegram_emu import TelegramEmulator
    with TelegramEmulator(chats=(ISP_CHAT, RESELLER_CHAT)) as emu:
        op, _ = setup(emu)
        with db.session_scope() as s:
            res = make_operator(s, name="northnet", parent="isp")
            add_channel_gateway(s, res.id, emu, name="northnet-noc",
                                config={"chat_id": str(RESELLER_CHAT)})
            rid = res.id
        job_failed(rid, job="olt_sync")
        job_failed(op, job="billing")
        drain()
        got = sorted((m["chat_id"], "olt_sync" in m["text"]) for m in emu.sent)
        assert got == sorted([(str(RESELLER_CHAT), True), (str(ISP_CHAT), True),
                              (str(ISP_CHAT), False)])
        assert emu.violations == []


def test_a_wrong_token_stops_the_gateway_without_showing_it(committed, telegram_emu):
    op, gid = setup(telegram_emu, bot_token="7012345678:AAH-revoked-token-xyz")
    job_failed(op)
    drain()
    drain()             # the gateway.error the first round emitted
    drain()
    [first, *rest] = alerts()
    assert first.status == "failed" and "401" in first.reason and first.attempts == 1
    assert "AAH-revoked-token-xyz" not in first.reason
    with db.session_scope() as s:
        gw = s.get(MessageGateway, gid)
        assert gw.last_error == first.reason
        [ev] = s.scalars(sa.select(Event).where(Event.name == "gateway.error"))
        assert "AAH-revoked" not in str(ev.data)
    # the gateway.error alert itself goes the same broken way once, and stops there
    assert [m.event for m in rest] == ["gateway.error"] and rest[0].status == "failed"
    assert telegram_emu.sent == []


def test_a_chat_the_bot_is_not_in_fails_the_message(committed, telegram_emu):
    op, gid = setup(telegram_emu)
    with db.session_scope() as s:
        edit_gateway(s, gid, chat_id="-1005555555555")
    job_failed(op)
    drain()
    [msg] = alerts()
    assert msg.status == "failed" and "chat not found" in msg.reason
    with db.session_scope() as s:
        assert s.get(MessageGateway, gid).last_error is None


@pytest.mark.parametrize("trouble,words", [(429, "retry after 7"), (("http", 502), "502")])
def test_flood_wait_and_server_trouble_retry(committed, telegram_emu, trouble, words):
    op, _ = setup(telegram_emu)
    if isinstance(trouble, tuple):
        telegram_emu.status_next(trouble[1])
    else:
        telegram_emu.fail_next(trouble)
    job_failed(op)
    drain()
    [msg] = alerts()
    assert msg.status == "queued" and words in msg.reason and msg.attempts == 1
    with db.session_scope() as s:
        s.execute(sa.update(Message).where(Message.status == "queued")
                  .values(next_attempt_at=sa.func.now()))
    drain()
    [msg] = alerts()
    assert msg.status == "delivered" and len(telegram_emu.sent) == 1


def test_no_answer_retries_and_the_token_stays_hidden(committed, telegram_emu):
    op, gid = setup(telegram_emu)
    with db.session_scope() as s:
        edit_gateway(s, gid, url=f"http://127.0.0.1:{free_tcp_port()}")
    job_failed(op)
    drain()
    [msg] = alerts()
    assert msg.status == "queued" and telegram_emu.token not in msg.reason


@pytest.mark.parametrize("value", ["chat", "12ab", "@ab", ""])
def test_the_chat_id_is_validated(value):
    from messaging.drivers.telegram import chat_id
    with pytest.raises(ValueError):
        chat_id(value)

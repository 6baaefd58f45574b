"""Sending (messaging/sender.py): at most once, retries with backoff, permanent refusals at once,
a gateway-wide refusal alerts the staff, a sender killed while asking never repeats a message."""
from __future__ import annotations

import datetime as dt
import http.server
import threading
import urllib.parse
from decimal import Decimal

import pytest
import sqlalchemy as sa

from messaging import compose, sender
from radbill.models import Event, Message, MessageGateway, Operator
from rating.gateways import secrets
from tests.support.factories import make_customer


class Recorder(http.server.ThreadingHTTPServer):
    """An HTTP SMS gateway in the shape the generic driver is configured for: answers
    `self.replies` in turn (status, body), then 200 "OK"; records every form it got."""

    def __init__(self):
        self.got: list[dict] = []
        self.replies: list[tuple[int, str]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                outer.got.append(dict(urllib.parse.parse_qsl(self.rfile.read(n).decode())))
                status, body = outer.replies.pop(0) if outer.replies else (200, "OK 1701")
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/api/send"


@pytest.fixture
def gw_server():
    server = Recorder()
    yield server
    server.shutdown()


def setup(factory, server, **kw):
    with factory.begin() as s:
        c = make_customer(s, username="amina", name="Amina", mobile="01711000011")
        gw = MessageGateway(operator_id=c.operator_id, name="sms", channel="sms", kind="http",
                            config={"url": server.url, "ok": "OK",
                                    "params": "key={key}&to={to}&text={text}&ref={ref}"},
                            credentials=secrets.encrypt({"key": "sekrit-key-123"}),
                            price=Decimal("0.40"), rate_per_second=1000, **kw)
        s.add(gw)
        s.flush()
        mid = compose.queue(s, operator_id=c.operator_id, event="broadcast", channel="sms",
                            recipient=c.mobile, body="Hello Amina", gateway=gw,
                            customer_id=c.id)
        return mid, gw.id


def message(factory, mid) -> Message:
    with factory() as s:
        return s.get(Message, mid)


def test_a_message_is_sent_once_with_our_reference(factory, gw_server):
    mid, _ = setup(factory, gw_server)
    assert sender.drain(factory) == 1
    assert sender.drain(factory) == 0
    assert gw_server.got == [{"key": "sekrit-key-123", "to": "+8801711000011",
                              "text": "Hello Amina", "ref": f"rb{mid}"}]
    m = message(factory, mid)
    assert (m.status, m.attempts, m.reason) == ("sent", 1, None) and m.sent_at is not None


def test_a_transient_error_retries_with_backoff_then_gives_up(factory, gw_server):
    mid, _ = setup(factory, gw_server)
    gw_server.replies = [(503, "busy")]
    before = dt.datetime.now(dt.timezone.utc)
    assert sender.drain(factory) == 1
    m = message(factory, mid)
    assert m.status == "queued" and "HTTP 503" in m.reason
    assert m.next_attempt_at >= before + dt.timedelta(seconds=sender.BASE_DELAY - 1)
    assert sender.drain(factory) == 0  # not due yet
    # the last attempt: the next transient error gives up, with the reason
    with factory.begin() as s:
        s.execute(sa.update(Message).where(Message.id == mid).values(
            attempts=7, next_attempt_at=sa.func.now()))
    gw_server.replies = [(502, "bad gateway")]
    sender.drain(factory)
    m = message(factory, mid)
    assert m.status == "failed" and m.reason.startswith("gave up after 8 attempts: ")


def test_a_permanent_refusal_fails_at_once_and_masks_the_key(factory, gw_server):
    mid, gid = setup(factory, gw_server)
    gw_server.replies = [(400, "invalid number for key=sekrit-key-123")]
    sender.drain(factory)
    m = message(factory, mid)
    assert m.status == "failed" and "HTTP 400" in m.reason
    assert "sekrit" not in m.reason and "***" in m.reason
    with factory() as s:
        assert s.get(MessageGateway, gid).last_error is None  # the number's fault, not the key's
        assert not s.scalars(sa.select(Event).where(Event.name == "gateway.error")).all()


def test_a_refused_key_alerts_the_staff_once_a_day(factory, gw_server):
    mid, gid = setup(factory, gw_server)
    with factory.begin() as s:
        c = s.scalar(sa.select(Message.customer_id).where(Message.id == mid))
        gw = s.get(MessageGateway, gid)
        second = compose.queue(s, operator_id=gw.operator_id, event="broadcast", channel="sms",
                               recipient="+8801711000012", body="Hi", gateway=gw, customer_id=c)
    gw_server.replies = [(401, "unauthorised"), (401, "unauthorised")]
    assert sender.drain(factory) == 2
    with factory() as s:
        assert {m.status for m in s.scalars(sa.select(Message))} == {"failed"}
        assert "HTTP 401" in s.get(MessageGateway, gid).last_error
        [ev] = s.scalars(sa.select(Event).where(Event.name == "gateway.error")).all()
        assert ev.data["gateway"] == "sms" and ev.operator_id == s.get(MessageGateway, gid).operator_id
    assert second


def test_a_sender_killed_while_asking_never_sends_twice(factory, gw_server):
    mid, _ = setup(factory, gw_server)
    # what a sender that died after claiming leaves behind
    long_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
    with factory.begin() as s:
        s.execute(sa.update(Message).where(Message.id == mid).values(
            status="sending", claimed_at=long_ago, attempts=1))
    assert sender.drain(factory) == 0
    m = message(factory, mid)
    assert m.status == "failed" and m.reason.startswith("interrupted while sending")
    assert gw_server.got == []
    # one claimed a moment ago is another sender's, still at work: left alone
    mid2, _ = setup_second(factory)
    with factory.begin() as s:
        s.execute(sa.update(Message).where(Message.id == mid2).values(
            status="sending", claimed_at=sa.func.now()))
    sender.drain(factory)
    assert message(factory, mid2).status == "sending"


def setup_second(factory):
    with factory.begin() as s:
        gw = s.scalars(sa.select(MessageGateway)).first()
        op = s.scalars(sa.select(Operator)).first()
        mid = compose.queue(s, operator_id=op.id, event="broadcast", channel="sms",
                            recipient="+8801711000013", body="Hi", gateway=gw)
        return mid, gw.id


def test_a_switched_off_gateway_fails_its_queue_with_the_reason(factory, gw_server):
    mid, gid = setup(factory, gw_server)
    with factory.begin() as s:
        s.get(MessageGateway, gid).enabled = False
    sender.drain(factory)
    m = message(factory, mid)
    assert m.status == "failed" and "switched off" in m.reason and gw_server.got == []


def test_the_throttle_spaces_a_gateways_messages():
    t = sender.Throttle()
    import time
    start = time.monotonic()
    for _ in range(5):
        t.wait(1, 50)  # 50 a second: 4 gaps of 20 ms
    assert time.monotonic() - start >= 0.075

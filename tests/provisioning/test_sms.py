"""Notices by SMS through an HTTP gateway (a local http.server), beside e-mail (aiosmtpd)."""
from __future__ import annotations

import datetime as dt
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from tests.support.factories import make_customer
from provisioning import notify, sms, worker
from tests.support import outbox_rows as outbox
from tests.support.device_fixtures import free_tcp_port
from radbill.models import Customer, Outbox
from radbill.settings import Settings

KEY = "s3cr&t+key"
RAHIM = "রহিম"  # U+09B0 U+09B9 U+09BF U+09AE
RAHIM_UTF8 = "%E0%A6%B0%E0%A6%B9%E0%A6%BF%E0%A6%AE"


class Gateway:
    """Records each request; answers with `status` and `body`, which a test may change."""

    def __init__(self):
        self.requests: list[dict] = []
        self.status, self.body = 200, "1701|SMS SUBMITTED"
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                gateway.requests.append({"method": self.command, "path": self.path,
                                         "type": self.headers.get("Content-Type"),
                                         "body": self.rfile.read(length).decode("ascii")})
                data = gateway.body.encode()
                self.send_response(gateway.status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def channel(self, path: str = "/send", **kw) -> sms.HttpSms:
        kw = {"key": KEY, "ok": "SMS SUBMITTED", "isp": "Net ISP", "tz": "Asia/Dhaka",
              "timeout": 2, **kw}
        return sms.HttpSms(f"http://127.0.0.1:{self.port}{path}", **kw)


@pytest.fixture
def gateway():
    gw = Gateway()
    gw.thread.start()
    yield gw
    gw.server.shutdown()
    gw.server.server_close()


def policy(channels, **kw) -> worker.Policy:
    return worker.Policy(**{"base_delay": 60, "channels": channels, **kw})


def the_event(factory) -> Outbox:
    with factory() as s:
        [ev] = s.scalars(sa.select(Outbox))
        return ev


def paid(factory, **customer) -> None:
    with factory.begin() as s:
        c = make_customer(s, **{"username": "rahim", "name": RAHIM, "mobile": "+8801711000001",
                                **customer})
        # 18:00 UTC is midnight in Dhaka: the text shows the ISP's time
        s.get(Customer, c.id).expires_at = dt.datetime(2026, 11, 30, 18, tzinfo=dt.timezone.utc)
        outbox.notify(s, c.id, "payment.received", payment_id=7, amount="500.00", method="cash")


# -- against the gateway ----------------------------------------------------------------------
@pytest.mark.integration
def test_payment_is_texted_as_a_form_post(factory, gateway):
    paid(factory)
    worker.drain(factory, policy([gateway.channel()]))
    [req] = gateway.requests
    assert req["method"] == "POST" and req["path"] == "/send"
    assert req["type"] == "application/x-www-form-urlencoded"
    text = (f"Dear {RAHIM}, we received 500.00 BDT for rahim. Valid until 2026-12-01 00:00. "
            "- Net ISP")
    assert req["body"] == ("api_key=s3cr%26t%2Bkey&to=%2B8801711000001&msg="
                           + urllib.parse.quote_plus(text))
    assert f"msg=Dear+{RAHIM_UTF8}%2C+we+received+500.00+BDT" in req["body"]
    ev = the_event(factory)
    assert ev.status == "done" and ev.last_error is None
    result = json.loads(ev.result)
    assert result["deliveries"] == [
        "sms to +8801711000001 accepted by 127.0.0.1 (HTTP 200)"]
    assert result["channels"]["sms"]["sent"] is True


@pytest.mark.integration
def test_get_gateway_takes_the_fields_in_the_query(factory, gateway):
    paid(factory)
    channel = gateway.channel("/api.php?user=isp", method="get", ok="",
                              params="key={key}&type=unicode&contacts={to}&msg={text}")
    worker.drain(factory, policy([channel]))
    [req] = gateway.requests
    assert req["method"] == "GET" and req["body"] == ""
    path, _, query = req["path"].partition("?")
    assert path == "/api.php"
    assert query.startswith(f"user=isp&key=s3cr%26t%2Bkey&type=unicode&contacts=%2B8801711000001"
                            f"&msg=Dear+{RAHIM_UTF8}%2C+")
    fields = urllib.parse.parse_qs(query)
    assert fields["key"] == [KEY] and fields["msg"][0].startswith(f"Dear {RAHIM}, we received")
    assert the_event(factory).status == "done"


@pytest.mark.integration
@pytest.mark.parametrize("status, body, reason", [
    (500, f"internal error for key {KEY}", "HTTP 500 Internal Server Error: internal error"),
    (200, f"1002|invalid api_key={urllib.parse.quote_plus(KEY)}", "reply lacks 'SMS SUBMITTED'"),
])
def test_gateway_error_keeps_the_notice_pending_with_the_key_masked(factory, gateway, status,
                                                                    body, reason):
    gateway.status, gateway.body = status, body
    paid(factory)
    worker.drain(factory, policy([gateway.channel()]))
    ev = the_event(factory)
    assert ev.status == "pending" and ev.attempts == 1
    assert ev.last_error.startswith("sms: SMS gateway 127.0.0.1: ") and reason in ev.last_error
    assert "***" in ev.last_error
    for secret in (KEY, urllib.parse.quote_plus(KEY), "s3cr"):
        assert secret not in ev.last_error and secret not in ev.result


@pytest.mark.integration
def test_gateway_down_keeps_the_notice_pending(factory):
    port = free_tcp_port()  # nothing listens there
    paid(factory)
    worker.drain(factory, policy([sms.HttpSms(f"http://127.0.0.1:{port}/", key=KEY, timeout=1)]))
    ev = the_event(factory)
    assert ev.status == "pending" and "refused" in ev.last_error


@pytest.mark.integration
def test_retry_after_email_got_through_sends_only_the_sms(factory, gateway, smtp):
    ctl, inbox = smtp
    paid(factory, email="rahim@example.net")
    channels = [notify.SmtpEmail("127.0.0.1", ctl.port, isp="Net ISP"), gateway.channel()]
    gateway.status, gateway.body = 503, "busy"
    worker.drain(factory, policy(channels))
    ev = the_event(factory)
    assert ev.status == "pending" and "HTTP 503" in ev.last_error
    assert len(inbox.messages) == 1 and len(gateway.requests) == 1

    gateway.status, gateway.body = 200, "SMS SUBMITTED"
    with factory.begin() as s:
        s.execute(sa.update(Outbox).values(next_attempt_at=sa.func.now()))
    worker.drain(factory, policy(channels))
    ev = the_event(factory)
    assert ev.status == "done" and ev.attempts == 2 and ev.last_error is None
    assert len(inbox.messages) == 1, "the e-mail went out on the first attempt"
    assert len(gateway.requests) == 2
    result = json.loads(ev.result)
    assert result["deliveries"] == [
        f"email to rahim@example.net accepted by 127.0.0.1:{ctl.port}",
        "sms to +8801711000001 accepted by 127.0.0.1 (HTTP 200)"]


@pytest.mark.integration
def test_customer_without_mobile_skips_sms(factory, gateway):
    with factory.begin() as s:
        c = make_customer(s, username="nomobile")
        outbox.notify(s, c.id, "customer.suspended")
    worker.drain(factory, policy([gateway.channel()]))
    ev = the_event(factory)
    assert ev.status == "done" and ev.last_error is None and gateway.requests == []
    result = json.loads(ev.result)
    assert result["channels"] == {"sms": {"skipped": "no mobile number"}}
    assert result["deliveries"] == ["no channel reaches this customer"]


# -- pure -------------------------------------------------------------------------------------
def test_sms_is_off_unless_its_url_is_set():
    assert notify.channels_from_settings(Settings(smtp_host="")) == []
    [ch] = notify.channels_from_settings(Settings(sms_url="https://sms.example/api", sms_key="k"))
    assert isinstance(ch, sms.HttpSms) and ch.method == "POST"


@pytest.mark.parametrize("kw, message", [
    ({"url": "ftp://sms.example/"}, "http:// or https://"),
    ({"method": "PUT"}, "GET or POST"),
    ({"params": "to={to}&msg={message}"}, "unknown ['message']"),
    ({"params": "api_key={key}&to={to}"}, "must carry {to} and {text}"),
    ({"params": "to={to}&text={text}&oops"}, "'oops' is not name=value"),
])
def test_bad_gateway_settings_fail_at_start(kw, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")
                       .replace("{", r"\{").replace("}", r"\}")):
        sms.HttpSms(**{"url": "https://sms.example/api", **kw})


def test_texts_fill_what_the_notice_has():
    note = notify.Note("customer.suspended", username="bob", name="Bob", data={"reason": "expired"},
                       expires=dt.datetime(2026, 1, 31, 18, tzinfo=dt.timezone.utc))
    assert sms.text(note, "Net ISP", "BDT", "Asia/Dhaka") == (
        "Dear Bob, your package for bob expired on 2026-02-01 00:00. Please recharge. - Net ISP")
    assert sms.text(notify.Note("customer.suspended", username="bob", data={"reason": "expired"}),
                    "Net ISP", "BDT") == (
        "Dear bob, account bob: Your internet service is suspended. - Net ISP")
    assert sms.text(notify.Note("router_moved", username="bob"), "Net ISP", "BDT") == (
        "Dear bob, account bob: Router moved. - Net ISP")


@pytest.mark.integration
def test_worker_refuses_to_start_on_a_bad_sms_setting(cli, monkeypatch):
    monkeypatch.setenv("RADBILL_SMS_URL", "https://sms.example/api")
    monkeypatch.setenv("RADBILL_SMS_METHOD", "PUT")
    r = cli("worker", "--once")
    assert r.returncode == 2 and "RADBILL_SMS_METHOD must be GET or POST" in r.stderr

"""bKash Tokenized Checkout: the driver against an emulator of bKash's published API (no
database). The driver reports what bKash says; the checkout code compares it with what was asked."""
from __future__ import annotations

import datetime as dt
import json
import time
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from rating.gateways import (CANCELLED, FAILED, PAID, PENDING, Config, GatewayError, Order, Ref,
                             bkash)
from tests.support.gateways.bkash_emu import BkashEmulator

INVOICE = "RB0123456789ABCD"
CALLBACK = f"https://isp.example/portal/pay/return/{INVOICE}"


@pytest.fixture
def emu():
    with BkashEmulator() as e:
        e.hang_for = 1.5
        yield e


def driver(emu, **credentials) -> bkash.Bkash:
    return bkash.Bkash(Config("bkash", "sandbox", emu.url, {**emu.credentials, **credentials},
                              timeout=0.5))


def begin(drv, amount: str = "500.00") -> tuple[str, Ref]:
    started = drv.start(Order(INVOICE, Decimal(amount), "BDT", CALLBACK,
                              f"https://isp.example/portal/pay/ipn/{INVOICE}", "Rahim Uddin",
                              customer_mobile="01770618575"))
    return started.gateway_ref, Ref(INVOICE, started.gateway_ref, Decimal(amount), "BDT",
                                    dt.datetime.now(dt.timezone.utc))


def calls(emu, path: str) -> int:
    return sum(s.path.endswith(path) for s in emu.seen)


def completed(emu, pid: str) -> None:
    """Wait for an execute that our driver gave up on to finish at bKash."""
    for _ in range(100):
        if emu.sessions[pid]["status"] == "Completed":
            return
        time.sleep(0.05)
    raise AssertionError("the hung execute never completed")


def test_a_payment_authorised_on_bkash_is_executed_and_reported(emu):
    drv = driver(emu)
    started = drv.start(Order(INVOICE, Decimal("500"), "BDT", CALLBACK, "", "Rahim Uddin"))
    pid = started.gateway_ref
    assert started.redirect_url == emu.page_url(pid)
    [create] = [s for s in emu.seen if s.path.endswith("/create")]
    assert create.json == {"mode": "0011", "payerReference": INVOICE, "callbackURL": CALLBACK,
                           "amount": "500.00", "currency": "BDT", "intent": "sale",
                           "merchantInvoiceNumber": INVOICE}
    # the customer pays on the hosted page; bKash sends the browser back with a GET
    r = requests.post(started.redirect_url, data={"outcome": "success"}, allow_redirects=False)
    back = urlsplit(r.headers["Location"])
    params = dict(parse_qsl(back.query))
    assert (r.status_code, back.path, params) == (302, urlsplit(CALLBACK).path,
                                                  {"paymentID": pid, "status": "success"})
    ref = Ref(INVOICE, pid, Decimal("500"), "BDT", dt.datetime.now(dt.timezone.utc))
    status = drv.confirm(ref, params)
    assert (status.state, status.amount, status.currency) == (PAID, Decimal("500.00"), "BDT")
    assert status.txn_id == emu.sessions[pid]["trxID"] and status.raw["paymentID"] == pid
    assert emu.sessions[pid]["executions"] == 1 and calls(emu, "/token/grant") == 1
    assert emu.violations == []


def test_one_token_serves_every_call_until_its_time_then_is_refreshed(emu, monkeypatch):
    begin(driver(emu))
    begin(driver(emu))                      # another driver, same gateway: the cached token
    assert (calls(emu, "/token/grant"), calls(emu, "/token/refresh")) == (1, 0)
    later = time.monotonic() + 3400         # past expires_in less the margin
    monkeypatch.setattr(bkash, "monotonic", lambda: later)
    begin(driver(emu))
    assert (calls(emu, "/token/grant"), calls(emu, "/token/refresh")) == (1, 1)
    [old, new] = emu.tokens.values()
    assert (old["state"], new["state"]) == ("replaced", "live")
    begin(driver(emu))
    assert calls(emu, "/token/refresh") == 1
    assert emu.violations == []


def test_tokens_bkash_ended_early_are_granted_again(emu, monkeypatch):
    drv = driver(emu)
    begin(drv)
    emu.expire_tokens()                     # the cached id_token is refused: 401, grant, retry
    pid, _ = begin(drv)
    assert pid in emu.sessions and calls(emu, "/token/grant") == 2
    emu.expire_tokens()                     # the refresh_token too: refused, grant again
    later = time.monotonic() + 3400
    monkeypatch.setattr(bkash, "monotonic", lambda: later)
    begin(drv)
    assert (calls(emu, "/token/grant"), calls(emu, "/token/refresh")) == (3, 1)
    assert emu.violations == []


@pytest.mark.parametrize("outcome, state", [("cancel", CANCELLED), ("failure", FAILED)])
def test_cancelled_or_failed_on_the_page_is_never_executed(emu, outcome, state):
    drv = driver(emu)
    pid, ref = begin(drv)
    back = emu.pay(pid, outcome)
    assert (back.method, back.url, back.params) == ("GET", CALLBACK,
                                                    {"paymentID": pid, "status": outcome})
    status = drv.confirm(ref, back.params)
    assert status.state == state and status.raw["transactionStatus"] in ("Cancelled", "Failed")
    assert calls(emu, "/execute") == 0 and calls(emu, "/payment/status") == 1
    assert emu.violations == []


def test_the_callback_status_alone_decides_nothing(emu):
    drv = driver(emu)
    pid, ref = begin(drv)
    # a forged success before the customer authorised: execute is refused, still pending
    assert drv.confirm(ref, {"paymentID": pid, "status": "success"}).state == PENDING
    assert emu.sessions[pid]["executions"] == 0
    back = emu.pay(pid, "success")
    paid = drv.confirm(ref, back.params)
    # a forged cancel, or a success naming another payment, after it was paid: still paid
    for params in ({"paymentID": pid, "status": "cancel"},
                   {"paymentID": "TR0011OTHER", "status": "success"}):
        assert drv.confirm(ref, params).txn_id == paid.txn_id
    assert emu.sessions[pid]["executions"] == 1
    assert emu.violations == []


def test_the_recheck_executes_a_payment_the_customer_authorised(emu):
    drv = driver(emu)
    pid, ref = begin(drv)
    assert drv.confirm(ref, None).state == PENDING      # still on bKash's page
    assert calls(emu, "/execute") == 0
    emu.pay(pid, "success")                             # ...and the browser never came back
    status = drv.confirm(ref, None)
    assert (status.state, status.txn_id) == (PAID, emu.sessions[pid]["trxID"])
    assert emu.violations == []


def test_an_unanswered_execute_is_asked_about_never_repeated(emu):
    drv = driver(emu)
    pid, ref = begin(drv)
    back = emu.pay(pid, "success")
    emu.hang_next = 1                       # execute: no answer in time, payment/status: Initiated
    assert drv.confirm(ref, back.params).state == PENDING
    completed(emu, pid)
    status = drv.confirm(ref, back.params)  # execute answers 2117; payment/status tells
    assert (status.state, status.txn_id) == (PAID, emu.sessions[pid]["trxID"])
    assert emu.sessions[pid]["executions"] == 1
    assert emu.violations == []


def test_no_answer_at_all_is_a_gateway_error_and_a_later_confirm_works(emu):
    drv = driver(emu)
    pid, ref = begin(drv)
    back = emu.pay(pid, "success")
    emu.hang_next = 2                       # execute and payment/status
    with pytest.raises(GatewayError, match="did not answer payment/status within 0.5 s"):
        drv.confirm(ref, back.params)
    completed(emu, pid)
    assert drv.confirm(ref, None).state == PAID
    assert emu.sessions[pid]["executions"] == 1
    assert emu.violations == []


def test_a_duplicate_callback_answers_the_same_payment(emu):
    drv = driver(emu)
    pid, ref = begin(drv)
    back = emu.pay(pid, "success")
    first, second = drv.confirm(ref, back.params), drv.confirm(ref, back.params)
    assert first.state == second.state == PAID and first.txn_id == second.txn_id
    executes = calls(emu, "/execute")
    known = Ref(INVOICE, pid, ref.amount, "BDT", ref.created_at, gateway_txn=first.txn_id)
    assert drv.confirm(known, back.params).txn_id == first.txn_id
    assert calls(emu, "/execute") == executes   # a known trxID: only asked about
    assert emu.sessions[pid]["executions"] == 1
    assert emu.violations == []


def test_a_tampered_amount_is_reported_as_bkash_says_it(emu):
    drv = driver(emu)
    pid, ref = begin(drv, "500.00")
    emu.tamper_amount = Decimal("5.00")
    status = drv.confirm(ref, emu.pay(pid, "success").params)
    assert (status.state, status.amount) == (PAID, Decimal("5.00"))
    # search transaction by trxID (a hand-written documented request) says the same
    token = requests.post(f"{emu.url}/tokenized/checkout/token/grant", json={
        "app_key": emu.credentials["app_key"], "app_secret": emu.credentials["app_secret"]},
        headers={k: emu.credentials[k] for k in ("username", "password")}).json()["id_token"]
    found = requests.post(f"{emu.url}/tokenized/checkout/general/searchTransaction",
                          json={"trxID": status.txn_id},
                          headers={"Authorization": token,
                                   "X-App-Key": emu.credentials["app_key"]}).json()
    assert (found["statusCode"], found["amount"], found["trxID"]) == ("0000", "5.00",
                                                                     status.txn_id)
    assert emu.violations == []


def test_a_refund_goes_back_through_bkash_within_what_was_paid(emu):
    drv = driver(emu)
    pid, ref = begin(drv)
    paid = drv.confirm(ref, emu.pay(pid, "success").params)
    ref = Ref(INVOICE, pid, ref.amount, "BDT", ref.created_at, gateway_txn=paid.txn_id)
    refunded = drv.refund(ref, Decimal("200"), "charged twice")
    [r] = emu.sessions[pid]["refunds"]
    assert (refunded.refund_ref, refunded.amount) == (r["refundTrxID"], Decimal("200.00"))
    assert (r["sku"], r["reason"]) == (INVOICE, "charged twice")
    with pytest.raises(GatewayError, match="refused the refund: 2072"):
        drv.refund(ref, Decimal("300.01"), "too much")
    assert emu.violations == []


def test_secrets_stay_out_of_errors_and_reprs(emu):
    secret = dict(emu.credentials)

    def clean(exc: GatewayError) -> bool:
        # no chained requests exception either: it carries the request's headers
        return exc.__cause__ is None and (exc.__context__ is None or exc.__suppress_context__) \
            and not any(v in str(exc) or v in repr(exc) for v in secret.values())

    for wrong in ({"password": "not-it"}, {"app_secret": "not-it"}):
        drv = driver(emu, **wrong)
        with pytest.raises(GatewayError) as caught:
            begin(drv)
        assert clean(caught.value)
        assert not any(v in repr(drv) + repr(drv.config) for v in secret.values())
    drv = driver(emu)
    begin(drv)
    emu.hang_next = 1
    with pytest.raises(GatewayError, match="did not answer create") as caught:
        begin(drv)
    assert clean(caught.value)
    assert not any(str(t.id_token) in repr(t) for t in bkash._TOKENS.values())
    assert emu.violations == ["grant: username/password headers are not the merchant's",
                              "grant: app_key/app_secret are not the merchant's"]


class _Answer:
    def __init__(self, status: int, text: str):
        self.status_code, self.text = status, text

    def json(self):
        return json.loads(self.text)


class _Stub:
    """An HTTP session answering every POST with one canned reply."""

    def __init__(self, status: int, text: str):
        self.answer = _Answer(status, text)

    def post(self, *args, **kwargs):
        return self.answer


@pytest.mark.parametrize("status, text, message", [
    (200, "<html>maintenance</html>", "not the documented JSON"),
    (502, "Bad Gateway", "HTTP 502"),
    (200, '{"statusCode": "9999", "statusMessage": "System Error"}', "9999 System Error")])
def test_what_is_not_a_documented_answer_is_a_gateway_error(status, text, message):
    config = Config("bkash", "sandbox", "https://bkash.invalid", {
        "app_key": "k", "app_secret": "s", "username": "u", "password": "p"})
    bkash._TOKENS[(config.base_url, "k")] = bkash._Token("T", "R", time.monotonic() + 60)
    drv = bkash.Bkash(config, http=_Stub(status, text))
    with pytest.raises(GatewayError, match=message):
        drv.confirm(Ref(INVOICE, "TR0011X", Decimal(1), "BDT", dt.datetime.now(dt.timezone.utc)))


def test_an_unreachable_bkash_is_a_gateway_error():
    with BkashEmulator() as gone:
        url, creds = gone.url, gone.credentials
    drv = bkash.Bkash(Config("bkash", "live", url, creds, timeout=0.5))
    with pytest.raises(GatewayError, match="could not be reached for token/grant"):
        begin(drv)


def test_the_emulator_catches_requests_bkash_would_refuse(emu):
    drv = driver(emu, app_key="someone-elses")
    with pytest.raises(GatewayError, match="no token"):
        begin(drv)
    assert emu.violations == ["grant: app_key/app_secret are not the merchant's"]
    emu.violations.clear()
    c = emu.credentials
    token = emu.issue()["id_token"]
    good = {"mode": "0011", "payerReference": "017", "callbackURL": CALLBACK, "amount": "10",
            "currency": "BDT", "intent": "sale", "merchantInvoiceNumber": INVOICE}
    for headers, change in [
            ({"Authorization": token, "X-App-Key": "wrong"}, {}),
            ({"Authorization": "forged", "X-App-Key": c["app_key"]}, {}),
            ({"Authorization": token, "X-App-Key": c["app_key"]}, {"amount": 10.5}),
            ({"Authorization": token, "X-App-Key": c["app_key"]}, {"amount": "10.505"}),
            ({"Authorization": token, "X-App-Key": c["app_key"]}, {"currency": "USD"}),
            ({"Authorization": token, "X-App-Key": c["app_key"]}, {"intent": "authorization"}),
            ({"Authorization": token, "X-App-Key": c["app_key"]}, {"mode": "0000"}),
            ({"Authorization": token, "X-App-Key": c["app_key"]}, {"callbackURL": ""})]:
        r = requests.post(f"{emu.url}/tokenized/checkout/create", json={**good, **change},
                          headers=headers)
        assert r.status_code == 401 or r.json()["statusCode"] != "0000"
    assert len(emu.violations) == 8 and emu.sessions == {}

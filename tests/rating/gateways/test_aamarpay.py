"""The aamarPay driver against an emulator of aamarPay's published API (no database)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from decimal import Decimal

import pytest
import requests

from rating.gateways import (CANCELLED, FAILED, PAID, PENDING, Config, GatewayError, Order, Ref,
                             Unsupported)
from rating.gateways.aamarpay import AamarPay
from tests.support.gateways.aamarpay_emu import AamarPayEmulator


@pytest.fixture
def emu():
    with AamarPayEmulator() as e:
        e.hang_for = 1.5
        yield e


def driver(emu, timeout: float = 5.0, base_url: str | None = None, **creds) -> AamarPay:
    return AamarPay(Config(kind="aamarpay", mode="sandbox", base_url=base_url or emu.url,
                           credentials={**emu.credentials, **creds}, timeout=timeout))


def order(emu, amount: str = "500.00") -> Order:
    invoice = "RB" + secrets.token_hex(7).upper()
    return Order(invoice=invoice, amount=Decimal(amount), currency="BDT",
                 callback_url=f"https://isp.example/portal/pay/return/{invoice}",
                 ipn_url=f"https://isp.example/portal/pay/ipn/{invoice}",
                 customer_name="Rahim Uddin", customer_mobile="01711000000",
                 description="Internet bill of rahim")


def ref(o: Order, started=None, txn: str | None = None) -> Ref:
    return Ref(invoice=o.invoice, gateway_ref=started.gateway_ref if started else None,
               amount=o.amount, currency=o.currency,
               created_at=dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc), gateway_txn=txn)


def started_order(emu, d=None):
    d = d or driver(emu)
    o = order(emu)
    return d, o, d.start(o)


def test_a_paid_payment_is_believed_from_the_search_api(emu):
    d, o, started = started_order(emu)
    assert started.redirect_url == f"{emu.url}/paynow.php?track={started.gateway_ref}"
    assert started.gateway_ref in emu.sessions
    sent = emu.seen[0].json
    assert (sent["tran_id"], sent["amount"], sent["currency"], sent["type"]) == (
        o.invoice, "500.00", "BDT", "json")
    assert sent["success_url"] == sent["fail_url"] == sent["cancel_url"] == o.callback_url
    assert d.confirm(ref(o, started)).state == PENDING      # not paid yet
    back = emu.pay(started.gateway_ref, "success")
    assert (back.method, back.url, back.params["pay_status"]) == ("POST", o.callback_url,
                                                                  "Successful")
    assert AamarPay.invoice_of(back.params) == o.invoice
    status = d.confirm(ref(o, started), back.params)
    assert (status.state, status.amount, status.currency) == (PAID, Decimal("500.00"), "BDT")
    assert status.txn_id == back.params["pg_txnid"]
    assert emu.seen[-1].args["request_id"] == o.invoice
    assert emu.violations == []


def test_a_replayed_callback_is_the_same_payment(emu):
    d, o, started = started_order(emu)
    back = emu.pay(started.gateway_ref, "success")
    answers = [d.confirm(ref(o, started), p) for p in (back.params, back.params, None)]
    assert {(s.state, s.amount, s.txn_id) for s in answers} == {
        (PAID, Decimal("500.00"), back.params["pg_txnid"])}
    assert emu.violations == []


def test_a_cancelled_payment_comes_back_without_data(emu):
    d, o, started = started_order(emu)
    back = emu.pay(started.gateway_ref, "cancel")
    assert (back.method, back.url, back.params) == ("GET", o.callback_url, {})
    assert d.confirm(ref(o, started), back.params).state == CANCELLED


def test_a_failed_payment_is_reported_as_the_gateway_says(emu):
    d, o, started = started_order(emu)
    back = emu.pay(started.gateway_ref, "failure")
    assert (back.method, back.params["pay_status"]) == ("POST", "Failed")
    status = d.confirm(ref(o, started), back.params)
    assert status.state == FAILED and status.amount is None
    assert emu.violations == []


def test_the_callback_is_never_believed(emu):
    d, o, started = started_order(emu)
    claim = {"mer_txnid": o.invoice, "pay_status": "Successful", "pg_txnid": "AAM1",
             "amount": "500.00"}
    assert d.confirm(ref(o, started), claim).state == PENDING   # aamarPay says Pending
    unknown = order(emu)
    status = d.confirm(ref(unknown), claim)
    assert status.state == PENDING and "No transaction found" in status.message


def test_a_timeout_is_a_gateway_error_and_a_later_confirm_works(emu):
    d, o, started = started_order(emu, driver(emu, timeout=0.5))
    back = emu.pay(started.gateway_ref, "success")
    emu.hang_next = 1
    with pytest.raises(GatewayError, match="could not be reached"):
        d.confirm(ref(o, started), back.params)
    assert d.confirm(ref(o, started), back.params).state == PAID


def test_a_tampered_amount_is_reported_as_the_gateway_says(emu):
    d, o, started = started_order(emu)
    emu.tamper_amount = Decimal("1.00")
    back = emu.pay(started.gateway_ref, "success")
    status = d.confirm(ref(o, started), back.params)
    assert (status.state, status.amount) == (PAID, Decimal("1.00"))   # checkout flags it


def test_a_payment_url_given_as_a_path_is_resolved_against_the_api_root(emu):
    emu.relative_payment_url = True
    d, o, started = started_order(emu)
    assert started.redirect_url == f"{emu.url}/paynow.php?track={started.gateway_ref}"
    page = requests.get(started.redirect_url, timeout=5)   # a browser gets the hosted page
    assert page.status_code == 200 and "500.00" in page.text


def test_there_is_no_refund_api(emu):
    d, o, started = started_order(emu)
    back = emu.pay(started.gateway_ref, "success")
    paid = ref(o, started, txn=back.params["pg_txnid"])
    assert not AamarPay.can_refund
    with pytest.raises(Unsupported, match="merchant panel"):
        d.refund(paid, Decimal("100"), "charged twice")


def test_secrets_never_reach_a_message_or_an_answer(emu):
    key = emu.credentials["signature_key"]
    d, o, started = started_order(emu)
    back = emu.pay(started.gateway_ref, "success")
    texts = [repr(d.config), repr(started), repr(d.confirm(ref(o, started), back.params))]
    bad = driver(emu, signature_key="wrong-key-123456")
    gone = driver(emu, timeout=0.5, base_url="http://127.0.0.1:9")   # nothing listens there
    for call in (lambda: bad.start(order(emu)), lambda: gone.confirm(ref(o, started))):
        with pytest.raises(GatewayError) as err:
            call()
        texts.append(str(err.value))   # and no chained requests error quoting the URL
        assert err.value.__context__ is None or err.value.__suppress_context__
    texts.append(bad.confirm(ref(o, started)).message)
    assert "Invalid Store ID" in texts[3] and "Invalid Store ID" in texts[5]
    assert not [t for t in texts if key in t or "wrong-key-123456" in t]


def test_a_subscriber_without_email_or_mobile_can_still_pay(emu):
    o = dataclasses.replace(order(emu), customer_mobile=None, customer_email=None)
    driver(emu).start(o)
    sent = emu.seen[-1].json
    assert (sent["cus_phone"], sent["cus_email"]) == ("N/A", "noreply@example.com")
    assert emu.violations == []


def test_the_emulator_flags_a_bad_request(emu):
    d, o, started = started_order(emu)
    assert emu.violations == []
    r = requests.post(f"{emu.url}/jsonpost.php", timeout=5, data={
        **emu.credentials, "tran_id": o.invoice, "amount": "1,000.00", "currency": "bdt",
        "success_url": "/ok", "type": "json"})
    assert "payment_url" not in r.json()
    for text in ("not JSON", "cus_email missing", "amount '1,000.00'", "currency 'bdt'",
                 "was used before", "success_url is not"):
        assert any(text in v for v in emu.violations), text
    with pytest.raises(GatewayError, match="refused the payment"):
        d.start(o)   # the same tran_id again

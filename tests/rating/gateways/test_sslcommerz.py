"""The SSLCommerz driver against an emulator of SSLCommerz's published API (no database)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from decimal import Decimal

import pytest
import requests

from rating.gateways import (CANCELLED, FAILED, PAID, PENDING, Config, GatewayError, Order, Ref,
                             Refunded)
from rating.gateways.sslcommerz import SSLCommerz, verify_sign
from tests.support.gateways.sslcommerz_emu import SSLCommerzEmulator


@pytest.fixture
def emu():
    with SSLCommerzEmulator() as e:
        e.hang_for = 1.5
        yield e


def driver(emu, timeout: float = 5.0, **creds) -> SSLCommerz:
    return SSLCommerz(Config(kind="sslcommerz", mode="sandbox", base_url=emu.url,
                             credentials={**emu.credentials, **creds}, timeout=timeout))


def order(emu, amount: str = "500.00") -> Order:
    invoice = "RB" + secrets.token_hex(7).upper()
    return Order(invoice=invoice, amount=Decimal(amount), currency="BDT",
                 callback_url=f"https://isp.example/portal/pay/return/{invoice}",
                 ipn_url=f"{emu.url}/_emu/ipn/{invoice}", customer_name="Rahim Uddin",
                 customer_mobile="01711000000", description="Internet bill of rahim")


def ref(o: Order, started=None, txn: str | None = None) -> Ref:
    return Ref(invoice=o.invoice, gateway_ref=started.gateway_ref if started else None,
               amount=o.amount, currency=o.currency,
               created_at=dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc), gateway_txn=txn)


def started_order(emu, d=None, amount="500.00"):
    d = d or driver(emu)
    o = order(emu, amount)
    return d, o, d.start(o)


def test_a_paid_payment_is_believed_from_the_validation_api(emu):
    d, o, started = started_order(emu)
    assert started.redirect_url == emu.page_url(started.gateway_ref)
    sent = emu.seen[0].form
    assert (sent["tran_id"], sent["total_amount"], sent["currency"]) == (o.invoice, "500.00", "BDT")
    assert sent["ipn_url"] == o.ipn_url and sent["success_url"] == o.callback_url
    assert d.confirm(ref(o, started)).state == PENDING   # nothing at SSLCommerz yet
    back = emu.pay(started.gateway_ref, "success")
    assert (back.method, back.url, back.params["tran_id"]) == ("POST", o.callback_url, o.invoice)
    assert SSLCommerz.invoice_of(back.params) == o.invoice
    status = d.confirm(ref(o, started), back.params)
    assert (status.state, status.amount, status.currency) == (PAID, Decimal("500.00"), "BDT")
    assert status.txn_id == back.params["bank_tran_id"]
    assert emu.seen[-1].path.endswith("validationserverAPI.php")
    assert emu.seen[-1].args["val_id"] == back.params["val_id"]
    assert emu.violations == []


def test_the_ipn_and_a_replayed_callback_are_the_same_payment(emu):
    d, o, started = started_order(emu)
    back = emu.pay(started.gateway_ref, "success")
    (ipn_url, ipn, _), = emu.ipn_log
    assert ipn_url == o.ipn_url and ipn["val_id"] == back.params["val_id"]
    answers = [d.confirm(ref(o, started), p) for p in (ipn, back.params, back.params, None)]
    assert {(s.state, s.amount, s.txn_id) for s in answers} == {
        (PAID, Decimal("500.00"), back.params["bank_tran_id"])}
    assert answers[1].raw["status"] == "VALIDATED"   # SSLCommerz: validated once already
    assert verify_sign(ipn, emu.credentials["store_passwd"]) == ipn["verify_sign"]
    assert answers[0].message == ""                   # the signature held: its val_id was used
    assert emu.violations == []


@pytest.mark.parametrize("outcome, state", [("cancel", CANCELLED), ("failure", FAILED)])
def test_a_cancelled_or_failed_payment_is_reported_as_the_gateway_says(emu, outcome, state):
    d, o, started = started_order(emu)
    back = emu.pay(started.gateway_ref, outcome)
    assert back.method == "POST" and back.params["status"] in ("CANCELLED", "FAILED")
    assert emu.ipn_log[-1][1]["status"] == back.params["status"]
    status = d.confirm(ref(o, started), back.params)
    assert status.state == state and status.amount is None
    assert emu.violations == []


def test_a_failed_attempt_then_a_paid_one_is_paid(emu):
    d, o, started = started_order(emu)
    emu.pay(started.gateway_ref, "failure")
    back = emu.pay(started.gateway_ref, "success")
    assert d.confirm(ref(o, started)).state == PAID          # the recheck job, by tran_id
    assert d.confirm(ref(o, started), back.params).txn_id == back.params["bank_tran_id"]


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


def test_a_notice_is_never_believed(emu):
    d = driver(emu)
    _, other, other_started = started_order(emu, d)
    paid = emu.pay(other_started.gateway_ref, "success").params   # someone else's payment
    _, o, started = started_order(emu, d)
    # the other payment's val_id, unsigned or re-addressed: SSLCommerz says it is not ours
    forged = {**paid, "tran_id": o.invoice}
    for params in ({"val_id": paid["val_id"], "status": "VALID"}, forged,
                   {**forged, "verify_sign": "\u00fc"}):
        status = d.confirm(ref(o, started), params)
        assert status.state == PENDING, status
    assert "verify_sign did not match" in d.confirm(ref(o, started), forged).message
    assert emu.seen[-1].args["tran_id"] == o.invoice   # it asked by our own tran_id instead


def test_a_refund_goes_through_the_refund_api(emu):
    d, o, started = started_order(emu)
    back = emu.pay(started.gateway_ref, "success")
    paid = ref(o, started, txn=d.confirm(ref(o, started), back.params).txn_id)
    done = d.refund(paid, Decimal("200"), "charged twice")
    assert isinstance(done, Refunded) and done.amount == Decimal("200.00") and done.refund_ref
    (r,) = emu.refunds
    assert (r["amount"], r["remarks"], r["refund_ref_id"]) == (Decimal("200.00"), "charged twice",
                                                               done.refund_ref)
    with pytest.raises(GatewayError, match="exceeds"):
        d.refund(paid, Decimal("300.01"), "too much")
    with pytest.raises(GatewayError, match="not confirmed"):
        d.refund(ref(o, started), Decimal("1"), "no txn")
    assert emu.violations == []


def test_secrets_never_reach_a_message_or_an_answer(emu):
    creds = emu.credentials
    d, o, started = started_order(emu)
    back = emu.pay(started.gateway_ref, "success")
    status = d.confirm(ref(o, started), back.params)
    texts = [repr(d.config), repr(started), repr(status)]
    bad = driver(emu, store_passwd="wrong-password-123")
    gone = SSLCommerz(Config(kind="sslcommerz", mode="sandbox", base_url="http://127.0.0.1:9",
                             credentials=creds, timeout=0.5))   # nothing listens there
    for call in (lambda: bad.start(order(emu)), lambda: bad.confirm(ref(o, started)),
                 lambda: gone.confirm(ref(o, started))):
        with pytest.raises(GatewayError) as err:
            call()
        texts.append(str(err.value))   # and no chained requests error quoting the URL
        assert err.value.__context__ is None or err.value.__suppress_context__
    assert "Store Credential Error" in texts[3] and "APIConnect FAILED" in texts[4]
    assert not [t for t in texts if creds["store_passwd"] in t or "wrong-password-123" in t]


def test_a_subscriber_without_email_or_mobile_can_still_pay(emu):
    o = dataclasses.replace(order(emu), customer_mobile=None, customer_email=None)
    driver(emu).start(o)
    sent = emu.seen[-1].form
    assert (sent["cus_phone"], sent["cus_email"]) == ("N/A", "noreply@example.com")
    assert emu.violations == []


def test_the_emulator_flags_a_bad_request(emu):
    d, o, started = started_order(emu)
    assert emu.violations == []
    r = requests.post(f"{emu.url}/gwprocess/v4/api.php", timeout=5, data={
        **emu.credentials, "total_amount": "5", "currency": "bdt", "tran_id": o.invoice,
        "success_url": "/return", "fail_url": o.callback_url, "cancel_url": o.callback_url,
        "cus_name": "x", "cus_phone": "017", "product_profile": "stuff"})
    assert r.json()["status"] == "FAILED"
    for text in ("cus_email missing", "total_amount '5'", "currency 'bdt'", "was used before",
                 "success_url is not", "ipn_url is not", "product_profile 'stuff'"):
        assert any(text in v for v in emu.violations), text
    with pytest.raises(GatewayError, match="refused the payment"):
        d.start(o)   # the same tran_id again

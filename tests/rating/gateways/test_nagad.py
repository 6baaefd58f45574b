"""The Nagad driver against an emulator of Nagad's published API (no database)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
import requests
from cryptography.hazmat.primitives import serialization

from rating.gateways import (CANCELLED, FAILED, PAID, PENDING, Config, GatewayError, Order, Ref,
                             DRIVERS, Unsupported)
from rating.gateways import nagad
from rating.gateways.nagad import Nagad
from tests.support.gateways.nagad_emu import NagadEmulator

HEADERS = {"X-KM-Api-Version": "v-0.2.0", "X-KM-IP-V4": "127.0.0.1", "X-KM-Client-Type": "PC_WEB"}


@pytest.fixture
def emu():
    with NagadEmulator() as e:
        yield e


def driver(emu, credentials=None, **kw) -> Nagad:
    return Nagad(Config("nagad", "sandbox", emu.url, credentials or emu.credentials, **kw))


def order(invoice="INV2026NOV0001", amount="500.00") -> Order:
    return Order(invoice, D(amount), "BDT", f"https://isp.example/pay/nagad/back?invoice={invoice}",
                 "https://isp.example/pay/nagad/ipn", "Rahim Uddin", "01711000000")


def ref_of(o: Order, gateway_ref: str | None) -> Ref:
    return Ref(o.invoice, gateway_ref, o.amount, o.currency, dt.datetime(2026, 11, 1, 10, 0))


def started(emu, o=None, **kw):
    o = o or order()
    d = driver(emu, **kw)
    return d, o, d.start(o)


def test_a_payment_is_started_paid_and_believed_only_after_verify(emu):
    d, o, s = started(emu)
    assert s.redirect_url == emu.page_url(s.gateway_ref)
    session = emu.sessions[s.gateway_ref]
    assert (session["order_id"], session["amount"], session["callback"]) == \
        (o.invoice, D("500.00"), o.callback_url)
    assert d.confirm(ref_of(o, s.gateway_ref)).state == PENDING   # still on Nagad's page
    back = emu.pay(s.gateway_ref, "success")
    assert (back.method, back.url, back.params["status"]) == ("GET", o.callback_url, "Success")
    assert Nagad.invoice_of(back.params) == o.invoice
    status = d.confirm(ref_of(o, s.gateway_ref), back.params)
    assert (status.state, status.amount, status.currency, status.txn_id) == \
        (PAID, D("500.00"), "BDT", back.params["issuer_payment_ref"])
    init, complete = emu.seen[:2]
    assert init.json["accountNumber"] == "01711428036" and "Content-Type" in init.headers
    assert emu.violations == []
    assert DRIVERS["nagad"] is Nagad


@pytest.mark.parametrize("outcome, state", [("cancel", CANCELLED), ("failure", FAILED)])
def test_a_cancel_or_failure_is_what_verify_says_whatever_the_callback_claims(emu, outcome,
                                                                              state):
    d, o, s = started(emu)
    back = emu.pay(s.gateway_ref, outcome)
    status = d.confirm(ref_of(o, s.gateway_ref), {**back.params, "status": "Success"})
    assert status.state == state and status.txn_id is None
    assert emu.violations == []


@pytest.mark.parametrize("nagad_status, state", [
    ("OtpSent", PENDING), ("InProgress", PENDING), ("Cancelled", CANCELLED), ("Fraud", FAILED),
    ("UnKnownFailed", FAILED), ("SomethingNew", PENDING)])
def test_nagad_purchase_statuses_map_to_ours(emu, nagad_status, state):
    d, o, s = started(emu)
    emu.sessions[s.gateway_ref]["status"] = nagad_status
    assert d.confirm(ref_of(o, s.gateway_ref)).state == state


def test_a_gateway_that_hangs_is_a_gateway_error_and_a_later_confirm_works(emu):
    d, o, s = started(emu, timeout=0.5)
    back = emu.pay(s.gateway_ref, "success")
    emu.hang_next = 1
    with pytest.raises(GatewayError, match="did not answer verify"):
        d.confirm(ref_of(o, s.gateway_ref), back.params)
    assert d.confirm(ref_of(o, s.gateway_ref)).state == PAID
    emu.hang_next = 1
    with pytest.raises(GatewayError, match="did not answer initialize"):
        d.start(order("INV2026NOV0002"))


def test_a_duplicate_callback_gives_the_same_payment(emu):
    d, o, s = started(emu)
    back = emu.pay(s.gateway_ref, "success")
    first, again = (d.confirm(ref_of(o, s.gateway_ref), back.params) for _ in range(2))
    assert (first.state, first.txn_id, first.amount) == (again.state, again.txn_id, again.amount)
    assert first.state == PAID and emu.violations == []


def test_a_tampered_amount_is_reported_as_the_gateway_says(emu):
    d, o, s = started(emu)
    emu.tamper_amount = D("5")
    back = emu.pay(s.gateway_ref, "success")
    status = d.confirm(ref_of(o, s.gateway_ref), back.params)
    assert (status.state, status.amount) == (PAID, D("5.00"))


def test_a_forged_reference_in_the_callback_is_not_believed(emu):
    d, o, s = started(emu)
    other = order("INV2026NOV0099", "10.00")
    s2 = d.start(other)
    back = emu.pay(s2.gateway_ref, "success")
    # our own reference wins over the query string's
    assert d.confirm(ref_of(o, s.gateway_ref), back.params).state == PENDING
    # without one, another order's payment is not ours
    status = d.confirm(ref_of(o, None), back.params)
    assert status.state == PENDING and "not order" in status.message
    assert d.confirm(ref_of(o, None), {}).state == PENDING
    assert d.confirm(ref_of(o, "MDEwMTAxMDEwMS5ub3RoaW5n")).state == FAILED


def test_refund_is_unsupported(emu):
    d, o, s = started(emu)
    assert not d.can_refund
    with pytest.raises(Unsupported):
        d.refund(ref_of(o, s.gateway_ref), D("500.00"), "duplicate")


def test_orders_nagad_cannot_take_are_refused_before_asking(emu):
    d = driver(emu)
    for bad in (order("INV-2026-11"), order("A" * 21), order("INV1", "10.00"),
                order(amount="10.005")):
        with pytest.raises(ValueError):
            d.start(bad)
    assert emu.seen == []


def test_keys_in_pem_or_pkcs1_are_taken_too(emu):
    pem = emu.merchant_key.private_bytes(serialization.Encoding.PEM,
                                         serialization.PrivateFormat.TraditionalOpenSSL,
                                         serialization.NoEncryption()).decode()
    pub = emu.pg_key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.PKCS1).decode()
    creds = {**emu.credentials, "merchant_private_key": pem, "nagad_public_key": pub}
    d, o, s = started(emu, credentials=creds)
    assert s.gateway_ref and emu.violations == []


def test_a_bad_signature_is_flagged_and_refused(emu):
    other = NagadEmulator()   # someone else's merchant key
    creds = {**emu.credentials, "merchant_private_key": other.credentials["merchant_private_key"]}
    with pytest.raises(GatewayError, match="16_0006_058"):
        driver(emu, credentials=creds).start(order())
    assert any("Failed to verify signature" in v for v in emu.violations)


def test_an_answer_nagad_did_not_sign_is_a_gateway_error(emu):
    emu.sign_badly = True
    with pytest.raises(GatewayError, match="signature"):
        started(emu)
    assert emu.violations == []


def test_nagad_refusals_and_firewall_pages_are_gateway_errors(emu):
    d, o, s = started(emu)
    with pytest.raises(GatewayError, match="16_0006_083"):   # an order id twice a day
        d.start(o)
    emu.violations.clear()
    with pytest.raises(GatewayError, match="16_0006_004"):
        driver(emu, credentials={**emu.credentials, "merchant_id": "683002007104226"}).start(
            order("INV2026NOV0003"))
    emu.reject_next = 1
    with pytest.raises(GatewayError, match="support ID 1234567890"):
        d.start(order("INV2026NOV0004"))
    with pytest.raises(GatewayError, match="not an RSA key"):
        driver(emu, credentials={**emu.credentials, "nagad_public_key": "bm90IGEga2V5"}).start(
            order("INV2026NOV0005"))


def test_a_stale_clock_is_refused(emu, monkeypatch):
    monkeypatch.setattr(nagad, "now", lambda: dt.datetime.now(nagad.DHAKA) - dt.timedelta(hours=1))
    with pytest.raises(GatewayError, match="16_0006_076"):
        started(emu)
    assert emu.violations


def test_the_emulator_holds_requests_to_the_guide(emu):
    d = driver(emu)
    stamp = nagad.now().strftime("%Y%m%d%H%M%S")

    def init(order_id, stamp=stamp, headers=HEADERS):
        body = {"dateTime": stamp, **d._seal({"merchantId": emu.merchant_id, "datetime": stamp,
                                              "orderId": order_id, "challenge": "ab" * 20})}
        return requests.post(f"{emu.url}/api/dfs/check-out/initialize/{emu.merchant_id}/"
                             f"{order_id}", json=body, headers=headers, timeout=5)

    def complete(ref, **plain):
        body = {**d._seal({"merchantId": emu.merchant_id, "currencyCode": "050", **plain}),
                "merchantCallbackURL": "https://isp.example/back"}
        return requests.post(f"{emu.url}/api/dfs/check-out/complete/{ref}", json=body,
                             headers=HEADERS, timeout=5).json()

    refusals = {
        "16_0006_081": init("ORDER00001", stamp="2026-11-01 10:00"),
        "16_0006_064": init("ORDER00002", headers={"X-KM-Api-Version": "v-0.2.0"}),
        "16_0006_068": init("ORD1"),
    }
    assert {code: r.json()["reason"] for code, r in refusals.items()} == \
        {code: code for code in refusals}
    plain = d._open(init("ORDER00003").json(), "initialize")
    ref, challenge = plain["paymentReferenceId"], plain["challenge"]
    assert complete(ref, orderId="ORDER00003", amount="10.00",
                    challenge="00" * 20)["reason"] == "16_0006_059"
    assert complete(ref, orderId="ORDER00003", amount="10.005",
                    challenge=challenge)["reason"] == "16_0006_059"
    assert len(emu.violations) == 5
    assert complete(ref, orderId="ORDER00003", amount="10.00",
                    challenge=challenge)["status"] == "Success"
    assert len(emu.violations) == 5


def test_secrets_never_reach_a_message_or_a_repr(emu, monkeypatch):
    key = emu.credentials["merchant_private_key"]
    texts = []
    d = driver(emu, timeout=0.5)
    for setup, call in [
            (lambda: setattr(emu, "hang_next", 1), lambda: d.start(order("INV2026NOV0006"))),
            (lambda: setattr(emu, "sign_badly", True), lambda: d.start(order("INV2026NOV0007"))),
            (lambda: None, lambda: driver(emu, credentials={
                **emu.credentials, "merchant_private_key": key[:-40]}).start(order()))]:
        setup()
        with pytest.raises(GatewayError) as e:
            call()
        texts += [str(e.value), repr(e.value)]
        emu.sign_badly = False
    texts += [repr(d), repr(d.config), str(d.__dict__.get("config"))]
    for text in texts:
        assert key[40:80] not in text and key[-80:-40] not in text

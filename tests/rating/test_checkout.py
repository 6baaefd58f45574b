"""Online payments end to end through the function layer, for every gateway against the
emulator of its published API: success, cancel, failure, timeout then recheck, duplicate
callback, tampered amount and refund, each leaving the right checkout, payment, ledger and
customer state."""
from __future__ import annotations

import datetime as dt
import importlib
import inspect
import json
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from radbill import settings
from radbill.functions.registry import AccessDenied, FuncError
from radbill.models import Event, GatewayCheckout, Outbox, Payment
from rating import jobs, ledger, links
from tests.support.factories import caller_of, fn, make_operator, make_user
from tests.support.gateways.base import Emulator
from tests.support.rating_factories import (assert_books_balance, due, make_profile,
                                            payments_of, postpaid_customer)

KINDS = ("bkash", "sslcommerz", "nagad", "aamarpay")
REFUNDS = {"bkash": True, "sslcommerz": True, "nagad": False, "aamarpay": False}


def emulator_class(kind: str) -> type[Emulator]:
    module = importlib.import_module(f"tests.support.gateways.{kind}_emu")
    [cls] = [c for _, c in inspect.getmembers(module, inspect.isclass)
             if issubclass(c, Emulator) and c is not Emulator and c.__module__ == module.__name__]
    return cls


@pytest.fixture(params=KINDS)
def emu(request):
    with emulator_class(request.param)() as e:
        e.kind = request.param
        yield e


@pytest.fixture
def shop(session, emu):
    """An ISP with a gateway of the kind under test (1.5% charge); a reseller under it with
    none of its own; alice (the reseller's) owes 500 and is suspended for it."""
    isp = make_operator(session, name="isp")
    reseller = make_operator(session, name="res1", parent="isp", level="operator")
    fn(session, "gateway.edit", sok="ok", name=f"{emu.kind}-main", kind=emu.kind, operator="isp",
       base_url=emu.url, charge_percent="1.5", **emu.credentials)
    alice = postpaid_customer(session, make_profile(session), username="alice",
                              operator="res1", mobile="01711000001",
                              package=fn_package(session))
    fn(session, "bill.generate", sok="ok", date="2026-11-01")
    fn(session, "customer.suspend", elid="alice", reason="unpaid")
    return isp, reseller, alice


def fn_package(session) -> str:
    from tests.support.factories import make_package
    return make_package(session, name="home", price="500").name


def checkout_of(session, result) -> GatewayCheckout:
    return session.get(GatewayCheckout, result.elid)


def callback(session, emu, co, outcome: str, twice: bool = False):
    """The customer finishes on the gateway's page; the browser comes back (GET or POST)."""
    back = emu.pay(co.gateway_ref, outcome)
    assert back.url.endswith(f"/portal/pay/return/{co.invoice}")
    result = fn(session, "payment.confirm", invoice=co.invoice, data=json.dumps(back.params))
    if twice:
        fn(session, "payment.confirm", invoice=co.invoice, data=json.dumps(back.params))
    session.refresh(co)
    return result


def books(session, operator_id: int) -> dict[str, D]:
    return {k: ledger.balance(session, operator_id, k)
            for k in ("cash", "gateway_fees", "receivable")}


def test_a_suspended_customer_pays_online_and_is_back(session, emu, shop):
    isp, reseller, alice = shop
    started = fn(session, "payment.checkout", customer="alice")  # the parent's gateway
    co = checkout_of(session, started)
    assert started.extra["url"] == co.redirect_url and co.status == "pending"
    assert (co.amount, co.charge, co.operator_id) == (D("500.00"), D("7.50"), reseller.id)
    callback(session, emu, co, "success", twice=True)  # a duplicate callback counts once
    assert co.status == "completed" and co.gateway_txn
    [p] = payments_of(session, alice)
    assert (p.method, p.amount, p.gateway, p.reference) == \
        ("online", D("500.00"), f"{emu.kind}-main", f"{emu.kind}:{co.gateway_txn}")
    assert co.payment_id == p.id and due(session, alice) == 0
    session.refresh(alice)
    assert alice.status == "active"
    [back] = session.scalars(sa.select(Event).where(Event.name == "customer.activated",
                                                    Event.customer_id == alice.id)).all()
    assert back.data["reason"] == "payment"
    assert books(session, reseller.id) == {"cash": D("492.50"), "gateway_fees": D("7.50"),
                                           "receivable": D("0.00")}
    kinds = [o.kind for o in session.scalars(sa.select(Outbox).where(
        Outbox.customer_id == alice.id).order_by(Outbox.id))]
    assert kinds.count("disconnect") >= 2  # suspended, then activated by the payment
    assert emu.violations == []
    assert_books_balance(session)


@pytest.mark.parametrize("outcome, status", [("cancel", "cancelled"), ("failure", "failed")])
def test_a_cancelled_or_failed_payment_takes_nothing(session, emu, shop, outcome, status):
    _, _, alice = shop
    co = checkout_of(session, fn(session, "payment.checkout", customer="alice"))
    result = callback(session, emu, co, outcome)
    assert (result.extra["status"], co.status, co.payment_id) == (status, status, None)
    assert payments_of(session, alice) == [] and due(session, alice) == D("500.00")
    session.refresh(alice)
    assert alice.status == "suspended"
    assert emu.violations == []


def test_a_timeout_stays_pending_and_the_recheck_job_settles_it(session, emu, shop,
                                                                 monkeypatch):
    _, _, alice = shop
    co = checkout_of(session, fn(session, "payment.checkout", customer="alice"))
    back = emu.pay(co.gateway_ref, "success")
    monkeypatch.setenv("RADBILL_GATEWAY_TIMEOUT", "1")
    settings.get.cache_clear()
    try:
        emu.hang_next, emu.hang_for = 5, 2.5
        result = fn(session, "payment.confirm", invoice=co.invoice, data=json.dumps(back.params))
        assert result.extra["status"] == "pending" and "did not answer" in co.message
        assert payments_of(session, alice) == []
    finally:
        emu.hang_next = 0
        settings.get.cache_clear()
    # nothing more comes from the browser: 31 minutes on, the job asks the gateway itself
    co.created_at -= dt.timedelta(minutes=31)
    session.flush()
    assert "1 completed" in jobs.payment_recheck(session, dt.date(2026, 11, 2))
    session.refresh(co)
    assert co.status == "completed" and len(payments_of(session, alice)) == 1
    assert jobs.payment_recheck(session, dt.date(2026, 11, 2)) == "nothing pending"
    assert emu.violations == []


def test_a_tampered_amount_is_flagged_for_review_not_credited(session, emu, shop):
    _, _, alice = shop
    co = checkout_of(session, fn(session, "payment.checkout", customer="alice"))
    emu.tamper_amount = D("5.00")
    callback(session, emu, co, "success")
    assert co.status == "review" and "5.00" in co.message and co.payment_id is None
    assert payments_of(session, alice) == [] and due(session, alice) == D("500.00")
    [ev] = session.scalars(sa.select(Event).where(Event.name == "payment.review")).all()
    assert ev.data["invoice"] == co.invoice and ev.customer_id == alice.id
    # verifying again does not turn a reviewed checkout into a payment
    fn(session, "payment.verify", elid=co.invoice)
    assert payments_of(session, alice) == []


def test_a_refund_goes_through_the_gateway_where_it_can(session, emu, shop):
    _, reseller, alice = shop
    co = checkout_of(session, fn(session, "payment.checkout", customer="alice"))
    callback(session, emu, co, "success")
    [p] = payments_of(session, alice)
    result = fn(session, "payment.reverse", elid=str(p.id), reason="double charged")
    session.refresh(co)
    session.refresh(p)
    [note] = result.extra["refunds"]
    if REFUNDS[emu.kind]:
        assert co.status == "refunded" and "refunded 500.00" in note
    else:
        assert co.status == "completed" and "no refund API" in note
    assert p.status == "reversed" and due(session, alice) == D("500.00")
    assert books(session, reseller.id) == {"cash": D("0.00"), "gateway_fees": D("0.00"),
                                           "receivable": D("500.00")}
    assert emu.violations == []
    assert_books_balance(session)


def test_a_transaction_id_cannot_pay_two_checkouts(session, emu, shop):
    _, _, alice = shop
    first = checkout_of(session, fn(session, "payment.checkout", customer="alice",
                                    amount="200"))
    callback(session, emu, first, "success")
    second = checkout_of(session, fn(session, "payment.checkout", customer="alice",
                                     amount="200"))
    # a forged checkout row pointing at the first's gateway session: a gateway asked by its
    # own id (bKash) answers about the first payment, whose transaction id is taken; the
    # others are asked by our invoice, and the second one was never paid
    second.gateway_ref = first.gateway_ref
    session.flush()
    fn(session, "payment.verify", elid=str(second.id))
    session.refresh(second)
    assert second.payment_id is None and len(payments_of(session, alice)) == 1
    if emu.kind == "bkash":
        assert second.status == "review" and "already paid" in second.message
    else:
        assert second.status == "pending"


# -- the same for every gateway: no emulator needed -----------------------------------------
@pytest.fixture
def plain(session):
    isp = make_operator(session, name="isp")
    make_operator(session, name="res1", parent="isp", level="operator")
    make_operator(session, name="res2", parent="isp", level="operator")
    return isp


def test_gateway_credentials_are_encrypted_write_only_and_never_logged(session, plain, caplog):
    fn(session, "gateway.edit", sok="ok", name="bk", kind="bkash", operator="isp",
       app_key="AK-1", app_secret="TOPSECRET-1", username="merchant", password="PW-SECRET-1")
    row = fn(session, "gateway").rows[0]
    assert row["credentials"] == ["app_key", "app_secret", "password", "username"]
    raw = session.execute(sa.text("select credentials from payment_gateways")).scalar()
    assert b"TOPSECRET" not in bytes(raw)
    form = fn(session, "gateway.edit", elid="bk").values
    assert "TOPSECRET-1" not in json.dumps(form, default=str)
    audit = session.execute(sa.text("select coalesce(string_agg(after::text, ''), '') "
                                    "from audit_log where object_type = 'gateway'")).scalar()
    assert "TOPSECRET" not in audit and "PW-SECRET" not in audit
    assert "TOPSECRET" not in caplog.text
    # an empty field keeps the stored secret; a field of another kind is refused
    fn(session, "gateway.edit", sok="ok", elid="bk", charge_fixed="5")
    with pytest.raises(FuncError) as err:
        fn(session, "gateway.edit", sok="ok", elid="bk", store_passwd="x")
    assert "store_passwd" in err.value.errors
    with pytest.raises(FuncError) as err:
        fn(session, "gateway.edit", sok="ok", name="ng", kind="nagad", operator="isp")
    assert "merchant_id" in err.value.errors


def test_a_reseller_sees_and_edits_only_its_own_gateways(session, plain):
    fn(session, "gateway.edit", sok="ok", name="isp-bk", kind="bkash", operator="isp",
       app_key="a", app_secret="b", username="c", password="d")
    boss = caller_of(session, make_user(session, role="operator", operator="res1"))
    other = caller_of(session, make_user(session, role="operator", operator="res2"))
    fn(session, "gateway.edit", boss, sok="ok", name="own-bk", kind="bkash",
       app_key="a", app_secret="b", username="c", password="d")
    assert [r["name"] for r in fn(session, "gateway", boss).rows] == ["own-bk"]
    assert fn(session, "gateway", other).rows == []
    with pytest.raises(FuncError):
        fn(session, "gateway.edit", other, sok="ok", elid="own-bk", enabled="off")
    with pytest.raises(AccessDenied):
        fn(session, "gateway.edit", boss, sok="ok", name="x", kind="bkash", operator="isp",
           app_key="a", app_secret="b", username="c", password="d")
    with pytest.raises(AccessDenied):
        fn(session, "payment.confirm", boss, invoice="RB00", data="{}")


def test_payment_links_are_signed_and_expire(session, plain):
    fn(session, "gateway.edit", sok="ok", name="isp-bk", kind="bkash", operator="isp",
       app_key="a", app_secret="b", username="c", password="d")
    c = postpaid_customer(session, make_profile(session), username="bob", operator="res1")
    url = fn(session, "payment.link", customer="bob", amount="300", expires="3").extra["url"]
    token = url.rsplit("/", 1)[1]
    assert len(url) < 100 and len(token) == 30
    lk = links.read(token)
    assert (lk.customer_id, lk.amount) == (c.id, D("300.00"))
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    with pytest.raises(links.LinkError, match="not valid"):
        links.read(tampered)
    with pytest.raises(links.LinkError, match="expired"):
        links.read(token, now=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=4))
    with pytest.raises(FuncError) as err:
        fn(session, "payment.link", customer="bob", expires="2020-01-01")
    assert err.value.field == "expires"
    other = caller_of(session, make_user(session, role="operator", operator="res2"))
    with pytest.raises(FuncError):
        fn(session, "payment.link", other, customer="bob")


def test_no_gateway_no_checkout(session, plain):
    postpaid_customer(session, make_profile(session), username="bob", operator="res1")
    with pytest.raises(FuncError, match="no online gateway") as err:
        fn(session, "payment.checkout", customer="bob", amount="10")
    assert err.value.field == "gateway"
    assert session.scalar(sa.select(sa.func.count()).select_from(GatewayCheckout)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 0


def test_a_prepaid_renewal_defaults_to_one_period_with_vat_and_extends_validity(session):
    from tests.support.gateways.bkash_emu import BkashEmulator
    from tests.support.factories import make_customer, make_package
    with BkashEmulator() as emu:
        isp = make_operator(session, name="isp", vat_percent="5")
        fn(session, "gateway.edit", sok="ok", name="bk", kind="bkash", operator="isp",
           base_url=emu.url, **emu.credentials)
        c = make_customer(session, username="pre", operator="isp",
                          package=make_package(session, price="500", validity_days="30").name)
        before = c.expires_at
        co = checkout_of(session, fn(session, "payment.checkout", customer="pre"))
        assert co.amount == D("525.00")
        back = emu.pay(co.gateway_ref, "success")
        fn(session, "payment.confirm", invoice=co.invoice, data=json.dumps(back.params))
        session.refresh(c)
        session.refresh(co)
        assert co.status == "completed" and c.advance_balance == 0
        assert c.expires_at >= (before or c.created_at) + dt.timedelta(days=29)
        assert ledger.balance(session, isp.id, "vat_payable") == D("-25.00")
        assert emu.violations == []

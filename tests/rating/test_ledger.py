"""The ledger: resellers' balances, funding and transfers, the balance trigger, journal, reports."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.support.factories import caller_of, fn, make_customer, make_isp, make_operator, make_package, make_user
from radbill.functions.registry import AccessDenied, FuncError
from radbill.models import Payment
from rating import ledger, resellers
from tests.support.rating_factories import assert_books_balance, pay, postpaid_customer


@pytest.fixture(autouse=True)
def books_balance(session):
    yield
    assert_books_balance(session)


def reseller(session, kind="debit", credit_limit="0"):
    isp = make_isp(session)
    op = make_operator(session, parent=isp.name, kind=kind, credit_limit=credit_limit)
    return isp, op


def test_debit_reseller_at_zero_balance_cannot_activate(session):
    isp, op = reseller(session)
    pkg = make_package(session, price="500", wholesale_price="200")
    with pytest.raises(FuncError, match="has 0.00 available, 200.00 is needed") as err:
        make_customer(session, package=pkg.name, operator=op.name)
    assert err.value.field == "package"
    fn(session, "operator.fund", elid=op.name, amount="500")
    make_customer(session, package=pkg.name, operator=op.name)
    make_customer(session, package=pkg.name, operator=op.name)
    assert resellers.available(session, op) == D("100")
    with pytest.raises(FuncError, match="has 100.00 available"):
        make_customer(session, package=pkg.name, operator=op.name)
    assert ledger.balance(session, isp.id, "revenue") == D("-400")  # the ISP earned 400
    assert ledger.balance(session, isp.id, "cash") == D("500")


def test_credit_reseller_is_blocked_past_its_credit_limit(session):
    isp, op = reseller(session, "credit", "300")
    pkg = make_package(session, price="500", wholesale_price="200")
    make_customer(session, package=pkg.name, operator=op.name)
    with pytest.raises(FuncError, match="has 100.00 available"):
        make_customer(session, package=pkg.name, operator=op.name)
    fn(session, "operator.fund", elid=op.name, amount="200")  # pays down its debt
    make_customer(session, package=pkg.name, operator=op.name)
    assert ledger.balance(session, op.id, "upstream") == D("-200")


def test_a_reseller_prepaid_renewal_pays_wholesale_again(session):
    isp, op = reseller(session)
    fn(session, "operator.fund", elid=op.name, amount="300")
    pkg = make_package(session, price="500", wholesale_price="200")
    c = make_customer(session, package=pkg.name, operator=op.name)
    pay(session, c, "500")  # the first period: creating the customer paid for it
    assert resellers.available(session, op) == D("100")
    with pytest.raises(FuncError, match="has 100.00 available"):
        pay(session, c, "500")  # a renewal is an activation the reseller cannot afford


def test_transfer_moves_balance_between_resellers(session):
    isp = make_isp(session)
    a = make_operator(session, parent=isp.name, kind="debit")
    b = make_operator(session, parent=isp.name, kind="debit")
    fn(session, "operator.fund", elid=a.name, amount="500")
    fn(session, "operator.transfer", **{"from": a.name, "to": b.name, "amount": "120"})
    assert (resellers.available(session, a), resellers.available(session, b)) == (D("380"), D("120"))
    with pytest.raises(FuncError, match="available") as err:
        fn(session, "operator.transfer", **{"from": b.name, "to": a.name, "amount": "500"})
    assert err.value.field == "amount"


def test_a_reseller_cannot_fund_itself(session):
    isp, op = reseller(session)
    boss = caller_of(session, make_user(session, role="operator", operator=op.name))
    with pytest.raises(AccessDenied):
        fn(session, "operator.fund", boss, elid=op.name, amount="1000")


def test_the_trigger_refuses_an_unbalanced_transaction_even_from_raw_sql(committed):
    with Session(committed) as s, s.begin():
        op = make_isp(s)
        acc = ledger.account_ids(s, [(op.id, "cash")])[(op.id, "cash")]
    with pytest.raises(sa.exc.IntegrityError, match="unbalanced"):
        with committed.begin() as conn:
            tx = conn.scalar(sa.text("insert into ledger_transactions (kind, description) "
                                     "values ('manual', 'money from nowhere') returning id"))
            conn.execute(sa.text("insert into ledger_entries (transaction_id, account_id, amount) "
                                 "values (:t, :a, 100)"), {"t": tx, "a": acc})
    with committed.connect() as conn:
        assert conn.scalar(sa.text("select count(*) from ledger_transactions")) == 0


def test_the_trigger_refuses_removing_one_leg_of_a_transaction(committed):
    with Session(committed) as s, s.begin():
        op = make_isp(s)
        tx = ledger.post(s, "manual", "owner's capital", [(op.id, "cash", D("50")),
                                                          (op.id, "revenue", D("-50"))])
    with pytest.raises(sa.exc.IntegrityError, match="unbalanced"):
        with committed.begin() as conn:
            conn.execute(sa.text("delete from ledger_entries where transaction_id = :t and amount > 0"),
                         {"t": tx})


def test_posted_legs_are_never_edited(session):
    op = make_isp(session)
    tx = ledger.post(session, "manual", "capital", [(op.id, "cash", D("50")),
                                                    (op.id, "revenue", D("-50"))])
    with pytest.raises(sa.exc.DBAPIError, match="never edited"):
        with session.begin_nested():
            session.execute(sa.text("update ledger_entries set amount = -amount "
                                    "where transaction_id = :t"), {"t": tx})


def test_python_refuses_an_unbalanced_posting_first(session):
    op = make_isp(session)
    with pytest.raises(FuncError, match="unbalanced"):
        ledger.post(session, "manual", "oops", [(op.id, "cash", D("1")), (op.id, "revenue", D("-2"))])


def test_the_ledger_shows_a_running_balance(session):
    c = postpaid_customer(session, package=make_package(session, price="500").name)
    fn(session, "bill.generate", sok="ok", date="2026-11-01")
    pay(session, c, "200")
    pay(session, c, "300")
    rows = fn(session, "ledger", operator=str(c.operator_id), account="cash").rows
    assert [(r["debit"], r["balance"]) for r in rows] == [("200.00", "200.00"), ("300.00", "500.00")]
    journal = fn(session, "journal", operator=str(c.operator_id)).rows
    assert journal[0]["kind"] == "payment" and "receivable -300.00" in journal[0]["legs"]


def test_cash_report_and_receivables(session):
    c = postpaid_customer(session, package=make_package(session, price="500").name)
    fn(session, "bill.generate", sok="ok", date="2026-11-01")
    pay(session, c, "200")
    daily = fn(session, "report.cash", operator=str(c.operator_id), period="daily").rows
    assert (daily[0]["cash_in"], daily[0]["cash_out"]) == ("200.00", "0")
    monthly = fn(session, "report.cash", operator=str(c.operator_id), period="monthly").rows
    assert monthly[0]["net"] == "200.00"
    owed = {r["username"]: r for r in fn(session, "report.receivable").rows}
    assert owed[c.username]["due"] == "300.00"
    assert owed[c.username]["oldest_due"] == "2026-11-01"


def test_a_reseller_sees_only_its_subtree_in_the_journal(session):
    isp = make_isp(session)
    a = make_operator(session, parent=isp.name, kind="debit")
    b = make_operator(session, parent=isp.name, kind="debit")
    fn(session, "operator.fund", elid=a.name, amount="10")
    fn(session, "operator.fund", elid=b.name, amount="20")
    boss = caller_of(session, make_user(session, role="operator", operator=a.name))
    rows = fn(session, "journal", boss).rows
    assert {r["operator_id"] for r in rows} == {a.id}
    with pytest.raises(AccessDenied):
        fn(session, "ledger", boss, operator=b.name)


def test_a_resellers_monthly_renewals_pay_wholesale_in_the_billing_run(session):
    isp, op = reseller(session)
    fn(session, "operator.fund", elid=op.name, amount="1000")
    pkg = make_package(session, price="500", wholesale_price="200")
    c = postpaid_customer(session, package=pkg.name, operator=op.name)
    assert resellers.available(session, op) == D("800")  # the activation
    fn(session, "bill.generate", sok="ok", date="2026-11-01")  # its first bill: already paid for
    assert resellers.available(session, op) == D("800")
    fn(session, "bill.generate", sok="ok", date="2026-12-01")  # a renewal
    assert resellers.available(session, op) == D("600")
    assert ledger.balance(session, op.id, "wholesale_cost") == D("400")
    assert c.id


def test_the_ledger_balances_after_every_scenario(session):
    """A month of an ISP's life; then each operator's books sum to zero and agree with the
    bills, payments and balances they describe."""
    isp, op = reseller(session, "credit", "5000")
    pkg = make_package(session, price="500", wholesale_price="150")
    customers = [postpaid_customer(session, package=pkg.name, operator=op.name) for _ in range(4)]
    fn(session, "bill.generate", sok="ok", date="2026-11-01")
    pay(session, customers[0], "500")
    pay(session, customers[1], "200")
    p = pay(session, customers[2], "900")
    fn(session, "payment.reverse", elid=p.elid)
    fn(session, "bill.edit", sok="ok", customer=customers[3].username, description="Fibre", amount="50")
    fn(session, "operator.fund", elid=op.name, amount="300")
    fn(session, "bill.generate", sok="ok", date="2026-12-01")
    assert_books_balance(session)
    for operator in (isp, op):
        total = sum(ledger.balance(session, operator.id, k) for k in ledger.LABELS)
        assert total == 0, operator.name
    cash_in = sum(pm.amount for c in customers for pm in session.scalars(
        sa.select(Payment).where(Payment.customer_id == c.id, Payment.status == "completed")))
    assert ledger.balance(session, op.id, "cash") == cash_in - D("300")

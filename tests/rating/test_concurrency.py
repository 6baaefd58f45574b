"""Double submissions and parallel runs, on committed data with real concurrent transactions."""
from __future__ import annotations

import threading

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.support.factories import fn, make_package
from radbill.models import Bill, Payment
from tests.support.rating_factories import postpaid_customer


def _in_parallel(committed, work, n=2):
    """Run `work(session)` in n threads at once, each in its own transaction."""
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def one():
        try:
            with Session(committed) as s, s.begin():
                barrier.wait()
                work(s)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_a_double_submitted_payment_counts_once(committed):
    with Session(committed) as s, s.begin():
        c = postpaid_customer(s, package=make_package(s, price="500").name)
        fn(s, "bill.generate", sok="ok", date="2026-11-01")
        username = c.username
    errors = _in_parallel(committed, lambda s: fn(s, "payment.edit", sok="ok", customer=username,
                                                  amount="500", reference="FORM-77"))
    assert errors == []
    with Session(committed) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Payment)) == 1
        assert s.scalar(sa.select(Bill.paid)) == 500


def test_two_billing_runs_at_once_bill_each_customer_once(committed):
    with Session(committed) as s, s.begin():
        for _ in range(20):
            postpaid_customer(s)
    # 20 of 20 is a large run: it names its count (the one that finds them billed makes 0)
    errors = _in_parallel(committed, lambda s: fn(s, "bill.generate", sok="ok", confirm="20",
                                                  date="2026-11-01"))
    assert errors == []
    with Session(committed) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Bill)) == 20
        unbalanced = s.scalar(sa.text("select count(*) from (select transaction_id from "
                                      "ledger_entries group by 1 having sum(amount) <> 0) x"))
        receivable = s.scalar(sa.text("select sum(e.amount) from ledger_entries e join "
                                      "ledger_accounts a on a.id = e.account_id "
                                      "where a.kind = 'receivable'"))
        assert unbalanced == 0 and receivable == s.scalar(sa.select(sa.func.sum(Bill.total)))

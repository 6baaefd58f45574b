"""One customer's bills: the period bill (postpaid or prepaid), a package change, a manual
charge, removing an unpaid bill, and what a bill would be (the preview writes nothing)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill import events
from radbill.models import Bill, BillLine, Customer, Package, PaymentAllocation
from radbill.money import ZERO
from rating import ledger, pricing, resellers
from rating.errors import AlreadyBilled, RatingError
from rating.terms import Terms, local_day, terms_of, today


def period_of(t: Terms, on: dt.date) -> tuple[dt.date, dt.date] | None:
    """The period a bill made on `on` covers; a prepaid one starts when validity runs out."""
    if t.prepaid:
        start = on
        if t.customer.expires_at is not None:
            start = max(on, local_day(t.customer.expires_at))
        return start, start + dt.timedelta(days=t.package.validity_days)
    return pricing.period_for(t.profile.term, t.profile.due_day, on)


def quote(session: Session, customer: Customer,
          on: dt.date | None = None) -> tuple[pricing.Quote, tuple]:
    """The period bill `customer` would get on `on`, with the advance it would absorb."""
    on = on or today()
    t = terms_of(session, customer)
    period = period_of(t, on)
    if period is None:
        return pricing.Quote(advance=customer.advance_balance), (None, None, None)
    created = customer.billing_from or (local_day(customer.created_at) if customer.created_at
                                        else on)  # a converted trial: from its conversion
    service_from = period[0] if t.prepaid else max(period[0], created)
    paid_to = local_day(customer.expires_at) if customer.expires_at else None
    if not t.prepaid and pricing.covered(period, paid_to):  # nothing owed for this period
        return pricing.Quote(advance=customer.advance_balance), (period[0], period[1], period[1])
    kind, value = t.discount
    q = pricing.period_quote(package=t.package.name, price=t.price,
                             validity_days=t.package.validity_days, term=t.term,
                             period=period, service_from=service_from, discount_kind=kind,
                             discount_value=value, vat_percent=t.vat_percent,
                             advance=customer.advance_balance)
    return q, (period[0], service_from, period[1])


def issue_period_bill(session: Session, customer: Customer, on: dt.date | None = None) -> Bill:
    """The bill for the period containing `on` (prepaid: the next validity); once per period."""
    on = on or today()
    q, (start, service_from, end) = quote(session, customer, on)
    if start is None:
        raise RatingError("the customer's billing profile is free", field="customer")
    if service_from >= end:
        raise RatingError(f"{customer.username!r} has paid validity to "
                          f"{local_day(customer.expires_at)}: the period from {start} to "
                          f"{end - dt.timedelta(days=1)} is covered", field="customer")
    taken = session.scalar(sa.select(Bill.id).where(
        Bill.customer_id == customer.id, Bill.kind == "period", Bill.period_start == start))
    if taken is not None:
        raise AlreadyBilled(customer.username, start)
    renewal = session.scalar(sa.select(sa.func.count()).select_from(Bill).where(
        Bill.customer_id == customer.id, Bill.kind == "period")) > 0
    due = due_date(session, customer, on, service_from)
    bill = write_bill(session, customer, q, kind="period", due=due, period_start=start,
                      service=(service_from, end), on=on)
    if renewal:  # creating the customer paid for the first period; each renewal is an activation
        resellers.charge_activation(session, customer, session.get(Package, customer.package_id))
    return bill


def due_date(session: Session, customer: Customer, on: dt.date,
             service_from: dt.date) -> dt.date:
    """A period bill issued on `on` falls due on the profile's next due day on or after `on`
    (pricing.due_on); a prepaid one when its validity starts (never before `on`)."""
    t = terms_of(session, customer)
    if t.prepaid:
        return max(service_from, on)
    return pricing.due_on(t.term, t.profile.due_day, on)


def write_bill(session: Session, customer: Customer, q: pricing.Quote, *, kind: str, due: dt.date,
               on: dt.date, period_start: dt.date | None = None,
               service: tuple[dt.date | None, dt.date | None] = (None, None),
               note: str | None = None, reason: str | None = None) -> Bill:
    """Insert a bill with its lines and its ledger transaction; `reason` goes into its
    bill.created event (package_change: the change's own notice names the bill)."""
    if q.total < 0:
        raise RatingError("a bill cannot be negative", field="amount")
    bill = Bill(customer_id=customer.id, operator_id=customer.operator_id, kind=kind,
                period_start=period_start, service_from=service[0], service_to=service[1],
                issued_on=on, due_date=due, subtotal=q.subtotal, discount=q.discount,
                vat_percent=q.vat_percent, vat=q.vat, total=q.total, paid=ZERO,
                status="paid" if q.total == 0 else "open", note=note,
                lines=[BillLine(description=d, amount=a) for d, a in q.lines])
    session.add(bill)
    session.flush()
    ledger.post(session, "bill", f"bill {bill.id} to {customer.username}",
                ledger.bill_legs(customer.operator_id, bill.total, bill.total - bill.vat, bill.vat),
                operator_id=customer.operator_id, bill_id=bill.id)
    events.emit(session, "bill.created", customer_id=customer.id,
                operator_id=customer.operator_id, actor="system", bill_id=bill.id,
                total=bill.total, due_date=bill.due_date,
                period_from=bill.service_from,
                period_to=bill.service_to - dt.timedelta(days=1) if bill.service_to else None,
                reason=reason)
    return bill


def manual_bill(session: Session, customer: Customer, description: str, amount: Decimal,
                due: dt.date | None = None, on: dt.date | None = None) -> Bill:
    """A one-off charge (installation, a router); VAT as the operator's profile says."""
    on = on or today()
    t = terms_of(session, customer)
    q = pricing.Quote([(description, amount)], vat_percent=t.vat_percent)
    return write_bill(session, customer, q, kind="manual", due=due or on, on=on, note=description)


def change_package(session: Session, customer: Customer, old: Package, on: dt.date | None = None):
    """Pro-rate a package change against the period already billed: the new package for the
    days left, less the old one for the same days. A downgrade credits the advance balance."""
    on = on or today()
    current = session.scalars(sa.select(Bill).where(
        Bill.customer_id == customer.id, Bill.kind == "period", Bill.service_from <= on,
        Bill.service_to > on).order_by(Bill.id.desc()).limit(1)).first()
    t = terms_of(session, customer)
    if current is None or t.term == "daily" or customer.custom_price is not None:
        return None  # nothing billed for today under the old package (or the price is fixed)
    q = pricing.change_quote(old=old.name, old_price=old.price, new=t.package.name,
                             new_price=t.price, period=(current.period_start, current.service_to),
                             on=on, vat_percent=t.vat_percent)
    if q.total > 0:
        return write_bill(session, customer, q, kind="change", due=on, on=on,
                          service=(on, current.service_to), note="package change")
    if q.total < 0:
        credit = -q.total
        customer.advance_balance += credit
        ledger.post(session, "change_credit", f"downgrade credit to {customer.username}",
                    [(customer.operator_id, "revenue", -q.net),
                     (customer.operator_id, "vat_payable", -q.vat),
                     (customer.operator_id, "advances", -credit)], operator_id=customer.operator_id)
    return None


def remove_bill(session: Session, bill: Bill) -> None:
    """Delete an unpaid bill and take it back out of the books."""
    if bill.paid > 0:
        raise RatingError(f"bill {bill.id} has payments; reverse them first", field="elid")
    ledger.post(session, "bill_void", f"bill {bill.id} deleted",
                [(o, k, -a) for o, k, a in ledger.bill_legs(bill.operator_id, bill.total,
                                                            bill.total - bill.vat, bill.vat)],
                operator_id=bill.operator_id)
    # allocations left by reversed payments
    session.execute(sa.delete(PaymentAllocation).where(PaymentAllocation.bill_id == bill.id))
    session.delete(bill)
    session.flush()

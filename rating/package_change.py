"""A customer's move to another package (issue 14): what it costs and when it takes effect,
and carrying it out.

An upgrade (a higher price per period) applies at once: the customer's package changes, the
difference for the rest of the period already paid is billed (a bill of kind `change`: the new
package for the days left less the old one for the same days, VAT as the operator's bills),
and one CoA gives the live session the new rate (event customer.package_changed; no
Disconnect). A downgrade waits for the next cycle: it is `scheduled` for the day the paid
period ends and applied by the daily job `package_changes`, without a bill (the new price is
billed from the next period). A change to a package with `change_approval` is `pending` until
staff approve it.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill import events
from radbill.models import Bill, Customer, Operator, Package, PackageChange
from radbill.money import ZERO, q
from rating import bills, ledger, pricing, resellers
from rating.errors import InsufficientBalance, RatingError
from rating.terms import Terms, local_day, terms_of

log = logging.getLogger("rating.package_change")


@dataclass
class Plan:
    """A change worked out for one day, writing nothing."""

    customer: Customer
    old: Package
    new: Package
    kind: str  # upgrade | downgrade
    on: dt.date
    period: tuple[dt.date, dt.date] | None  # the period paid for, [start, end)
    days_left: int
    total_days: int
    quote: pricing.Quote | None  # the upgrade's bill (None: nothing to bill)
    effective_on: dt.date
    # what the customer's reseller pays its parent for the change (None: the customer's
    # operator has no parent); never shown to the customer
    wholesale: Decimal | None = None

    @property
    def amount(self) -> Decimal:
        return self.quote.total if self.quote is not None else ZERO

    @property
    def now(self) -> bool:
        """Whether it takes effect on the day asked."""
        return self.effective_on <= self.on

    def as_dict(self) -> dict:
        out = {"customer": self.customer.username, "from": self.old.name, "to": self.new.name,
               "kind": self.kind, "from_price": str(self.old.price),
               "to_price": str(self.new.price),
               "price_difference": str(self.new.price - self.old.price),
               "date": self.on.isoformat(), "effective_on": self.effective_on.isoformat(),
               "period_from": self.period[0].isoformat() if self.period else None,
               "period_to": (self.period[1] - dt.timedelta(days=1)).isoformat()
               if self.period else None,
               "days_left": self.days_left, "total_days": self.total_days,
               "amount": str(self.amount)}
        if self.quote is not None:
            out.update({k: v for k, v in self.quote.as_dict().items()
                        if k in ("lines", "subtotal", "vat_percent", "vat", "total")})
        return out


def paid_period(session: Session, customer: Customer, t: Terms,
                on: dt.date) -> tuple[tuple[dt.date, dt.date] | None, bool]:
    """The period `on` falls in and whether it is billed (paid for, or billed to be paid):
    postpaid, the period bill covering `on`, else the profile's period (not billed); prepaid,
    the validity running (its last `validity_days`), else none."""
    if t.prepaid:
        if customer.expires_at is None or local_day(customer.expires_at) <= on:
            return None, False
        end = local_day(customer.expires_at)
        return (end - dt.timedelta(days=t.package.validity_days), end), True
    current = session.scalars(sa.select(Bill).where(
        Bill.customer_id == customer.id, Bill.kind == "period", Bill.service_from <= on,
        Bill.service_to > on).order_by(Bill.id.desc()).limit(1)).first()
    if current is not None:
        return (current.period_start or current.service_from, current.service_to), True
    return pricing.period_for(t.profile.term, t.profile.due_day, on), False


def per_day(price: Decimal, package: Package, t: Terms) -> Decimal:
    """A price made comparable: a prepaid package's over its validity, a profile's per period."""
    return price / package.validity_days if t.prepaid else price


def kind_of(t: Terms, old: Package, old_price: Decimal, new: Package) -> str:
    """Upgrade: a higher price per period (the same price: a faster package)."""
    a, b = per_day(old_price, old, t), per_day(new.price, new, t)
    if b != a:
        return "upgrade" if b > a else "downgrade"
    return "upgrade" if new.rate_down > old.rate_down else "downgrade"


def difference_quote(*, old: str, old_price: Decimal, new: str, new_price: Decimal,
                     on: dt.date, end: dt.date, days: int, total_days: int,
                     vat_percent: Decimal) -> pricing.Quote:
    """The new package for the days left, less the old one for the same days (as
    pricing.change_quote, for a prepaid validity too)."""
    span = f"{days} of {total_days} days"
    last = end - dt.timedelta(days=1)
    return pricing.Quote([(f"{new}, {on} to {last} ({span})", q(new_price * days / total_days)),
                          (f"credit for {old}, same days ({span})",
                           -q(old_price * days / total_days))], vat_percent=vat_percent)


def plan(session: Session, customer: Customer, new: Package, on: dt.date) -> Plan:
    """What moving `customer` to `new` on `on` means: kind, the pro-rated bill, when."""
    t = terms_of(session, customer)
    old = t.package
    if new.id == old.id:
        raise RatingError(f"{customer.username!r} already has package {new.name!r}",
                          field="package")
    if customer.custom_price is not None:
        raise RatingError(f"{customer.username!r} has a custom price; change its package "
                          "with customer.edit", field="customer")
    kind = kind_of(t, old, t.price, new)
    period, billed = paid_period(session, customer, t, on)
    days = total = 0
    quote = None
    if period is not None:
        days, total = (period[1] - on).days, (period[1] - period[0]).days
    if kind == "upgrade":
        effective = on
        if billed and t.term != "daily" and days > 0:
            quote = difference_quote(old=old.name, old_price=t.price, new=new.name,
                                     new_price=new.price, on=on, end=period[1], days=days,
                                     total_days=total, vat_percent=t.vat_percent)
            if quote.total <= 0:
                quote = None
    else:
        effective = period[1] if period is not None else on
    parent = session.scalar(sa.select(Operator.parent_id)
                            .where(Operator.id == customer.operator_id))
    wholesale = None
    if parent is not None:
        wholesale = ZERO
        if kind == "upgrade" and billed and t.term != "daily" and days > 0:
            wholesale = wholesale_difference(old, new, days, total)
    return Plan(customer, old, new, kind, on, period, days, total, quote, effective, wholesale)


def wholesale_difference(old: Package, new: Package, days: int, total_days: int) -> Decimal:
    """The new package's wholesale price for the days left less the old one's for the same
    days, each rounded as a bill line (difference_quote); never below zero."""
    def share(p: Package) -> Decimal:
        return q((p.wholesale_price or ZERO) * days / total_days)
    return max(share(new) - share(old), ZERO)


def charge_wholesale(session: Session, customer: Customer, p: Plan, change_id: int) -> None:
    """The reseller pays its parent the plan's wholesale difference, as an activation: the row
    lock on the operator serialises it with activations and billing runs."""
    op = resellers.locked(session, customer.operator_id)
    have = resellers.available(session, op)
    if have < p.wholesale:
        raise InsufficientBalance(op.name, have, p.wholesale)
    ledger.post(session, "activation",
                f"package change of {customer.username} ({p.old.name} to {p.new.name}, "
                f"{p.days_left} of {p.total_days} days)",
                resellers.activation_legs(op.id, op.parent_id, p.wholesale),
                operator_id=op.id, reference=f"package_change:{change_id}")


def request(session: Session, customer: Customer, new: Package, on: dt.date, *, source: str,
            actor: str, func: str) -> PackageChange:
    """Record the change: applied now (an upgrade, or a downgrade with nothing paid ahead),
    scheduled (a downgrade), or pending (the package needs approval)."""
    open_one = session.scalar(sa.select(PackageChange.id).where(
        PackageChange.customer_id == customer.id,
        PackageChange.status.in_(("pending", "scheduled"))))
    if open_one is not None:
        raise RatingError(f"{customer.username!r} already has package change {open_one} "
                          "waiting; cancel it first", field="customer", status=409)
    p = plan(session, customer, new, on)
    change = PackageChange(customer_id=customer.id, operator_id=customer.operator_id,
                           from_package_id=p.old.id, to_package_id=new.id, kind=p.kind,
                           status="pending", effective_on=p.effective_on, amount=p.amount,
                           source=source, requested_by=actor)
    session.add(change)
    session.flush()
    if new.change_approval:
        announce(session, change, customer, actor, func)
    elif p.now:
        apply(session, change, customer, on, actor=actor, func=func)
    else:
        change.status = "scheduled"
        session.flush()
        announce(session, change, customer, actor, func)
    return change


def approve(session: Session, change: PackageChange, customer: Customer, on: dt.date, *,
            actor: str, func: str) -> None:
    """Staff agree: an upgrade applies now, a downgrade is scheduled for its day."""
    new = session.get(Package, change.to_package_id)
    p = plan(session, customer, new, on)
    change.kind, change.effective_on = p.kind, p.effective_on
    change.decided_by, change.decided_at = actor, dt.datetime.now(dt.timezone.utc)
    if p.now:
        apply(session, change, customer, on, actor=actor, func=func)
    else:
        change.status = "scheduled"
        session.flush()
        announce(session, change, customer, actor, func)


def apply(session: Session, change: PackageChange, customer: Customer, on: dt.date, *,
          actor: str, func: str) -> PackageChange:
    """Move the customer now; an upgrade bills the rest of the period paid for (and charges
    a reseller the wholesale difference: refused, writing nothing, when it cannot pay)."""
    new = session.get(Package, change.to_package_id)
    p = plan(session, customer, new, on)
    if p.wholesale:
        charge_wholesale(session, customer, p, change.id)
    bill = None
    if p.kind == "upgrade" and p.quote is not None:
        # its bill.created notice is skipped: customer.package_changed says the amount
        bill = bills.write_bill(session, customer, p.quote, kind="change", due=on, on=on,
                                service=(on, p.period[1]), note="package change",
                                reason="package_change")
    change.from_package_id = p.old.id
    customer.package_id = new.id
    change.kind, change.amount = p.kind, bill.total if bill is not None else ZERO
    change.bill_id = bill.id if bill is not None else None
    change.status, change.effective_on = "applied", on
    change.applied_at = dt.datetime.now(dt.timezone.utc)
    session.flush()
    events.emit(session, "customer.package_changed", customer_id=customer.id,
                operator_id=customer.operator_id, actor=actor, func=func,
                username=customer.username, change_id=change.id, kind=change.kind,
                amount=change.amount if bill is not None else None, bill_id=change.bill_id,
                due_date=bill.due_date if bill is not None else None,
                **{"from": p.old.name, "to": new.name})
    return change


def announce(session: Session, change: PackageChange, customer: Customer, actor: str,
             func: str) -> None:
    """Tell the customer a change is waiting (for approval, or for its day)."""
    events.emit(session, "package_change.scheduled", customer_id=customer.id,
                operator_id=customer.operator_id, actor=actor, func=func,
                username=customer.username, change_id=change.id, kind=change.kind,
                status=change.status, effective_on=change.effective_on,
                **names(session, change))


def names(session: Session, change: PackageChange) -> dict:
    return {"from": session.scalar(sa.select(Package.name).where(
                Package.id == change.from_package_id)),
            "to": session.scalar(sa.select(Package.name).where(
                Package.id == change.to_package_id))}


def end(session: Session, change: PackageChange, status: str, actor: str, func: str,
        reason: str | None = None) -> None:
    """Refuse or cancel a waiting change (and tell the customer)."""
    if change.status not in ("pending", "scheduled"):
        raise RatingError(f"package change {change.id} is {change.status}", field="elid",
                          status=409)
    if status == "refused" and change.status != "pending":
        raise RatingError(f"package change {change.id} is {change.status}, not waiting for "
                          "approval", field="elid", status=409)
    change.status = status
    change.decided_by, change.decided_at = actor, dt.datetime.now(dt.timezone.utc)
    session.flush()
    customer = session.get(Customer, change.customer_id)
    events.emit(session, f"package_change.{status}", customer_id=customer.id,
                operator_id=customer.operator_id, actor=actor, func=func,
                username=customer.username, change_id=change.id, reason=reason,
                **names(session, change))


def run_due(session: Session, on: dt.date) -> str:
    """The job: apply the scheduled changes whose day has come (a downgrade: no bill)."""
    due = session.scalars(sa.select(PackageChange).where(
        PackageChange.status == "scheduled", PackageChange.effective_on <= on)
        .order_by(PackageChange.id).with_for_update(skip_locked=True)).all()
    applied = skipped = failed = 0
    for change in due:
        customer = session.scalars(sa.select(Customer).where(
            Customer.id == change.customer_id).with_for_update()).one()
        if customer.deleted_at is not None or customer.package_id == change.to_package_id:
            change.status = "cancelled"
            skipped += 1
            continue
        try:
            with session.begin_nested():
                apply(session, change, customer, on, actor="scheduler",
                      func="job.package_changes")
        except RatingError as exc:  # e.g. a custom price given since: staff decide
            log.warning("package change %s not applied: %s", change.id, exc)
            failed += 1
            continue
        applied += 1
    return (f"{applied} package changes applied" + (f", {skipped} cancelled" if skipped else "")
            + (f", {failed} refused (still scheduled)" if failed else ""))


def job(session: Session, on: dt.date) -> str:
    return run_due(session, on)


def _register() -> None:
    from radbill.jobs import Job, register
    # before the billing run (00:20), so the new period is billed at the new package's price
    register(Job("package_changes", job, "cron", {"hour": 0, "minute": 10}))


_register()

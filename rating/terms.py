"""A customer's commercial terms in one place: price, profile, VAT, and the ISP's today."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from radbill import settings
from radbill.models import BillingProfile, Customer, Operator, Package
from radbill.money import ZERO


def today() -> dt.date:
    return dt.datetime.now(settings.get().tz).date()


def midnight(day: dt.date) -> dt.datetime:
    """The start of `day` in the ISP's zone (validity runs up to it)."""
    return dt.datetime.combine(day, dt.time(), tzinfo=settings.get().tz)


def local_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(settings.get().tz).date()


@dataclass
class Terms:
    customer: Customer
    package: Package
    profile: BillingProfile | None
    operator: Operator

    @property
    def price(self) -> Decimal:
        """The custom price when the customer has one, else the package's."""
        c = self.customer.custom_price
        return c if c is not None else self.package.price

    @property
    def prepaid(self) -> bool:
        """No billing profile: service is bought a validity at a time."""
        return self.profile is None

    @property
    def term(self) -> str:
        return "prepaid" if self.profile is None else self.profile.term

    @property
    def vat_percent(self) -> Decimal:
        return self.operator.vat_percent or ZERO

    @property
    def discount(self) -> tuple[str, Decimal]:
        if self.profile is None:
            return "none", ZERO
        return self.profile.discount_kind, self.profile.discount_value


def terms_of(session: Session, customer: Customer) -> Terms:
    return Terms(customer, session.get(Package, customer.package_id),
                 session.get(BillingProfile, customer.billing_profile_id)
                 if customer.billing_profile_id else None,
                 session.get(Operator, customer.operator_id))

"""Register rating's functions and subscribe to the kernel's customer events."""
from __future__ import annotations

from radbill.functions import hooks
from radbill.models import Package
from rating import bills, resellers
from rating.api import accounts, cards, profiles  # noqa: F401  (registration)
from rating.api import bills as bill_functions  # noqa: F401
from rating.api import payments, usage  # noqa: F401


def on_created(call, customer) -> None:
    """Activation: a reseller pays its parent the wholesale price, or cannot activate."""
    package = call.session.get(Package, customer.package_id)
    resellers.charge_activation(call.session, customer, package)


def on_changed(call, customer, before: dict) -> None:
    """A package change mid-period is pro-rated against what was billed."""
    old_id = before.get("package_id") if before else None
    if old_id is not None and old_id != customer.package_id:
        bills.change_package(call.session, customer, call.session.get(Package, old_id))


hooks.subscribe("customer_created", on_created)
hooks.subscribe("customer_changed", on_changed)

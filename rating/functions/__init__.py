"""Register rating's functions and subscribe to the kernel's customer events."""
from __future__ import annotations

from radbill.functions import hooks
from radbill.models import Package
from rating import bills as billing, resellers
from rating.functions import (accounts, allocations, billing_profiles, bills, cards,  # noqa: F401
                              checkout, collect, commission, dashboard, gateways, payments,  # (registration)
                              profiles, receipts, usage, vouchers)
from rating.functions import package_changes  # noqa: F401,E402  (issue 14: package change)
from rating.functions import approvals, btrc, filings  # noqa: F401,E402  (issue 19: filings)
from rating.functions import books, books_reports  # noqa: F401,E402  (issue 19: the books)
from rating.functions import operator_bills  # noqa: F401,E402  (issue 19: operator bills)


def on_created(call, customer) -> None:
    """Activation: a reseller pays its parent the wholesale price, or cannot activate."""
    package = call.session.get(Package, customer.package_id)
    resellers.charge_activation(call.session, customer, package)


def on_changed(call, customer, before: dict) -> None:
    """A package change mid-period is pro-rated against what was billed."""
    old_id = before.get("package_id") if before else None
    if old_id is not None and old_id != customer.package_id:
        billing.change_package(call.session, customer, call.session.get(Package, old_id))


hooks.subscribe("customer_created", on_created)
hooks.subscribe("customer_changed", on_changed)

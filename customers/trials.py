"""Trial accounts (issue 17): a package with `trial_days` is a trial.

A customer created on a trial package gets exactly that many days: expires_at is the end of
the last day in the ISP's zone (created on 20 Feb 2028 with 10 days: 29 Feb 2028 23:59:59),
like a bare date typed for `expires`. The billing run never bills a customer on a trial
package (rating/billing_run.py), the expiry job does not renew one from the advance balance,
and at the end the expiry job suspends it through the lifecycle (suspended, reason expired:
the prepaid row of the table, so RADIUS puts it in the suspension pool).

Converting (customer.convert_trial, or customer.edit moving it to a package that is no trial)
starts billing that day: billing_from is set to the ISP's day, so the first period bill is
pro-rated from it; a postpaid customer (with a billing profile) loses the trial's expiry, a
prepaid one's validity ends now and its first payment buys the package's validity from then.
"""
from __future__ import annotations

import datetime as dt

from radbill.models import Customer, Package


def trial_end(start: dt.date, days: int, tz) -> dt.datetime:
    """The last moment of a trial of `days` days starting on the ISP's day `start`."""
    last = start + dt.timedelta(days=days - 1)
    return dt.datetime.combine(last, dt.time(23, 59, 59), tzinfo=tz)


def start(customer: Customer, package: Package, today: dt.date, tz) -> None:
    """Put a new customer on its trial: the fixed length, nothing billed."""
    customer.expires_at = trial_end(today, package.trial_days, tz)
    customer.billing_from = None


def convert(customer: Customer, today: dt.date, now: dt.datetime,
            keep_expiry: bool = False) -> None:
    """Billing starts today: the trial's own expiry goes (postpaid) or ends now (prepaid),
    unless the conversion gave one (`keep_expiry`: customer.edit with `expires`)."""
    customer.billing_from = today
    if keep_expiry:
        return
    if customer.billing_profile_id is not None:
        customer.expires_at = None
    else:
        customer.expires_at = min(customer.expires_at or now, now)

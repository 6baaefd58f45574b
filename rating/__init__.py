"""Rating: accounting to usage, bills, payments and the ledger.

How a customer is billed follows their billing profile:
- no profile: prepaid. A payment buys the next validity (a 'period' bill from the old expiry,
  paid at once): `expires_at` moves on by the package's validity_days. The expiry job renews
  from the advance balance or suspends ('expired').
- monthly / daily profile: postpaid. The billing run bills the period containing the day
  (monthly: due day to due day; pro-rated from the day the customer joined); the suspension
  job suspends ('unpaid') when a bill is open past its due date plus the grace days.
- free: never billed.

Money: payments settle open bills oldest first, the rest goes to the advance balance; a
customer's paid period extends a set `expires_at` to the period's end. Every movement is a
balanced ledger transaction (rating/ledger.py has the chart); a reseller pays its parent the
package's wholesale price per activation (creating the customer, then each renewed period).

Modules: pricing (pure arithmetic), terms (a customer's price/profile/VAT), bills, payments,
billing_run + auto_debit (set-based bulk paths), resellers, cards, gateways, invoice (PDF),
usage (rollup, stale sessions, FUP reset), jobs (scheduled bodies and advisory locks),
api/ (the registered functions), functions (registration and kernel hooks).
"""

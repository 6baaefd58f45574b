"""Messages the portal and the login pages show that are made at run time (refusals, reasons,
outcomes, a bill's status, a payment's method, a role): listed here so `pybabel extract`
(keyword N_) puts them in the catalogue; the templates translate them as they show them
(`{{ _(error) }}`)."""
from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark, do not translate now"
    return message


RUNTIME = [
    # admin/portal/access.py, radbill/lockout.py
    N_("wrong username or password"), N_("too many failed logins; try again later"),
    N_("this account is disabled; please contact us"), N_("too many wrong PINs; try again later"),
    # customers/functions/portal.py (portal.recharge, state_of)
    N_("is required"), N_("a PIN is the digits printed on the card"),
    N_("could not apply the card to this account"), N_("disabled by your provider"),
    N_("unpaid bills"), N_("the paid period has ended"), N_("this cycle's data cap is used up"),
    N_("manual"), N_("unpaid"), N_("expired"), N_("data cap reached"),
    # rating/cards.py through payment.edit
    N_("no such card"), N_("this card has expired"),
    # admin/portal/views.py
    N_("Paid. Your connection will come back within a few seconds."), N_("Paid. Thank you."),
    N_("This card was already applied to your account; it counts once."),
    N_("There is nothing here."),
    N_("we could not tell which account this connection belongs to; please log in"),
    # admin/portal/pay.py OUTCOME
    N_("Paid. Thank you: your connection comes back within a few seconds."),
    N_("We are waiting for the gateway to confirm your payment. This page will know in a "
       "moment; you do not need to pay again."),
    N_("The payment was cancelled. Nothing was taken."),
    N_("The payment did not go through. Nothing was taken; you may try again."),
    N_("The gateway never confirmed this payment."), N_("This payment was refunded."),
    N_("The gateway's answer did not match this payment; our staff will check it. You do not "
       "need to pay again."),
    # rating/links.py
    N_("This payment link is not valid. Please ask for a new one."),
    N_("This payment link has expired. Please ask for a new one."),
    # the staff login pages (admin/security.py, admin/auth/views.py)
    N_("too many failed logins from this address; try again later"),
    N_("wrong login or password"), N_("your operator is suspended; ask the one above it"),
    N_("wrong code"), N_("Two-factor login is off."),
    # staff roles (the account page)
    N_("admin"), N_("group_admin"), N_("operator"), N_("sub_operator"), N_("manager"), N_("noc"),
    N_("card_distributor"),
    # the admin menu's areas and extra pages (admin/menus.py SECTIONS, EXTRA), shown as _(name)
    N_("Customers"), N_("Billing"), N_("Network"), N_("Catalog"), N_("Staff"), N_("Logs"),
    N_("Import customers"), N_("Collect a payment"), N_("Device overview"), N_("Suspensions"),
    N_("Login attempts"),
    # a bill's status, a payment's method (portal tables)
    N_("open"), N_("paid"), N_("cash"), N_("card"), N_("online"), N_("advance"),
]

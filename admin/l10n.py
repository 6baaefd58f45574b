"""Flask-Babel for the admin and the portal (issue 12): which language a page is in, and the
Jinja helpers (`_`, `gettext`, `ngettext` from Flask-Babel's i18n extension; `num`, `money`,
`day` filters; `lang`, `langs` globals).

The language of a request, first found:
1. `?lang=en|bn` on the URL (also remembered in the `lang` cookie for anonymous pages);
2. the logged-in staff member's `staff_users.lang` (on /portal: the signed-in customer's
   `customers.lang`);
3. the `lang` cookie (the login pages before anyone is known; the portal's switch);
4. on /portal, the customer a payment link or the walled garden knows (their `customers.lang`);
5. English.
"""
from __future__ import annotations

from flask import Flask, g, request
from flask_babel import Babel

from radbill import l10n

COOKIE = "lang"


def select_locale() -> str:
    if "lang_page" in g:
        return g.lang_page
    lang = _select()
    g.lang_page = lang
    return lang


def _select() -> str:
    asked = request.args.get("lang")
    if asked and l10n.pick(asked) == asked.lower():
        return l10n.pick(asked)
    cookie = request.cookies.get(COOKIE)
    if request.blueprint == "portal":
        known = _portal_customer_lang()
        if known:
            return known
        if cookie:  # the browser's own choice (the switch) before a customer's known by address
            return l10n.pick(cookie)
        # a customer known without signing in: a payment link's, or the walled garden's
        other = g.get("portal_customer")
        return l10n.pick(other.lang) if other is not None and other.lang else l10n.DEFAULT
    return _staff_lang() or l10n.pick(cookie)


def _staff_lang() -> str | None:
    from flask_login import current_user

    from admin.dbs import db
    from radbill.models import StaffUser
    try:
        if not current_user.is_authenticated:
            return None
        user = db().get(StaffUser, int(current_user.id))
    except Exception:  # noqa: BLE001 - no user, no database: the default is fine
        return None
    return l10n.pick(user.lang) if user is not None and user.lang else None


def _portal_customer_lang() -> str | None:
    from flask import session

    from admin.dbs import db
    from admin.portal.access import KEY
    from radbill.models import Customer
    data = session.get(KEY)
    if not isinstance(data, dict) or not isinstance(data.get("cid"), int):
        return None
    try:
        customer = db().get(Customer, data["cid"])
    except Exception:  # noqa: BLE001
        return None
    return l10n.pick(customer.lang) if customer is not None and customer.lang else None


def lang() -> str:
    try:
        return select_locale()
    except RuntimeError:  # outside a request
        return l10n.DEFAULT


def remember(response):
    """`?lang=` sticks (a year, Lax) so the login page and what follows keep the language."""
    asked = request.args.get("lang")
    if asked and l10n.pick(asked) == asked.lower() and request.cookies.get(COOKIE) != asked:
        response.set_cookie(COOKIE, asked.lower(), max_age=365 * 86400, samesite="Lax",
                            httponly=True, secure=request.is_secure)
    return response


def num(value, places=None) -> str:
    return l10n.number(value, lang(), places)


def money(value) -> str:
    """An amount: Bangla digits and lakh grouping in Bangla; as stored (1050.00) in English."""
    if value is None:
        return ""
    return l10n.number(value, "bn", 2) if lang() == "bn" else str(value)


def day(value, fmt: str = "long") -> str:
    """A date: 1 ডিসেম্বর, ২০২৬ in Bangla; as stored (2026-12-01) in English."""
    if value in (None, ""):
        return ""
    return l10n.date(value, "bn", fmt) if lang() == "bn" else str(value)


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", l10n.DIRECTORY)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", l10n.DEFAULT)
    Babel(app, locale_selector=select_locale)
    l10n.resolver = lang  # PDFs made during a request (vouchers) speak the page's language
    app.after_request(remember)
    env = app.jinja_env
    env.filters["num"] = num
    env.filters["money"] = money
    env.filters["day"] = day
    env.filters["digits"] = lambda v: l10n.digits(v, lang())
    env.globals.update(lang=lang, langs=l10n.NAMES)

"""The customers' pages under /portal: login, home, recharge, invoices, the suspension page the
walled garden redirects to, and the MikroTik hotspot's external login page."""
from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/portal")

from admin.portal import pay, views  # noqa: E402,F401  (routes)
from admin.portal import complaints  # noqa: E402,F401  (issue 14: the customer's complaints)
from admin.portal import signup  # noqa: E402,F401  (issue 14: sign-up, code login, profile)
from admin.portal import package  # noqa: E402,F401  (issue 14: package change)
from admin.portal import family  # noqa: E402,F401  (issue 17: a parent pays its children's bills)

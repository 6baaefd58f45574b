"""The customers' pages under /portal: login, home, recharge, invoices, the suspension page the
walled garden redirects to, and the MikroTik hotspot's external login page."""
from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/portal")

from admin.portal import pay, views  # noqa: E402,F401  (routes)

"""The web admin: a thin Flask caller of the function layer."""
from __future__ import annotations

import datetime as dt

from radbill import keys, settings


def default_config() -> dict:
    s = settings.get()
    return {
        "SECRET_KEY": keys.admin_secret(),
        "SESSION_FACTORY": None,
        "TZ": s.tz,
        "LOCKOUT_AFTER": s.lockout_after,
        "IDLE_MINUTES": s.session_idle_minutes,
        "AUTHINFO_NETWORKS": s.authinfo_networks,
        "PROXIES": s.admin_proxies,
        "SECURE_COOKIES": s.admin_secure_cookies,
        "ISP_NAME": s.isp_name,
        "CURRENCY": s.currency,
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the (idle-limited) session
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,  # CSV imports
    }


def secure_cookies(app) -> None:
    """Behind HTTPS every cookie (the session, which holds the CSRF token, and flask-login's
    remember cookie) is Secure: SECURE_COOKIES 1 or 0, or -1 for on when proxies are trusted."""
    wanted = int(app.config.get("SECURE_COOKIES", -1))
    secure = bool(int(app.config.get("PROXIES") or 0) > 0) if wanted < 0 else bool(wanted)
    app.config.update(SESSION_COOKIE_SECURE=secure, REMEMBER_COOKIE_SECURE=secure,
                      REMEMBER_COOKIE_HTTPONLY=True, REMEMBER_COOKIE_SAMESITE="Lax")


def create_app(config: dict | None = None):
    """Build the admin app; `config` overrides the settings-derived defaults (tests use it)."""
    from flask import Flask

    from admin import auth, dbs, fmt, headers  # noqa: F401
    from admin.api import bp as api_bp
    from admin.bills import bp as bills_bp
    from admin.collect import bp as collect_bp
    from admin.customers import bp as customers_bp
    from admin.dashboard import bp as dashboard_bp
    from admin.devices import bp as devices_bp
    from admin.extensions import csrf, login_manager
    from admin.logs import bp as logs_bp
    from admin.pages import bp as pages_bp
    from admin.pages.dispatch import init_abort_handlers
    from radbill import db
    from radbill.functions.registry import load_all

    app = Flask(__name__)
    app.config.update(default_config())
    app.config.update(config or {})
    if app.config["SESSION_FACTORY"] is None:
        app.config["SESSION_FACTORY"] = db.session_factory()
    app.permanent_session_lifetime = dt.timedelta(minutes=app.config["IDLE_MINUTES"])
    secure_cookies(app)
    if app.config["PROXIES"]:
        # behind nginx & co. the client's address (authinfo whitelist, lockouts, audit) is the
        # one the trusted proxies put in X-Forwarded-For, never one a client could forge
        from werkzeug.middleware.proxy_fix import ProxyFix
        n = int(app.config["PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    load_all()
    csrf.init_app(app)
    login_manager.init_app(app)
    dbs.init_app(app)
    fmt.init_app(app)
    headers.init_app(app)
    from admin import l10n  # Flask-Babel: the page's language (issue 12)
    l10n.init_app(app)
    auth.init_app(app)
    for bp in (api_bp, pages_bp, dashboard_bp, bills_bp, customers_bp, logs_bp, devices_bp,
               collect_bp):
        app.register_blueprint(bp)
    from admin.customers.bulk import bp as bulk_bp  # multi-edit (issue 17)
    app.register_blueprint(bulk_bp)
    init_abort_handlers(app)
    from admin.portal import bp as portal_bp  # customers' pages: none of the staff machinery
    app.register_blueprint(portal_bp)
    from admin.hooks import bp as hooks_bp  # message gateways' delivery reports (issue 13)
    app.register_blueprint(hooks_bp)
    from admin.rest import gate, oauth  # the REST API's door (issue 15): limits, log, tokens
    gate.init_app(app)
    oauth.init_app(app)
    from admin.rest import bp as rest_bp  # REST under /api/v1 (issue 15): JSON, never a login page
    app.register_blueprint(rest_bp)
    from admin.status_page import bp as status_bp  # the public status page (issue 18)
    app.register_blueprint(status_bp)
    from admin.noc import bp as noc_bp  # the NOC dashboard, its wall, radios (issue 18)
    app.register_blueprint(noc_bp)
    from admin.filings import bp as filings_bp  # VAT, BTRC, collector cash, approvals (issue 19)
    app.register_blueprint(filings_bp)
    from admin.books import bp as books_bp  # expenses, income vs expense, statements (issue 19)
    app.register_blueprint(books_bp)
    from admin.topology import bp as topology_bp  # the topology map (issue 18)
    app.register_blueprint(topology_bp)
    from admin.operators import bp as operators_bp  # an operator's plan, bills, delete (issue 19)
    app.register_blueprint(operators_bp)
    from admin.tree import bp as tree_bp  # transfer, notices, /register (issue 19)
    app.register_blueprint(tree_bp)

    app.context_processor(navigation)
    app.context_processor(tenant_name)
    return app


def tenant_name() -> dict:
    """`isp_name` for the pages' title and header: the name the viewer's tenant goes by
    (crud.isp_name's rule: a tenant's own name, RADBILL_ISP_NAME for the install's first group).
    The viewer is the staff login (or the wall link's login, or an API caller viewing a page);
    on /portal the signed-in customer (or the one a payment link or the walled garden knows);
    nobody (the login pages, public pages): RADBILL_ISP_NAME. Only a name, never a right; read
    once a request (flask.g)."""
    from flask import g
    if "isp_name" not in g:
        g.isp_name = _viewers_isp_name()
    return {"isp_name": g.isp_name}


def _viewers_isp_name() -> str:
    from flask import current_app, g, request, session
    from flask_login import current_user

    from admin.dbs import db
    from radbill.functions import crud
    from radbill.models import Customer
    operator_id: int | None = None
    if request.blueprint == "portal":  # a customer's page: never a staff login's tenant
        from admin.portal.access import KEY
        customer = g.get("portal_customer")
        data = session.get(KEY)
        if customer is None and isinstance(data, dict) and isinstance(data.get("cid"), int):
            customer = db().get(Customer, data["cid"])
        if customer is not None and customer.deleted_at is None:
            operator_id = customer.operator_id
    elif "caller" in g or current_user.is_authenticated:
        from admin.calls import page_caller
        operator_id = page_caller().tenant_id  # None: the system administrator
    return crud.isp_name(db(), operator_id, current_app.config["ISP_NAME"])


def navigation() -> dict:
    """The menu of the logged-in caller (or of an API caller viewing a page), for base.html."""
    from flask import g
    from flask_login import current_user

    from admin import menus
    from admin.calls import page_caller
    if not current_user.is_authenticated and "caller" not in g:
        return {"menu": [], "caller": None}
    caller = page_caller()
    return {"menu": menus.menu(caller), "caller": caller, "title_of": menus.title}

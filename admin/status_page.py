"""The public status page, /status (issue 18): no login, no JavaScript, no database per visit.

The page's data (monitoring/status.py: one round of queries) is kept in the process for TTL
seconds; a crowd refreshing during an outage is served from it (one visitor at a time
refreshes it, the others wait for that round instead of starting their own), and the answer
says `Cache-Control: public, max-age=TTL` so browsers and proxies keep it too. The language is
the visitor's: `?lang=bn` (kept in the `lang` cookie), the cookie, else the browser's
Accept-Language; never a login's (that would read the database).
"""
from __future__ import annotations

import datetime as dt
import threading
import time

from flask import Blueprint, current_app, g, make_response, request

from radbill import l10n

bp = Blueprint("status", __name__)
TTL = 30.0

_lock = threading.Lock()
_cache: dict = {"at": None, "data": None, "pages": {}}


def visitor_lang() -> str:
    asked = (request.args.get("lang") or "").lower()
    if asked in l10n.LANGS:
        return asked
    cookie = request.cookies.get("lang")
    if cookie in l10n.LANGS:
        return cookie
    best = request.accept_languages.best_match(l10n.LANGS)
    return best or l10n.DEFAULT


def data() -> tuple[dict, float]:
    """The page's data, at most TTL seconds old, and its age key."""
    now = time.monotonic()
    with _lock:
        at = _cache["at"]
        if at is None or now - at >= TTL:
            from monitoring import status
            with current_app.config["SESSION_FACTORY"]() as session:
                _cache["data"] = status.snapshot(session, dt.datetime.now(dt.timezone.utc),
                                                 current_app.config["TZ"])
                session.rollback()
            _cache["at"], _cache["pages"] = now, {}
        return _cache["data"], _cache["at"]


def clear() -> None:
    """Forget the cached page (tests; a new app)."""
    with _lock:
        _cache.update(at=None, data=None, pages={})


def level(uptime: float | None) -> str:
    if uptime is None:
        return "none"
    if uptime >= 99.9:
        return "ok"
    if uptime >= 95:
        return "minor"
    return "major"


@bp.route("/status")
def page():
    lang = visitor_lang()
    g.lang_page = lang  # admin/l10n.py asks no login for this request
    snapshot, at = data()
    with _lock:
        body = _cache["pages"].get(lang) if _cache["at"] == at else None
    if body is None:
        template = current_app.jinja_env.get_template("status/index.html")
        body = template.render(s=snapshot, level=level, lang=lang,
                               isp=current_app.config["ISP_NAME"], tz=current_app.config["TZ"])
        with _lock:
            if _cache["at"] == at:
                _cache["pages"][lang] = body
    resp = make_response(body)
    resp.headers["Cache-Control"] = f"public, max-age={int(TTL)}"
    resp.headers["Vary"] = "Accept-Language, Cookie"
    if request.args.get("lang") == lang:
        resp.set_cookie("lang", lang, max_age=365 * 86400, samesite="Lax", httponly=True)
    return resp

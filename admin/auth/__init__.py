"""Staff access: login with lockout, TOTP second factor and enrolment, idle timeout, logout."""
from __future__ import annotations

import time

from flask import Flask, flash, redirect, request, session, url_for
from flask_login import current_user

from admin.auth.user import end_session, load_user
from admin.auth.views import bp
from admin.extensions import login_manager

OPEN_ENDPOINTS = {"auth.login", "auth.second_factor", "auth.enrol", "static", "api.billmgr"}


def init_app(app: Flask) -> None:
    login_manager.user_loader(load_user)
    app.register_blueprint(bp)

    @app.before_request
    def idle_timeout():
        """Log out a browser that sat idle longer than settings.session_idle_minutes."""
        if request.blueprint == "portal" or request.path.startswith("/api/"):
            # customers' pages: the portal keeps its own session and idle rule; the REST API
            # and its token endpoint know callers by their tokens, never by a staff cookie
            return None
        if not current_user.is_authenticated:
            return None
        now, seen = time.time(), session.get("seen", 0)
        if now - seen > app.config["IDLE_MINUTES"] * 60:
            end_session()
            if request.endpoint in OPEN_ENDPOINTS:
                return None
            flash("Your session was idle too long; log in again.", "error")
            return redirect(url_for("auth.login", next=request.full_path))
        session["seen"] = now
        return None

"""The logged-in staff member as flask-login sees it, and the qr code of an enrolment."""
from __future__ import annotations

import datetime as dt
import time

import qrcode
import qrcode.image.svg
from flask import current_app, session
from flask_login import UserMixin, login_user, logout_user
from markupsafe import Markup

from radbill.models import StaffUser

from admin import security
from admin.calls import client_ip
from admin.dbs import db


class StaffLogin(UserMixin):
    def __init__(self, user: StaffUser):
        self.id = str(user.id)
        self.login = user.login
        self.role = user.role
        self.name = user.name or user.login
        self.totp_enabled = user.totp_enabled


SID = "sid"  # the cookie's key for the id of its server-side session row


def load_user(user_id: str) -> StaffLogin | None:
    """The cookie's user while its session row lives: a logout, a password, role or operator
    change, a disabled login or a suspended operator deletes the row (admin/security.py)."""
    sid = session.get(SID)
    if not (user_id.isascii() and user_id.isdigit() and len(user_id) <= 9) \
            or not isinstance(sid, str):
        return None
    user = security.web_session_user(db(), sid, int(user_id))
    return StaffLogin(user) if user is not None else None


def finish_login(user: StaffUser) -> None:
    """A fresh session (no fixation) for a user who passed every factor."""
    session.clear()
    idle = dt.timedelta(minutes=current_app.config["IDLE_MINUTES"]) + 2 * security.WEB_TOUCH
    session[SID] = security.open_web_session(db(), user, idle)
    login_user(StaffLogin(user))
    session.permanent = True
    session["seen"] = time.time()
    security.succeeded(db(), user, client_ip(), "web")


def end_session() -> None:
    """Log the browser out here and everywhere its cookie was copied to."""
    security.close_web_session(db(), session.get(SID))
    logout_user()
    session.clear()


def qr_svg(uri: str) -> Markup:
    img = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return Markup(img.to_string(encoding="unicode"))

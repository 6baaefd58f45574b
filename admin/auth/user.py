"""The logged-in staff member as flask-login sees it, and the qr code of an enrolment."""
from __future__ import annotations

import time

import qrcode
import qrcode.image.svg
from flask import session
from flask_login import UserMixin, login_user
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


def load_user(user_id: str) -> StaffLogin | None:
    user = db().get(StaffUser, int(user_id)) if user_id.isdigit() else None
    return StaffLogin(user) if user is not None and not user.disabled else None


def finish_login(user: StaffUser) -> None:
    """A fresh session (no fixation) for a user who passed every factor."""
    session.clear()
    login_user(StaffLogin(user))
    session.permanent = True
    session["seen"] = time.time()
    security.succeeded(db(), user, client_ip(), "web")


def qr_svg(uri: str) -> Markup:
    img = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return Markup(img.to_string(encoding="unicode"))

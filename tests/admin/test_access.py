"""Logging in: passwords, lockout, TOTP enrolment and codes, recovery codes, idle timeout, CSRF."""
from __future__ import annotations

import time

import pyotp
import sqlalchemy as sa

from tests.support.admin_fixtures import PASSWORD
from radbill.models import StaffUser
from radbill.models.web import LoginAttempt


def test_login_page_and_wrong_password_is_recorded(world, auth, dbs):
    resp = auth.login("opera", "wrong")
    assert resp.status_code == 401
    assert "wrong login or password" in resp.get_data(as_text=True)
    dbs.expire_all()
    attempt = dbs.scalars(sa.select(LoginAttempt).order_by(LoginAttempt.id.desc())).first()
    assert (attempt.login, attempt.ok, attempt.channel) == ("opera", False, "web")
    assert dbs.get(StaffUser, world.operator_a.id).failed_logins == 1


def test_good_password_logs_in_and_shows_the_dashboard(world, auth, client):
    resp = auth.login("opera")
    assert resp.status_code == 302 and resp.location == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Dashboard" in page and "opera" in page


def test_lockout_after_repeated_failures(world, auth, dbs):
    for _ in range(3):  # LOCKOUT_AFTER is 3 in the test app
        auth.login("opera", "nope")
    resp = auth.login("opera")  # even the right password is refused while locked
    assert resp.status_code == 401
    assert "too many failed logins" in resp.get_data(as_text=True)
    dbs.expire_all()
    assert dbs.get(StaffUser, world.operator_a.id).locked_until is not None


def test_every_form_needs_its_csrf_token(world, client):
    resp = client.post("/login", data={"login": "opera", "password": PASSWORD})
    assert resp.status_code == 400


def enrol(client, auth) -> tuple[str, list[str]]:
    page = auth.get("/login/enrol").get_data(as_text=True)
    assert "<svg" in page  # the QR code, inline
    secret = page.split('id="secret">')[1].split("<")[0]
    resp = auth.post("/login/enrol", {"code": pyotp.TOTP(secret).now()})
    assert resp.status_code == 200
    codes = [c.split("</code>")[0] for c in resp.get_data(as_text=True).split("<li><code>")[1:]]
    assert len(codes) == 8
    return secret, codes


def test_operator_requiring_2fa_forces_enrolment_then_asks_codes(world, auth, client, dbs):
    world.op_a.require_2fa = True
    dbs.commit()
    resp = auth.login("opera")
    assert resp.location.endswith("/login/enrol")
    assert client.get("/").status_code == 302  # not in yet
    secret, codes = enrol(client, auth)
    assert client.get("/").status_code == 200  # enrolment completed the login
    auth.logout()
    resp = auth.login("opera")
    assert resp.location.endswith("/login/2fa")
    auth.get("/login/2fa")
    resp = auth.post("/login/2fa", {"code": "000000"})
    assert resp.status_code == 401
    resp = auth.post("/login/2fa", {"code": pyotp.TOTP(secret).now()})
    assert resp.status_code == 302 and client.get("/").status_code == 200


def test_a_recovery_code_works_once(world, auth, client):
    auth.login("opera")
    secret, codes = enrol(client, auth)
    auth.logout()
    auth.login("opera")
    auth.get("/login/2fa")
    assert auth.post("/login/2fa", {"code": codes[0]}).status_code == 302
    auth.logout()
    auth.login("opera")
    auth.get("/login/2fa")
    assert auth.post("/login/2fa", {"code": codes[0]}).status_code == 401


def test_idle_session_is_logged_out(world, auth, client):
    auth.login("opera")
    with client.session_transaction() as s:
        s["seen"] = time.time() - 31 * 60
    resp = client.get("/")
    assert resp.status_code == 302 and "/login" in resp.location


def test_disabled_login_cannot_log_in(world, auth, dbs):
    world.operator_a.disabled = True
    dbs.commit()
    assert auth.login("opera").status_code == 401


def test_suspended_operator_shuts_its_staff_out(world, auth, dbs):
    world.op_a.status = "suspended"
    dbs.commit()
    resp = auth.login("suba")  # the sub-operator under it too
    assert resp.status_code == 401 and "suspended" in resp.get_data(as_text=True)


def test_pages_forbid_scripts_and_framing(world, client):
    resp = client.get("/login")
    assert "script-src 'none'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Frame-Options"] == "DENY"


def test_an_enrolled_login_cannot_skip_its_code_by_enrolling_again(world, auth, client, dbs):
    world.operator_a.totp_secret, world.operator_a.totp_enabled = pyotp.random_base32(), True
    dbs.commit()
    auth.login("opera")
    resp = client.get("/login/enrol")
    assert resp.status_code == 302 and resp.location.endswith("/login/2fa")
    assert client.get("/").status_code == 302


def test_account_page_enrol_renew_codes_and_switch_off(world, auth, client, dbs):
    auth.login("opera")
    page = auth.get("/account").get_data(as_text=True)
    assert "Off." in page and "/login/enrol" in page
    enrol(client, auth)
    page = auth.get("/account").get_data(as_text=True)
    assert "On. 8 recovery codes left" in page
    renewed = auth.post("/account/recovery", {})
    assert renewed.status_code == 200 and renewed.get_data(as_text=True).count("<li><code>") == 8
    assert auth.post("/account/2fa-off", {}).status_code == 302
    dbs.expire_all()
    assert dbs.get(StaffUser, world.operator_a.id).totp_enabled is False


def test_enforced_two_factor_cannot_be_switched_off(world, auth, client, dbs):
    world.op_a.require_2fa = True
    dbs.commit()
    auth.login("opera")
    enrol(client, auth)
    assert "Switch off" not in auth.get("/account").get_data(as_text=True)
    assert auth.post("/account/2fa-off", {}).status_code == 403


def test_a_totp_code_works_only_once(world, auth, client, dbs):
    secret = pyotp.random_base32()
    world.operator_a.totp_secret, world.operator_a.totp_enabled = secret, True
    dbs.commit()
    code = pyotp.TOTP(secret).now()
    auth.login("opera")
    auth.get("/login/2fa")
    assert auth.post("/login/2fa", {"code": code}).status_code == 302
    auth.logout()
    auth.login("opera")  # someone who saw the code over a shoulder tries it at once
    auth.get("/login/2fa")
    assert auth.post("/login/2fa", {"code": code}).status_code == 401


def test_guessing_across_logins_from_one_address_is_stopped(world, auth):
    for i in range(12):  # LOCKOUT_AFTER 3 x 4: a dozen failures over several logins
        auth.login(f"nobody{i}", "guess")
    resp = auth.login("opera")  # even a right password, from that address, waits
    assert resp.status_code == 401 and "from this address" in resp.get_data(as_text=True)

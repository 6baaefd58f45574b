"""The sign-up pages (/portal/register, its code, the done page), logging in with a code
(/portal/login/code: the same portal session as the password login; a wrong code does not log
in) and the profile page, through the Flask test client. The code is read from the queued
message (it is removed from the history once sent)."""
from __future__ import annotations

import re

import sqlalchemy as sa

from radbill.models import Customer, Message
from radbill.models.selfcare import Signup
from tests.support.factories import fn, make_customer, make_operator, make_package
from tests.support.messaging.fixtures import add_gateway
from tests.support.messaging.http_emu import HttpSmsEmulator

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def token(client, path):
    return TOKEN.search(client.get(path).get_data(as_text=True)).group(1)


def last_code(dbs, number):
    body = dbs.scalars(sa.select(Message.body).where(Message.recipient == number)
                       .order_by(Message.id.desc()).limit(1)).first()
    return re.search(r"\b(\d{6})\b", body).group(1)


def shop(dbs):
    isp = make_operator(dbs, name="isp")
    add_gateway(dbs, isp.id, HttpSmsEmulator())  # never started: the messages stay queued
    pkg = make_package(dbs, name="Home", operator="isp")
    pkg.online = True
    fn(dbs, "zone.edit", sok="ok", name="north", operator="isp")
    dbs.commit()
    return isp, pkg


def test_sign_up_through_the_pages(client, dbs):
    _, pkg = shop(dbs)
    page = client.get("/portal/login").get_data(as_text=True)
    assert "/portal/login/code" in page and "/portal/register" in page
    page = client.get("/portal/register").get_data(as_text=True)
    assert "north" in page
    zone = re.search(r'<option value="(\d+)"', page).group(1)
    page = client.get(f"/portal/register?zone={zone}").get_data(as_text=True)
    assert "Home" in page
    form = {"zone": zone, "package": str(pkg.id), "name": "Rahim Uddin", "mobile": "01711000031",
            "address": "Dhaka", "national_id": "12345", "csrf_token": token(client, "/portal/register")}
    resp = client.post("/portal/register", data=form)
    assert resp.status_code == 400 and "10, 13 or 17 digits" in resp.get_data(as_text=True)
    resp = client.post("/portal/register", data={**form, "national_id": "1234567890"})
    assert resp.status_code == 302 and resp.location.endswith("/portal/register/verify")
    code = last_code(dbs, "+8801711000031")
    bad = "000000" if code != "000000" else "111111"
    tok = token(client, "/portal/register/verify")
    resp = client.post("/portal/register/verify", data={"code": bad, "csrf_token": tok})
    assert resp.status_code == 400 and "is wrong" in resp.get_data(as_text=True)
    resp = client.post("/portal/register/verify", data={"code": code, "csrf_token": tok})
    assert resp.status_code == 302
    page = client.get(resp.location).get_data(as_text=True)
    assert "once it is approved" in page
    row = dbs.scalars(sa.select(Signup)).one()
    assert row.verified_at is not None and row.status == "pending"


def test_log_in_with_a_code_and_edit_the_profile(client, dbs):
    shop(dbs)
    make_customer(dbs, username="karim", mobile="01711000041", package="Home", operator="isp")
    dbs.commit()
    tok = token(client, "/portal/login/code")
    resp = client.post("/portal/login/code", data={"mobile": "01711000041", "csrf_token": tok})
    assert resp.status_code == 200 and "+880171*****41" in resp.get_data(as_text=True)
    code = last_code(dbs, "+8801711000041")
    bad = "000000" if code != "000000" else "111111"
    resp = client.post("/portal/login/code", data={"mobile": "01711000041", "stage": "code",
                                                   "code": bad, "csrf_token": tok})
    assert resp.status_code == 400
    assert client.get("/portal/").status_code == 302  # not logged in
    resp = client.post("/portal/login/code", data={"mobile": "01711000041", "stage": "code",
                                                   "code": code, "csrf_token": tok})
    assert resp.status_code == 302 and resp.location.endswith("/portal/")
    assert "karim" in client.get("/portal/").get_data(as_text=True)
    # the profile: e-mail and address saved; a new mobile waits for its code
    tok = token(client, "/portal/profile")
    resp = client.post("/portal/profile", data={"email": "k@example.com", "address": "Road 9",
                                                "mobile": "01711000042", "csrf_token": tok})
    assert resp.status_code == 200 and "+880171*****42" in resp.get_data(as_text=True)
    code = last_code(dbs, "+8801711000042")
    resp = client.post("/portal/profile", data={"mobile": "01711000042", "code": code,
                                                "csrf_token": tok})
    assert resp.status_code == 302
    karim = dbs.scalars(sa.select(Customer).where(Customer.username == "karim")).one()
    dbs.refresh(karim)
    assert (karim.email, karim.address, karim.mobile) == ("k@example.com", "Road 9",
                                                          "+8801711000042")

"""Staff alerts by SMS and e-mail to on-call logins (issue 18): an incident that opens sends one
SMS (BulkSMSBD's emulator) and one e-mail (a real SMTP server) to the on-call login, in its
language, and nothing to a login off call, outside its hours or in another reseller; a
flapping reopen tells nobody, `still_down` tells them once; a retried outbox row sends nothing
twice. The on-call fields through user.edit and me.alerts (bad input named, another reseller's
login out of reach) and the /account page in Bangla, at 390 px too."""
from __future__ import annotations

import datetime as dt
import shutil

import pytest
import sqlalchemy as sa

from messaging import compose
from monitoring import checks
from radbill import db, events, settings
from radbill.functions.registry import AccessDenied, FuncError, NotFound
from radbill.models import AuditLog, Check, Event, Message, Outbox, StaffUser
from tests.admin.test_browser import browser, live_admin  # noqa: F401  (fixtures)
from tests.support.check_targets import HttpTarget
from tests.support.factories import fn, make_operator
from tests.support.messaging import channel_fixtures, fixtures
from tests.support.messaging.channel_fixtures import add_channel_gateway
from tests.support.messaging.fixtures import add_gateway, drain

bulksmsbd_emu = fixtures.bulksmsbd_emu  # fixtures
mail_server = channel_fixtures.mail_server

PASSWORD = "correct-horse"
DUTY = "+8801711000111"


def staff(s, login: str, operator: str, **kw) -> None:
    fn(s, "user.edit", sok="ok", login=login, role=kw.pop("role", "noc"), operator=operator,
       password=PASSWORD, **kw)


def window_not_now() -> tuple[str, str]:
    """An on-call window (the ISP's clock) two to three hours from now."""
    now = dt.datetime.now(settings.get().tz)
    return tuple((now + dt.timedelta(hours=h)).strftime("%H:%M") for h in (2, 3))


@pytest.fixture
def desk(committed, bulksmsbd_emu, mail_server):
    """The ISP with an SMS and an e-mail gateway; on call: `duty` (Bangla) at the ISP and `ra`
    at reseller A; not: `offduty`, `later` (hours not now), and reseller B's `rb`."""
    start, end = window_not_now()
    with db.session_scope() as s:
        isp = make_operator(s, name="isp")
        a = make_operator(s, name="resA", parent="isp")
        make_operator(s, name="resB", parent="isp")
        add_gateway(s, isp.id, bulksmsbd_emu)
        add_channel_gateway(s, isp.id, mail_server)
        staff(s, "duty", "isp", mobile="01711-000111", email="duty@isp.example", on_call="yes",
              lang="bn")
        staff(s, "offduty", "isp", mobile="01711000222", email="off@isp.example")
        staff(s, "later", "isp", mobile="01711000333", email="later@isp.example", on_call="yes",
              on_call_start=start, on_call_end=end)
        staff(s, "ra", "resA", role="operator", mobile="01811000444", email="ra@resa.example",
              on_call="yes")
        staff(s, "rb", "resB", role="operator", mobile="01911000555", email="rb@resb.example",
              on_call="yes")
        ids = {"isp": isp.id, "resA": a.id}
    drain()
    bulksmsbd_emu.sent.clear()
    mail_server.messages.clear()
    return ids


def numbers(emu) -> list[str]:
    return [m["number"] for m in emu.sent]


def mailed(server) -> list[str]:
    return [to for m in server.messages for to in m.envelope_to]


def test_an_incident_reaches_the_on_call_login_once_by_sms_and_email(desk, bulksmsbd_emu,
                                                                      mail_server):
    sms, mail = bulksmsbd_emu, mail_server
    with HttpTarget() as web:
        with db.session_scope() as s:
            cid = fn(s, "check.edit", sok="ok", name="Core router", kind="http",
                     target=web.url, failures="1", operator="isp").elid
            t0 = s.scalar(sa.select(sa.func.now())) - dt.timedelta(hours=1)
            s.execute(sa.update(Check).where(Check.id == cid).values(next_due=t0))

        def tick(minute: int) -> None:
            with db.session_scope() as s:
                checks.run_due(s, t0 + dt.timedelta(minutes=minute))
            drain()

        web.status = 500
        tick(0)  # opens: one SMS and one e-mail to `duty`, in Bangla
        assert numbers(sms) == ["8801711000111"] and mailed(mail) == ["duty@isp.example"]
        assert sms.sent[0]["message"].startswith("সতর্কবার্তা: একটি চেক ডাউন। name: Core router")
        assert sms.sent[0]["type"] == "unicode" and sms.violations == []
        [opened] = mail.messages
        assert opened["Subject"] == "[radbill] একটি চেক ডাউন"
        assert "HTTP 500" in opened.get_body(("plain",)).get_content()

        # the worker retries the alert's outbox row: nothing is queued or sent twice
        with db.session_scope() as s:
            [row] = s.scalars(sa.select(Outbox).join(Event, Event.id == Outbox.event_id).where(
                Outbox.kind == "alert", Event.name == "incident.opened")).all()
            assert row.status == "done"
            row.status, row.next_attempt_at = "pending", s.scalar(sa.select(sa.func.now()))
            before = s.scalar(sa.select(sa.func.count()).select_from(Message))
        drain()
        with db.session_scope() as s:
            assert s.get(Outbox, row.id).status == "done"
            assert s.scalar(sa.select(sa.func.count()).select_from(Message)) == before
            keys = s.scalars(sa.select(Message.dedupe_key).where(
                Message.event == "incident.opened")).all()
        assert sorted(keys) == [f"alert:{row.event_id}:staff{uid}:{ch}"
                                for uid in [_uid("duty")] for ch in ("email", "sms")]
        assert len(sms.sent) == 1 and len(mail.messages) == 1

        web.status = 200
        tick(1)  # resolves: told, as its opening was
        assert numbers(sms) == ["8801711000111"] * 2 and len(mail.messages) == 2
        assert "চেক আবার সচল" in sms.sent[1]["message"]
        web.status = 500
        tick(2)  # opens again within 15 minutes: flapping, nobody is told
        assert len(sms.sent) == 2 and len(mail.messages) == 2
        tick(10)
        assert len(sms.sent) == 2 and len(mail.messages) == 2
        tick(20)  # still down 15 minutes after it opened: told once
        assert numbers(sms) == ["8801711000111"] * 3 and len(mail.messages) == 3
        assert "বারবার ডাউন হওয়া চেক এখনো ডাউন" in sms.sent[2]["message"]
        tick(21)
        assert len(sms.sent) == 3 and len(mail.messages) == 3
    assert set(mailed(mail)) == {"duty@isp.example"}
    assert sms.violations == []
    with db.session_scope() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Message).where(
            Message.status != "sent")) == 0


def _uid(login: str) -> int:
    with db.session_scope() as s:
        return s.scalar(sa.select(StaffUser.id).where(StaffUser.login == login))


def test_a_resellers_alert_reaches_its_chain_not_another_reseller(desk, bulksmsbd_emu,
                                                                  mail_server):
    with db.session_scope() as s:
        events.emit(s, "device.down", operator_id=desk["resA"], actor="scheduler",
                    func="job.device_poll", kind="olt", device_id=7, name="olt-mirpur-2",
                    error="SNMP timeout")
    drain()
    assert sorted(numbers(bulksmsbd_emu)) == ["8801711000111", "8801811000444"]
    assert sorted(mailed(mail_server)) == ["duty@isp.example", "ra@resa.example"]
    to_ra = next(m["message"] for m in bulksmsbd_emu.sent if m["number"] == "8801811000444")
    assert to_ra.startswith("A device stopped answering: name: olt-mirpur-2, error: SNMP timeout")
    with db.session_scope() as s:  # ra's message is its own operator's (it pays for it)
        ops = dict(s.execute(sa.select(Message.recipient, Message.operator_id)).all())
        assert ops["+8801811000444"] == desk["resA"] and ops[DUTY] == desk["isp"]


def test_a_disabled_or_addressless_login_and_a_missing_gateway_are_skipped(desk, bulksmsbd_emu,
                                                                           mail_server):
    with db.session_scope() as s:
        fn(s, "user.edit", sok="ok", elid="duty", disabled="yes")
        fn(s, "user.edit", sok="ok", elid="ra", mobile="", email="")
        events.emit(s, "device.down", operator_id=desk["resA"], actor="scheduler",
                    func="job.device_poll", kind="nas", device_id=3, name="core-1", error="x")
    drain()
    assert bulksmsbd_emu.sent == [] and mail_server.messages == []


def test_on_duty_hours_and_days_on_the_isps_clock():
    tz = dt.timezone(dt.timedelta(hours=6))
    fri_23 = dt.datetime(2026, 12, 4, 23, 0, tzinfo=tz)   # a Friday
    sat_05 = dt.datetime(2026, 12, 5, 5, 59, tzinfo=tz)
    sat_06 = dt.datetime(2026, 12, 5, 6, 0, tzinfo=tz)
    night = (dt.time(22), dt.time(6))
    assert compose.on_duty(None, None, None, fri_23)
    assert compose.on_duty(*night, [5], fri_23) and compose.on_duty(*night, [5], sat_05)
    assert not compose.on_duty(*night, [5], sat_06)
    assert not compose.on_duty(*night, [6], sat_05)  # Saturday's night starts at 22:00
    assert compose.on_duty(dt.time(9), dt.time(17), [1, 2, 3, 4, 5],
                           dt.datetime(2026, 12, 7, 9, 0, tzinfo=tz))
    assert not compose.on_duty(dt.time(9), dt.time(17), None,
                               dt.datetime(2026, 12, 7, 17, 0, tzinfo=tz))
    assert not compose.on_duty(None, None, [1], fri_23)


# -- the fields ------------------------------------------------------------------------------
def test_every_bad_on_call_field_is_named_and_nothing_is_written(session, tree):
    isp, a, b, ua, ub, noc = tree
    cases = [
        (dict(mobile="12345"), "mobile"), (dict(mobile="+88021234567"), "mobile"),
        (dict(email="not-an-address"), "email"), (dict(on_call="maybe"), "on_call"),
        (dict(on_call_start="25:00", on_call_end="08:00"), "on_call_start"),
        (dict(on_call_start="22:00"), "on_call_end"), (dict(on_call_end="06:00"), "on_call_start"),
        (dict(on_call_start="22:00", on_call_end="22:00"), "on_call_end"),
        (dict(on_call_days="mon,funday"), "on_call_days"), (dict(on_call_days="8"), "on_call_days"),
    ]
    for params, field in cases:
        for func, extra in (("user.edit", {"elid": "ra"}), ("me.alerts", {})):
            caller = ua if func == "me.alerts" else None
            with pytest.raises(FuncError) as exc:
                fn(session, func, *([caller] if caller else []), sok="ok", **extra, **params)
            assert field in exc.value.errors, (func, params, exc.value.errors)
    user = session.scalar(sa.select(StaffUser).where(StaffUser.login == "ra"))
    assert (user.mobile, user.email, user.on_call, user.on_call_start) == (None, None, False, None)


def test_on_call_settings_through_user_edit_and_me_alerts(session, tree):
    isp, a, b, ua, ub, noc = tree
    fn(session, "user.edit", sok="ok", elid="ra", mobile="01711 000 444", email="RA@ResA.Example",
       on_call="on", on_call_start="22:00", on_call_end="06:00", on_call_days="fri,sat,7")
    form = fn(session, "user.edit", elid="ra").values
    assert (form["mobile"], form["email"], form["on_call"]) == \
        ("+8801711000444", "RA@resa.example", True)
    assert (form["on_call_start"], form["on_call_end"], form["on_call_days"]) == \
        ("22:00", "06:00", "fri,sat,sun")
    [row] = session.scalars(sa.select(AuditLog).where(AuditLog.func == "user.edit",
                                                      AuditLog.object_name == "ra")
                            .order_by(AuditLog.id.desc()).limit(1))
    assert row.after["on_call_start"] == "22:00" and row.after["on_call_days"] == [5, 6, 7]
    # a noc login sets its own through me.alerts (it may not call user.edit)
    fn(session, "me.alerts", noc, sok="ok", mobile="+8801911000666", on_call="yes",
       on_call_start="", on_call_end="", on_call_days="")
    mine = fn(session, "me.alerts", noc).values
    assert mine["mobile"] == "+8801911000666" and mine["on_call"] is True
    assert mine["on_call_start"] == "" and mine["on_call_days"] == ""
    with pytest.raises(AccessDenied):
        fn(session, "user.edit", noc, sok="ok", elid="ra", on_call="off")
    # reseller B's login cannot reach reseller A's
    with pytest.raises((NotFound, AccessDenied)):
        fn(session, "user.edit", ub, sok="ok", elid="ra", on_call="off")
    assert session.scalar(sa.select(StaffUser.on_call).where(StaffUser.login == "ra")) is True


def test_the_account_page_sets_my_on_call_hours_in_bangla(world, auth, dbs):
    from tests.admin.test_bangla_pages import assert_bangla
    dbs.execute(sa.update(StaffUser).where(StaffUser.login == "noc1").values(lang="bn"))
    dbs.commit()
    auth.login("noc1")
    page = auth.get("/account").get_data(as_text=True)
    assert 'id="alerts-form"' in page
    assert_bangla(page, "/account (bn)", {"NOC"})
    resp = auth.post("/account/alerts", {"mobile": "01711000777", "email": "noc1@isp.example",
                                         "on_call": "on", "on_call_start": "20:00",
                                         "on_call_end": "08:00", "on_call_days": ""})
    assert resp.status_code == 303
    user = dbs.scalar(sa.select(StaffUser).where(StaffUser.login == "noc1"))
    dbs.refresh(user)
    assert (user.mobile, user.on_call, user.on_call_start) == ("+8801711000777", True,
                                                               dt.time(20, 0))
    page = auth.get("/account").get_data(as_text=True)
    assert 'value="20:00"' in page and 'value="+8801711000777"' in page
    resp = auth.post("/account/alerts", {"mobile": "12", "on_call": "on"})
    assert resp.status_code == 303
    page = auth.get("/account").get_data(as_text=True)
    assert "মোবাইল:" in page  # the refusal names the field, in Bangla
    dbs.refresh(user)
    assert user.mobile == "+8801711000777"


@pytest.fixture
def phone_login(committed):
    from tests.support.factories import make_isp, make_user
    with db.session_scope() as s:
        isp = make_isp(s)
        make_user(s, login="pduty", role="noc", operator=isp.name, password=PASSWORD, lang="bn")


@pytest.mark.browser
@pytest.mark.skipif(not shutil.which("chromedriver"), reason="no chromedriver")
def test_the_account_page_fits_a_390_px_phone_in_bangla(phone_login, live_admin, browser):
    from selenium.webdriver.common.by import By
    from tests.admin.test_browser import ARTIFACTS, click, fill
    from tests.admin.test_design_browser import fits, viewport
    b = browser
    viewport(b, 390, 844)
    b.get(live_admin + "/login")
    fill(b, login="pduty", password=PASSWORD)
    click(b, "submit")
    b.get(live_admin + "/account")
    assert b.find_element(By.ID, "alerts-form")
    fits(b, 390, "account")
    screens = ARTIFACTS / "screens"
    screens.mkdir(parents=True, exist_ok=True)
    b.save_screenshot(str(screens / "issue18-account-390.png"))


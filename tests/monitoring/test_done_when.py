"""Issue 18's first done-when: a check against a local HTTP server that starts failing opens
one incident after the third failure, sends one Telegram alert to the emulator, resolves on
recovery (with a resolve alert), and the public page shows the outage and the incident. The
job runs with controlled time (`run_due(now=...)`), a minute a pass."""
from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from admin import status_page
from monitoring import checks
from radbill import db
from radbill.models import Check, Event, Incident
from tests.support.check_targets import HttpTarget
from tests.support.factories import fn, make_operator
from tests.support.messaging import channel_fixtures
from tests.support.messaging.channel_fixtures import add_channel_gateway
from tests.support.messaging.fixtures import drain

telegram_emu = channel_fixtures.telegram_emu  # fixture


def test_a_failing_http_check_opens_one_incident_alerts_once_and_resolves(committed,
                                                                          telegram_emu):
    with db.session_scope() as s:
        isp = make_operator(s, name="isp")
        add_channel_gateway(s, isp.id, telegram_emu)
    drain()
    telegram_emu.sent.clear()
    with HttpTarget() as web:
        with db.session_scope() as s:
            cid = fn(s, "check.edit", sok="ok", name="Customer portal", kind="http",
                     target=web.url, expect_body="systems go", public="yes",
                     component="Web").elid
            t0 = s.scalar(sa.select(sa.func.now())) - dt.timedelta(minutes=20)
            s.execute(sa.update(Check).where(Check.id == cid).values(next_due=t0))

        def tick(minute: int) -> checks.Pass:
            with db.session_scope() as s:
                return checks.run_due(s, t0 + dt.timedelta(minutes=minute))

        assert tick(0).ran == 1 and tick(1).failed == 0
        web.status = 500
        for minute in (2, 3):
            assert tick(minute).failed == 1
        drain()
        assert telegram_emu.sent == []  # two failures: no incident yet
        assert tick(4).opened == 1  # the third
        drain()
        [down] = telegram_emu.sent
        assert "A check is down" in down["text"] and "Customer portal" in down["text"]
        assert "HTTP 500" in down["text"]
        tick(5)  # still failing: the same incident, no second alert
        drain()
        assert len(telegram_emu.sent) == 1
        web.status = 200
        assert tick(6).resolved == 1
        drain()
        [_, up] = telegram_emu.sent
        assert "A check is up again" in up["text"] and "duration seconds: 120" in up["text"]
    assert telegram_emu.violations == []
    with db.session_scope() as s:
        [inc] = s.scalars(sa.select(Incident)).all()
        assert inc.opened_at == t0 + dt.timedelta(minutes=4)
        assert inc.duration_seconds == 120 and inc.alerted_at is not None
        assert s.scalar(sa.select(Check.state).where(Check.id == cid)) == "up"
        names = s.scalars(sa.select(Event.name).where(Event.name.like("incident.%"))
                          .order_by(Event.id)).all()
        assert names == ["incident.opened", "incident.resolved"]
        ack = fn(s, "incident.ack", elid=str(inc.id), note="ISP upstream reset the portal VM")
        assert ack.extra["acknowledged"] == 1

    # the public page: the component, an hour bar below 100 %, the resolved incident
    from admin import create_app
    status_page.clear()
    page = create_app({"TESTING": True, "SECRET_KEY": "t"}).test_client().get("/status")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Customer portal" in html and "Web" in html
    bars = re.findall(r'<rect class="(\w+)"[^>]*><title>([^<]*)</title>', html)
    hours = bars[:24]
    assert any(cls in ("minor", "major") for cls, _ in hours), hours
    assert "Resolved" in html and "00:02" in html  # its duration
    uptime = re.search(r"24 hours: ([\d.]+)%", html).group(1)
    assert float(uptime) < 100

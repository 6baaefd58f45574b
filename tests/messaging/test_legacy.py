"""An installation upgraded with the first wave's SMS/SMTP settings keeps its notices: the
settings become the ISP's gateways once (messaging/legacy.py)."""
from __future__ import annotations

import sqlalchemy as sa

from messaging import legacy
from radbill.models import AuditLog, MessageGateway
from radbill.settings import Settings
from rating.gateways import secrets
from tests.support.factories import make_customer

OLD = Settings(sms_url="https://sms.example.net/api", sms_params="api_key={key}&to={to}&msg={text}",
               sms_key="old-secret-key", sms_ok="SMS SUBMITTED", smtp_host="mail.example.net",
               smtp_port=587, smtp_starttls=1, smtp_from="billing@isp.example",
               smtp_user="billing", smtp_password="mail-pass")


def test_old_settings_become_the_isps_gateways_once(session):
    assert legacy.adopt(session, OLD) == []  # no ISP yet: nothing to hang them on
    c = make_customer(session)
    assert legacy.adopt(session, OLD) == ["sms", "email"]
    assert legacy.adopt(session, OLD) == []
    gws = {g.channel: g for g in session.scalars(sa.select(MessageGateway))}
    assert gws["sms"].operator_id == c.operator_id and gws["sms"].kind == "http"
    assert gws["sms"].config["url"] == "https://sms.example.net/api"
    assert gws["sms"].config["ok"] == "SMS SUBMITTED"
    assert secrets.decrypt(gws["sms"].credentials) == {"key": "old-secret-key"}
    assert gws["email"].config["security"] == "starttls" and gws["email"].config["port"] == 587
    audit = session.scalars(sa.select(AuditLog).where(AuditLog.func == "msg_gateway.edit")).all()
    assert len(audit) == 2 and all("old-secret-key" not in (a.request or "") for a in audit)
    assert all("mail-pass" not in (a.request or "") for a in audit)

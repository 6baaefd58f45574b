"""The first wave's notification settings, adopted once: an installation upgraded with
RADBILL_SMS_URL or RADBILL_SMTP_HOST set gets them as the ISP's own message gateways (through
msg_gateway.edit, audited as the system), unless the ISP already has a gateway of that channel.
`radbill worker` does this when it starts, so notices keep flowing after the upgrade; from then
on the gateways are edited as any other (the settings are no longer read)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill import settings
from radbill.models import MessageGateway, Operator


def adopt(session: Session, s: settings.Settings | None = None) -> list[str]:
    from radbill.functions.caller import SYSTEM
    from radbill.functions.registry import call
    s = s or settings.get()
    isp = session.scalar(sa.select(Operator).where(Operator.parent_id.is_(None))
                         .order_by(Operator.id).limit(1))
    if isp is None:
        return []
    have = set(session.scalars(sa.select(MessageGateway.channel)
                               .where(MessageGateway.operator_id == isp.id)))
    made = []
    if s.sms_url and "sms" not in have:
        call(session, SYSTEM, "msg_gateway.edit", {
            "sok": "ok", "operator": str(isp.id), "name": "SMS (from the old settings)",
            "kind": "http", "url": s.sms_url, "method": s.sms_method, "params": s.sms_params,
            "ok": s.sms_ok, "key": s.sms_key, "to_format": "local"})
        made.append("sms")
    if s.smtp_host and "email" not in have:
        call(session, SYSTEM, "msg_gateway.edit", {
            "sok": "ok", "operator": str(isp.id), "name": "E-mail (from the old settings)",
            "kind": "smtp", "host": s.smtp_host, "port": str(s.smtp_port),
            "security": "starttls" if s.smtp_starttls else "none", "from_address": s.smtp_from,
            "user": s.smtp_user, "password": s.smtp_password})
        made.append("email")
    return made

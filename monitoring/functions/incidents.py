"""incident (list), incident.ack: what the checks found down, and staff saying they are on it."""
from __future__ import annotations

import sqlalchemy as sa

from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.crud import in_subtree, may_manage, paged
from radbill.functions.registry import (AccessDenied, Call, FuncError, ListResult, OkResult,
                                        Param, function)
from radbill.functions.roles import CUSTOMER_VIEWERS, DEVICE_STAFF, RESELLERS
from radbill.models import Check, Incident

COLUMNS = ["id", "check", "target", "opened_at", "resolved_at", "duration_seconds", "cause",
           "acked_at", "acked_by", "ack_note", "operator_id"]


def _row(inc: Incident, name: str, target: str) -> dict:
    return {"id": inc.id, "check": name, "target": target,
            "opened_at": audit.jsonable(inc.opened_at),
            "resolved_at": audit.jsonable(inc.resolved_at),
            "duration_seconds": inc.duration_seconds, "cause": inc.cause,
            "acked_at": audit.jsonable(inc.acked_at), "acked_by": inc.acked_by,
            "ack_note": inc.ack_note, "operator_id": inc.operator_id}


@function("incident", kind="list", roles=CUSTOMER_VIEWERS, money=False,
          params=(Param("q", "search: the check's name or target"), Param("page"),
                  Param("per_page"), Param("open", "yes: only open ones; no: only resolved"),
                  Param("check", "a check's id")))
def incidents(call: Call) -> ListResult:
    """Incidents, newest first: open ones have no resolved time."""
    stmt = (sa.select(Incident, Check.name, Check.target)
            .join(Check, Check.id == Incident.check_id)
            .where(in_subtree(call, Incident.operator_id)))
    q = (call.get("q") or "").strip()
    if q:
        like = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(sa.or_(sa.func.lower(Check.name).like(like),
                                 sa.func.lower(Check.target).like(like)))
    if (raw := call.get("open")) not in (None, ""):
        only_open = F.parse_one("open", F.boolean, raw)
        stmt = stmt.where(Incident.resolved_at.is_(None) if only_open
                          else Incident.resolved_at.is_not(None))
    if (raw := call.get("check")) not in (None, ""):
        cid = F.as_id(raw.strip(), Incident.check_id)
        if cid is None:
            raise FuncError(f"{F.short(raw)!r} is not a check id", field="check")
        stmt = stmt.where(Incident.check_id == cid)
    return paged(call, stmt, COLUMNS, _row, Incident.opened_at.desc(), Incident.id.desc())


@function("incident.ack", kind="action", roles=RESELLERS + DEVICE_STAFF, money=False,
          params=(Param("elid", "incident ids, comma-separated", True, multi=True),
                  Param("note", "what is being done (required)", True)))
def ack(call: Call) -> OkResult:
    """Acknowledge incidents with a note: staff know and are on it."""
    errors = {}
    note = None
    try:
        raw = (call.get("note") or "").strip()
        if not raw:
            raise ValueError("is required: say what is being done")
        note = F.text(500)(F.clean(raw))
    except ValueError as exc:
        errors["note"] = str(exc)
    ids = []
    for ref in (call.elid or "").split(","):
        if not ref.strip():
            continue
        iid = F.as_id(ref.strip(), Incident.id)
        if iid is None:
            errors["elid"] = f"{F.short(ref)!r} is not an incident id"
            break
        ids.append(iid)
    if not ids and "elid" not in errors:
        errors["elid"] = "name the incidents to acknowledge"
    if errors:
        raise FuncError(errors=errors)
    found = {i.id: i for i in call.session.scalars(
        sa.select(Incident).where(Incident.id.in_(ids), in_subtree(call, Incident.operator_id))
        .with_for_update())}
    for iid in dict.fromkeys(ids):
        inc = found.get(iid)
        if inc is None:
            raise FuncError(f"no incident {iid}", field="elid", status=404)
        if not may_manage(call, inc.operator_id):
            raise AccessDenied("you may not acknowledge this incident", field="elid")
        before = {"acked_at": audit.jsonable(inc.acked_at), "ack_note": inc.ack_note}
        inc.acked_at = call.session.scalar(sa.select(sa.func.now()))
        inc.acked_by, inc.ack_note = call.caller.login, note
        name = call.session.scalar(sa.select(Check.name).where(Check.id == inc.check_id))
        audit.record(call, "incident", inc.id, name, before,
                     {"acked_at": audit.jsonable(inc.acked_at), "ack_note": note},
                     inc.operator_id)
    return OkResult(",".join(map(str, dict.fromkeys(ids))), {"acknowledged": len(set(ids))})

"""audit and authlog: who changed what, and every RADIUS accept and reject."""
from __future__ import annotations

import sqlalchemy as sa

from radbill.functions.audit import jsonable
from radbill.functions.crud import in_subtree, paged
from radbill.functions.fields import as_id, is_id
from radbill.functions.registry import Call, ListResult, Param, function
from radbill.functions.roles import CUSTOMER_VIEWERS, RESELLERS
from radbill.models import AuditLog, Customer, RadPostAuth

AUDIT_COLUMNS = ["id", "at", "actor", "func", "object_type", "object_id", "object_name",
                 "before", "after", "request", "ip"]


@function("audit", kind="list", roles=RESELLERS,
          params=(Param("object_type"), Param("object_id"), Param("actor"), Param("q"),
                  Param("page"), Param("per_page")))
def audit_list(call: Call) -> ListResult:
    """The audit log of the caller's subtree, newest first."""
    stmt = sa.select(AuditLog)
    if call.caller.operator_path is not None:
        stmt = stmt.where(in_subtree(call, AuditLog.operator_id))
    for param in ("object_type", "actor"):
        if call.get(param):
            stmt = stmt.where(getattr(AuditLog, param) == call.get(param))
    if (oid := call.get("object_id")) and is_id(oid, AuditLog.object_id):
        stmt = stmt.where(AuditLog.object_id == as_id(oid, AuditLog.object_id))
    if q := call.get("q"):
        stmt = stmt.where(sa.or_(AuditLog.object_name.ilike(f"%{q}%"), AuditLog.func.ilike(f"%{q}%")))
    return paged(call, stmt, AUDIT_COLUMNS, _row(AUDIT_COLUMNS), AuditLog.at.desc(),
                 AuditLog.id.desc())


@function("authlog", kind="list", roles=CUSTOMER_VIEWERS,
          params=(Param("username"), Param("reply"), Param("page"), Param("per_page")))
def auth_log(call: Call) -> ListResult:
    """Authentication attempts (radpostauth), newest first."""
    stmt = sa.select(RadPostAuth)
    if call.caller.operator_path is not None:
        stmt = stmt.where(RadPostAuth.username.in_(
            sa.select(Customer.username).where(in_subtree(call, Customer.operator_id))))
    if call.get("username"):
        stmt = stmt.where(RadPostAuth.username == call.get("username"))
    if call.get("reply"):
        stmt = stmt.where(RadPostAuth.reply == call.get("reply"))
    columns = ["id", "authdate", "username", "reply", "reason", "callingstationid",
               "calledstationid"]
    return paged(call, stmt, columns, _row(columns), RadPostAuth.id.desc())


def _row(columns: list[str]):
    return lambda r: {c: jsonable(getattr(r, c)) for c in columns}

"""Record who did what, before and after, in the same transaction as the change."""
from __future__ import annotations

import datetime as dt
import ipaddress
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from radbill.functions.registry import SECRET_PARAMS, Call, request_line
from radbill.models import AuditLog

SECRET_COLUMNS = SECRET_PARAMS | {"password_hash", "nt_hash", "totp_secret", "recovery_codes",
                                  "credentials"}


def jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv4Network, ipaddress.IPv6Address)):
        return str(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def snapshot(obj: Any) -> dict[str, Any] | None:
    """Column values of a mapped object, ready for JSONB (`record` masks the secrets)."""
    if obj is None:
        return None
    return {col.key: jsonable(getattr(obj, col.key)) for col in sa.inspect(obj).mapper.column_attrs}


def _masked(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {k: ("***" if v else v) if k in SECRET_COLUMNS or k.endswith("secret") else v
            for k, v in values.items()}


def record(call: Call, object_type: str | None, object_id: int | None, object_name: str | None,
           before: dict | None, after: dict | None, operator_id: int | None = None) -> None:
    if before is not None and after is not None:
        changed = {k for k in after if before.get(k) != after.get(k)}
        before = {k: before.get(k) for k in changed}
        after = {k: after[k] for k in changed}
    before, after = _masked(before), _masked(after)
    call.session.add(AuditLog(
        actor=call.caller.login, actor_user_id=call.caller.user_id,
        operator_id=operator_id if operator_id is not None else call.caller.operator_id,
        func=call.func, object_type=object_type, object_id=object_id, object_name=object_name,
        before=before, after=after, request=request_line(call.func, call.params), ip=call.caller.ip,
    ))

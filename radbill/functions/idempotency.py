"""A change made under a one-time key counts once (issue 10, "double submit").

`registry.call` takes the control parameter `idempotency_key` (a form's hidden token, the
`Idempotency-Key` header of /billmgr, `radbill call idempotency_key=...`) on every call that
changes data. The first call with a key inserts (caller, key) into `idempotency_keys` before it
runs and stores its result in the same transaction; a resubmission, even one arriving while the
first is still running (it waits on the row's unique key), gets that stored result back, marked
`replayed`, and changes nothing. A first call that fails leaves no row, so the key can be sent
again. The same key with other values is refused (409), as Stripe does. Keys live a day.
"""
from __future__ import annotations

import base64
import hashlib
import json
from typing import TYPE_CHECKING, Callable

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from radbill.functions.audit import jsonable

if TYPE_CHECKING:
    from radbill.functions.caller import Caller
    from radbill.functions.registry import Result

PARAM = "idempotency_key"
MAX_LENGTH = 200
KEEP = "24 hours"


def _table():
    from radbill.models.web import IdempotencyKey
    return IdempotencyKey.__table__


def request_hash(func: str, params: dict[str, str]) -> str:
    body = json.dumps({"func": func, "params": sorted(params.items())}, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def run_once(session: Session, caller: Caller, func: str, params: dict[str, str], key: str,
             run: Callable[[], Result]) -> Result:
    from radbill.functions.registry import FuncError
    key = (key or "").strip()
    if not key or len(key) > MAX_LENGTH or "\x00" in key:
        raise FuncError(f"must be 1-{MAX_LENGTH} characters", field=PARAM)
    t = _table()
    # an API client's keys are its own (client names are unique only per operator)
    scope = f"api#{caller.api_client_id}" if caller.api_client_id else caller.login
    wanted = request_hash(func, params)
    session.execute(sa.delete(t).where(t.c.created_at < sa.func.now() - sa.text(f"interval '{KEEP}'")))
    # waits here while another transaction holds the same (scope, key), then sees its outcome
    mine = session.execute(insert(t).values(scope=scope, key=key, func=func, request_hash=wanted)
                           .on_conflict_do_nothing().returning(t.c.key)).first()
    if mine is None:
        row = session.execute(sa.select(t.c.func, t.c.request_hash, t.c.result)
                              .where(t.c.scope == scope, t.c.key == key)).first()
        if row is None or row.result is None:  # gone meanwhile: a day old, or never finished
            raise FuncError("this request is being processed; try again", field=PARAM, status=409)
        if row.func != func or row.request_hash != wanted:
            raise FuncError("was already used for a different request", field=PARAM, status=409)
        return decode(row.result, replayed=True)
    try:
        result = run()
    except BaseException:
        try:  # a refusal whose own record is kept (keep=True) must not keep the key
            session.execute(sa.delete(t).where(t.c.scope == scope, t.c.key == key))
        except Exception:
            pass  # the transaction is broken and rolls back, the key with it
        raise
    session.execute(sa.update(t).where(t.c.scope == scope, t.c.key == key)
                    .values(result=encode(result)))
    return result


def encode(result: Result) -> dict:
    from radbill.functions.registry import FileResult, FormResult, ListResult, OkResult
    if isinstance(result, OkResult):
        return {"type": "ok", "elid": jsonable(result.elid), "extra": jsonable(result.extra)}
    if isinstance(result, FormResult):
        return {"type": "form", "elid": jsonable(result.elid), "values": jsonable(result.values)}
    if isinstance(result, ListResult):
        return {"type": "list", "rows": jsonable(result.rows), "total": result.total,
                "page": result.page, "per_page": result.per_page, "columns": result.columns}
    if isinstance(result, FileResult):
        return {"type": "file", "filename": result.filename, "content_type": result.content_type,
                "data": base64.b64encode(result.data).decode()}
    raise TypeError(f"cannot store a {type(result).__name__}")


def decode(data: dict, replayed: bool = False) -> Result:
    from radbill.functions.registry import FileResult, FormResult, ListResult, OkResult
    kind = data["type"]
    if kind == "ok":
        extra = dict(data["extra"] or {})
        if replayed:
            extra["replayed"] = True
        return OkResult(data["elid"], extra)
    if kind == "form":
        return FormResult(data["elid"], data["values"])
    if kind == "list":
        return ListResult(data["rows"], data["total"], data["page"], data["per_page"],
                          data["columns"])
    return FileResult(data["filename"], data["content_type"], base64.b64decode(data["data"]))

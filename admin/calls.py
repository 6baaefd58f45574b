"""How a page calls a function: as the logged-in staff member, logged as a func request line."""
from __future__ import annotations

import logging

from flask import abort, g, request
from flask_login import current_user

from radbill.functions.auth import caller_for
from radbill.functions.caller import Caller
from radbill.functions.registry import REGISTRY, FuncError, Result, call, load_all, request_line
from radbill.models import StaffUser

from admin.dbs import db, keep_writes

log = logging.getLogger("radbill.requests")


def client_ip() -> str | None:
    return request.remote_addr


def page_caller() -> Caller:
    """The caller a page acts as (cached for the request)."""
    if "caller" not in g:
        user = db().get(StaffUser, int(current_user.get_id()))
        # CSRFProtect has checked every POST to a page before the view runs
        g.caller = caller_for(db(), user, client_ip(), g.get("lang", "en")).via(
            "web", request.method == "POST")
    return g.caller


def log_request(caller: Caller, func: str, params: dict[str, str]) -> str:
    """The seed's `Request [ip][login] 'func=..'` line: a click turned into an API call."""
    line = request_line(func, params)
    log.info("Request [%s][%s] '%s'", caller.ip or "", caller.login, line)
    g.setdefault("request_lines", []).append(line)
    return line


def run(func: str, params: dict[str, str] | None = None, caller: Caller | None = None,
        replica: bool | None = None) -> Result:
    """Call `func` with `params`; FuncError propagates for the page to show. `replica`: read
    from the streaming replica (registry.call; by default a report does)."""
    caller = caller or page_caller()
    params = {k: v for k, v in (params or {}).items() if v is not None}
    log_request(caller, func, params)
    try:
        return call(db(), caller, func, params, replica=replica)
    except FuncError as exc:
        if exc.keep:
            keep_writes()  # the refusal's record (a wrong PIN) stays
        raise


def run_or_abort(func: str, params: dict[str, str] | None = None) -> Result:
    """Like run, but a 403/404 from the function becomes that page status."""
    try:
        return run(func, params)
    except FuncError as exc:
        if exc.status in (403, 404):
            abort(exc.status, exc.message)
        raise


def exists(func: str) -> bool:
    return func in load_all()


def may(func: str, caller: Caller | None = None) -> bool:
    fn = load_all().get(func)
    return fn is not None and fn.permits(caller or page_caller())


def registered() -> dict:
    return REGISTRY

"""router.log, router.print: a router's log and read-only `print` menus over the RouterOS API.

Only staff whose operator subtree owns the router read it: the ISP's own staff for its global
routers, a reseller's staff for the routers made its own (nas.edit operator=...). A router the
ISP shares with resellers is refused to them (AccessDenied, before anything is sent): its log
and its tables carry every tenant's subscribers, which router.sessions filters row by row but
a log line or an ARP entry cannot be. Another reseller's router is not found at all.

Nothing but `print` is ever sent: the menu comes from the whitelist in
provisioning/router_console.py, the columns are sent as `=.proplist=` (secrets never asked
for, and dropped if they come), filters are `?name=value` words on whitelisted column names.
Every read is audited (actor, router, what was read), also one the router failed: that record
is kept (FuncError keep=True) and the error is a 502 naming the NAS setting to check.
"""
from __future__ import annotations

import datetime as dt

from provisioning import mikrotik, router_console as rc
from provisioning.errors import ProvisioningError
from provisioning.functions.routers import ELID, nas_of, owner_only, router_of
from radbill import settings
from radbill.functions import audit, fields as F
from radbill.functions.crud import page_params
from radbill.functions.registry import Call, FuncError, ListResult, Param, function
from radbill.functions.roles import DEVICE_STAFF

LOG_COLUMNS = ["id", "at", "time", "topics", "message"]
PAGING = (Param("page"), Param("per_page", "rows a page, 1..1000 (default 50)"))


def parsed(call: Call, parsers: dict[str, tuple]) -> dict:
    """Each parameter parsed (`name: (parser, default)`); every bad one reported at once."""
    values, errors = {}, {}
    for name, (parse, default) in parsers.items():
        raw = call.get(name)
        try:
            values[name] = parse(F.clean(raw)) if raw not in (None, "") else default
        except ValueError as exc:
            errors[name] = str(exc)
    try:
        values["page"], values["per_page"] = page_params(call)
    except FuncError as exc:
        errors.update(exc.errors)
    if errors:
        raise FuncError(errors=errors)
    return values


def owned_router(call: Call, what: str):
    """The NAS and how to reach it, once the caller is known to own it (before its API login
    is looked at)."""
    nas = nas_of(call)
    owner_only(call, nas, what)
    return router_of(call, nas)


def failed(call: Call, nas, read: dict, exc: ProvisioningError) -> FuncError:
    """The device's error as a 502 naming the setting to check; the attempt stays audited."""
    audit.record(call, "nas", nas.id, nas.shortname, None, {**read, "error": str(exc)})
    return FuncError(str(exc), field=exc.field, status=502, keep=True)


def one_page(rows: list[dict], values: dict, columns: list[str]) -> ListResult:
    page, per_page = values["page"], values["per_page"]
    start = (page - 1) * per_page
    return ListResult(rows[start:start + per_page], len(rows), page, per_page, columns)


@function("router.log", kind="list", roles=DEVICE_STAFF, money=False,
          params=(ELID, Param("topics", "only entries with all these topics, comma-separated "
                                        "(pppoe, error, critical...)"),
                  Param("q", "text to find in the message"), *PAGING))
def log(call: Call) -> ListResult:
    """The router's log (RouterOS /log print), newest first; times in UTC (`at`, from the
    router's own clock and offset) and as the router printed them (`time`)."""
    values = parsed(call, {"topics": (rc.topics, ()), "q": (rc.search, "")})
    nas, router = owned_router(call, "reads its log")
    read = {"read": "log", "topics": ",".join(values["topics"]), "q": values["q"]}
    try:
        entries, clock_row = mikrotik.read_log(router, rc.LOG_COLUMNS, rc.CLOCK_COLUMNS)
    except ProvisioningError as exc:
        raise failed(call, nas, read, exc) from None
    clock = rc.clock(clock_row, settings.get().tz, dt.datetime.now(dt.timezone.utc))
    rows = []
    for e in reversed(entries):  # the router keeps its log oldest first
        if rc.log_matches(e, values["topics"], values["q"]):
            at = rc.log_time(e.get("time", ""), clock)
            rows.append({"id": e.get(".id", ""), "at": at.isoformat() if at else None,
                         "time": e.get("time", ""), "topics": e.get("topics", ""),
                         "message": e.get("message", "")})
    result = one_page(rows, values, LOG_COLUMNS)
    audit.record(call, "nas", nas.id, nas.shortname, None,
                 {**read, "page": result.page, "rows": len(result.rows), "matched": len(rows)})
    return result


@function("router.print", kind="list", roles=DEVICE_STAFF, money=False,
          params=(ELID, Param("menu", "one of the read-only menus: " + ", ".join(rc.MENUS), True),
                  Param("columns", "some of the menu's columns, comma-separated (default all)"),
                  Param("where", "name=value conditions, comma-separated, all must hold",
                        multi=True), *PAGING))
def print_(call: Call) -> ListResult:
    """Rows of a whitelisted RouterOS menu (`/ip/address print`...), read-only, no secrets."""
    if call.get("menu") in (None, ""):
        raise FuncError("is required: one of " + ", ".join(rc.MENUS), field="menu")
    menu = F.parse_one("menu", rc.menu, call.get("menu") or "")
    values = parsed(call, {"columns": (lambda raw: rc.columns(menu, raw), rc.MENUS[menu]),
                           "where": (lambda raw: rc.where(menu, raw), {})})
    nas, router = owned_router(call, "reads its tables")
    read = {"read": menu, "where": values["where"]}
    try:
        found = mikrotik.print_menu(router, menu, values["columns"], values["where"])
    except ProvisioningError as exc:
        raise failed(call, nas, read, exc) from None
    cols = list(values["columns"])
    rows = [{c: r.get(c, "") for c in cols} for r in map(rc.strip_secrets, found)]
    result = one_page(rows, values, cols)
    audit.record(call, "nas", nas.id, nas.shortname, None,
                 {**read, "page": result.page, "rows": len(result.rows), "matched": len(rows)})
    return result

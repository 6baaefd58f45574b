"""One registry of named functions; every change a person can make goes through one of them.

A function takes a `Call` (session, caller, parameters) and returns a result: a list, a form,
success, or a file. It raises `FuncError` naming the field and the reason. The caller of
`call()` owns the transaction, so a function's writes, its audit record and its outbox events
commit together or not at all.
"""
from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from sqlalchemy.orm import Session

from radbill.functions.caller import Caller
from radbill.functions.roles import sees_money

# Domain packages that register functions when imported.
FUNCTION_MODULES = (
    "staff.functions",
    "packages.functions",
    "customers.functions",
    "rating.functions",
    "provisioning.functions",
    "logs.functions",
    "messaging.functions",
    "care.functions",
    "integrations.functions",
    "monitoring.functions",  # issue 18: status checks, incidents, announcements
    "monitoring.functions.noc",  # issue 18: Zabbix, radios, the NOC dashboard's figures
)


class FuncError(Exception):
    """A refused call: `errors` maps each bad field to its reason; `status` is the HTTP code."""

    fallback = False  # made by the registry from a database error the fields did not catch

    def __init__(self, message: str | None = None, *, field: str | None = None,
                 errors: dict[str, str] | None = None, status: int = 400, keep: bool = False):
        self.keep = keep  # the refusal's own record (a failed PIN) must be committed anyway
        self.errors = dict(errors or {})
        if field and message:
            self.errors.setdefault(field, message)
        if message is None:
            message = "; ".join(f"{k}: {v}" for k, v in self.errors.items())
        elif field:
            message = f"{field}: {message}"
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field or (next(iter(self.errors)) if self.errors else None)


class AccessDenied(FuncError):
    def __init__(self, message: str = "access denied", *, field: str | None = None):
        super().__init__(message, field=field, status=403)


class NotFound(FuncError):
    def __init__(self, message: str = "not found", *, field: str | None = None):
        super().__init__(message, field=field, status=404)


@dataclass
class ListResult:
    rows: list[dict[str, Any]]
    total: int | None = None
    page: int = 1
    per_page: int = 0
    columns: list[str] = field(default_factory=list)
    # a list that pages by keyset (radbill/functions/crud.py): each row's key, to pass back as
    # `after` for the rows that follow it (None: the list pages by offset only)
    keys: list[str] | None = None


@dataclass
class FormResult:
    elid: Any
    values: dict[str, Any]


@dataclass
class OkResult:
    elid: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class FileResult:
    filename: str
    content_type: str
    data: bytes


Result = ListResult | FormResult | OkResult | FileResult


@dataclass
class Param:
    name: str
    help: str = ""
    required: bool = False
    multi: bool = False  # may be given more than once (ticked rows): the values are joined by ","


@dataclass
class Call:
    session: Session
    caller: Caller
    func: str
    params: dict[str, str]

    @property
    def sok(self) -> bool:
        return self.params.get("sok") == "ok"

    @property
    def elid(self) -> str | None:
        value = self.params.get("elid")
        return value if value not in (None, "") else None

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.params.get(name, default)


# what each kind changes when a function does not say: lists read, forms change with sok=ok
CHANGES_BY_KIND = {"list": False, "file": False, "form": "sok", "action": True}


@dataclass
class Function:
    name: str
    handler: Callable[[Call], Result]
    kind: str
    roles: frozenset[str] | None
    params: tuple[Param, ...]
    doc: str
    money: bool = False  # the whole function is about money
    money_fields: frozenset[str] = frozenset()  # columns / form values that are money
    money_declared: bool = False  # whether `money=` was given (the registry test checks)
    changes: bool | str = False  # True, False, or "sok": only with sok=ok
    replica: bool = False  # a report: reads from the streaming replica when there is one

    def allowed(self, caller: Caller) -> bool:
        """Its role, or a special permission of the caller's login: a function revoked from
        it is refused, one granted to it is allowed (staff/functions/permissions.py)."""
        if self.name in caller.revoked:
            return False
        return caller.is_sysadmin or self.roles is None or caller.role in self.roles \
            or self.name in caller.granted

    def permits(self, caller: Caller) -> bool:
        """Whether `call()` would let `caller` in: its role, and money for roles without it."""
        return self.allowed(caller) and (not self.money or sees_money(caller.role))

    def changes_with(self, params: dict[str, str]) -> bool:
        """Whether a call with `params` may change data (and so needs a channel that may)."""
        if self.changes == "sok":
            return params.get("sok") == "ok"
        return bool(self.changes)

    def shown(self, caller: Caller, names: list[str]) -> list[str]:
        """`names` (columns, fields) without the money ones unless the caller sees money."""
        if sees_money(caller.role):
            return list(names)
        return [n for n in names if n not in self.money_fields]


REGISTRY: dict[str, Function] = {}
CONTROL_PARAMS = {"func", "sok", "out", "su", "lang", "auth", "authinfo", "redirect", "elid",
                  "plid", "elname", "clicked_button", "sfrom", "progressid", "csrf_token",
                  "idempotency_key",
                  # lists: count=no skips counting every match (total is None); after=<a row's
                  # key> starts a keyset list after that row (crud.Entity.list)
                  "count", "after"}
# a one-time key (a form's token, /billmgr's Idempotency-Key header): a call that changes data
# and carries one counts once; a resubmission gets the first result (radbill/functions/idempotency.py)
IDEMPOTENCY_KEY = "idempotency_key"


def function(name: str, *, kind: str = "action", roles: tuple[str, ...] | None = None,
             params: tuple[Param, ...] | list[Param] = (), money: Money = None,
             changes: bool | str | None = None, replica: bool = False) -> Callable:
    """Register `handler` as function `name`; `roles` limits who may call it (None: anyone).

    `money`: True when the function is about money (refused to roles that see none), or the
    names of its money columns and form values (stripped for those roles), or False/() for
    none. `changes`: whether it changes data (True, False, or "sok": only with sok=ok); the
    default follows `kind` (CHANGES_BY_KIND). Both are enforced by `call()` for every caller.
    `replica`: a report that only reads, which `call()` runs on the streaming replica when
    RADBILL_REPLICA_URL is set (`db.reporting`).
    """

    def register(handler: Callable[[Call], Result]) -> Callable[[Call], Result]:
        if name in REGISTRY:
            raise RuntimeError(f"function {name} registered twice")
        doc = (handler.__doc__ or "").strip().splitlines()[0] if handler.__doc__ else ""
        fn = Function(name, handler, kind, frozenset(roles) if roles else None,
                      tuple(params), doc, changes=CHANGES_BY_KIND.get(kind, True),
                      replica=replica)
        REGISTRY[name] = fn
        declare(name, money=money, changes=changes)
        return handler

    return register


Money = bool | tuple[str, ...] | list[str] | set[str] | frozenset[str] | None


def declare(name: str, *, money: Money = None, changes: bool | str | None = None) -> Function:
    """Add money / changes declarations to a registered function (for an Entity whose module
    registers it; prefer the decorator's own arguments)."""
    fn = REGISTRY[name]
    if money is not None:
        fn.money_declared = True
        if isinstance(money, bool):
            fn.money = money
        else:
            fn.money_fields = fn.money_fields | frozenset(money)
    if changes is not None:
        if changes not in (True, False, "sok"):
            raise ValueError(f"{name}: changes must be True, False or 'sok'")
        fn.changes = changes
    return fn


_loaded = False


def load_all() -> dict[str, Function]:
    """Import every domain module so its functions register (once per process)."""
    global _loaded
    if not _loaded:
        for module in FUNCTION_MODULES:
            try:
                importlib.import_module(module)
            except ModuleNotFoundError as exc:
                if not module.startswith(exc.name or "-"):
                    raise
        _loaded = True
    return REGISTRY


def call(session: Session, caller: Caller, name: str, params: dict[str, str] | None = None,
         *, replica: bool | None = None) -> Result:
    """Run function `name` as `caller`; the caller of this owns the transaction. A call that
    changes nothing reads from the replica (`db.reporting`, the primary when there is none)
    when `replica` says so (an export), by default when the function is a report."""
    load_all()
    fn = REGISTRY.get(name)
    if fn is None:
        raise FuncError(f"unknown function {name!r}", field="func", status=404)
    params = dict(params or {})
    check_text(params)
    if fn.money and not sees_money(caller.role):
        raise AccessDenied(no_money_message(caller.role, name))
    if name in caller.revoked:
        raise AccessDenied(f"{name} has been revoked from your login")
    if not fn.allowed(caller):
        raise AccessDenied(f"the {caller.role} role may not call {name}")
    if caller.scopes is not None and not caller.in_scope(scope_of(fn, params)):
        raise AccessDenied(f"this API client's scopes do not include {scope_of(fn, params)}")
    if fn.changes_with(params) and not caller.may_change:
        raise AccessDenied(f"{name} changes data: from a browser send it by POST with the "
                           "page's CSRF token (or call with authinfo or an API session)")
    key = params.pop(IDEMPOTENCY_KEY, None)  # a one-time key: the change counts once
    if key is not None and fn.changes_with(params):
        from radbill.functions.idempotency import run_once
        result = run_once(session, caller, name, params, key, lambda: run_in_savepoint(
            session, fn, Call(session, caller, name, params)))
    elif (fn.replica if replica is None else replica) and not fn.changes_with(params):
        from radbill import db
        with db.reporting(session) as reading:
            result = run_in_savepoint(reading, fn, Call(reading, caller, name, params))
    else:
        result = run_in_savepoint(session, fn, Call(session, caller, name, params))
    if fn.money_fields and not sees_money(caller.role):
        result = without_money(fn, result)
    return result


def scope_of(fn: Function, params: dict[str, str]) -> str:
    """The scope an API client needs for a call: the function's noun (`customer` for
    customer, customer.edit, customer.suspend), `:write` when the call changes data, else
    `:read`."""
    noun = fn.name.split(".", 1)[0]
    return f"{noun}:{'write' if fn.changes_with(params) else 'read'}"


def run_in_savepoint(session: Session, fn: Function, call_: Call) -> Result:
    """Run the handler inside a savepoint: a refused call leaves nothing behind (unless its
    refusal keeps its own record, `keep=True`), and a constraint the database enforces becomes
    a FuncError naming the field instead of a 500 -- the last line of defence behind the
    fields' own checks."""
    import sqlalchemy.exc as sa_exc

    savepoint = session.begin_nested()
    try:
        result = fn.handler(call_)
        if savepoint.is_active:
            savepoint.commit()  # flushes: a late constraint violation is still caught below
        return result
    except FuncError as exc:
        if exc.keep and savepoint.is_active:
            savepoint.commit()
        else:
            _rollback(savepoint)
        raise
    except (sa_exc.IntegrityError, sa_exc.DataError) as exc:
        _rollback(savepoint)
        raise database_refusal(fn, call_.params, exc) from None
    except BaseException:
        _rollback(savepoint)
        raise


def _rollback(savepoint) -> None:
    """Roll back (and close) the savepoint, also after a failed flush deactivated it."""
    import sqlalchemy.exc as sa_exc
    try:
        savepoint.rollback()
    except sa_exc.InvalidRequestError:
        pass  # already closed


def check_text(params: dict[str, str]) -> None:
    """Refuse what no parameter can carry to PostgreSQL: a NUL byte (text columns refuse it)
    or a lone surrogate (a command line's undecodable byte; it is no UTF-8)."""
    errors = {}
    for key, value in params.items():
        for text in (key, value):
            if not isinstance(text, str):
                continue
            if "\x00" in text:
                errors[key.replace("\x00", "")] = "must not contain a NUL byte"
            elif any(0xD800 <= ord(c) <= 0xDFFF for c in text):
                errors[key.encode("utf-8", "replace").decode()] = "is not valid UTF-8 text"
    if errors:
        raise FuncError(errors=errors)


def database_refusal(fn: Function, params: dict[str, str], exc: Exception) -> FuncError:
    """A FuncError for what the database refused (a unique or check constraint, a value out of
    range), naming the field when the error tells which; `fallback` marks it so tests can
    insist each field parser catches its case first."""
    diag = getattr(getattr(exc, "orig", None), "diag", None)
    text = " ".join(filter(None, [getattr(diag, "message_primary", None),
                                  getattr(diag, "message_detail", None)])) or str(exc.orig)
    field = _field_in(fn, params, diag, text)
    sqlstate = getattr(getattr(exc, "orig", None), "sqlstate", None) or ""
    if sqlstate == "23503" and fn.name.endswith(".delete"):
        # deleting a row others still refer to (a login named in the audit log, ...)
        table = getattr(diag, "table_name", None) or "other records"
        return FuncError(f"is still referred to by {table}; it cannot be deleted", field="elid",
                         status=409)
    if sqlstate == "23505":
        message = "is taken"
    elif sqlstate.startswith("23"):
        message = "is not allowed here (the database refused it: " \
                  f"{getattr(diag, 'constraint_name', None) or 'constraint'})"
    else:
        message = "is out of range for what the database stores"
    err = FuncError(message, field=field or "func", status=409 if sqlstate == "23505" else 400)
    err.fallback = True
    return err


_KEY = re.compile(r"Key \((.+?)\)=")


def _field_in(fn: Function, params: dict[str, str], diag, text: str) -> str | None:
    """Which parameter the database's complaint is about: the column it names (diag or the
    'Key (col)=' detail, a check constraint's name) when the function takes a parameter so
    named, or else a parameter whose value the message quotes."""
    names = [p.name for p in fn.params] + [k for k in params if k not in CONTROL_PARAMS]
    candidates = []
    if diag is not None and getattr(diag, "column_name", None):
        candidates.append(diag.column_name)
    if m := _KEY.search(text):
        candidates += re.findall(r"[a-z_]+", m.group(1))
    constraint = getattr(diag, "constraint_name", None) or ""
    candidates += [n for n in names if n and n in constraint]
    for c in candidates:
        if c in names:
            return c
        if c.endswith("_id") and c[:-3] in names:
            return c[:-3]
    for k, v in params.items():
        if k not in CONTROL_PARAMS and v and len(v) >= 2 and v in text:
            return k
    return None


def join_repeated(name: str, values: dict[str, list[str]]) -> dict[str, str]:
    """Parameters given as lists (a query string, a command line) as one value each: a name
    given more than once is refused unless function `name` declares it multi-valued (its values
    are then joined by ',', as a comma-separated list)."""
    fn = load_all().get(name)
    multi = {p.name for p in fn.params if p.multi} if fn is not None else set()
    out, errors = {}, {}
    for key, vals in values.items():
        if len(vals) > 1 and key not in multi:
            errors[key] = (f"is given {len(vals)} times; give it once"
                           + (f" ({name} takes one value)" if fn is not None else ""))
        out[key] = ",".join(vals)
    if errors:
        raise FuncError(errors=errors)
    return out


def no_money_message(role: str, name: str) -> str:
    """The one refusal every way in gives for a money function to a role that sees no money."""
    return f"{name} is about money, which the {role} role does not see"


def without_money(fn: Function, result: Result) -> Result:
    """The result with `fn`'s money columns / values dropped."""
    hidden = fn.money_fields
    if isinstance(result, ListResult):
        return ListResult([{k: v for k, v in r.items() if k not in hidden} for r in result.rows],
                          result.total, result.page, result.per_page,
                          [c for c in result.columns if c not in hidden])
    if isinstance(result, FormResult):
        return FormResult(result.elid, {k: v for k, v in result.values.items() if k not in hidden})
    return result


def request_line(name: str, params: dict[str, str]) -> str:
    """The call as a func API query string, secrets masked, for the audit and request logs."""
    from urllib.parse import urlencode

    shown = {"func": name}
    for k, v in params.items():
        if k in ("out", "auth", "authinfo", "csrf_token"):
            continue
        shown[k] = "***" if k in SECRET_PARAMS else v
    return urlencode(shown)


SECRET_PARAMS = {"password", "secret", "key", "api_password", "community", "totp", "pin",
                 # payment gateways' credentials (gateway.edit)
                 "app_key", "app_secret", "store_passwd", "signature_key",
                 "merchant_private_key",
                 # message gateways' credentials (msg_gateway.edit; an SMTP `user` is no secret)
                 "api_key", "api_secret", "api_token", "auth_token", "bot_token", "token"}

"""One registry of named functions; every change a person can make goes through one of them.

A function takes a `Call` (session, caller, parameters) and returns a result: a list, a form,
success, or a file. It raises `FuncError` naming the field and the reason. The caller of
`call()` owns the transaction, so a function's writes, its audit record and its outbox events
commit together or not at all.
"""
from __future__ import annotations

import importlib
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
)


class FuncError(Exception):
    """A refused call: `errors` maps each bad field to its reason; `status` is the HTTP code."""

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

    def allowed(self, caller: Caller) -> bool:
        return caller.is_sysadmin or self.roles is None or caller.role in self.roles

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
                  "idempotency_key"}
# a one-time key (a form's token, /billmgr's Idempotency-Key header): a call that changes data
# and carries one counts once; a resubmission gets the first result (radbill/functions/idempotency.py)
IDEMPOTENCY_KEY = "idempotency_key"


def function(name: str, *, kind: str = "action", roles: tuple[str, ...] | None = None,
             params: tuple[Param, ...] | list[Param] = (), money: Money = None,
             changes: bool | str | None = None) -> Callable:
    """Register `handler` as function `name`; `roles` limits who may call it (None: anyone).

    `money`: True when the function is about money (refused to roles that see none), or the
    names of its money columns and form values (stripped for those roles), or False/() for
    none. `changes`: whether it changes data (True, False, or "sok": only with sok=ok); the
    default follows `kind` (CHANGES_BY_KIND). Both are enforced by `call()` for every caller.
    """

    def register(handler: Callable[[Call], Result]) -> Callable[[Call], Result]:
        if name in REGISTRY:
            raise RuntimeError(f"function {name} registered twice")
        doc = (handler.__doc__ or "").strip().splitlines()[0] if handler.__doc__ else ""
        fn = Function(name, handler, kind, frozenset(roles) if roles else None,
                      tuple(params), doc, changes=CHANGES_BY_KIND.get(kind, True))
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


def call(session: Session, caller: Caller, name: str, params: dict[str, str] | None = None) -> Result:
    """Run function `name` as `caller`; the caller of this owns the transaction."""
    load_all()
    fn = REGISTRY.get(name)
    if fn is None:
        raise FuncError(f"unknown function {name!r}", field="func", status=404)
    params = dict(params or {})
    if fn.money and not sees_money(caller.role):
        raise AccessDenied(no_money_message(caller.role, name))
    if not fn.allowed(caller):
        raise AccessDenied(f"the {caller.role} role may not call {name}")
    if fn.changes_with(params) and not caller.may_change:
        raise AccessDenied(f"{name} changes data: from a browser send it by POST with the "
                           "page's CSRF token (or call with authinfo or an API session)")
    key = params.pop(IDEMPOTENCY_KEY, None)  # a one-time key: the change counts once
    if key is not None and fn.changes_with(params):
        from radbill.functions.idempotency import run_once
        result = run_once(session, caller, name, params, key,
                          lambda: fn.handler(Call(session, caller, name, params)))
    else:
        result = fn.handler(Call(session, caller, name, params))
    if fn.money_fields and not sees_money(caller.role):
        result = without_money(fn, result)
    return result


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


SECRET_PARAMS = {"password", "secret", "key", "api_password", "community", "totp", "pin"}

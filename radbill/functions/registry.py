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

# Domain packages that register functions when imported.
FUNCTION_MODULES = (
    "radbill.functions.operators",
    "radbill.functions.users",
    "radbill.functions.pools",
    "radbill.functions.packages",
    "radbill.functions.nas",
    "radbill.functions.customers",
    "radbill.functions.billing_profiles",
    "radbill.functions.zones",
    "radbill.functions.logs",
    "rating.functions",
    "provisioning.functions",
    "admin.functions",  # session.newkey, me.totp, session: Flask-free, so the CLI lists them
    "radbill.functions.portal",  # portal.*: customers' own functions (role "customer")
)


class FuncError(Exception):
    """A refused call: `errors` maps each bad field to its reason; `status` is the HTTP code."""

    def __init__(self, message: str | None = None, *, field: str | None = None,
                 errors: dict[str, str] | None = None, status: int = 400):
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


@dataclass
class Function:
    name: str
    handler: Callable[[Call], Result]
    kind: str
    roles: frozenset[str] | None
    params: tuple[Param, ...]
    doc: str

    def allowed(self, caller: Caller) -> bool:
        return caller.is_sysadmin or self.roles is None or caller.role in self.roles


REGISTRY: dict[str, Function] = {}
CONTROL_PARAMS = {"func", "sok", "out", "su", "lang", "auth", "authinfo", "redirect", "elid",
                  "plid", "elname", "clicked_button", "sfrom", "progressid", "csrf_token"}


def function(name: str, *, kind: str = "action", roles: tuple[str, ...] | None = None,
             params: tuple[Param, ...] | list[Param] = ()) -> Callable:
    """Register `handler` as function `name`; `roles` limits who may call it (None: anyone)."""

    def register(handler: Callable[[Call], Result]) -> Callable[[Call], Result]:
        if name in REGISTRY:
            raise RuntimeError(f"function {name} registered twice")
        doc = (handler.__doc__ or "").strip().splitlines()[0] if handler.__doc__ else ""
        REGISTRY[name] = Function(name, handler, kind, frozenset(roles) if roles else None,
                                  tuple(params), doc)
        return handler

    return register


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
    if not fn.allowed(caller):
        raise AccessDenied(f"the {caller.role} role may not call {name}")
    return fn.handler(Call(session, caller, name, dict(params or {})))


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

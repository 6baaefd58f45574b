"""Hooks the kernel calls and domains subscribe to, so radbill/ never imports a domain.

A hook is a synchronous step of the change itself (rating charges a reseller when a customer is
created, pro-rates a package change), run inside the caller's transaction: raising FuncError
refuses the whole change. What others react to after the fact is an event (radbill/events.py).
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable

HOOKS = (
    "customer_created",   # (call, customer) after insert, before audit
    "customer_changed",   # (call, customer, before: dict) after an update
    "entity_created",     # (call, entity name, obj) crud.Entity.edit after an insert
    "entity_deleted",     # (call, entity name, obj) crud.Entity.delete before the delete
)

_handlers: dict[str, list[Callable[..., Any]]] = defaultdict(list)


def subscribe(hook: str, handler: Callable[..., Any]) -> Callable[..., Any]:
    if hook not in HOOKS:
        raise ValueError(f"unknown hook {hook!r}")
    if handler not in _handlers[hook]:
        _handlers[hook].append(handler)
    return handler


def run(hook: str, *args: Any) -> None:
    for handler in _handlers[hook]:
        handler(*args)

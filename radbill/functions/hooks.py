"""Events the kernel announces and domains subscribe to, so radbill/ never imports a domain.

A handler runs inside the caller's transaction: raising FuncError refuses the whole change.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable

EVENTS = (
    "customer_created",   # (call, customer) after insert, before audit
    "customer_changed",   # (call, customer, before: dict) after an update
    "customer_status",    # (call, customer, old_status) after suspend/resume/disable/enable
)

_handlers: dict[str, list[Callable[..., Any]]] = defaultdict(list)


def subscribe(event: str, handler: Callable[..., Any]) -> Callable[..., Any]:
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}")
    if handler not in _handlers[event]:
        _handlers[event].append(handler)
    return handler


def emit(event: str, *args: Any) -> None:
    for handler in _handlers[event]:
        handler(*args)

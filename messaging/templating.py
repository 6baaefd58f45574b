"""Message templates: `{{ variable }}` rendered by Jinja2's sandboxed environment.

A template may use only the documented variables (VARIABLES, the ones its event has: EVENTS),
plain: no attribute or item access (`{{ customer.__class__ }}` is refused when the template is
saved, and the sandbox would refuse it anyway), no calls, loops, includes or macros; `{% if %}`
and a few filters (FILTERS) are allowed. `check()` lists every problem at once; `render()`
renders a checked template with values already formatted for the reader's language.
"""
from __future__ import annotations

from functools import lru_cache

import jinja2
from jinja2 import meta, nodes
from jinja2.sandbox import SandboxedEnvironment

MAX_LENGTH = 4000

# every variable a template may use, with what it holds (shown on the template page)
VARIABLES: dict[str, str] = {
    "name": "the customer's name (or username when it has none)",
    "username": "the customer's login",
    "package": "the customer's package",
    "operator": "the name of the customer's ISP or reseller",
    "operator_phone": "the operator's phone number",
    "currency": "the currency, e.g. BDT",
    "expires": "the date the paid validity ends",
    "amount_due": "what the customer owes now, all open bills together",
    "link": "a payment link for the amount due",
    "portal": "the self-care portal's address",
    "amount": "the payment's (or reversal's) amount",
    "method": "how it was paid (cash, card, online)",
    "receipt": "the money receipt's number, e.g. MR-123",
    "reason": "why (a suspension's or reversal's reason)",
    "bill_total": "the bill's total",
    "due_date": "the day the bill falls due",
    "bill_number": "the bill's number (a package change's bill), as on its invoice",
    "days_left": "days until the due date or the end of validity",
    "new_package": "the package a change moves the customer to",
    "effective_on": "the day a package change takes effect",
    "code": "a one-time code",
    "minutes": "how long a one-time code stays valid",
    "title": "what happened, in a few words (staff alerts)",
    "details": "the alert's details (staff alerts)",
    "password": "the new PPPoE password (only in the sign-up approval)",
    # issue 14, complaints
    "complaint_id": "the complaint's number",
    "subject": "the complaint's subject",
    "status": "the complaint's status",
    "comment": "the staff's public reply (its first 300 characters)",
}
COMMON = ("name", "username", "package", "operator", "operator_phone", "currency", "expires",
          "amount_due", "link", "portal")
# the events that message someone, with the variables each adds to COMMON
EVENTS: dict[str, tuple[str, ...]] = {
    "customer.created": (),
    "customer.suspended": ("reason",),
    "customer.activated": ("reason",),
    "customer.disabled": ("reason",),
    "customer.expiring": ("days_left",),
    "customer.fup_reached": (),
    "bill.created": ("bill_total", "due_date"),
    "bill.due_soon": ("bill_total", "due_date", "days_left"),
    "bill.due": ("bill_total", "due_date"),
    "payment.received": ("amount", "method", "receipt"),
    "payment.reversed": ("amount", "reason"),
    "payment.link_sent": ("amount",),
    "otp": ("code", "minutes"),
    "broadcast": (),
    "alert": ("title", "details"),  # staff: Telegram / e-mail; COMMON is empty there
    # issue 14, package change (package: the customer's package when the notice is made)
    # amount: an upgrade's bill total, bill_number and due_date its bill (empty: no bill)
    "customer.package_changed": ("amount", "new_package", "bill_number", "due_date"),
    "package_change.scheduled": ("new_package", "effective_on", "status"),
    "package_change.refused": ("reason", "new_package"),
    "package_change.cancelled": ("reason", "new_package"),
    # issue 14, sign-up (password: the new PPPoE password, in signup.approved only)
    "signup.approved": ("password",),
    "signup.rejected": ("reason",),
    # issue 14, complaints (compose passes complaint_id, subject, status, comment)
    "complaint.acknowledged": ("complaint_id", "subject", "status"),
    "complaint.commented": ("complaint_id", "subject", "status", "comment"),
    "complaint.resolved": ("complaint_id", "subject", "status"),
}
FILTERS = ("upper", "lower", "title", "capitalize", "trim", "default", "truncate", "replace",
           "length")
ALLOWED_NODES = (nodes.Template, nodes.Output, nodes.TemplateData, nodes.Name, nodes.Const,
                 nodes.If, nodes.Filter, nodes.Concat, nodes.Compare, nodes.Operand, nodes.And,
                 nodes.Or, nodes.Not, nodes.CondExpr, nodes.Keyword)


def variables(event: str) -> tuple[str, ...]:
    if event == "alert":
        return EVENTS["alert"]
    return COMMON + EVENTS.get(event, ())


@lru_cache(maxsize=1)
def environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False,
                               keep_trailing_newline=False)
    env.filters = {k: v for k, v in env.filters.items() if k in FILTERS}
    env.globals = {}
    return env


def check(text: str, event: str) -> list[str]:
    """Every reason `text` cannot be a template of `event` (empty: it can)."""
    if event not in EVENTS:
        return [f"{event!r} is not an event that sends messages "
                f"(one of {', '.join(sorted(EVENTS))})"]
    if len(text) > MAX_LENGTH:
        return [f"is {len(text)} characters long; at most {MAX_LENGTH}"]
    env = environment()
    try:
        tree = env.parse(text)
    except jinja2.TemplateSyntaxError as exc:  # TemplateAssertionError too (an unknown filter)
        return [f"line {exc.lineno}: {exc.message}"]
    problems: list[str] = []
    for node in tree.find_all(nodes.Node):
        if isinstance(node, (nodes.Getattr, nodes.Getitem)):
            problems.append(f"{_source(node)!r}: only plain variables such as {{{{ name }}}} "
                            "may be used, not their attributes")
        elif isinstance(node, nodes.Filter) and node.name not in FILTERS:
            problems.append(f"the filter {node.name!r} is not allowed "
                            f"(allowed: {', '.join(FILTERS)})")
        elif not isinstance(node, ALLOWED_NODES + (nodes.Getattr, nodes.Getitem)):
            problems.append(f"{type(node).__name__.lower()} is not allowed in a message "
                            "template (only variables, if and filters)")
    try:  # compiles the tree: an unknown filter (reported above) would stop it
        unknown = sorted(meta.find_undeclared_variables(tree) - set(variables(event)))
    except jinja2.TemplateError:
        unknown = []
    if unknown:
        problems.append(f"unknown variable{'s' if len(unknown) > 1 else ''} "
                        f"{', '.join(unknown)}; {event} has: {', '.join(variables(event))}")
    return list(dict.fromkeys(problems))


def _source(node: nodes.Node) -> str:
    if isinstance(node, nodes.Getattr):
        return f"{_source(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem):
        return f"{_source(node.node)}[...]"
    if isinstance(node, nodes.Name):
        return node.name
    return type(node).__name__


def variables_in_order(text: str) -> list[str]:
    """The documented variables `text` uses, each once, in the order they first appear."""
    out, before = [], None
    try:
        for _, kind, value in environment().lex(text):
            if kind == "name" and before not in ("pipe", "dot") and value in VARIABLES:
                out.append(value)
            if kind not in ("whitespace",):
                before = kind
    except jinja2.TemplateSyntaxError:
        return []
    return list(dict.fromkeys(out))


@lru_cache(maxsize=512)
def _compiled(text: str) -> jinja2.Template:
    return environment().from_string(text)


def render(text: str, values: dict[str, str]) -> str:
    """`text` with `values`; a variable the event lacks renders empty (never an error at send
    time: the template was checked when saved)."""
    full = {k: "" for k in VARIABLES}
    full.update({k: "" if v is None else str(v) for k, v in values.items()})
    try:
        return _compiled(text).render(full).strip()
    except jinja2.TemplateError as exc:  # a default template edited by hand, a sandbox refusal
        raise ValueError(f"the template cannot be rendered: {exc}") from None

"""The menu each role sees: every registered list function the caller may call, grouped by area.

Functions other domains register later (bill, payment, router.status, olt...) appear on their
own; the NOC never sees money, whatever a function's roles say.
"""
from __future__ import annotations

from dataclasses import dataclass

from radbill.functions.caller import Caller
from radbill.functions.registry import Function, ListResult, load_all
from radbill.models.operators import ROLES as STAFF_ROLES

SECTIONS = (
    ("Customers", ("customer", "zone", "card")),
    ("Billing", ("bill", "payment", "invoice", "journal", "ledger", "expense")),
    ("Network", ("nas", "pool", "router", "router.status", "router.sessions", "session", "olt",
                 "onu", "device")),
    ("Catalog", ("package", "billing_profile")),
    ("Staff", ("operator", "user")),
    ("Logs", ("audit", "authlog")),
)
TITLES = {"nas": "NAS / routers", "pool": "IP pools", "billing_profile": "Billing profiles",
          "authlog": "Authentication log", "audit": "Audit log", "user": "Staff accounts",
          "customer": "Customers", "session": "Sessions", "operator": "Operators",
          "package": "Packages", "zone": "Zones"}
MONEY_WORDS = ("bill", "payment", "invoice", "journal", "ledger", "expense", "fund", "card",
               "price", "balance", "amount", "credit", "commission", "vat", "cash", "total",
               "paid", "due")
# extra pages (not functions) each area shows, with the function the caller must be allowed
EXTRA = {"Customers": (("Import customers", "customers.import_form", "customer.edit"),),
         "Network": (("Device overview", "devices.overview", "device"),),
         "Logs": (("Suspensions", "logs.suspensions", "audit"),
                  ("Login attempts", "logs.logins", "user"))}


@dataclass
class Item:
    title: str
    func: str | None = None
    endpoint: str | None = None


def is_money(name: str) -> bool:
    """Whether a function or column name is about money (hidden from the NOC)."""
    low = name.lower()
    return any(w in low for w in MONEY_WORDS)


def sees_money(caller: Caller) -> bool:
    return caller.role != "noc"


def title(func: str) -> str:
    return TITLES.get(func) or func.replace(".", " ").replace("_", " ").capitalize()


def visible(fn: Function, caller: Caller) -> bool:
    # a function only non-staff may call (the customer portal's) is no staff page, even for root
    staff = fn.roles is None or bool(fn.roles & set(STAFF_ROLES))
    return staff and fn.allowed(caller) and (sees_money(caller) or not is_money(fn.name))


def standalone(fn: Function) -> bool:
    """A list that opens without arguments (router.status needs a router: it is a row link)."""
    return fn.kind == "list" and not any(p.required for p in fn.params)


def menu(caller: Caller) -> list[tuple[str, list[Item]]]:
    registry = load_all()
    placed: set[str] = set()
    out = []
    for section, names in SECTIONS:
        items = []
        for name in names:
            fn = registry.get(name)
            if fn is not None and standalone(fn) and visible(fn, caller):
                items.append(Item(title(name), name))
            placed.add(name)
        for label, endpoint, needs in EXTRA.get(section, ()):
            fn = registry.get(needs)
            if fn is not None and fn.allowed(caller):
                items.append(Item(label, endpoint=endpoint))
        if items:
            out.append((section, items))
    others = [Item(title(n), n) for n, fn in sorted(registry.items())
              if n not in placed and standalone(fn) and visible(fn, caller)]
    if others:
        out.append(("More", others))
    return out


def hide_money(caller: Caller, columns: list[str]) -> list[str]:
    return columns if sees_money(caller) else [c for c in columns if not is_money(c)]


def without_money(result: ListResult) -> ListResult:
    """A list with its money columns dropped, for the NOC (API, print and CSV alike)."""
    columns = [c for c in result.columns if not is_money(c)]
    rows = [{k: v for k, v in r.items() if not is_money(k)} for r in result.rows]
    return ListResult(rows, result.total, result.page, result.per_page, columns)

"""The menu each role sees: every registered list function the caller may call, grouped by area.

Functions other domains register later (bill, payment, router.status, olt...) appear on their
own; what is money is declared on each function (`money=`) and enforced by the registry.
"""
from __future__ import annotations

from dataclasses import dataclass

from radbill.functions.caller import Caller
from radbill.functions.registry import Function, load_all
from radbill.models.operators import ROLES as STAFF_ROLES

from admin import labels

SECTIONS = (
    ("Customers", ("customer", "zone", "card", "custom_field")),
    ("Billing", ("bill", "payment", "invoice", "journal", "ledger")),
    ("Accounts", ("expense_category",)),  # issue 19: the books (their pages in EXTRA)
    ("Network", ("nas", "pool", "walled_garden", "router", "router.status", "router.sessions",
                 "session", "olt", "onu", "device",
                 "check", "incident", "announcement",  # issue 18: status checks
                 "radio", "zabbix", "zabbix_problem", "zabbix_host")),  # issue 18: the NOC
    ("Reports", ()),  # issue 19: filings (their pages in EXTRA)
    ("Catalog", ("package", "billing_profile")),
    ("Staff", ("operator", "user", "permission",  # issue 19: special permissions
               "notice", "provisioning_key",  # issue 19: the reseller tree
               "api_client", "api_request", "webhook", "webhook_delivery")),
    ("Messages", ("message", "template", "msg_gateway", "incoming")),
    ("Complaints", ("complaint", "report.overdue_complaints", "department", "complaint_category")),
    ("Logs", ("audit", "authlog", "event")),
)
# lists that have a page of their own (EXTRA) instead of the generic one in the menu
OWN_PAGE = ("suspension", "report.complaints",
            # issue 19: /books/ pages show them
            "expense", "report.income_expense", "report.yearly", "report.payable",
            "report.reseller_receivable", "statement",
            "topology", "topology_node", "topology_link")  # issue 18: /topology/ draws them
TITLES = labels.TITLES  # one place for titles: admin/labels.py
# extra pages (not functions) each area shows, with the function the caller must be allowed
EXTRA = {"Customers": (("Import customers", "customers.import_form", "customer.edit"),),
         "Billing": (("Collect a payment", "collect.search", "collect.find"),),
         "Network": (("Device overview", "devices.overview", "device"),
                     ("NOC", "noc.dashboard", "zabbix_problem"),
                     ("Topology", "topology.index", "topology")),
         "Accounts": (("Expenses", "books.expenses", "expense"),  # issue 19: the books
                      ("Income vs expense", "books.income_expense", "report.income_expense"),
                      ("Yearly summary", "books.yearly", "report.yearly"),
                      ("Payable and receivable", "books.resellers", "report.payable"),
                      ("Statement", "books.statement", "statement")),
         "Complaints": (("Complaint report", "dashboard.complaint_report", "report.complaints"),),
         "Logs": (("Suspensions", "logs.suspensions", "suspension"),
                  ("Login attempts", "logs.logins", "user"))}
EXTRA["Reports"] = (("VAT report", "filings.vat", "report.vat"),  # issue 19: filings
                    ("Collector cash", "filings.collector_cash", "report.collector_cash"),
                    ("BTRC subscriber report", "filings.btrc", "report.btrc"),
                    ("Approvals", "filings.approvals", "approval"))
OWN_PAGE += ("report.vat", "report.collector_cash", "report.btrc", "approval")


@dataclass
class Item:
    title: str
    func: str | None = None
    endpoint: str | None = None


def title(func: str) -> str:
    return labels.title(func)


def visible(fn: Function, caller: Caller) -> bool:
    # a function only non-staff may call (the customer portal's) is no staff page, even for root
    staff = fn.roles is None or bool(fn.roles & set(STAFF_ROLES))
    return staff and fn.permits(caller)


def standalone(fn: Function) -> bool:
    """A list that opens without arguments (router.status needs a router: it is a row link)."""
    return fn.kind == "list" and not any(p.required for p in fn.params)


def menu(caller: Caller) -> list[tuple[str, list[Item]]]:
    registry = load_all()
    placed: set[str] = set(OWN_PAGE)
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
            if fn is not None and fn.permits(caller):
                items.append(Item(label, endpoint=endpoint))
        if items:
            out.append((section, items))
    others = [Item(title(n), n) for n, fn in sorted(registry.items())
              if n not in placed and standalone(fn) and visible(fn, caller)]
    if others:
        out.append(("More", others))
    return out

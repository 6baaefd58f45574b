"""bill, bill.edit, bill.delete, bill.preview, bill.generate, bill.pdf."""
from __future__ import annotations

import sqlalchemy as sa

from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.crud import Entity, in_subtree
from radbill.functions.registry import (Call, FileResult, FormResult, NotFound, OkResult,
                                        Param, function)
from radbill.functions.roles import MONEY_STAFF, RESELLERS
from radbill.models import Bill, Customer, Operator
from rating import billing_run, bills, invoice
from rating.functions.common import customer, day, money, optional_day, parse_day
from rating.terms import terms_of


class Bills(Entity):
    name = "bill"
    money = True
    model = Bill
    label = "id"
    columns = ["id", "customer", "operator_id", "kind", "period_start", "service_from",
               "service_to", "issued_on", "due_date", "subtotal", "discount", "vat", "total",
               "paid", "status"]
    filters = {"customer": "customer_id", "status": "status", "kind": "kind",
               "operator": "operator_id", "period": "period_start", "from": "issued_on",
               "to": "issued_on"}
    list_roles = MONEY_STAFF
    edit_roles = RESELLERS
    default_sort = "-id"

    def visible(self, call: Call, stmt: sa.Select) -> sa.Select:
        stmt = stmt.where(in_subtree(call, Bill.operator_id))
        if call.caller.role == "manager":
            stmt = stmt.where(Bill.customer_id.in_(sa.select(Customer.id).where(
                Customer.manager_id == call.caller.user_id)))
        return stmt

    def find(self, call: Call, ref: str, field: str = "elid", lock: bool = False) -> Bill:
        if not F.is_id(ref, Bill.id):
            raise NotFound(f"no bill {F.short(str(ref))!r}", field=field)
        stmt = self.visible(call, sa.select(Bill).where(Bill.id == F.as_id(ref, Bill.id)))
        obj = call.session.scalars(stmt.with_for_update() if lock else stmt).first()
        if obj is None:
            raise NotFound(f"no bill {ref!r}", field=field)
        return obj

    def filter(self, stmt, param, column, value):
        if param == "customer" and not F.is_id(value):
            return stmt.where(Bill.customer_id.in_(sa.select(Customer.id).where(
                sa.func.lower(Customer.username) == value.lower())))
        if param in ("from", "to"):
            when = parse_day(value, param)
            return stmt.where(Bill.issued_on >= when if param == "from" else Bill.issued_on <= when)
        return super().filter(stmt, param, column, value)

    def row(self, obj: Bill) -> dict:
        row = {c: audit.jsonable(getattr(obj, c)) for c in self.columns if c != "customer"}
        row["customer"] = obj_username(obj)
        row["due"] = str(obj.total - obj.paid)
        return row

    def remove(self, call: Call, obj: Bill) -> None:
        bills.remove_bill(call.session, obj)


def obj_username(bill: Bill) -> str | None:
    from sqlalchemy.orm import object_session
    return object_session(bill).scalar(sa.select(Customer.username)
                                       .where(Customer.id == bill.customer_id))


ENTITY = Bills()
function("bill", money=True, kind="list", roles=MONEY_STAFF,
         params=(Param("page"), Param("per_page"), Param("sort"))
         + tuple(Param(k, "filter") for k in Bills.filters))(ENTITY.list)
function("bill.delete", money=True, roles=RESELLERS,
         params=(Param("elid", "bill ids, comma-separated; only unpaid bills", multi=True),))(ENTITY.delete)


@function("bill.edit", money=True, kind="form", roles=RESELLERS,
          params=(Param("elid", "bill id"), Param("customer", "id or username (new bill)"),
                  Param("date", "bill the period containing this day (default today)"),
                  Param("description", "a one-off charge instead of the period"),
                  Param("amount"), Param("due_date"), Param("note")))
def edit(call: Call):
    """Open a bill; create the period bill or a one-off charge for a customer; set due date/note."""
    if call.elid:
        bill = ENTITY.find(call, call.elid, lock=call.sok)
        if not call.sok:
            return FormResult(bill.id, {**ENTITY.row(bill), "note": bill.note, "lines": [
                {"description": l.description, "amount": str(l.amount)} for l in bill.lines]})
        before = audit.snapshot(bill)
        bill.due_date = optional_day(call, "due_date") or bill.due_date
        if call.get("note") is not None:
            bill.note = F.parse_one("note", F.text(500), call.get("note").strip()) or None
        call.session.flush()
        audit.record(call, "bill", bill.id, str(bill.id), before, audit.snapshot(bill),
                     bill.operator_id)
        return OkResult(bill.id)
    if not call.sok:
        return preview(call) if call.get("customer") else FormResult(None, {})
    cust = customer(call, lock=True)
    if call.get("description"):
        description = F.parse_one("description", F.text(200), call.get("description").strip())
        bill = bills.manual_bill(call.session, cust, description, money(call),
                                 optional_day(call, "due_date"), day(call))
    else:
        bill = bills.issue_period_bill(call.session, cust, day(call))
    audit.record(call, "bill", bill.id, str(bill.id), None, audit.snapshot(bill), bill.operator_id)
    return OkResult(bill.id, {"total": str(bill.total)})


@function("bill.preview", money=True, kind="form", roles=MONEY_STAFF,
          params=(Param("customer", "id or username", True), Param("date")))
def preview(call: Call) -> FormResult:
    """The invoice a customer would get now, computed without writing anything."""
    cust = customer(call)
    on = day(call)
    quote, (start, service_from, end) = bills.quote(call.session, cust, on)
    t = terms_of(call.session, cust)
    return FormResult(None, {"customer": cust.username, "package": t.package.name,
                             "package_price": str(t.price), "term": t.term,
                             "period_start": start,
                             "service_from": service_from, "service_to": end,
                             "due_date": service_from, **quote.as_dict()})


@function("bill.generate", money=True, roles=RESELLERS,
          params=(Param("date", "the billing day (default today)"),
                  Param("operator", "only this operator's subtree"),
                  Param("customer", "only these customers (ids, comma-separated)", multi=True),
                  Param("all", "on: include profiles with auto-bill off")))
def generate(call: Call) -> OkResult:
    """Bill every eligible customer for the current period; running it again bills nobody twice."""
    from radbill.functions.crud import resolve_operator
    path = call.caller.operator_path
    if call.get("operator"):
        path = resolve_operator(call, call.get("operator")).path
    ids = None
    if call.get("customer"):
        ids = [customer(call, ref=r.strip()).id
               for r in call.get("customer").split(",") if r.strip()]
    result = billing_run.generate(call.session, day(call), operator_path=path, customer_ids=ids,
                                  auto_only=call.get("all") not in ("on", "yes", "1"))
    refused = [r.as_dict() for r in result.refused]  # renewals their reseller cannot pay for
    audit.record(call, "bill", None, "bulk", None,
                 {"bills": result.bills, "total": str(result.total), "refused": len(refused)})
    return OkResult(None, {"bills": result.bills, "total": str(result.total),
                           "auto_debited": result.auto_debited, "refused": refused})


@function("bill.pdf", money=True, changes=False, roles=MONEY_STAFF, params=(Param("elid", "bill id", True),))
def pdf(call: Call) -> FileResult:
    """The bill as a PDF invoice."""
    bill = ENTITY.find(call, call.elid or "")
    cust = call.session.get(Customer, bill.customer_id)
    data = invoice.render(bill, cust, call.session.get(Operator, bill.operator_id))
    return FileResult(f"invoice-{bill.id}.pdf", "application/pdf", data)

"""bill, bill.edit, bill.delete, bill.preview, bill.generate, bill.pdf."""
from __future__ import annotations

import sqlalchemy as sa

from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.crud import Entity, in_subtree
from radbill.functions.registry import (Call, FileResult, FormResult, FuncError, NotFound,
                                        OkResult, Param, function)
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
                             "due_date": bills.due_date(call.session, cust, on, service_from)
                             if start is not None else None, **quote.as_dict()})


# A run is large when it makes more than LARGE_BILLS bills, or more than LARGE_SHARE of the
# customers in its scope (and over SMALL_RUN bills: a handful needs no count typed in); a large
# run needs confirm=<the number of bills its preview showed> (issue 12: one blind click billed
# 1,813 of 2,000 customers)
LARGE_BILLS = 100
LARGE_SHARE = 0.10
SMALL_RUN = 10


def large(bills_made: int, in_scope: int) -> bool:
    return bills_made > LARGE_BILLS or (bills_made > SMALL_RUN
                                        and bills_made > LARGE_SHARE * in_scope)


@function("bill.generate", money=True, kind="form", roles=RESELLERS,
          params=(Param("date", "the billing day (default today)"),
                  Param("operator", "only this operator's subtree"),
                  Param("customer", "only these customers (ids, comma-separated)", multi=True),
                  Param("all", "on: include profiles with auto-bill off"),
                  Param("confirm", "for a large run: the number of bills the preview showed")))
def generate(call: Call):
    """Bill every eligible customer for the current period; running it again bills nobody twice.
    Without sok=ok it shows what the run would do (bills, total, who would become overdue and
    from when) and writes nothing; a large run also needs confirm=<that number of bills>."""
    from radbill.functions.crud import resolve_operator
    path = call.caller.operator_path
    if call.get("operator"):
        path = resolve_operator(call, call.get("operator")).path
    ids = None
    if call.get("customer"):
        ids = [customer(call, ref=r.strip()).id
               for r in call.get("customer").split(",") if r.strip()]
    on = day(call)
    auto_only = call.get("all") not in ("on", "yes", "1")
    confirm = None
    if call.get("confirm") not in (None, ""):
        confirm = F.parse_one("confirm", F.integer(0), call.get("confirm"))
    if not call.sok:
        return impact_form(call, billing_run.preview(call.session, on, operator_path=path,
                                                     customer_ids=ids, auto_only=auto_only))
    result = billing_run.generate(call.session, on, operator_path=path, customer_ids=ids,
                                  auto_only=auto_only)
    scope = billing_run.in_scope(call.session, path, ids)
    if large(result.bills, scope) and confirm != result.bills:
        # the refusal rolls the run back (registry.call's savepoint): nothing is billed
        said = (f"confirm={confirm} does not match: " if confirm is not None
                else "a large run needs confirm: ")
        raise FuncError(f"{said}this run makes {result.bills} bills for {result.total} "
                        f"({result.bills} of the {scope} customers in scope); look at its preview "
                        f"(without sok=ok), then send confirm={result.bills}", field="confirm")
    refused = [r.as_dict() for r in result.refused]  # renewals their reseller cannot pay for
    audit.record(call, "bill", None, "bulk", None,
                 {"bills": result.bills, "total": str(result.total), "refused": len(refused)})
    return OkResult(None, {"bills": result.bills, "total": str(result.total),
                           "auto_debited": result.auto_debited, "refused": refused})


def impact_form(call: Call, impact: billing_run.Impact) -> FormResult:
    """The preview as the form's values: the parameters given (so OK runs the same run; never
    confirm, which must be typed), then what the run would do."""
    run = impact.run
    given = {k: call.get(k) for k in ("operator", "customer", "all") if call.get(k)}
    overdue = "; ".join(f"{n} from {since}" for since, n in impact.overdue[:12])
    if len(impact.overdue) > 12:
        overdue += f"; {sum(n for _, n in impact.overdue[12:])} later"
    values = {"date": impact.on.isoformat(), **given,
              "bills": run.bills, "total": str(run.total), "customers_in_scope": impact.in_scope,
              "paid_from_advance": run.auto_debited, "refused": len(run.refused),
              "overdue_customers": impact.overdue_customers,
              "overdue_from": impact.overdue[0][0] if impact.overdue else None,
              "overdue_on_run_day": impact.overdue_at_once,
              "overdue_by_day": overdue or "none",
              "confirm_needed": large(run.bills, impact.in_scope)}
    if values["confirm_needed"]:
        values["to_run"] = f"type {run.bills} in confirm, then OK"
    return FormResult(None, values)


@function("bill.pdf", money=True, changes=False, roles=MONEY_STAFF, params=(Param("elid", "bill id", True),))
def pdf(call: Call) -> FileResult:
    """The bill as a PDF invoice."""
    bill = ENTITY.find(call, call.elid or "")
    cust = call.session.get(Customer, bill.customer_id)
    data = invoice.render(bill, cust, call.session.get(Operator, bill.operator_id))
    return FileResult(f"invoice-{bill.id}.pdf", "application/pdf", data)

"""expense, expense.edit, expense.delete, expense.receipt: what an operator spends, booked in
its ledger (issue 19); the categories are rating/functions/expense_categories.py.

An expense belongs to an operator inside the caller's subtree and uses a category offered to
that operator. Booking, re-booking and reversal are rating/books.py's; the expense row stays
for ever (expense.delete reverses it).
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import os
import re
import secrets
from pathlib import Path

import sqlalchemy as sa

from radbill import events, settings
from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.crud import in_subtree, paged, resolve_operator
from radbill.functions.registry import (Call, FileResult, FormResult, FuncError, NotFound,
                                        OkResult, Param, function)
from radbill.models import Operator
from radbill.models.books import PAID_FROM, Expense, ExpenseCategory
from rating import books
from rating.functions.common import optional_day
from rating.functions.expense_categories import BOOKKEEPERS, category_for
from rating.terms import today

MAX_RECEIPT = 4 * 1024 * 1024
RECEIPT_TYPES = (("image/png", b"\x89PNG\r\n\x1a\n", ".png"), ("image/jpeg", b"\xff\xd8\xff", ".jpg"),
                 ("application/pdf", b"%PDF-", ".pdf"))


# -- expenses --------------------------------------------------------------------------------
def past_day(raw: str) -> dt.date:
    value = F.day(raw)
    if value > today():
        raise ValueError(f"must not be after today ({today().isoformat()})")
    return value


FIELDS = [F.Field("category", F.text(100), required=True, clearable=False,
                  help="the expense category (id or name)"),
          F.Field("amount", F.amount("0.01"), required=True, clearable=False,
                  help="how much was spent"),
          F.Field("date", past_day, clearable=False,
                  help="the day it was spent (the ISP's day; default today)"),
          F.Field("paid_from", F.choice(*PAID_FROM), clearable=False, help="cash or bank"),
          F.Field("note", F.text(500), help="what it was for")]
RECEIPT_PARAMS = (Param("receipt", "a receipt: PNG, JPEG or PDF up to 4 MB, base64-encoded"),
                  Param("receipt_name", "the receipt file's name, for display"))
COLUMNS = ["id", "spent_on", "category", "amount", "paid_from", "note", "operator", "status",
           "receipt", "created_by", "created_at", "transaction_id"]
REBOOKED = ("amount", "spent_on", "paid_from")


def find(call: Call, ref: str | None, lock: bool = False) -> Expense:
    ident = F.as_id(ref, Expense.id) if ref else None
    stmt = sa.select(Expense).where(Expense.id == ident, in_subtree(call, Expense.operator_id))
    e = call.session.scalars(stmt.with_for_update() if lock else stmt).first() \
        if ident is not None else None
    if e is None:
        raise NotFound(f"no expense {F.short(str(ref or ''))!r}", field="elid")
    return e


def read_receipt(call: Call) -> tuple[bytes, str, str] | None:
    """The uploaded receipt (bytes, type, extension), checked by size and magic bytes."""
    raw = (call.get("receipt") or "").strip()
    if not raw:
        return None
    if len(raw) > (MAX_RECEIPT * 4) // 3 + 8:
        raise FuncError("is larger than 4 MB", field="receipt")
    try:
        data = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise FuncError("is not base64-encoded data", field="receipt") from None
    if len(data) > MAX_RECEIPT:
        raise FuncError("is larger than 4 MB", field="receipt")
    for kind, magic, ext in RECEIPT_TYPES:
        if data.startswith(magic):
            return data, kind, ext
    raise FuncError("is not a PNG, JPEG or PDF file", field="receipt")


def storage() -> Path:
    return Path(settings.get().var_dir) / "expenses"


def store_receipt(e: Expense, receipt: tuple[bytes, str, str], name: str) -> None:
    """Write the file under a name we make (never the uploader's) and point the row at it."""
    data, kind, ext = receipt
    folder = storage()
    folder.mkdir(parents=True, exist_ok=True)
    stored = secrets.token_hex(16) + ext
    fd = os.open(folder / stored, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    shown = re.sub(r"[^\w.() -]", "_", re.split(r"[\\/]", name or "")[-1]).strip(" .")[:100]
    e.receipt_file, e.receipt_type, e.receipt_size = stored, kind, len(data)
    e.receipt_name = shown or f"receipt{ext}"


def form_values(e: Expense | None, call: Call) -> dict:
    if e is None:
        return {"date": today().isoformat(), "paid_from": "cash", "operator": None}
    return {"category": books.category_names(call.session, [e.category_id]).get(e.category_id),
            "amount": str(e.amount), "date": e.spent_on.isoformat(), "paid_from": e.paid_from,
            "note": e.note, "status": e.status, "receipt_name": e.receipt_name,
            "operator": call.session.get(Operator, e.operator_id).name}


@function("expense.edit", money=True, kind="form", roles=BOOKKEEPERS, params=(
    Param("elid", "the expense's id"), *(f.param() for f in FIELDS), *RECEIPT_PARAMS,
    Param("operator", "whose expense (id or name); default: yours")))
def edit(call: Call) -> FormResult | OkResult:
    """Record an expense (or change one: a new amount, day or source re-books it)."""
    e = find(call, call.elid, lock=call.sok) if call.elid else None
    if not call.sok:
        return FormResult(e.id if e else None, form_values(e, call))
    caught: list[FuncError] = []
    values: dict = {}
    try:
        values = F.parse_fields(FIELDS, call.params, creating=e is None)
    except FuncError as exc:
        caught.append(exc)
    receipt = name = None
    try:
        receipt = read_receipt(call)
        name = F.parse_one("receipt_name", F.text(300), call.get("receipt_name") or "")
    except FuncError as exc:
        caught.append(exc)
    op = category = None
    try:
        op = owner(call, e)
    except FuncError as exc:
        caught.append(exc)
    if op is not None and (call.get("category") or "").strip():
        try:
            category = category_for(call, call.get("category"), op)
        except FuncError as exc:
            caught.append(exc)
    if len(caught) == 1:
        raise caught[0]  # as it was: a category another reseller owns is not found (404)
    if caught:  # every bad field at once
        raise FuncError(errors={k: v for exc in caught for k, v in exc.errors.items()})
    if e is not None and e.status != "booked":
        raise FuncError("this expense was reversed; record a new one", field="elid")
    return OkResult(save(call, e, op, category, values, receipt, name).id)


def owner(call: Call, e: Expense | None) -> Operator:
    """The expense's operator: for a new one `operator` (default the caller's); an expense
    never moves to another."""
    if e is None:
        return resolve_operator(call, call.get("operator"))
    op = call.session.get(Operator, e.operator_id)
    if call.get("operator") and resolve_operator(call, call.get("operator")).id != op.id:
        raise FuncError("an expense stays with its operator; reverse it and record another",
                        field="operator")
    return op


def save(call: Call, e: Expense | None, op: Operator, category: ExpenseCategory | None,
         values: dict, receipt, receipt_name) -> Expense:
    creating = e is None
    before = None if creating else audit.snapshot(e)
    if creating:
        e = Expense(operator_id=op.id, spent_on=today(), paid_from="cash",
                    created_by=call.caller.login)
    booked = None if creating else (e.amount, e.spent_on, e.paid_from)
    if category is not None:
        e.category_id = category.id
    for key, column in (("amount", "amount"), ("date", "spent_on"), ("paid_from", "paid_from"),
                        ("note", "note")):
        if key in values:
            setattr(e, column, values[key])
    e.updated_at = sa.func.now()
    if creating:
        call.session.add(e)
    call.session.flush()
    call.session.refresh(e, ["updated_at"])
    label = books.category_names(call.session, [e.category_id])[e.category_id]
    rebooked = not creating and booked != (e.amount, e.spent_on, e.paid_from)
    if rebooked:
        books.unbook(call.session, e, "changed")
    if creating or rebooked:
        e.transaction_id = books.book(call.session, e, label)
    if receipt is not None:
        store_receipt(e, receipt, receipt_name)
    call.session.flush()
    audit.record(call, "expense", e.id, f"{label} {e.amount}", before, audit.snapshot(e),
                 e.operator_id)
    payload = dict(expense_id=e.id, amount=e.amount, category=label, spent_on=e.spent_on,
                   paid_from=e.paid_from)
    if creating:
        events.emit(call.session, "expense.recorded", operator_id=e.operator_id,
                    actor=call.caller.login, func=call.func, **payload)
    else:
        events.emit(call.session, "expense.changed", operator_id=e.operator_id,
                    actor=call.caller.login, func=call.func, rebooked=rebooked, **payload)
    return e


@function("expense.delete", money=True, roles=BOOKKEEPERS, params=(
    Param("elid", "expense ids, comma-separated", True, multi=True),
    Param("reason", "why it is taken back")))
def delete(call: Call) -> OkResult:
    """Take expenses back: each is reversed in the ledger and kept, marked reversed."""
    reason = F.parse_one("reason", F.text(200), (call.get("reason") or "").strip()) or None
    refs = [r.strip() for r in (call.elid or "").split(",") if r.strip()]
    if not refs:
        raise FuncError("is required", field="elid")
    for ref in refs:
        e = find(call, ref, lock=True)
        if e.status == "reversed":
            continue
        before = audit.snapshot(e)
        e.reversal_id = books.unbook(call.session, e, reason or "removed")
        e.status, e.reversed_at, e.reverse_reason = "reversed", sa.func.now(), reason
        e.updated_at = sa.func.now()
        call.session.flush()
        audit.record(call, "expense", e.id, f"expense {e.id}", before, audit.snapshot(e),
                     e.operator_id)
        events.emit(call.session, "expense.reversed", operator_id=e.operator_id,
                    actor=call.caller.login, func=call.func, expense_id=e.id, amount=e.amount,
                    reason=reason)
    return OkResult()


def _filters(call: Call, stmt: sa.Select) -> sa.Select:
    start, end = optional_day(call, "from"), optional_day(call, "to")
    if start:
        stmt = stmt.where(Expense.spent_on >= start)
    if end:
        stmt = stmt.where(Expense.spent_on <= end)
    if call.get("category"):
        c = category_for(call, call.get("category"))
        stmt = stmt.where(Expense.category_id.in_(sa.select(ExpenseCategory.id).where(
            sa.or_(ExpenseCategory.id == c.id, ExpenseCategory.parent_id == c.id))))
    if call.get("operator"):
        path = resolve_operator(call, call.get("operator")).path
        stmt = stmt.where(Expense.operator_id.in_(sa.select(Operator.id).where(
            Operator.path.startswith(path, autoescape=True))))
    status = (call.get("status") or "").strip()
    if status:
        stmt = stmt.where(Expense.status == F.parse_one(
            "status", F.choice("booked", "reversed"), status))
    if (q := (call.get("q") or "").strip()):
        stmt = stmt.where(Expense.note.ilike("%" + F.parse_one("q", F.text(100), q)
                                             .replace("\\", "\\\\").replace("%", "\\%")
                                             .replace("_", "\\_") + "%"))
    return stmt


@function("expense", money=True, kind="list", roles=BOOKKEEPERS, params=(
    Param("from", "first day"), Param("to", "last day"),
    Param("category", "a category (its subcategories too)"),
    Param("operator", "whose (and those below it)"), Param("status", "booked or reversed"),
    Param("q", "search in the notes"), Param("page"), Param("per_page")))
def expenses(call: Call):
    """Expenses in the caller's subtree, newest day first."""
    stmt = _filters(call, sa.select(Expense, Operator.name).join(
        Operator, Operator.id == Expense.operator_id).where(in_subtree(call, Expense.operator_id)))
    result = paged(call, stmt, COLUMNS, lambda e, name: row(e, name),
                   Expense.spent_on.desc(), Expense.id.desc())
    names = books.category_names(call.session, [r["category"] for r in result.rows])
    for r in result.rows:
        r["category"] = names.get(r["category"], r["category"])
    return result


def row(e: Expense, operator: str) -> dict:
    return {"id": e.id, "spent_on": e.spent_on.isoformat(), "category": e.category_id,
            "amount": str(e.amount), "paid_from": e.paid_from, "note": e.note,
            "operator": operator, "status": e.status, "receipt": e.receipt_name,
            "created_by": e.created_by, "created_at": audit.jsonable(e.created_at),
            "transaction_id": e.transaction_id}


@function("expense.receipt", money=True, kind="file", roles=BOOKKEEPERS,
          params=(Param("elid", "the expense's id", True),))
def receipt_file(call: Call) -> FileResult:
    """An expense's receipt (image or PDF)."""
    e = find(call, call.elid)
    if not e.receipt_file:
        raise NotFound("this expense has no receipt", field="elid")
    try:
        data = (storage() / e.receipt_file).read_bytes()
    except OSError:
        raise NotFound("the file is missing from the server", field="elid") from None
    return FileResult(e.receipt_name or e.receipt_file, e.receipt_type, data)


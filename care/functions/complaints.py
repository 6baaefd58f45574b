"""The complaint desk: departments, categories routed to them with a response target, complaints
with their status, assignee, comments (internal or public), image attachments and costs, and
report.complaints.

Complaints are scoped like customers (the operator subtree; a manager only their customers'); a
NOC login sees technical categories only. Status moves one step at a time: open ->
acknowledged -> in_progress -> resolved -> closed; a resolved or closed one may be reopened.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import os
import re
import secrets
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from radbill import events, settings
from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.crud import (Entity, in_subtree, may_manage, paged, resolve_operator,
                                    usable)
from radbill.functions.registry import (AccessDenied, Call, FileResult, FormResult, FuncError,
                                        ListResult, NotFound, OkResult, Param, function)
from radbill.functions.roles import CUSTOMER_VIEWERS, RESELLERS
from radbill.models import Customer, Operator, StaffUser
from radbill.money import ZERO
from radbill.models.selfcare import (COMPLAINT_STATUSES, PRIORITIES, Complaint,
                                     ComplaintAttachment, ComplaintCategory, ComplaintComment,
                                     ComplaintCost, Department)

DESK = CUSTOMER_VIEWERS  # who works complaints
# the next status each status may move to (reopen: resolved/closed -> open)
NEXT = {"open": ("acknowledged",), "acknowledged": ("in_progress",),
        "in_progress": ("resolved",), "resolved": ("closed", "open"), "closed": ("open",)}
MAX_ATTACHMENT = 2 * 1024 * 1024
IMAGE_TYPES = (("image/png", b"\x89PNG\r\n\x1a\n"), ("image/jpeg", b"\xff\xd8\xff"))
SUBJECT = F.text(200)
BODY = F.text(4000)


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


# -- departments and categories ----------------------------------------------------------------
class Departments(Entity):
    name = "department"
    model = Department
    fields = [F.Field("name", F.text(100), required=True, help="the department's name")]
    columns = ["id", "name", "operator_id"]
    search = ["name"]
    list_roles = DESK
    edit_roles = RESELLERS
    default_sort = "name"
    money = False

    def visible(self, call, stmt):
        return stmt.where(usable(call, Department.operator_id))

    def editable(self, call, obj):
        return may_manage(call, obj.operator_id)

    def apply(self, call, obj, values, creating):
        if creating:
            obj.operator_id = resolve_operator(call, None).id
        super().apply(call, obj, values, creating)


DEPARTMENTS = Departments().register()


def department_ref(call: Call, raw: str) -> int:
    return DEPARTMENTS.find(call, raw, field="department").id


class Categories(Entity):
    name = "complaint_category"
    model = ComplaintCategory
    fields = [F.Field("name", F.text(100), required=True, help="what the complaint is about"),
              F.Field("department", F.text(100), required=True, help="the department it goes to"),
              F.Field("target_hours", F.integer(1, 8760), clearable=False,
                      help="hours to resolve (1-8760, default 24)"),
              F.Field("technical", F.boolean, clearable=False, help="a NOC login sees it"),
              F.Field("portal", F.boolean, clearable=False, help="customers may choose it")]
    columns = ["id", "name", "department", "target_hours", "technical", "portal"]
    search = ["name"]
    filters = {"department": "department_id"}
    list_roles = DESK
    edit_roles = RESELLERS
    default_sort = "name"
    money = False

    def visible(self, call, stmt):
        stmt = stmt.where(usable(call, ComplaintCategory.operator_id))
        if call.caller.role == "noc":
            stmt = stmt.where(ComplaintCategory.technical.is_(True))
        return stmt

    def editable(self, call, obj):
        return may_manage(call, obj.operator_id)

    def row(self, obj):
        out = {c: audit.jsonable(getattr(obj, c)) for c in self.columns if c != "department"}
        out["department"] = obj.department_id  # named in list()
        return out

    def list(self, call):
        result = super().list(call)
        ids = {r["department"] for r in result.rows}
        names = dict(call.session.execute(sa.select(Department.id, Department.name)
                                          .where(Department.id.in_(ids))).all()) if ids else {}
        for r in result.rows:
            r["department"] = names.get(r["department"], r["department"])
        return result

    def apply(self, call, obj, values, creating):
        if "department" in values:
            values["department_id"] = department_ref(call, values.pop("department"))
        if creating:
            obj.operator_id = resolve_operator(call, None).id
        super().apply(call, obj, values, creating)


CATEGORIES = Categories().register()


# -- complaints ----------------------------------------------------------------------------------
def scope(call: Call, stmt: sa.Select) -> sa.Select:
    """The complaints the caller may see: the operator subtree, a manager's customers, a NOC
    login's technical categories."""
    stmt = stmt.where(in_subtree(call, Complaint.operator_id))
    if call.caller.role == "manager":
        stmt = stmt.where(Complaint.customer_id.in_(sa.select(Customer.id).where(
            Customer.manager_id == call.caller.user_id)))
    if call.caller.role == "noc":
        stmt = stmt.where(Complaint.category_id.in_(sa.select(ComplaintCategory.id).where(
            ComplaintCategory.technical.is_(True))))
    return stmt


def find(call: Call, ref: str | None, field: str = "elid", lock: bool = False) -> Complaint:
    ident = F.as_id(ref, Complaint.id)
    if ident is None:
        raise FuncError("is required" if ref in (None, "") else "is not a complaint number",
                        field=field)
    stmt = scope(call, sa.select(Complaint).where(Complaint.id == ident))
    if lock:
        stmt = stmt.with_for_update()
    obj = call.session.scalars(stmt).first()
    if obj is None:
        raise NotFound(f"no complaint {ident}", field=field)
    return obj


# "deadline" and "late", not due_at/overdue: words about money (tests/admin/test_rules.py)
LIST_COLUMNS = ["id", "subject", "customer", "category", "department", "status", "priority",
                "assignee", "created_at", "deadline", "late"]


def overdue_condition(at: dt.datetime):
    return sa.and_(Complaint.due_at < at, Complaint.status.in_(("open", "acknowledged",
                                                                "in_progress")))


@function("complaint", kind="list", roles=DESK, money=False, params=(
    Param("q", "search: subject, customer's username or name, complaint number"),
    Param("archive", "1: the closed ones"), Param("status", "filter"),
    Param("department", "filter"), Param("category", "filter"), Param("assignee", "filter"),
    Param("priority", "filter"), Param("late", "1: past its deadline, not resolved"),
    Param("customer", "filter"), Param("page"), Param("per_page")))
def complaints(call: Call) -> ListResult:
    """Complaints: the working list (not closed), or the archive (archive=1 or status=closed)."""
    errors = {}
    status = call.get("status") or ""
    if status and status not in COMPLAINT_STATUSES:
        errors["status"] = f"is not one of {', '.join(COMPLAINT_STATUSES)}"
    priority = call.get("priority") or ""
    if priority and priority not in PRIORITIES:
        errors["priority"] = f"is not one of {', '.join(PRIORITIES)}"
    flags = {}
    for name in ("archive", "late"):
        raw = call.get(name) or ""
        try:
            flags[name] = F.boolean(raw) if raw.strip() else False
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        raise FuncError(errors=errors)
    stmt = (sa.select(Complaint, Customer.username, ComplaintCategory.name, Department.name,
                      StaffUser.login)
            .join(Customer, Customer.id == Complaint.customer_id)
            .join(ComplaintCategory, ComplaintCategory.id == Complaint.category_id)
            .join(Department, Department.id == Complaint.department_id)
            .outerjoin(StaffUser, StaffUser.id == Complaint.assignee_id))
    stmt = scope(call, stmt)
    if status:
        stmt = stmt.where(Complaint.status == status)
    elif flags["archive"]:
        stmt = stmt.where(Complaint.status == "closed")
    else:
        stmt = stmt.where(Complaint.status != "closed")
    if priority:
        stmt = stmt.where(Complaint.priority == priority)
    if flags["late"]:
        stmt = stmt.where(overdue_condition(now()))
    for param, col, name_col in (("department", Complaint.department_id, Department.name),
                                 ("category", Complaint.category_id, ComplaintCategory.name),
                                 ("assignee", Complaint.assignee_id, StaffUser.login),
                                 ("customer", Complaint.customer_id, Customer.username)):
        raw = (call.get(param) or "").strip()
        if raw:
            ident = F.as_id(raw)
            stmt = stmt.where(col == ident if ident is not None
                              else sa.func.lower(name_col) == raw.lower())
    q = (call.get("q") or "").strip()
    if q:
        like = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conds = [sa.func.lower(Complaint.subject).like(like),
                 sa.func.lower(Customer.username).like(like),
                 sa.func.lower(sa.func.coalesce(Customer.name, "")).like(like)]
        if (ident := F.as_id(q.lstrip("#"), Complaint.id)) is not None:
            conds.append(Complaint.id == ident)
        stmt = stmt.where(sa.or_(*conds))
    at = now()

    def row(c, username, category, department, assignee):
        return {"id": c.id, "subject": c.subject, "customer": username, "category": category,
                "department": department, "status": c.status, "priority": c.priority,
                "assignee": assignee, "created_at": audit.jsonable(c.created_at),
                "deadline": audit.jsonable(c.due_at),
                "late": c.due_at < at and c.status in ("open", "acknowledged", "in_progress")}
    return paged(call, stmt, LIST_COLUMNS, row, Complaint.id.desc())


def customer_ref(call: Call, raw: str) -> Customer:
    from customers.functions.customers import ENTITY as CUSTOMERS
    try:
        return CUSTOMERS.find(call, raw, field="customer")
    except AccessDenied:
        raise NotFound(f"no customer {F.short(raw)!r}", field="customer") from None


def offered_to(path: str | None, operator_col):
    """Categories the customers of the operator at `path` may use: its own and its ancestors'
    (not those of resellers below it)."""
    chain = [int(x) for x in (path or "").strip("/").split("/") if x]
    return operator_col.in_(chain)


def category_for(session, customer: Customer, raw: str, *, caller_role: str | None = None,
                 portal: bool = False) -> ComplaintCategory:
    """The category `raw` (id or name) offered to the customer's operator."""
    path = session.scalar(sa.select(Operator.path).where(Operator.id == customer.operator_id))
    stmt = sa.select(ComplaintCategory).where(offered_to(path, ComplaintCategory.operator_id))
    ident = F.as_id(raw)
    stmt = stmt.where(ComplaintCategory.id == ident if ident is not None
                      else sa.func.lower(ComplaintCategory.name) == raw.strip().lower())
    if portal:
        stmt = stmt.where(ComplaintCategory.portal.is_(True))
    if caller_role == "noc":
        stmt = stmt.where(ComplaintCategory.technical.is_(True))
    cat = session.scalars(stmt.order_by(ComplaintCategory.id)).first()
    if cat is None:
        raise FuncError(f"no category {F.short(raw)!r} for this customer", field="category")
    return cat


def open_complaint(call: Call, customer: Customer, category: ComplaintCategory, subject: str,
                   message: str, priority: str, source: str) -> Complaint:
    """Write a new complaint with its first comment, audit and announce it."""
    at = now()
    c = Complaint(operator_id=customer.operator_id, customer_id=customer.id,
                  category_id=category.id, department_id=category.department_id,
                  subject=subject, priority=priority, source=source,
                  created_by=call.caller.login, created_at=at, updated_at=at,
                  due_at=at + dt.timedelta(hours=category.target_hours))
    call.session.add(c)
    call.session.flush()
    call.session.add(ComplaintComment(
        complaint_id=c.id, author=call.caller.login, body=message, public=True,
        staff_user_id=call.caller.user_id if source == "staff" else None,
        customer_id=customer.id if source == "portal" else None, created_at=at))
    call.session.flush()
    audit.record(call, "complaint", c.id, subject, None, audit.snapshot(c), c.operator_id)
    events.emit(call.session, "complaint.created", customer_id=customer.id,
                operator_id=c.operator_id, actor=call.caller.login, func=call.func,
                complaint_id=c.id, subject=subject, category=category.name, source=source)
    return c


def assignee_ref(call: Call, raw: str, complaint: Complaint) -> int | None:
    if raw.strip() == "":
        return None
    ident = F.as_id(raw)
    stmt = sa.select(StaffUser).where(StaffUser.id == ident if ident is not None
                                      else sa.func.lower(StaffUser.login) == raw.strip().lower())
    user = call.session.scalars(stmt).first()
    if user is None:
        raise FuncError(f"no staff login {F.short(raw)!r}", field="assignee")
    path = call.session.scalar(sa.select(Operator.path).where(Operator.id == user.operator_id)) \
        if user.operator_id is not None else None
    op_path = call.session.scalar(sa.select(Operator.path)
                                  .where(Operator.id == complaint.operator_id))
    # a login of the complaint's operator, one of its ancestors, or inside the caller's subtree
    if not (call.caller.sees(path) or (path is not None and op_path.startswith(path))):
        raise FuncError(f"no staff login {F.short(raw)!r}", field="assignee")
    return user.id


def transition(call: Call, c: Complaint, to: str, *, by_customer: bool = False) -> None:
    """Move `c` to `to`, stamping its times and announcing the change."""
    if to == c.status:
        return
    allowed = NEXT[c.status]
    if by_customer and to == "closed":
        allowed = ("closed",)
    if to not in allowed:
        nxt = " or ".join(a.replace("_", " ") for a in allowed)
        raise FuncError(f"a complaint that is {c.status.replace('_', ' ')} can only become {nxt}"
                        f", not {to.replace('_', ' ')}", field="status")
    at = now()
    if to == "acknowledged":
        c.acknowledged_at = at
    elif to == "in_progress" and c.acknowledged_at is None:
        c.acknowledged_at = at
    elif to == "resolved":
        c.resolved_at = at
    elif to == "closed":
        c.closed_at = at
    elif to == "open":  # reopened
        c.resolved_at = None
        c.closed_at = None
        c.reopened = (c.reopened or 0) + 1
    c.status = to
    c.updated_at = at
    if to in ("acknowledged", "resolved", "closed"):
        events.emit(call.session, f"complaint.{to}", customer_id=c.customer_id,
                    operator_id=c.operator_id, actor=call.caller.login, func=call.func,
                    complaint_id=c.id, subject=c.subject, status=to)


def thread(call: Call, c: Complaint, public_only: bool) -> dict[str, Any]:
    """The complaint's comments and attachments (only public ones when `public_only`)."""
    stmt = sa.select(ComplaintComment).where(ComplaintComment.complaint_id == c.id)
    if public_only:
        stmt = stmt.where(ComplaintComment.public.is_(True))
    comments = [{"id": m.id, "author": m.author, "body": m.body, "public": m.public,
                 "by_customer": m.customer_id is not None,
                 "created_at": audit.jsonable(m.created_at)}
                for m in call.session.scalars(stmt.order_by(ComplaintComment.id))]
    stmt = sa.select(ComplaintAttachment).where(ComplaintAttachment.complaint_id == c.id)
    if public_only:
        stmt = stmt.where(ComplaintAttachment.public.is_(True))
    files = [{"id": a.id, "filename": a.filename, "content_type": a.content_type, "size": a.size,
              "public": a.public, "created_at": audit.jsonable(a.created_at)}
             for a in call.session.scalars(stmt.order_by(ComplaintAttachment.id))]
    return {"comments": comments, "attachments": files}


def details(call: Call, c: Complaint) -> dict[str, Any]:
    cat = call.session.get(ComplaintCategory, c.category_id)
    dept = call.session.get(Department, c.department_id)
    cust = call.session.get(Customer, c.customer_id)
    who = call.session.get(StaffUser, c.assignee_id) if c.assignee_id else None
    costs = [{"id": k.id, "description": k.description, "amount": str(k.amount),
              "ledger_txn_id": k.ledger_txn_id, "created_at": audit.jsonable(k.created_at)}
             for k in call.session.scalars(sa.select(ComplaintCost).where(
                 ComplaintCost.complaint_id == c.id).order_by(ComplaintCost.id))]
    return {"id": c.id, "subject": c.subject, "status": c.status, "priority": c.priority,
            "customer": cust.username, "customer_id": cust.id, "customer_name": cust.name,
            "category": cat.name, "department": dept.name, "technical": cat.technical,
            "assignee": who.login if who else None, "source": c.source,
            "created_by": c.created_by, "created_at": audit.jsonable(c.created_at),
            "deadline": audit.jsonable(c.due_at),
            "acknowledged_at": audit.jsonable(c.acknowledged_at),
            "resolved_at": audit.jsonable(c.resolved_at),
            "closed_at": audit.jsonable(c.closed_at), "reopened": c.reopened,
            "late": c.due_at < now() and c.status in ("open", "acknowledged", "in_progress"),
            "next": list(NEXT[c.status]), "costs": costs,
            "cost_total": str(sum((k.amount for k in call.session.scalars(
                sa.select(ComplaintCost).where(ComplaintCost.complaint_id == c.id))),
                start=ZERO)),
            **thread(call, c, public_only=False)}


EDIT_FIELDS = [F.Field("customer", F.text(100), required=True, help="the customer (username or id)"),
               F.Field("category", F.text(100), required=True, help="the category (name or id)"),
               F.Field("subject", SUBJECT, required=True, help="a line saying what is wrong"),
               F.Field("message", BODY, required=True, help="the complaint itself (first comment)"),
               F.Field("priority", F.choice(*PRIORITIES), clearable=False,
                       help="low, normal, high or urgent"),
               F.Field("status", F.choice(*COMPLAINT_STATUSES), clearable=False,
                       help="open, acknowledged, in_progress, resolved, closed"),
               F.Field("assignee", F.text(64), help="the staff login working on it")]


@function("complaint.edit", kind="form", roles=DESK, money={"costs", "cost_total"},
          params=(Param("elid", "the complaint's number"),) + tuple(f.param() for f in EDIT_FIELDS))
def edit(call: Call) -> FormResult | OkResult:
    """A complaint: open one (customer, category, subject, message, priority), or change its
    status, assignee or priority."""
    if not call.sok:
        if call.elid is None:
            return FormResult(None, {"priority": "normal"})
        c = find(call, call.elid)
        return FormResult(c.id, details(call, c))
    if call.elid is None:
        only = [f for f in EDIT_FIELDS if f.name not in ("status", "assignee")]
        values = F.parse_fields(only, call.params, creating=True)
        customer = customer_ref(call, values["customer"])
        category = category_for(call.session, customer, values["category"],
                                caller_role=call.caller.role)
        c = open_complaint(call, customer, category, values["subject"], values["message"],
                           values.get("priority") or "normal", "staff")
        return OkResult(c.id)
    only = [f for f in EDIT_FIELDS if f.name in ("status", "assignee", "priority", "subject")]
    values = F.parse_fields(only, call.params, creating=False)
    for name in ("customer", "category", "message"):
        if call.get(name) not in (None, ""):
            raise FuncError("cannot be changed once the complaint is open", field=name)
    c = find(call, call.elid, lock=True)
    before = audit.snapshot(c)
    if "assignee" in values:
        c.assignee_id = assignee_ref(call, values["assignee"] or "", c)
    if values.get("priority"):
        c.priority = values["priority"]
    if values.get("subject"):
        c.subject = values["subject"]
    if values.get("status"):
        transition(call, c, values["status"])
    c.updated_at = now()
    call.session.flush()
    audit.record(call, "complaint", c.id, c.subject, before, audit.snapshot(c), c.operator_id)
    return OkResult(c.id)


def add_comment(call: Call, c: Complaint, body: str, public: bool, *,
                customer: Customer | None = None) -> ComplaintComment:
    if c.status == "closed":
        raise FuncError("the complaint is closed; reopen it first" if customer is None else
                        "this complaint is closed; open a new one", field="complaint")
    m = ComplaintComment(complaint_id=c.id, author=call.caller.login, body=body, public=public,
                         staff_user_id=None if customer else call.caller.user_id,
                         customer_id=customer.id if customer else None, created_at=now())
    call.session.add(m)
    c.updated_at = now()
    call.session.flush()
    audit.record(call, "complaint_comment", m.id, f"#{c.id}", None, audit.snapshot(m),
                 c.operator_id)
    if public:
        events.emit(call.session, "complaint.commented", customer_id=c.customer_id,
                    operator_id=c.operator_id, actor=call.caller.login, func=call.func,
                    complaint_id=c.id, subject=c.subject, status=c.status,
                    by="customer" if customer else "staff", comment=body[:300])
    return m


@function("complaint.comment", roles=DESK, money=False, params=(
    Param("complaint", "the complaint's number", True), Param("body", "the text", True),
    Param("public", "yes: the customer sees it (and is told); default internal")))
def comment(call: Call) -> OkResult:
    """Comment on a complaint: internal (staff only) or public (the customer sees it and is told)."""
    errors = {}
    body = public = None
    try:
        body = F.parse_one("body", BODY, call.get("body") or "").strip()
        if not body:
            errors["body"] = "is required"
    except FuncError as exc:
        errors.update(exc.errors)
    raw = (call.get("public") or "").strip()
    try:
        public = F.boolean(raw) if raw else False
    except ValueError as exc:
        errors["public"] = str(exc)
    if errors:
        raise FuncError(errors=errors)
    c = find(call, call.get("complaint"), field="complaint", lock=True)
    return OkResult(add_comment(call, c, body, public).id)


def sniff(data: bytes) -> str | None:
    """The image type by its magic bytes (PNG, JPEG, WebP), else None."""
    for kind, magic in IMAGE_TYPES:
        if data.startswith(magic):
            return kind
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


EXT = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp"}


def clean_name(raw: str) -> str:
    """An uploaded file's name for display: no directories, only safe characters."""
    name = re.split(r"[\\/]", raw or "")[-1]
    name = re.sub(r"[^\w.() -]", "_", name, flags=re.UNICODE).strip(" .")[:100]
    return name or "image"


def storage() -> Path:
    return Path(settings.get().var_dir) / "complaints"


def store_attachment(call: Call, c: Complaint, data_b64: str, filename: str, public: bool,
                     *, field: str = "data") -> ComplaintAttachment:
    raw = (data_b64 or "").strip()
    if not raw:
        raise FuncError("is required (the image, base64-encoded)", field=field)
    if len(raw) > (MAX_ATTACHMENT * 4) // 3 + 8:
        raise FuncError("is larger than 2 MB", field=field)
    try:
        data = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise FuncError("is not base64-encoded data", field=field) from None
    if len(data) > MAX_ATTACHMENT:
        raise FuncError("is larger than 2 MB", field=field)
    kind = sniff(data)
    if kind is None:
        raise FuncError("is not a PNG, JPEG or WebP image", field=field)
    stored = secrets.token_hex(16) + EXT[kind]
    folder = storage()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / stored
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    a = ComplaintAttachment(complaint_id=c.id, filename=clean_name(filename), stored_name=stored,
                            content_type=kind, size=len(data), public=public,
                            created_by=call.caller.login, created_at=now())
    call.session.add(a)
    call.session.flush()
    audit.record(call, "complaint_attachment", a.id, a.filename, None, audit.snapshot(a),
                 c.operator_id)
    return a


@function("complaint.attach", roles=DESK, money=False, params=(
    Param("complaint", "the complaint's number", True),
    Param("data", "the image (PNG, JPEG or WebP, at most 2 MB), base64-encoded", True),
    Param("filename", "the file's name, for display"),
    Param("public", "yes: the customer sees it")))
def attach(call: Call) -> OkResult:
    """Attach an image (PNG, JPEG or WebP up to 2 MB) to a complaint."""
    raw = (call.get("public") or "").strip()
    try:
        public = F.boolean(raw) if raw else False
    except ValueError as exc:
        raise FuncError(str(exc), field="public") from None
    filename = F.parse_one("filename", F.text(300), call.get("filename") or "")
    c = find(call, call.get("complaint"), field="complaint")
    return OkResult(store_attachment(call, c, call.get("data") or "", filename, public).id)


def read_attachment(a: ComplaintAttachment) -> FileResult:
    path = storage() / a.stored_name
    try:
        data = path.read_bytes()
    except OSError:
        raise NotFound("the file is missing from the server", field="elid") from None
    return FileResult(a.filename, a.content_type, data)


@function("complaint.attachment", kind="file", roles=DESK, money=False,
          params=(Param("elid", "the attachment's id", True),))
def attachment(call: Call) -> FileResult:
    """An attachment of a complaint the caller sees."""
    ident = F.as_id(call.elid, ComplaintAttachment.id)
    a = call.session.get(ComplaintAttachment, ident) if ident is not None else None
    if a is None:
        raise NotFound("no such attachment", field="elid")
    find(call, str(a.complaint_id))  # NotFound unless the caller sees the complaint
    return read_attachment(a)


COST_FIELDS = [F.Field("description", F.text(200), required=True),
               F.Field("amount", F.amount("0.01"), required=True)]


@function("complaint.cost", roles=RESELLERS + ("manager",), money=True, params=(
    Param("complaint", "the complaint's number", True),
    Param("description", "what it paid for (parts, a visit)", True),
    Param("amount", "how much", True)))
def cost(call: Call) -> OkResult:
    """Book a cost of a complaint (parts, a visit) as an expense: service_cost debit, cash credit."""
    from rating import ledger
    values = F.parse_fields(COST_FIELDS, call.params, creating=True)
    c = find(call, call.get("complaint"), field="complaint")
    amount = values["amount"]
    txn = ledger.post(call.session, "complaint_cost",
                      f"complaint #{c.id}: {values['description']}",
                      [(c.operator_id, "service_cost", amount), (c.operator_id, "cash", -amount)],
                      operator_id=c.operator_id, reference=f"complaint:{c.id}")
    k = ComplaintCost(complaint_id=c.id, description=values["description"], amount=amount,
                      ledger_txn_id=txn, created_by=call.caller.login, created_at=now())
    call.session.add(k)
    call.session.flush()
    audit.record(call, "complaint_cost", k.id, values["description"], None, audit.snapshot(k),
                 c.operator_id)
    return OkResult(k.id)


# -- the report ----------------------------------------------------------------------------------
REPORT_BY = ("department", "category", "period")
GROUPS = ("day", "week", "month")
REPORT_COLUMNS = ["key", "volume", "acknowledged", "ack_median_hours", "ack_p90_hours",
                  "resolved", "resolve_median_hours", "resolve_p90_hours"]


@function("report.complaints", replica=True, kind="list", roles=DESK, money=False, params=(
    Param("from", "first day (default 30 days ago)"), Param("to", "last day (default today)"),
    Param("by", "department, category or period (default)"),
    Param("group", "period length: day, week or month (default day)")))
def report(call: Call) -> ListResult:
    """Complaints opened in a period: volume, median and 90th-percentile hours to acknowledge
    and to resolve, by department, category or period."""
    from rating.terms import midnight, today
    errors = {}
    days = {}
    for name, default in (("from", today() - dt.timedelta(days=29)), ("to", today())):
        raw = (call.get(name) or "").strip()
        try:
            days[name] = F.day(raw) if raw else default
        except ValueError as exc:
            errors[name] = str(exc)
    by = (call.get("by") or "period").strip()
    if by not in REPORT_BY:
        errors["by"] = f"is not one of {', '.join(REPORT_BY)}"
    group = (call.get("group") or "day").strip()
    if group not in GROUPS:
        errors["group"] = f"is not one of {', '.join(GROUPS)}"
    if not errors and days["to"] < days["from"]:
        errors["to"] = "is before from"
    if errors:
        raise FuncError(errors=errors)
    start, end = midnight(days["from"]), midnight(days["to"] + dt.timedelta(days=1))
    tz = settings.get().tz.key
    if by == "department":
        key = Department.name
    elif by == "category":
        key = ComplaintCategory.name
    else:
        key = sa.func.to_char(sa.func.date_trunc(group, sa.func.timezone(tz, Complaint.created_at)),
                              "YYYY-MM-DD")
    ack = sa.extract("epoch", Complaint.acknowledged_at - Complaint.created_at) / 3600.0
    res = sa.extract("epoch", Complaint.resolved_at - Complaint.created_at) / 3600.0

    def pct(p, expr):
        return sa.func.percentile_cont(p).within_group(expr)
    stmt = (sa.select(key.label("key"), sa.func.count(),
                      sa.func.count(Complaint.acknowledged_at), pct(0.5, ack), pct(0.9, ack),
                      sa.func.count(Complaint.resolved_at), pct(0.5, res), pct(0.9, res))
            .join(ComplaintCategory, ComplaintCategory.id == Complaint.category_id)
            .join(Department, Department.id == Complaint.department_id)
            .where(Complaint.created_at >= start, Complaint.created_at < end)
            .group_by(sa.literal_column("1")).order_by(sa.literal_column("1")))
    stmt = scope(call, stmt)

    def hours(v):
        return None if v is None else round(float(v), 2)
    rows = [{"key": k, "volume": n, "acknowledged": na, "ack_median_hours": hours(am),
             "ack_p90_hours": hours(a9), "resolved": nr, "resolve_median_hours": hours(rm),
             "resolve_p90_hours": hours(r9)}
            for k, n, na, am, a9, nr, rm, r9 in call.session.execute(stmt)]
    return ListResult(rows, len(rows), 1, max(len(rows), 1), list(REPORT_COLUMNS))


def overdue(call: Call, limit: int = 10) -> tuple[int, list[dict]]:
    """How many complaints the caller sees are past due and unresolved, and the oldest few."""
    at = now()
    base = scope(call, sa.select(Complaint).where(overdue_condition(at)))
    count = call.session.scalar(sa.select(sa.func.count()).select_from(base.subquery()))
    rows = [{"id": c.id, "subject": c.subject, "status": c.status, "priority": c.priority,
             "deadline": audit.jsonable(c.due_at)}
            for c in call.session.scalars(base.order_by(Complaint.due_at).limit(limit))]
    return count, rows


@function("report.overdue_complaints", replica=True, kind="list", roles=DESK, money=False)
def overdue_list(call: Call) -> ListResult:
    """Complaints past their due time and not resolved (the dashboard's block)."""
    count, rows = overdue(call)
    return ListResult(rows, count, 1, 10, ["id", "subject", "status", "priority", "deadline"])

"""portal.complaint*: a subscriber's own complaints (role "customer"): list, open one, read the
public thread, reply, close. A customer never sees another's complaint or an internal comment."""
from __future__ import annotations

import sqlalchemy as sa

from care.functions import complaints as C
from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.registry import (Call, FileResult, FormResult, FuncError,
                                        NotFound, OkResult, Param, function)
from radbill.models.selfcare import Complaint, ComplaintAttachment, ComplaintCategory

CUSTOMER = ("customer",)


def me(call: Call):
    from customers.functions.portal import me as portal_me
    return portal_me(call)


def mine(call: Call, ref: str | None, field: str = "elid", lock: bool = False) -> Complaint:
    customer = me(call)
    ident = F.as_id(ref, Complaint.id)
    if ident is None:
        raise FuncError("is not a complaint number", field=field)
    stmt = sa.select(Complaint).where(Complaint.id == ident, Complaint.customer_id == customer.id)
    if lock:
        stmt = stmt.with_for_update()
    c = call.session.scalars(stmt).first()
    if c is None:
        raise NotFound("no such complaint", field=field)
    return c


@function("portal.complaints", kind="form", roles=CUSTOMER, money=False, changes=False)
def complaints(call: Call) -> FormResult:
    """My complaints, newest first, with their status."""
    customer = me(call)
    stmt = (sa.select(Complaint, ComplaintCategory.name)
            .join(ComplaintCategory, ComplaintCategory.id == Complaint.category_id)
            .where(Complaint.customer_id == customer.id).order_by(Complaint.id.desc()).limit(100))
    rows = [{"id": c.id, "subject": c.subject, "category": cat, "status": c.status,
             "created_at": audit.jsonable(c.created_at),
             "updated_at": audit.jsonable(c.updated_at)}
            for c, cat in call.session.execute(stmt)]
    return FormResult(None, {"rows": rows})


@function("portal.complaint_categories", kind="form", roles=CUSTOMER, money=False,
          changes=False)
def categories(call: Call) -> FormResult:
    """The categories I may choose for a complaint."""
    me(call)
    stmt = (sa.select(ComplaintCategory.id, ComplaintCategory.name)
            .where(C.offered_to(call.caller.operator_path, ComplaintCategory.operator_id),
                   ComplaintCategory.portal.is_(True)).order_by(ComplaintCategory.name))
    rows = [{"id": i, "name": n} for i, n in call.session.execute(stmt)]
    return FormResult(None, {"rows": rows})


NEW_FIELDS = [F.Field("category", F.text(100), required=True),
              F.Field("subject", C.SUBJECT, required=True),
              F.Field("message", C.BODY, required=True)]


@function("portal.complaint_new", roles=CUSTOMER, money=False, params=(
    Param("category", "what it is about", True), Param("subject", "in a line", True),
    Param("message", "what is wrong", True)))
def new(call: Call) -> OkResult:
    """Open a complaint."""
    customer = me(call)
    values = F.parse_fields(NEW_FIELDS, call.params, creating=True)
    category = C.category_for(call.session, customer, values["category"], portal=True)
    c = C.open_complaint(call, customer, category, values["subject"], values["message"],
                         "normal", "portal")
    return OkResult(c.id)


@function("portal.complaint", kind="form", roles=CUSTOMER, money=False,
          params=(Param("elid", "the complaint's number", True),))
def show(call: Call) -> FormResult:
    """One of my complaints: status and the public thread."""
    c = mine(call, call.elid)
    cat = call.session.get(ComplaintCategory, c.category_id)
    return FormResult(c.id, {"id": c.id, "subject": c.subject, "status": c.status,
                             "category": cat.name, "created_at": audit.jsonable(c.created_at),
                             "resolved_at": audit.jsonable(c.resolved_at),
                             "closed_at": audit.jsonable(c.closed_at),
                             **C.thread(call, c, public_only=True)})


@function("portal.complaint_reply", roles=CUSTOMER, money=False, params=(
    Param("complaint", "the complaint's number", True), Param("body", "your reply", True)))
def reply(call: Call) -> OkResult:
    """Reply on one of my complaints."""
    body = F.parse_one("body", C.BODY, call.get("body") or "").strip()
    if not body:
        raise FuncError("is required", field="body")
    c = mine(call, call.get("complaint"), field="complaint", lock=True)
    return OkResult(C.add_comment(call, c, body, True, customer=me(call)).id)


@function("portal.complaint_close", roles=CUSTOMER, money=False,
          params=(Param("complaint", "the complaint's number", True),))
def close(call: Call) -> OkResult:
    """Close one of my complaints (it is sorted, or no longer needed)."""
    c = mine(call, call.get("complaint"), field="complaint", lock=True)
    if c.status == "closed":
        raise FuncError("is already closed", field="complaint")
    before = audit.snapshot(c)
    C.transition(call, c, "closed", by_customer=True)
    call.session.flush()
    audit.record(call, "complaint", c.id, c.subject, before, audit.snapshot(c), c.operator_id)
    return OkResult(c.id)


@function("portal.complaint_attachment", kind="file", roles=CUSTOMER, money=False,
          params=(Param("elid", "the attachment's id", True),))
def attachment(call: Call) -> FileResult:
    """A public image on one of my complaints."""
    ident = F.as_id(call.elid, ComplaintAttachment.id)
    a = call.session.get(ComplaintAttachment, ident) if ident is not None else None
    if a is None or not a.public:
        raise NotFound("no such attachment", field="elid")
    mine(call, str(a.complaint_id))
    return C.read_attachment(a)

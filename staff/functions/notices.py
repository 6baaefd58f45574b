"""notice, notice.edit, notice.withdraw, notice.ack: a parent's notices to its subtree (issue 19).

A notice belongs to the operator that sends it and is addressed to the staff of every operator
below it (its subtree, not its own staff, not a sibling's): each of those logins sees it on
its dashboard from `starts` until `ends` (or until it is withdrawn) and until that login
acknowledges it (`notice_acks`, one row per login). `notice box=received` lists what the
caller's ancestors sent it; `box=sent` what its own subtree sent (which it may edit and
withdraw). Changing a notice's title, body or severity asks everyone to read it again.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from radbill import events
from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.crud import Entity, in_subtree, may_manage, own_operator, paged
from radbill.functions.registry import (AccessDenied, Call, FuncError, ListResult, NotFound,
                                        OkResult, Param, function)
from radbill.models import Notice, NoticeAck, Operator
from radbill.models.operators import ROLES
from radbill.models.tree import SEVERITIES

SENDERS = ("group_admin", "operator")  # the roles whose operator has a subtree below it
STAFF = ROLES
COLUMNS = ["id", "title", "body", "severity", "state", "starts_at", "ends_at", "sender",
           "created_by", "acked", "acks"]  # each row also has operator_id (the sender's)
REREAD = {"title", "body", "severity"}  # a change here asks every login to read it again


def moment(raw: str) -> dt.datetime:
    """fields.when, but a bare date is the start of that day (fields.when: its end)."""
    value = F.when(raw)
    if len(raw.strip()) <= 10:
        value = value.replace(hour=0, minute=0, second=0)
    return value


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def ancestors(path: str | None) -> list[int]:
    """The operators strictly above the one at `path` ('/1/4/9/' -> [1, 4])."""
    ids = [int(x) for x in (path or "").strip("/").split("/") if x.isdigit()]
    return ids[:-1]


def received(call: Call):
    """Notices the caller's operator receives: those its ancestors sent."""
    return Notice.operator_id.in_(ancestors(call.caller.operator_path))


def live(at: dt.datetime):
    return sa.and_(Notice.withdrawn_at.is_(None), Notice.starts_at <= at,
                   sa.or_(Notice.ends_at.is_(None), Notice.ends_at > at))


def state(n: Notice, at: dt.datetime) -> str:
    if n.withdrawn_at is not None:
        return "withdrawn"
    if n.starts_at > at:
        return "scheduled"
    if n.ends_at is not None and n.ends_at <= at:
        return "ended"
    return "active"


class Notices(Entity):
    name = "notice"
    model = Notice
    label = "title"
    fields = [
        F.Field("title", F.text(200, r"(?s).*\S.*", "text with at least one letter"),
                required=True),
        F.Field("body", F.text(5000), help="what the staff below should know or do"),
        F.Field("severity", F.choice(*SEVERITIES), clearable=False,
                help="info, warning or critical (default info)"),
        F.Field("starts", moment, help="shown from (the ISP's time); default now"),
        F.Field("ends", moment, help="shown until (the ISP's time); empty: until withdrawn"),
        F.Field("operator", str, help="who sends it (id or name; default yours): the staff of "
                                      "every operator below it see it"),
    ]
    columns = COLUMNS
    money = frozenset()

    def visible(self, call: Call, stmt: sa.Select) -> sa.Select:
        """Notices the caller manages: sent from its own subtree."""
        return stmt.where(in_subtree(call, Notice.operator_id))

    def editable(self, call: Call, obj: Notice) -> bool:
        return may_manage(call, obj.operator_id)

    def form(self, call: Call, obj: Notice | None) -> dict:
        if obj is None:
            return {"severity": "info"}
        return {"title": obj.title, "body": obj.body, "severity": obj.severity,
                "starts_at": audit.jsonable(obj.starts_at), "ends_at": audit.jsonable(obj.ends_at),
                "operator_id": obj.operator_id, "state": state(obj, now())}

    def apply(self, call: Call, obj: Notice, values: dict, creating: bool) -> None:
        if obj.withdrawn_at is not None:
            raise FuncError("was withdrawn; send a new notice instead", field="elid", status=409)
        own_operator(call, obj, values, creating)
        level = call.session.scalar(sa.select(Operator.level).where(Operator.id == obj.operator_id))
        if level == "sub":
            raise FuncError("a sub-operator has no operators below it to tell", field="operator")
        changed = {k for k in REREAD if k in values and values[k] != getattr(obj, k)}
        if "starts" in values:
            obj.starts_at = values.pop("starts") or now()
        elif creating:
            obj.starts_at = now()
        if "ends" in values:
            obj.ends_at = values.pop("ends")
        if values.get("body", "") is None:
            values["body"] = ""
        if creating and values.get("severity") is None:
            values["severity"] = "info"
        super().apply(call, obj, values, creating)
        if obj.ends_at is not None and obj.ends_at <= obj.starts_at:
            raise FuncError("must be after the start", field="ends")
        if creating:
            obj.created_by = call.caller.login
            if obj.ends_at is not None and obj.ends_at <= now():
                raise FuncError("is in the past: the notice would never be shown", field="ends")
        elif changed and obj.id is not None:
            call.session.execute(sa.delete(NoticeAck).where(NoticeAck.notice_id == obj.id))

    def save(self, call: Call, obj: Notice | None) -> Notice:
        creating = obj is None
        obj = super().save(call, obj)
        if creating:
            events.emit(call.session, "notice.published", operator_id=obj.operator_id,
                        actor=call.caller.login, func=call.func, notice_id=obj.id,
                        title=obj.title, severity=obj.severity)
        return obj


ENTITY = Notices()
function("notice.edit", kind="form", roles=SENDERS, money=False, params=(
    Param("elid", "the notice's id or title"),) + tuple(f.param() for f in ENTITY.fields))(
    ENTITY.edit)


@function("notice", kind="list", roles=STAFF, money=False, params=(
    Param("box", "received (default): what the operators above you sent; sent: what your "
                 "subtree sent"),
    Param("current", "yes: only those shown now (started, not ended, not withdrawn)"),
    Param("unread", "yes: only those your login has not acknowledged"),
    Param("page"), Param("per_page")))
def notice_list(call: Call) -> ListResult:
    """Notices: those the operators above you sent you, or those your subtree sent."""
    box = F.parse_one("box", F.choice("received", "sent"), call.get("box") or "received")
    current = F.parse_one("current", F.boolean, call.get("current") or "no")
    unread = F.parse_one("unread", F.boolean, call.get("unread") or "no")
    at = now()
    mine = sa.exists().where(NoticeAck.notice_id == Notice.id,
                             NoticeAck.user_id == (call.caller.user_id or 0))
    acks = sa.select(sa.func.count()).where(NoticeAck.notice_id == Notice.id) \
        .correlate(Notice).scalar_subquery()
    stmt = sa.select(Notice, mine.label("acked"), acks.label("acks"), Operator.name).join(
        Operator, Operator.id == Notice.operator_id)
    if box == "received":
        stmt = stmt.where(received(call), Notice.withdrawn_at.is_(None), Notice.starts_at <= at)
    else:
        stmt = ENTITY.visible(call, stmt)
    if current:
        stmt = stmt.where(live(at))
    if unread:
        stmt = stmt.where(~mine)
    severity = sa.case({"critical": 0, "warning": 1}, value=Notice.severity, else_=2)
    return paged(call, stmt, COLUMNS, lambda n, acked, count, sender: {
        "id": n.id, "title": n.title, "body": n.body, "severity": n.severity,
        "state": state(n, at), "starts_at": audit.jsonable(n.starts_at),
        "ends_at": audit.jsonable(n.ends_at), "operator_id": n.operator_id, "sender": sender,
        "created_by": n.created_by, "acked": bool(acked),
        "acks": count if box == "sent" else None},
        severity, Notice.starts_at.desc(), Notice.id.desc())


def refs(call: Call) -> list[int]:
    out = []
    for ref in (r.strip() for r in (call.elid or "").split(",")):
        if not ref:
            continue
        ident = F.as_id(ref, Notice.id)
        if ident is None:
            raise FuncError(f"{F.short(ref)!r} is not a notice's id", field="elid")
        out.append(ident)
    if not out:
        raise FuncError("is required", field="elid")
    return out


@function("notice.withdraw", roles=SENDERS, money=False, params=(
    Param("elid", "notice ids, comma-separated", True, multi=True),))
def withdraw(call: Call) -> OkResult:
    """Withdraw notices: they leave every dashboard at once (the list keeps them)."""
    for ident in refs(call):
        obj = call.session.scalars(ENTITY.visible(call, sa.select(Notice).where(
            Notice.id == ident)).with_for_update()).first()
        if obj is None:
            raise NotFound(f"no notice {ident} that you sent", field="elid")
        if not ENTITY.editable(call, obj):
            raise AccessDenied("you may not withdraw this notice", field="elid")
        if obj.withdrawn_at is not None:
            continue
        before = ENTITY.snapshot(obj)
        obj.withdrawn_at = now()
        call.session.flush()
        audit.record(call, "notice", obj.id, obj.title, before, ENTITY.snapshot(obj),
                     obj.operator_id)
        events.emit(call.session, "notice.withdrawn", operator_id=obj.operator_id,
                    actor=call.caller.login, func=call.func, notice_id=obj.id, title=obj.title)
    return OkResult()


@function("notice.ack", roles=STAFF, money=False, params=(
    Param("elid", "notice ids, comma-separated", True, multi=True),))
def acknowledge(call: Call) -> OkResult:
    """Acknowledge notices: read, they leave your dashboard (other logins still see them)."""
    if call.caller.user_id is None:
        raise FuncError("only a staff login acknowledges a notice", field="elid")
    for ident in refs(call):
        obj = call.session.scalars(sa.select(Notice).where(
            Notice.id == ident, received(call), Notice.withdrawn_at.is_(None),
            Notice.starts_at <= now())).first()
        if obj is None:
            raise NotFound(f"no notice {ident} for you", field="elid")
        done = call.session.scalar(insert(NoticeAck).values(
            notice_id=obj.id, user_id=call.caller.user_id).on_conflict_do_nothing()
            .returning(NoticeAck.notice_id))
        if done is None:  # acknowledged before
            continue
        audit.record(call, "notice", obj.id, obj.title, None,
                     {"acknowledged_by": call.caller.login}, call.caller.operator_id)
        events.emit(call.session, "notice.acknowledged", operator_id=call.caller.operator_id,
                    actor=call.caller.login, func=call.func, notice_id=obj.id,
                    login=call.caller.login)
    return OkResult()

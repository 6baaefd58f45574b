"""announcement, announcement.edit, announcement.delete: news and planned maintenance for the
public status page (a window `starts_at`..`ends_at` makes it a maintenance). Seen and changed
inside the owner's subtree; only the ISP's staff publish one (`public`)."""
from __future__ import annotations

import sqlalchemy as sa

from monitoring.functions.checks import isp_staff
from radbill.functions import fields as F
from radbill.functions.crud import Entity, in_subtree, may_manage, own_operator
from radbill.functions.registry import AccessDenied, Call, FuncError
from radbill.functions.roles import CUSTOMER_VIEWERS, DEVICE_STAFF, RESELLERS
from radbill.models import Announcement


class Announcements(Entity):
    name = "announcement"
    model = Announcement
    label = "title"
    fields = [
        F.Field("title", F.text(200), required=True),
        F.Field("body", F.text(4000)),
        F.Field("starts_at", F.when, help="planned maintenance: when it starts"),
        F.Field("ends_at", F.when, help="planned maintenance: when it ends"),
        F.Field("public", F.boolean, clearable=False, help="shown on the public status page"),
        F.Field("operator", str, help="whose (id or name); default: yours"),
    ]
    columns = ["id", "title", "starts_at", "ends_at", "public", "operator_id", "created_at"]
    search = ["title"]
    filters = {"operator": "operator_id"}
    money = frozenset()
    list_roles = CUSTOMER_VIEWERS
    edit_roles = RESELLERS + DEVICE_STAFF
    default_sort = "-id"

    def visible(self, call: Call, stmt: sa.Select) -> sa.Select:
        return stmt.where(in_subtree(call, Announcement.operator_id))

    def editable(self, call: Call, obj: Announcement) -> bool:
        return may_manage(call, obj.operator_id)

    def form(self, call: Call, obj: Announcement | None) -> dict:
        if obj is None:
            return {"public": isp_staff(call)}
        return {**self.row(obj), "body": obj.body}

    def apply(self, call: Call, obj: Announcement, values: dict, creating: bool) -> None:
        own_operator(call, obj, values, creating)
        if creating and "public" not in values:
            values["public"] = isp_staff(call)
        if values.get("public") and not isp_staff(call):
            raise AccessDenied("only the ISP's staff publish on the public status page",
                               field="public")
        if values.get("body", "") is None:
            values["body"] = ""
        super().apply(call, obj, values, creating)
        if obj.starts_at and obj.ends_at and obj.ends_at <= obj.starts_at:
            raise FuncError("must be after the start", field="ends_at")
        if (obj.starts_at is None) != (obj.ends_at is None):
            raise FuncError("a maintenance window needs both its start and its end",
                            field="ends_at" if obj.ends_at is None else "starts_at")


ENTITY = Announcements().register()

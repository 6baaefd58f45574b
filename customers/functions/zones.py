"""zone, zone.edit, zone.delete: geographic groups of customers."""
from __future__ import annotations

import sqlalchemy as sa

from radbill.functions import fields as F
from radbill.functions.crud import Entity, in_subtree, resolve_operator
from radbill.functions.registry import Call, FuncError
from radbill.functions.roles import CUSTOMER_VIEWERS, RESELLERS
from radbill.models import Zone


class Zones(Entity):
    name = "zone"
    model = Zone
    fields = [F.Field("name", F.name_text, required=True), F.Field("operator", str)]
    columns = ["id", "name", "operator_id"]
    search = ["name"]
    list_roles = CUSTOMER_VIEWERS
    edit_roles = RESELLERS

    def visible(self, call: Call, stmt: sa.Select) -> sa.Select:
        return stmt.where(in_subtree(call, Zone.operator_id))

    def apply(self, call: Call, obj: Zone, values: dict, creating: bool) -> None:
        if creating or "operator" in values:
            obj.operator_id = resolve_operator(call, values.pop("operator", None)).id
        name = values.get("name", obj.name)
        if call.session.scalar(sa.select(Zone.id).where(
                Zone.operator_id == obj.operator_id, sa.func.lower(Zone.name) == name.lower(),
                Zone.id.is_distinct_from(obj.id))) is not None:
            raise FuncError(f"{name!r} is taken", field="name")
        super().apply(call, obj, values, creating)


ENTITY = Zones().register()

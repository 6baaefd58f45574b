"""Objects several operators share (pools, packages, profiles, NAS): who sees and who edits."""
from __future__ import annotations

import sqlalchemy as sa

from radbill.functions.crud import Entity, may_manage, resolve_operator, usable
from radbill.functions.registry import AccessDenied, Call, FuncError


class SharedEntity(Entity):
    """Global objects (no operator) are the system administrator's; others are their owner's."""

    unique_label = True

    def visible(self, call: Call, stmt: sa.Select) -> sa.Select:
        return stmt.where(usable(call, self.model.operator_id))

    def editable(self, call: Call, obj) -> bool:
        return may_manage(call, obj.operator_id)

    def set_owner(self, call: Call, obj, values: dict, creating: bool) -> None:
        ref = values.pop("operator", None)
        if ref not in (None, ""):
            obj.operator_id = resolve_operator(call, ref).id
        elif creating:
            obj.operator_id = None if call.caller.is_sysadmin else call.caller.operator_id
        if not may_manage(call, obj.operator_id):
            raise AccessDenied("only the system administrator edits global objects", field="operator")

    def check_unique(self, call: Call, obj, values: dict) -> None:
        label = values.get(self.label)
        if self.unique_label and label is not None:
            col = getattr(self.model, self.label)
            taken = call.session.scalar(sa.select(self.model.id).where(
                sa.func.lower(col) == str(label).lower(), self.model.id.is_distinct_from(obj.id)))
            if taken is not None:
                raise FuncError(f"{label!r} is taken", field=self.label)

    def apply(self, call: Call, obj, values: dict, creating: bool) -> None:
        self.set_owner(call, obj, values, creating)
        self.check_unique(call, obj, values)
        super().apply(call, obj, values, creating)

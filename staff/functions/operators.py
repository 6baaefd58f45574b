"""operator, operator.edit, operator.delete: the reseller tree."""
from __future__ import annotations

import sqlalchemy as sa

from radbill.functions import fields as F
from radbill.functions.crud import Entity, resolve_operator
from radbill.functions.registry import AccessDenied, Call, FuncError
from radbill.functions.roles import RESELLERS
from radbill.models import Customer, Operator

CHILD_LEVEL = {None: "group", "group": "operator", "operator": "sub"}


class Operators(Entity):
    name = "operator"
    model = Operator
    fields = [
        F.Field("name", F.name_text, required=True),
        F.Field("parent", str, help="parent operator (id or name); default: yours"),
        F.Field("kind", F.choice("credit", "debit"), help="credit (limit) or debit (prepaid)",
                clearable=False),
        F.Field("credit_limit", F.amount(), clearable=False),
        F.Field("vat_percent", F.percent, clearable=False),
        F.Field("status", F.choice("active", "suspended"), clearable=False),
        F.Field("require_2fa", F.boolean, clearable=False),
        F.Field("allow_shared_mobile", F.boolean, clearable=False,
                help="customers may share a mobile number (a family's phone); off: refused"),
    ]
    columns = ["id", "name", "parent_id", "level", "kind", "credit_limit", "vat_percent", "status",
               "require_2fa", "allow_shared_mobile", "path"]
    search = ["name"]
    filters = {"kind": "kind", "level": "level", "status": "status"}
    money = frozenset({"kind", "credit_limit", "vat_percent"})
    list_roles = RESELLERS
    edit_roles = ("group_admin", "operator")

    def visible(self, call: Call, stmt: sa.Select) -> sa.Select:
        if call.caller.operator_path is None:
            return stmt
        return stmt.where(Operator.path.startswith(call.caller.operator_path, autoescape=True))

    def editable(self, call: Call, obj: Operator) -> bool:
        # nobody changes their own node (its limits, its status): that is the parent's call
        return call.caller.is_sysadmin or obj.id != call.caller.operator_id

    def apply(self, call: Call, obj: Operator, values: dict, creating: bool) -> None:
        parent_ref = values.pop("parent", None)
        if creating:
            parent = self._parent(call, parent_ref)
            level = CHILD_LEVEL.get(parent.level if parent else None)
            if level is None:
                raise FuncError("a sub-operator cannot have operators under it", field="parent")
            obj.parent_id = parent.id if parent else None
            obj.level = level
            obj.kind = "credit"
        elif parent_ref not in (None, "") and str(parent_ref) not in (str(obj.parent_id), obj.parent and obj.parent.name):
            raise FuncError("cannot be changed; create a new operator and move customers", field="parent")
        name = values.get("name")
        if name and call.session.scalar(sa.select(Operator.id).where(
                sa.func.lower(Operator.name) == name.lower(), Operator.id.is_distinct_from(obj.id))) is not None:
            raise FuncError(f"{name!r} is taken", field="name")
        super().apply(call, obj, values, creating)
        if creating:
            call.session.add(obj)
            call.session.flush()
            obj.path = f"{obj.parent.path if obj.parent_id else '/'}{obj.id}/"

    def _parent(self, call: Call, ref: str | None) -> Operator | None:
        if ref in (None, "") and call.caller.is_sysadmin:
            root = call.session.scalars(sa.select(Operator).where(Operator.parent_id.is_(None))).first()
            return root  # the first operator created becomes the group (the ISP itself)
        parent = resolve_operator(call, ref, field="parent")
        return parent

    def operator_of(self, obj: Operator) -> int | None:
        return obj.id

    def remove(self, call: Call, obj: Operator) -> None:
        if obj.id == call.caller.operator_id:
            raise AccessDenied("you cannot delete your own operator")
        n = call.session.scalar(sa.select(sa.func.count()).select_from(Customer)
                                .where(Customer.operator_id == obj.id))
        kids = call.session.scalar(sa.select(sa.func.count()).select_from(Operator)
                                   .where(Operator.parent_id == obj.id))
        if n or kids:
            raise FuncError(f"has {n} customers and {kids} sub-operators; move them first", field="elid")
        call.session.delete(obj)


ENTITY = Operators().register()

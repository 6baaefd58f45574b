"""user, user.edit, user.delete: staff logins."""
from __future__ import annotations

import sqlalchemy as sa

from radbill.functions import fields as F
from radbill.functions.auth import hash_password
from radbill.functions.crud import Entity, in_subtree, resolve_operator
from radbill.functions.registry import AccessDenied, Call, FuncError
from radbill.functions.roles import RANK, RESELLERS, ROLE_LEVEL
from radbill.models import Operator, StaffUser
from radbill.models.operators import ROLES


def password(raw: str) -> str:
    if len(raw) < 8:
        raise ValueError("must be at least 8 characters")
    return raw


COMMISSION = {"commission_percent", "commission_fixed"}  # rating/commission.py books them


class Users(Entity):
    name = "user"
    model = StaffUser
    label = "login"
    fields = [
        F.Field("login", F.text(64, r"[A-Za-z0-9_.@-]{2,64}", "2-64 letters, digits or _.@-"),
                required=True),
        F.Field("password", password, help="at least 8 characters; required when creating",
                clearable=False),
        F.Field("role", F.choice(*ROLES), required=True),
        F.Field("operator", str, help="operator (id or name); default: yours"),
        F.Field("name", F.text(100)),
        F.Field("disabled", F.boolean, clearable=False),
        F.Field("lang", F.choice("en", "bn"), clearable=False,
                help="the language of their pages: en (English) or bn (Bangla)"),
        F.Field("commission_percent", F.percent,
                help="commission: percent of the cash they collect (and of their cards' value "
                     "when no fixed amount is set)"),
        F.Field("commission_fixed", F.amount(),
                help="commission: a fixed amount per card of theirs redeemed"),
    ]
    columns = ["id", "login", "role", "operator_id", "name", "disabled", "totp_enabled",
               "last_login_at", "lang", "commission_percent", "commission_fixed"]
    money = frozenset({"commission_percent", "commission_fixed"})
    search = ["login", "name"]
    filters = {"role": "role", "operator": "operator_id"}
    list_roles = RESELLERS
    edit_roles = RESELLERS

    def visible(self, call: Call, stmt: sa.Select) -> sa.Select:
        return stmt.where(in_subtree(call, StaffUser.operator_id))

    def editable(self, call: Call, obj: StaffUser) -> bool:
        return call.caller.is_sysadmin or RANK[obj.role] > RANK[call.caller.role] \
            or obj.id == call.caller.user_id

    def apply(self, call: Call, obj: StaffUser, values: dict, creating: bool) -> None:
        if creating and "password" not in values:
            raise FuncError("is required", field="password")
        role = values.get("role", obj.role)
        if not call.caller.is_sysadmin and RANK[role] <= RANK[call.caller.role] and \
                not (obj.id == call.caller.user_id and role == obj.role):
            raise AccessDenied(f"you may not grant the {role} role", field="role")
        if "operator" in values or creating:
            op = resolve_operator(call, values.pop("operator", None))
            obj.operator_id = op.id
        else:
            op = call.session.get(Operator, obj.operator_id)
        if role == "admin" and not call.caller.is_sysadmin:
            raise AccessDenied("only the system administrator grants admin", field="role")
        need = ROLE_LEVEL[role]
        if need and op.level != need:
            raise FuncError(f"a {role} login belongs to a {need}-level operator, "
                            f"not {op.name!r} ({op.level})", field="role")
        login = values.get("login")
        if login and call.session.scalar(sa.select(StaffUser.id).where(
                sa.func.lower(StaffUser.login) == login.lower(), StaffUser.id.is_distinct_from(obj.id))) is not None:
            raise FuncError(f"{login!r} is taken", field="login")
        if obj.id is not None and obj.id == call.caller.user_id and not call.caller.is_sysadmin \
                and COMMISSION & values.keys():
            raise AccessDenied("your own commission is set from above you",
                               field=sorted(COMMISSION & values.keys())[0])
        if "password" in values:
            obj.password_hash = hash_password(values.pop("password"))
        super().apply(call, obj, values, creating)

    def form(self, call: Call, obj):
        return {} if obj is None else {k: v for k, v in self.row(obj).items()}

    def remove(self, call: Call, obj: StaffUser) -> None:
        if obj.id == call.caller.user_id:
            raise FuncError("you cannot delete your own login", field="elid")
        call.session.delete(obj)


ENTITY = Users().register()

"""user, user.edit, user.delete: staff logins; me.alerts and me.lang: a login's own settings.

A login's contact details and on-call setting (issue 18) say who gets staff alerts by SMS and
e-mail (messaging/compose.alert): `mobile` (E.164, read like a customer's), `email`, `on_call`,
an optional daily window `on_call_start`..`on_call_end` in the ISP's zone (it may pass
midnight) and optional weekdays `on_call_days` (mon,tue,... or 1-7; a window past midnight
belongs to the day it starts). Anyone may set their own (the /account page); a manager sets
those below them. `me.lang` is any login's own language (the /account page's Language control):
user.edit is for resellers' staff, so a NOC, manager or card distributor login could not
change its own language through it.
"""
from __future__ import annotations

import dataclasses
import re

import sqlalchemy as sa

from messaging.functions.gateways import clock  # HH:MM, as an operator's quiet hours
from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.auth import hash_password
from radbill.functions.crud import Entity, in_subtree, resolve_operator
from radbill.functions.registry import (AccessDenied, Call, FormResult, FuncError, NotFound,
                                        OkResult, function)
from radbill.functions.roles import RANK, RESELLERS, ROLE_LEVEL
from radbill.models import Operator, StaffUser
from radbill.models.operators import ROLES


def password(raw: str) -> str:
    if len(raw) < 8:
        raise ValueError("must be at least 8 characters")
    return raw


COMMISSION = {"commission_percent", "commission_fixed"}  # rating/commission.py books them
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # ISO weekdays 1..7
TIMES = ("on_call_start", "on_call_end")


def mobile(raw: str) -> str:
    """A mobile number, as customers' are read (E.164; Bangladesh without a country code)."""
    from customers.functions.customers import mobile as customer_mobile
    return customer_mobile(raw)


def weekdays(raw: str) -> list[int]:
    """Days of the week, comma-separated: mon..sun or 1..7 (1 = Monday); the ISO numbers."""
    out = []
    for part in (p.strip().lower() for p in raw.split(",")):
        if not part:
            continue
        if part in DAYS:
            out.append(DAYS.index(part) + 1)
        elif re.fullmatch(r"[1-7]", part, re.ASCII):
            out.append(int(part))
        else:
            raise ValueError(f"{F.short(part)!r} is not a day: mon, tue, wed, thu, fri, sat, sun "
                             "(or 1-7)")
    if not out:
        raise ValueError("name one or more days: mon, tue, wed, thu, fri, sat, sun")
    return sorted(set(out))


OWN = tuple(r for r in ROLES if r != "admin")  # every login (the administrator may do anything)
LANG = F.Field("lang", F.choice("en", "bn"), clearable=False,
               help="the language of their pages: en (English) or bn (Bangla)")


def day_names(days: list[int] | None) -> str:
    return ",".join(DAYS[d - 1] for d in days or [])


ALERTS = [
    F.Field("mobile", mobile, help="for staff alerts by SMS (01712345678 or +8801712345678)"),
    F.Field("email", F.email, help="for staff alerts by e-mail"),
    F.Field("on_call", F.boolean, clearable=False,
            help="on: staff alerts (incidents, devices down) reach them by SMS and e-mail"),
    F.Field("on_call_start", clock, help="on call from (e.g. 20:00, the ISP's time); "
            "empty with the end: all day"),
    F.Field("on_call_end", clock, help="... until (e.g. 08:00; may pass midnight)"),
    F.Field("on_call_days", weekdays, help="on call on these days (mon,tue,...; empty: every "
            "day)"),
]


def check_window(obj: StaffUser, values: dict) -> None:
    """The on-call hours have a start and an end, or neither, and they differ."""
    start = values.get("on_call_start", obj.on_call_start)
    end = values.get("on_call_end", obj.on_call_end)
    if (start is None) != (end is None):
        raise FuncError("the on-call hours need a start and an end (or neither)",
                        field="on_call_end" if start is not None else "on_call_start")
    if start is not None and start == end:
        raise FuncError("must differ from the start", field="on_call_end")


def alert_values(obj: StaffUser) -> dict:
    """The alert fields as a form shows them (times HH:MM, days mon,tue,...)."""
    values = {f.name: getattr(obj, f.name) for f in ALERTS}
    for key in TIMES:
        values[key] = values[key].strftime("%H:%M") if values[key] is not None else ""
    values["on_call_days"] = day_names(obj.on_call_days)
    values["on_call"] = bool(obj.on_call)
    return values


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
        LANG,
        F.Field("commission_percent", F.percent,
                help="commission: percent of the cash they collect (and of their cards' value "
                     "when no fixed amount is set)"),
        F.Field("commission_fixed", F.amount(),
                help="commission: a fixed amount per card of theirs redeemed"),
        *ALERTS,
    ]
    columns = ["id", "login", "role", "operator_id", "name", "disabled", "totp_enabled",
               "last_login_at", "lang", "commission_percent", "commission_fixed", "mobile",
               "email", "on_call"]
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
        check_window(obj, values)
        super().apply(call, obj, values, creating)
        if obj.on_call is None:
            obj.on_call = False

    def form(self, call: Call, obj):
        if obj is None:
            return {}
        return {**self.row(obj), **alert_values(obj)}

    def snapshot(self, obj):
        """audit.snapshot with the on-call hours as text (JSONB holds no times)."""
        values = super().snapshot(obj)
        for key in TIMES:
            if values is not None and values.get(key) is not None:
                values[key] = values[key].strftime("%H:%M")
        return values

    def remove(self, call: Call, obj: StaffUser) -> None:
        if obj.id == call.caller.user_id:
            raise FuncError("you cannot delete your own login", field="elid")
        call.session.delete(obj)


ENTITY = Users().register()


def me(call: Call) -> StaffUser:
    """The caller's own login (an API client or the system has none)."""
    user = call.session.get(StaffUser, call.caller.user_id) if call.caller.user_id else None
    if user is None:
        raise NotFound("no staff login for this caller", field="elid")
    return user


def own_settings(call: Call, fields: list[F.Field], shown, check=None) -> FormResult | OkResult:
    """One of the caller's own settings forms (the /account page): its values as shown, or the
    fields given parsed, checked (`check(user, values)`), set and audited as a change of the
    login."""
    user = me(call)
    if not call.sok:
        return FormResult(user.id, shown(user))
    values = F.parse_fields(fields, call.params, creating=True)
    if check is not None:
        check(user, values)
    before = ENTITY.snapshot(user)
    for key, value in values.items():
        setattr(user, key, value)
    call.session.flush()
    audit.record(call, "user", user.id, user.login, before, ENTITY.snapshot(user),
                 user.operator_id)
    return OkResult(user.id)


@function("me.alerts", kind="form", roles=OWN, money=False,
          params=tuple(f.param() for f in ALERTS))
def my_alerts(call: Call) -> FormResult | OkResult:
    """Your own mobile, e-mail and on-call hours: staff alerts reach you by SMS and e-mail
    while you are on call (any role; user.edit sets them for those below you)."""
    return own_settings(call, ALERTS, alert_values, check_window)


@function("me.lang", kind="form", roles=OWN, money=False, params=(LANG.param(),))
def my_lang(call: Call) -> FormResult | OkResult:
    """Your own pages' language, en (English) or bn (Bangla): any role, your own login only
    (user.edit sets it for those below you)."""
    return own_settings(call, [dataclasses.replace(LANG, required=True)],
                        lambda user: {"lang": user.lang or "en"})

"""operator, operator.edit, operator.delete: the reseller tree."""
from __future__ import annotations

import base64
import binascii
import hashlib
import re

import sqlalchemy as sa

from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.crud import Entity, first_root, resolve_operator
from radbill.functions.registry import AccessDenied, Call, FuncError
from radbill.functions.roles import RESELLERS
from radbill.models import Operator

CHILD_LEVEL = {None: "group", "group": "operator", "operator": "sub"}
LOGO_MAX = 200 * 1024
LOGO_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
# what the invoice prints for the operator (and, unset, takes from the nearest ancestor)
CONTACT = ("address", "phone", "email", "vat_number", "bkash_number", "payment_note")


def logo(raw: str) -> tuple[bytes, str]:
    """A PNG or JPEG of at most 200 KB, as base64 or a data: URL (the admin's upload sends one)."""
    text = raw.strip()
    if text.startswith("data:"):
        head, _, text = text.partition(",")
        if not head.endswith(";base64"):
            raise ValueError("must be a base64 data: URL")
    if len(text) > (LOGO_MAX * 4) // 3 + 8:
        raise ValueError("must be at most 200 KB")
    try:
        data = base64.b64decode(re.sub(r"\s+", "", text), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("must be a PNG or JPEG image, base64-encoded") from None
    if len(data) > LOGO_MAX:
        raise ValueError("must be at most 200 KB")
    kind = next((t for magic, t in LOGO_TYPES.items() if data.startswith(magic)), None)
    if kind is None:
        raise ValueError("must be a PNG or JPEG image")
    return data, kind


class Operators(Entity):
    name = "operator"
    model = Operator
    # operator.delete (a dry run first, the cascade, the archive) is
    # staff/functions/operator_delete.py's (issue 19)
    functions = ("list", "edit")
    fields = [
        F.Field("name", F.name_text, required=True),
        F.Field("parent", str, help="parent operator (id or name); default: yours"),
        F.Field("tenant", F.boolean, clearable=False,
                help="yes: a new group at the top of the tree, an ISP of its own that no other "
                     "sees (the system administrator only)"),
        F.Field("kind", F.choice("credit", "debit"), help="credit (limit) or debit (prepaid)",
                clearable=False),
        F.Field("credit_limit", F.amount(), clearable=False),
        F.Field("vat_percent", F.percent, clearable=False),
        F.Field("status", F.choice("active", "suspended"), clearable=False),
        F.Field("require_2fa", F.boolean, clearable=False),
        F.Field("allow_shared_mobile", F.boolean, clearable=False,
                help="customers may share a mobile number (a family's phone); off: refused"),
        F.Field("address", F.text(300), help="printed on invoices"),
        F.Field("phone", F.text(40, r"^\+?[0-9][0-9 ()-]{4,38}$", "a phone number"),
                help="printed on invoices"),
        F.Field("email", F.text(200, r"^[^@\s]+@[^@\s]+\.[^@\s]+$", "an e-mail address"),
                help="printed on invoices"),
        F.Field("vat_number", F.text(40, r"^[A-Za-z0-9/ -]{1,40}$", "letters, digits, / and -"),
                help="VAT registration (BIN), printed on invoices"),
        F.Field("bkash_number", F.text(20, r"^\+?[0-9][0-9 -]{9,18}$", "a mobile number"),
                help="bKash merchant number customers pay to"),
        F.Field("payment_note", F.text(500), help="how to pay, printed under the invoice"),
        F.Field("logo", logo, help="PNG or JPEG, at most 200 KB (base64 or a data: URL; upload a file at /operators/ID/logo)"),
    ]
    columns = ["id", "name", "parent_id", "level", "kind", "credit_limit", "vat_percent", "status",
               "require_2fa", "allow_shared_mobile", "path", *CONTACT, "logo_type"]
    search = ["name"]
    filters = {"kind": "kind", "level": "level", "status": "status"}
    money = frozenset({"kind", "credit_limit", "vat_percent", "vat_number", "bkash_number",
                       "payment_note"})
    list_roles = RESELLERS
    edit_roles = ("group_admin", "operator")

    def visible(self, call: Call, stmt: sa.Select) -> sa.Select:
        if call.caller.operator_path is None:
            return stmt
        return stmt.where(Operator.path.startswith(call.caller.operator_path, autoescape=True))

    def editable(self, call: Call, obj: Operator) -> bool:
        # nobody changes their own node (its limits, its status): that is the parent's call
        return call.caller.is_sysadmin or obj.id != call.caller.operator_id

    def snapshot(self, obj):
        """audit.snapshot without the logo's bytes (JSONB holds text): its type, size and
        digest."""
        values = audit.snapshot(obj)
        if values is not None and values.get("logo") is not None:
            data = values["logo"]
            values["logo"] = f"{len(data)} bytes sha256:{hashlib.sha256(data).hexdigest()[:16]}"
        return values

    def apply(self, call: Call, obj: Operator, values: dict, creating: bool) -> None:
        if "logo" in values:
            obj.logo, obj.logo_type = values.pop("logo") or (None, None)
        parent_ref = values.pop("parent", None)
        tenant = values.pop("tenant", None)
        if tenant and not call.caller.is_sysadmin:
            raise AccessDenied("only the system administrator creates tenants", field="tenant")
        if tenant and not creating and obj.parent_id is not None:
            raise FuncError("cannot be changed; an operator stays where it was made",
                            field="tenant")
        if tenant and creating and parent_ref not in (None, ""):
            raise FuncError("a tenant is a group at the top of the tree: it has no parent",
                            field="parent")
        if creating:
            parent = None if tenant else self._parent(call, parent_ref)
            level = CHILD_LEVEL.get(parent.level if parent else None)
            if level is None:
                raise FuncError("a sub-operator cannot have operators under it", field="parent")
            obj.parent_id = parent.id if parent else None
            obj.level = level
            obj.kind = "credit"
        elif parent_ref not in (None, "") and str(parent_ref) not in (str(obj.parent_id), obj.parent and obj.parent.name):
            raise FuncError("cannot be changed; create a new operator and move customers", field="parent")
        status = values.pop("status", None)
        if status is not None and status != (obj.status or "active"):
            if creating:
                raise FuncError("a new operator is active; suspend it afterwards", field="status")
            _change_status(call, obj, status)  # through the lifecycle (issue 19)
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
            # the first operator created becomes the group (the ISP itself); later ones go
            # under it unless made with tenant=yes (a group of their own, issue 19)
            return first_root(call.session)
        parent = resolve_operator(call, ref, field="parent")
        return parent

    def operator_of(self, obj: Operator) -> int | None:
        return obj.id


def _change_status(call: Call, op: Operator, status: str) -> None:
    """Suspend or resume by hand (reason manual): radbill.lifecycle.change_operator, and what
    follows for its customers (rating/operator_billing.py)."""
    from radbill.lifecycle import Actor, TransitionRefused
    from rating import operator_billing
    from rating.terms import today
    try:
        if status == "suspended":
            operator_billing.suspend(call.session, op, "manual", today(), Actor.of(call))
        else:
            operator_billing.resume(call.session, op, "manual", today(), Actor.of(call))
    except TransitionRefused as exc:
        raise FuncError(str(exc), field="status") from None


ENTITY = Operators().register()

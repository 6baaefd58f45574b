"""custom_field, custom_field.edit, custom_field.delete: an operator's extra customer fields
(issue 17; the values and their checks are customers/custom_fields.py's)."""
from __future__ import annotations

import sqlalchemy as sa

from radbill.functions import fields as F
from radbill.functions.crud import (Entity, may_manage, operator_path, resolve_operator,
                                    shared_with)
from radbill.functions.registry import Call, FuncError
from radbill.functions.roles import CUSTOMER_VIEWERS, RESELLERS
from radbill.models import Customer, Operator
from radbill.models.customdata import FIELD_KINDS, FIELD_NAME_RE, CustomField

MAX_CHOICES, CHOICE_MAX = 100, 100


def choices(raw: str) -> list[str]:
    """Options separated by commas (or new lines): each 1-100 characters, none twice."""
    items = [c.strip() for c in raw.replace("\n", ",").split(",")]
    items = [c for c in items if c]
    if len(items) > MAX_CHOICES:
        raise ValueError(f"at most {MAX_CHOICES} options")
    if any(len(c) > CHOICE_MAX for c in items):
        raise ValueError(f"an option is at most {CHOICE_MAX} characters")
    if len(set(items)) != len(items):
        raise ValueError("an option is given twice")
    return items


class CustomFields(Entity):
    name = "custom_field"
    model = CustomField
    fields = [
        F.Field("name", F.text(40, FIELD_NAME_RE.strip("^$"),
                               "an identifier: a lower-case letter, then letters, digits or _"),
                required=True, help="an identifier (customer.edit takes it as cf_<name>)"),
        F.Field("label", F.text(100), required=True, help="what the form and the page show"),
        F.Field("kind", F.choice(*FIELD_KINDS), clearable=False,
                help="text, number, date or choice"),
        F.Field("choices", choices, help="a choice field's options, comma-separated"),
        F.Field("required", F.boolean, clearable=False),
        F.Field("unique", F.boolean, clearable=False,
                help="two customers may not share a value"),
        F.Field("searchable", F.boolean, clearable=False,
                help="the customer list's search finds a customer by it"),
        F.Field("in_list", F.boolean, clearable=False, help="a column of the customer list"),
        F.Field("position", F.integer(0, 10000), clearable=False, help="order in the form"),
        F.Field("operator", str, help="whose customers it applies to (and its subtree's)"),
    ]
    columns = ["id", "name", "label", "kind", "choices", "required", "is_unique", "searchable",
               "in_list", "position", "operator_id"]
    search = ["name", "label"]
    filters = {"operator": "operator_id", "kind": "kind"}
    list_roles = CUSTOMER_VIEWERS
    edit_roles = RESELLERS
    default_sort = "position"

    def visible(self, call: Call, stmt: sa.Select) -> sa.Select:
        """Its own, its subtree's and its ancestors' definitions (those apply to its customers)."""
        return stmt.where(shared_with(call.caller.operator_path, CustomField.operator_id))

    def editable(self, call: Call, obj: CustomField) -> bool:
        """Only one's own subtree's: an ancestor's definition is read-only to a reseller."""
        return may_manage(call, obj.operator_id)

    def apply(self, call: Call, obj: CustomField, values: dict, creating: bool) -> None:
        if "operator" in values or creating:
            op = resolve_operator(call, values.pop("operator", None))
            if not creating and op.id != obj.operator_id and self._has_values(call, obj):
                raise FuncError("customers hold values of this field; it cannot move",
                                field="operator")
            obj.operator_id = op.id
        if "unique" in values:
            values["is_unique"] = values.pop("unique")
        for key, default in (("kind", "text"), ("required", False), ("is_unique", False),
                             ("searchable", False), ("in_list", False), ("position", 0)):
            if creating and key not in values:
                values[key] = default
        if "choices" in values:
            values["choices"] = values["choices"] or []
        kind = values.get("kind", obj.kind)
        opts = values.get("choices", obj.choices if not creating else [])
        if kind == "choice" and not opts:
            raise FuncError("a choice field needs its options", field="choices")
        if kind != "choice" and opts:
            raise FuncError("only a choice field has options", field="choices")
        if not creating and kind != obj.kind and self._has_values(call, obj):
            raise FuncError(f"customers hold values of this {obj.kind} field; its kind "
                            "cannot change", field="kind")
        name = values.get("name", obj.name)
        with call.session.no_autoflush:
            self._name_free(call, obj, name)
            if not creating and name != obj.name and self._has_values(call, obj):
                raise FuncError("customers hold values under this name; it cannot change",
                                field="name")
            if values.get("is_unique") and not (obj.is_unique if not creating else False):
                self._no_duplicates(call, obj, name)
            if not creating and kind == "choice" and "choices" in values:
                self._choices_kept(call, obj, opts)
        super().apply(call, obj, values, creating)

    def _chain_conflict(self, call: Call, operator_id: int, name: str, own_id: int | None):
        """A definition of the same name along the operator's chain: an ancestor's, its own or
        its subtree's (a customer would have two fields of one name)."""
        return call.session.scalars(sa.select(CustomField).where(
            CustomField.name == name, CustomField.id.is_distinct_from(own_id),
            shared_with(operator_path(call, operator_id), CustomField.operator_id))).first()

    def _name_free(self, call: Call, obj: CustomField, name: str) -> None:
        other = self._chain_conflict(call, obj.operator_id, name, obj.id)
        if other is not None:
            whose = "yours" if may_manage(call, other.operator_id) else "an upstream operator's"
            raise FuncError(f"{name!r} is already a custom field ({whose}) for these customers",
                            field="name")

    def _scope(self, call: Call, obj: CustomField):
        return Customer.operator_id.in_(sa.select(Operator.id).where(
            Operator.path.startswith(operator_path(call, obj.operator_id), autoescape=True)))

    def _has_values(self, call: Call, obj: CustomField) -> bool:
        return call.session.scalar(sa.select(Customer.id).where(
            Customer.custom_fields.has_key(obj.name), self._scope(call, obj)).limit(1)) is not None

    def _no_duplicates(self, call: Call, obj: CustomField, name: str) -> None:
        value = Customer.custom_fields[name].astext
        dup = call.session.execute(
            sa.select(value, sa.func.count()).where(
                Customer.custom_fields.has_key(name), Customer.deleted_at.is_(None),
                self._scope(call, obj)).group_by(value).having(sa.func.count() > 1).limit(1)).first()
        if dup is not None:
            raise FuncError(f"{dup[1]} customers share the value {F.short(dup[0])!r}; make them "
                            "differ first", field="unique")

    def _choices_kept(self, call: Call, obj: CustomField, opts: list[str]) -> None:
        value = Customer.custom_fields[obj.name].astext
        used = call.session.scalar(sa.select(value).where(
            Customer.custom_fields.has_key(obj.name), self._scope(call, obj),
            value.not_in(opts)).limit(1))
        if used is not None:
            raise FuncError(f"customers hold {F.short(used)!r}; keep it among the options",
                            field="choices")

    def row(self, obj: CustomField) -> dict:
        row = super().row(obj)
        row["choices"] = ", ".join(obj.choices or [])
        return row

    def form(self, call: Call, obj):
        if obj is None:
            return {"kind": "text", "required": False, "unique": False, "searchable": False,
                    "in_list": False, "position": 0}
        values = self.row(obj)
        values["unique"] = values.pop("is_unique")
        return values

    def delete(self, call: Call):
        """Removing a definition leaves its values in customers.custom_fields (no longer shown,
        checked or searched); a new field of the same name would show them again."""
        return super().delete(call)  # for its docstring: the function's description


ENTITY = CustomFields().register()


"""expense_category, expense_category.edit, expense_category.delete (issue 19).

Categories (one level of subcategories) belong to an operator and are offered to its subtree,
as packages are; a reseller sees its ancestors' and its own, changes only its own subtree's.
A subcategory hangs under a category of its own operator or one above it.
"""
from __future__ import annotations

import sqlalchemy as sa

from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.crud import Entity, may_manage, own_operator, shared_with, usable
from radbill.functions.registry import Call, FuncError, NotFound
from radbill.functions.roles import RESELLERS
from radbill.models import Operator
from radbill.models.books import Expense, ExpenseCategory
from rating import books

BOOKKEEPERS = RESELLERS  # a card distributor, a manager or a NOC login keeps no books


class Categories(Entity):
    name = "expense_category"
    model = ExpenseCategory
    money = True
    fields = [F.Field("name", F.text(100), required=True, help="what money is spent on"),
              F.Field("parent", F.text(100),
                      help="the category it is a subcategory of (empty: a category)"),
              F.Field("operator", F.text(100), help="whose (id or name); default: yours")]
    columns = ["id", "name", "parent", "operator_id", "created_at"]
    search = ["name"]
    filters = {"operator": "operator_id"}
    list_roles = edit_roles = BOOKKEEPERS
    default_sort = "name"

    def visible(self, call, stmt):
        return stmt.where(usable(call, ExpenseCategory.operator_id))

    def editable(self, call, obj):
        return may_manage(call, obj.operator_id)

    def row(self, obj):
        out = {c: audit.jsonable(getattr(obj, c)) for c in self.columns if c != "parent"}
        out["parent"] = obj.parent_id  # named in list()
        return out

    def list(self, call):
        result = super().list(call)
        names = books.category_names(call.session, [r["parent"] for r in result.rows if r["parent"]])
        for r in result.rows:
            r["parent"] = names.get(r["parent"]) if r["parent"] else None
        return result

    def apply(self, call, obj, values, creating):
        own_operator(call, obj, values, creating)
        if "parent" in values:
            ref = values.pop("parent")
            obj.parent_id = None if ref is None else self.parent_for(call, obj, ref).id
        if "name" in values:
            values["name"] = values["name"].strip()
        super().apply(call, obj, values, creating)
        taken = call.session.scalar(sa.select(ExpenseCategory.id).where(
            ExpenseCategory.operator_id == obj.operator_id,
            ExpenseCategory.parent_id.is_not_distinct_from(obj.parent_id),
            sa.func.lower(ExpenseCategory.name) == obj.name.lower(),
            ExpenseCategory.id.is_distinct_from(obj.id)))
        if taken is not None:
            raise FuncError(f"{obj.name!r} is taken", field="name")

    def parent_for(self, call, obj, ref: str) -> ExpenseCategory:
        """A top-level category offered to the category's operator (and seen by the caller)."""
        owner = call.session.get(Operator, obj.operator_id)
        parent = category_for(call, ref, owner, field="parent")
        if not owner.path.startswith(call.session.get(Operator, parent.operator_id).path):
            raise FuncError("belongs to an operator below this category's", field="parent")
        if parent.id == obj.id or parent.parent_id is not None:
            raise FuncError("must be a category, not a subcategory (one level only)",
                            field="parent")
        if obj.id is not None and call.session.scalar(sa.select(ExpenseCategory.id).where(
                ExpenseCategory.parent_id == obj.id).limit(1)):
            raise FuncError("this category has subcategories; it cannot become one",
                            field="parent")
        return parent

    def remove(self, call, obj):
        if call.session.scalar(sa.select(Expense.id).where(Expense.category_id == obj.id).limit(1)):
            raise FuncError(f"{obj.name!r} has expenses; it stays (their history is kept)",
                            field="elid")
        if call.session.scalar(sa.select(ExpenseCategory.id).where(
                ExpenseCategory.parent_id == obj.id).limit(1)):
            raise FuncError(f"{obj.name!r} has subcategories; delete them first", field="elid")
        call.session.delete(obj)


CATEGORIES = Categories().register()


def category_for(call: Call, ref: str, operator: Operator | None = None,
                 field: str = "category") -> ExpenseCategory:
    """The category named by id, name or "Parent / Child" that the caller sees and that is
    offered to `operator` (default: anything the caller sees); of two alike, the one owned
    nearest the operator."""
    ref = F.parse_one(field, F.text(210), ref.strip())
    parent = sa.orm.aliased(ExpenseCategory)
    owner = sa.orm.aliased(Operator)
    stmt = (sa.select(ExpenseCategory).join(owner, owner.id == ExpenseCategory.operator_id)
            .outerjoin(parent, parent.id == ExpenseCategory.parent_id)
            .where(usable(call, ExpenseCategory.operator_id)))
    if operator is not None:
        stmt = stmt.where(shared_with(operator.path, ExpenseCategory.operator_id))
    top, _, sub = ref.partition(" / ")
    if sub:
        named = sa.and_(sa.func.lower(parent.name) == top.strip().lower(),
                        sa.func.lower(ExpenseCategory.name) == sub.strip().lower())
    else:
        named = sa.func.lower(ExpenseCategory.name) == ref.lower()
    if (ident := F.as_id(ref)) is not None:
        named = sa.or_(ExpenseCategory.id == ident, named)
    found = call.session.scalars(stmt.where(named).order_by(
        sa.func.length(owner.path).desc(), ExpenseCategory.id).limit(1)).first()
    if found is None:
        raise NotFound(f"no expense category {F.short(ref)!r}", field=field)
    return found

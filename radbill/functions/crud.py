"""The list / X.edit / X.delete triple that most objects share, following the func API seed.

`X` lists (paginated, searchable); `X.edit` without `sok=ok` returns the form's values, with
`sok=ok` creates (no `elid`) or updates; `X.delete` succeeds even when nothing matched.
"""
from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy import and_

from radbill.functions import audit, hooks
from radbill.functions.fields import (Field, as_id, boolean, integer, is_id, parse_fields,
                                      parse_one, short)
from radbill.functions.registry import (AccessDenied, Call, FormResult, FuncError, ListResult,
                                        NotFound, OkResult, Param, function)
from radbill.models import Operator

MAX_PER_PAGE = 1000


class Entity:
    """Describe one kind of object; `register()` turns it into its three functions."""

    name: str
    model: type
    fields: list[Field] = []
    label: str = "name"
    columns: list[str] = []
    search: list[str] = []
    filters: dict[str, str] = {}
    list_roles: tuple[str, ...] | None = None
    edit_roles: tuple[str, ...] | None = None
    default_sort: str = "id"
    # money: True when the whole object is about money (bills, payments...), else the names of
    # its money columns and fields (stripped for roles that see none); None: not declared
    money: bool | frozenset[str] | None = None
    # what the list orders by for a sort column when not the column itself (an expression with
    # an index on (expression, id)); a keyset key holds the expression's value
    sort_exprs: dict[str, Any] = {}
    # a search runs each of its conditions on its own and takes the first rows of their union
    # (list): for lists whose search columns each have an index
    search_by_branch: bool = False
    # what register() makes: the list, X.edit, X.delete (fewer where the rest is made elsewhere)
    functions: tuple[str, ...] = ("list", "edit", "delete")

    # -- hooks a subclass fills in ------------------------------------------------------------
    def visible(self, call: Call, stmt: sa.Select) -> sa.Select:
        """Restrict a select to the objects the caller may see."""
        return stmt

    def editable(self, call: Call, obj: Any) -> bool:
        return True

    def row(self, obj: Any) -> dict[str, Any]:
        return {c: audit.jsonable(getattr(obj, c)) for c in self.columns}

    def form(self, call: Call, obj: Any | None) -> dict[str, Any]:
        return self.row(obj) if obj is not None else {}

    def apply(self, call: Call, obj: Any, values: dict[str, Any], creating: bool) -> None:
        for key, value in values.items():
            setattr(obj, key, value)

    def operator_of(self, obj: Any) -> int | None:
        return getattr(obj, "operator_id", None)

    def remove(self, call: Call, obj: Any) -> None:
        call.session.delete(obj)

    # -- shared machinery ----------------------------------------------------------------------
    def find(self, call: Call, ref: str, field: str = "elid", lock: bool = False) -> Any:
        """The visible object whose id or label is `ref`, else NotFound (never another's)."""
        stmt = sa.select(self.model)
        col = getattr(self.model, self.label)
        if (ref_id := as_id(ref, self.model.id)) is not None:
            stmt = stmt.where(sa.or_(self.model.id == ref_id, col == str(ref)))
        else:
            stmt = stmt.where(sa.func.lower(as_text(col)) == str(ref).lower())
        stmt = self.visible(call, stmt)
        if lock:
            stmt = stmt.with_for_update()
        obj = call.session.scalars(stmt.limit(1)).first()
        if obj is None:
            raise NotFound(f"no {self.name} {short(str(ref))!r}", field=field)
        return obj

    def list(self, call: Call) -> ListResult:
        base = self.visible(call, sa.select(self.model))
        q = (call.get("q") or "").strip()
        for param, column in self.filters.items():
            value = call.get(param)
            if value not in (None, ""):
                base = self.filter(base, param, column, value)
        branches = self.search_branches(call, q)
        stmt = base if not branches else base.where(sa.or_(*branches))
        page, per_page = page_params(call)
        total = counted(call, stmt)
        order = self.order(call)
        desc = self.sort_spec(call)[1]
        # a list in the standard order (its sort column, then id) also pages by keyset
        key = self.sort_column(call) if type(self).order is Entity.order else None
        sort_expr = None if key is None else self.sort_expression(key)
        after = call.get("after")
        if after and key is None:
            raise FuncError("this list pages by page number only", field="after")
        if after:  # a keyset page: the rows after that one, in the list's order
            later = keyset_after(key, sort_expr, self.model.id, after, desc)
            base, stmt, page = base.where(later), stmt.where(later), 1
        offset = (page - 1) * per_page
        if branches and self.search_by_branch and key is not None:
            # OR-ed prefixes are the planner's trap: it walks the (sort, id) index filtering
            # on them -- instant when matches come early in that order, every row when they
            # come late ('user09' among user000001..user100000: 180 ms) -- or collects every
            # match and sorts them. Each branch alone takes the first rows in the list's order
            # by its own index (the sort column's prefix is a range of the order's own index),
            # and the page is the first of their union.
            need = offset + per_page
            firsts = sa.union_all(*[base.where(b).with_only_columns(self.model.id)
                                    .order_by(*order).limit(need) for b in branches])
            stmt = sa.select(self.model).where(self.model.id.in_(sa.select(firsts.subquery())))
        stmt = stmt.order_by(*order).limit(per_page).offset(offset).options(*self.load_options())
        if sort_expr is None:
            objs, keys = list(call.session.scalars(stmt)), None
        else:  # each row's key as the database sorts it: (sort value, id)
            found = call.session.execute(stmt.add_columns(sort_expr)).all()
            objs = [obj for obj, _value in found]
            keys = [json.dumps([audit.jsonable(value), obj.id]) for obj, value in found]
        return ListResult([self.row(obj) for obj in objs], total, page, per_page,
                          list(self.columns), keys)

    def search_branches(self, call: Call, q: str) -> list:
        """What `q` matches, one condition a way: a prefix of each search column (the sort
        column's as its sort expression, so the order's index serves it), search_terms."""
        if not q or not (self.search or self.search_terms(q)):
            return []
        like = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        sort_key = self.sort_spec(call)[0]
        out = []
        for c in self.search:
            expr = self.sort_exprs.get(c) if c == sort_key else None
            out.append((expr() if expr else sa.func.lower(as_text(getattr(self.model, c))))
                       .like(like))
        return out + list(self.search_terms(q))

    def load_options(self) -> list:
        """Loader options for a page's rows (the relations row() reads, loaded at once)."""
        return []

    def sort_expression(self, col):
        """What the list orders by for a sort column (sort_exprs, else the column)."""
        expr = self.sort_exprs.get(col.key)
        return expr() if expr else col

    def snapshot(self, obj: Any) -> dict[str, Any] | None:
        """The object's values as the audit log keeps them."""
        return audit.snapshot(obj)

    def search_terms(self, q: str) -> list:
        """Conditions beside the search columns' prefixes that also find a row for `q`."""
        return []

    def filter(self, stmt: sa.Select, param: str, column: str, value: str) -> sa.Select:
        col = getattr(self.model, column)
        if isinstance(col.type, sa.Integer):  # compared as a number, so its index serves
            ident = as_id(value, col)
            return stmt.where(col == ident if ident is not None else sa.false())
        return stmt.where(sa.cast(col, sa.Text) == value)

    def sort_spec(self, call: Call) -> tuple[str, bool]:
        """The sort parameter (default_sort without one): the column's name, and descending."""
        sort = call.get("sort") or self.default_sort
        return sort.lstrip("-"), sort.startswith("-")

    def sort_column(self, call: Call):
        key = self.sort_spec(call)[0]
        col = getattr(self.model, key, None) if key in self.columns or key == "id" else None
        if not isinstance(getattr(col, "property", None), sa.orm.ColumnProperty):
            raise FuncError(f"cannot sort by {short(key)!r}", field="sort")
        return col

    def order(self, call: Call) -> list:
        """The sort column (its sort expression), then id in the same direction (so (col, id)
        is one index's order and a keyset page compares the pair)."""
        col = self.sort_expression(self.sort_column(call))
        if self.sort_spec(call)[1]:
            return [col.desc(), self.model.id.desc()]
        return [col.asc(), self.model.id.asc()]

    def edit(self, call: Call) -> FormResult | OkResult:
        obj = self.find(call, call.elid) if call.elid else None
        if not call.sok:
            return FormResult(obj.id if obj is not None else None, self.form(call, obj))
        return OkResult(self.save(call, obj).id)

    def save(self, call: Call, obj: Any | None) -> Any:
        """X.edit's change, with the call's params, of `obj` as the caller found (or locked) it,
        None for a new one: the rights, the fields parsed, apply, the audit row."""
        if obj is not None and not self.editable(call, obj):
            raise AccessDenied(f"you may not change this {self.name}")
        creating = obj is None
        values = parse_fields(self.fields, call.params, creating=creating)
        before = self.snapshot(obj)
        if creating:
            obj = self.model()
        self.apply(call, obj, values, creating)
        if creating:
            call.session.add(obj)
        call.session.flush()
        if creating:  # e.g. a router's or OLT's status check (monitoring/devices.py)
            hooks.run("entity_created", call, self.name, obj)
        audit.record(call, self.name, obj.id, str(getattr(obj, self.label)), before,
                     self.snapshot(obj), self.operator_of(obj))
        return obj

    def delete(self, call: Call) -> OkResult:
        for ref in (call.elid or "").split(","):
            ref = ref.strip()
            if not ref:
                continue
            try:
                obj = self.find(call, ref)
            except NotFound:
                continue  # the seed's convention: deleting nothing succeeds
            if not self.editable(call, obj):
                raise AccessDenied(f"you may not delete this {self.name}")
            before = self.snapshot(obj)
            hooks.run("entity_deleted", call, self.name, obj)
            self.remove(call, obj)
            call.session.flush()
            audit.record(call, self.name, obj.id, str(getattr(obj, self.label)), before, None,
                         self.operator_of(obj))
        return OkResult()

    def extra_params(self) -> tuple[Param, ...]:
        """Parameters of X.edit beside the fields (write-only ones the entity reads itself)."""
        return ()

    def register(self) -> Entity:
        params = tuple(f.param() for f in self.fields) + self.extra_params()
        money = self.money
        if "list" in self.functions:
            function(self.name, kind="list", roles=self.list_roles, money=money,
                     params=(Param("q", "search"), Param("page"), Param("per_page"),
                             Param("sort")) + tuple(Param(k, "filter") for k in self.filters))(
                self.list)
        if "edit" in self.functions:
            function(f"{self.name}.edit", kind="form", roles=self.edit_roles, money=money,
                     params=(Param("elid", f"the {self.name}'s id or {self.label}"),)
                     + params)(self.edit)
        if "delete" in self.functions:
            function(f"{self.name}.delete", roles=self.edit_roles,
                     money=None if money is None else money is True,
                     params=(Param("elid", "ids or names, comma-separated", multi=True),))(
                self.delete)
        return self


def as_text(col):
    """A text column as it is (so its lower() index serves), anything else cast to text."""
    return col if isinstance(col.type, (sa.Text, sa.String)) else sa.cast(col, sa.Text)


def counted(call: Call, stmt: sa.Select) -> int | None:
    """How many rows `stmt` matches, unless the caller said count=no (a client paging by
    cursor that needs no total: counting every match is most of a big list's cost)."""
    raw = call.get("count")
    if raw not in (None, "") and not parse_one("count", boolean, raw):
        return None
    return call.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))


def keyset_after(col, expr, id_col, after: str, desc: bool):
    """Rows after the row whose key (ListResult.keys: [sort value, id]) is `after`, in the
    order (expr, id) ascending or both descending (`expr`: what the list orders `col` by);
    PostgreSQL sorts NULL after every value ascending and before descending. A NOT NULL column
    compares as a row value, which the (expr, id) index answers as a range."""
    try:
        value, last = json.loads(after)
    except (ValueError, TypeError):
        raise FuncError("is not a row key a list gave", field="after") from None
    if not isinstance(last, int) or isinstance(last, bool) or \
            not isinstance(value, (str, int, float, bool, type(None))):
        raise FuncError("is not a row key a list gave", field="after")
    if value is not None and not isinstance(col.type, (sa.Text, sa.String)):
        value = sa.cast(sa.literal(str(value)), col.type)
    later = (lambda a, b: a < b) if desc else (lambda a, b: a > b)
    if value is None:  # inside the NULLs: those with a later id, then (descending) the values
        rest = and_(expr.is_(None), later(id_col, last))
        return sa.or_(rest, expr.is_not(None)) if desc else rest
    pair = later(sa.tuple_(expr, id_col), sa.tuple_(value, sa.literal(last)))
    nullable = any(getattr(c, "nullable", True) for c in col.property.columns)
    return sa.or_(pair, expr.is_(None)) if nullable and not desc else pair


MAX_PAGE = 10_000_000  # page * per_page stays far inside a bigint OFFSET


def paged(call: Call, stmt: sa.Select, columns: list[str], row, *order) -> ListResult:
    """The page of `stmt` (ordered by `order`) the caller asked for, with the total; `row`
    turns each result row's entities and values into the row's dict."""
    page, per_page = page_params(call)
    total = counted(call, stmt)
    result = call.session.execute(stmt.order_by(*order).limit(per_page)
                                  .offset((page - 1) * per_page))
    return ListResult([row(*r) for r in result], total, page, per_page, list(columns))


def page_params(call: Call) -> tuple[int, int]:
    """page (1..MAX_PAGE) and per_page (1..MAX_PER_PAGE), each refused naming itself."""
    errors = {}
    values = []
    for name, alias, default, hi in (("page", "p_num", 1, MAX_PAGE),
                                     ("per_page", "p_cnt", 50, MAX_PER_PAGE)):
        raw = call.get(name) or call.get(alias) or ""
        try:
            values.append(integer(1, hi)(raw) if raw.strip() else default)
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        raise FuncError(errors=errors)
    return values[0], values[1]


# -- the operator tree as a scope -------------------------------------------------------------
def in_subtree(call: Call, operator_col) -> sa.ColumnElement[bool]:
    """operator_col belongs to an operator inside the caller's subtree."""
    if call.caller.operator_path is None:
        return sa.true()
    sub = sa.select(Operator.id).where(Operator.path.startswith(call.caller.operator_path,
                                                                autoescape=True))
    return operator_col.in_(sub)


def usable(call: Call, operator_col) -> sa.ColumnElement[bool]:
    """Shared objects: global ones, the caller's ancestors' ones and its subtree's."""
    return shared_with(call.caller.operator_path, operator_col)


def shared_with(path: str | None, operator_col) -> sa.ColumnElement[bool]:
    """Objects offered to the operator at `path` (None: everything)."""
    if path is None:
        return sa.true()
    ancestors = [int(x) for x in path.strip("/").split("/") if x]
    subtree = sa.select(Operator.id).where(Operator.path.startswith(path, autoescape=True))
    return sa.or_(operator_col.is_(None), operator_col.in_(ancestors), operator_col.in_(subtree))


def operator_path(call: Call, operator_id: int | None) -> str | None:
    if operator_id is None:
        return None
    return call.session.scalar(sa.select(Operator.path).where(Operator.id == operator_id))


def may_manage(call: Call, operator_id: int | None) -> bool:
    """Whether the caller may change an object owned by `operator_id` (None: global)."""
    if call.caller.is_sysadmin:
        return True
    if operator_id is None:
        return False
    return call.caller.sees(operator_path(call, operator_id))


def own_operator(call: Call, obj, values: dict, creating: bool) -> None:
    """For an object an operator owns: `operator` names it (resolve_operator: the caller's own
    when creating without one), and the caller must manage it (may_manage)."""
    ref = values.pop("operator", None)
    if creating or ref not in (None, ""):
        obj.operator_id = resolve_operator(call, ref).id
    if not may_manage(call, obj.operator_id):
        raise AccessDenied("is outside your subtree", field="operator")


def root_operator(call: Call) -> Operator:
    """The group at the top of the caller's tree: its tenant (issue 19), or for the system
    administrator the first group (the ISP the install was made for), made on first need."""
    if call.caller.tenant_id is not None:
        op = call.session.get(Operator, call.caller.tenant_id)
        if op is not None:
            return op
    op = first_root(call.session)
    if op is None:
        from radbill import settings
        op = Operator(name=settings.get().isp_name, level="group", kind="credit", path="")
        call.session.add(op)
        call.session.flush()
        op.path = f"/{op.id}/"
        call.session.flush()
    return op


def owns_globals(call: Call) -> bool:
    """Whether global objects (no operator: a shared NAS...) are the caller's own to run: the
    system administrator's; and, while the tree has one group only (no tenants), its staff's
    at the top, as the ISP's own. With tenants they belong to no tenant (issue 19)."""
    if call.caller.is_sysadmin:
        return True
    if call.caller.tenant_id is None or call.caller.operator_id != call.caller.tenant_id:
        return False
    roots = call.session.scalars(sa.select(Operator.id).where(Operator.parent_id.is_(None))
                                 .limit(2)).all()
    return roots == [call.caller.tenant_id]


def first_root(session) -> Operator | None:
    """The first group made (the ISP the install was made for; other groups are tenants)."""
    return session.scalars(sa.select(Operator).where(Operator.parent_id.is_(None))
                           .order_by(Operator.id).limit(1)).first()


def tenant_of(session, operator_id: int | None) -> Operator | None:
    """The group (tenant root) at the top of an operator's branch; None for None."""
    if operator_id is None:
        return None
    path = session.scalar(sa.select(Operator.path).where(Operator.id == operator_id)) or ""
    top = path.strip("/").partition("/")[0]
    return session.get(Operator, int(top)) if top.isdigit() else None


def isp_name(session, operator_id: int | None, install: str | None = None) -> str:
    """The ISP's name as customers read it (invoices, receipts, messages, pages): a tenant's
    own name (the group at the top of the operator's branch); the install's name (`install`,
    else the RADBILL_ISP_NAME setting) for the install's first group and for nothing in
    particular."""
    top = tenant_of(session, operator_id)
    if top is not None and top.id != first_root(session).id:
        return top.name
    if install is None:
        from radbill import settings
        install = settings.get().isp_name
    return install


def operator_name(session, op: Operator | None) -> str:
    """An operator's name as its customers read it (messages, receipts): a reseller's own; a
    group's, and no operator's, its ISP's (isp_name)."""
    if op is not None and op.parent_id is not None:
        return op.name
    return isp_name(session, op.id if op is not None else None)


def resolve_operator(call: Call, ref: str | None, field: str = "operator") -> Operator:
    """The operator named by id or name inside the caller's subtree; default the caller's own."""
    if ref in (None, ""):
        if call.caller.operator_id is None:
            return root_operator(call)
        return call.session.get(Operator, call.caller.operator_id)
    stmt = sa.select(Operator)
    stmt = stmt.where(Operator.id == as_id(ref)) if is_id(ref) else \
        stmt.where(sa.func.lower(Operator.name) == str(ref).lower())
    op = call.session.scalars(stmt).first()
    if op is None:
        raise FuncError(f"no operator {ref!r}", field=field)
    if not call.caller.sees(op.path):
        raise AccessDenied("is outside your subtree", field=field)
    return op

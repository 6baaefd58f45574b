"""The REST resources (issue 15): each names the function noun it stands for and its actions;
everything else (parameters, columns, which operations exist) is read from the registry.

| method and path                    | function                        |
|------------------------------------|---------------------------------|
| GET    /api/v1/<res>               | <noun>        (the list)        |
| POST   /api/v1/<res>               | <noun>.edit   with sok=ok       |
| GET    /api/v1/<res>/{id}          | <noun>.edit   without sok (the form's values) |
| PATCH  /api/v1/<res>/{id}          | <noun>.edit   with elid and sok |
| DELETE /api/v1/<res>/{id}          | <noun>.delete with elid         |
| POST   /api/v1/<res>/{id}/<action> | <noun>.<action> with elid       |
"""
from __future__ import annotations

from dataclasses import dataclass

from radbill.functions.crud import Entity
from radbill.functions.registry import CONTROL_PARAMS, Function, Param, load_all

# the list functions' paging and search parameters, which the REST API names its own way
LIST_RENAMES = {"q": "search"}
LIST_HIDDEN = {"page", "per_page", "p_num", "p_cnt"}


@dataclass(frozen=True)
class Resource:
    name: str  # the path segment: customers
    noun: str  # the function noun: customer
    actions: tuple[str, ...] = ()  # <noun>.<action> functions taking elid, POSTed to /{id}/<action>
    extra_prefix: str | None = None  # body fields beside .edit's params (customers' cf_*)

    def fn(self, suffix: str = "") -> Function | None:
        return load_all().get(self.noun + (f".{suffix}" if suffix else ""))

    @property
    def list_fn(self) -> Function | None:
        fn = self.fn()
        return fn if fn is not None and fn.kind == "list" else None

    @property
    def edit_fn(self) -> Function | None:
        fn = self.fn("edit")
        return fn if fn is not None and fn.kind == "form" else None

    @property
    def delete_fn(self) -> Function | None:
        return self.fn("delete")

    def action_fn(self, action: str) -> Function | None:
        return self.fn(action) if action in self.actions else None

    @property
    def entity(self) -> Entity | None:
        """The crud.Entity behind the list, when there is one (its columns)."""
        fn = self.list_fn
        owner = getattr(fn.handler, "__self__", None) if fn is not None else None
        return owner if isinstance(owner, Entity) else None

    def query_params(self) -> list[Param]:
        """The list's filters and search as the REST API names them (limit/cursor page it)."""
        fn = self.list_fn
        if fn is None:
            return []
        return [Param(LIST_RENAMES.get(p.name, p.name), p.help, p.required, p.multi)
                for p in fn.params if p.name not in LIST_HIDDEN]

    def body_params(self, fn: Function) -> list[Param]:
        """A write function's parameters a JSON body may carry (the id comes from the path)."""
        return [p for p in fn.params if p.name not in CONTROL_PARAMS]


RESOURCES: dict[str, Resource] = {r.name: r for r in (
    Resource("customers", "customer", ("suspend", "resume", "disable", "enable", "restore"),
             extra_prefix="cf_"),
    Resource("packages", "package"),
    Resource("bills", "bill"),
    Resource("payments", "payment", ("verify", "reverse")),
    Resource("cards", "card"),
    Resource("nas", "nas"),
    Resource("pools", "pool"),
    Resource("operators", "operator", ("fund",)),
    Resource("complaints", "complaint"),
    Resource("events", "event"),
)}


def missing() -> list[str]:
    """What the table names that the registry does not offer (the tests insist on none)."""
    out = []
    for r in RESOURCES.values():
        if r.list_fn is None:
            out.append(r.noun)
        for a in r.actions:
            fn = r.fn(a)
            if fn is None or "elid" not in {p.name for p in fn.params}:
                out.append(f"{r.noun}.{a}")
    return out

"""customer.bulk and customer.bulk_mac: one change for many customers, previewed, then applied by
a background task (customers/bulk.py)."""
from __future__ import annotations

import csv
import io

import sqlalchemy as sa

from customers import bulk
from radbill.functions import fields as F
from radbill.functions.crud import page_params, resolve_operator
from radbill.functions.registry import (Call, FormResult, FuncError, ListResult, OkResult, Param,
                                        function)
from radbill.functions.roles import CUSTOMER_VIEWERS, DEVICE_STAFF, RESELLERS
from radbill.models import Customer

LARGE = 100  # a change to more customers than this needs confirm=<the count its preview showed>
SAMPLE = 5
MISSING_SHOWN = 50
FILTERS = ("q", "status", "service", "operator", "package", "zone")
CHANGEABLE = tuple(f for f in bulk.FIELDS if f != "mac")  # MACs come one a customer: bulk_mac


def entity():
    from customers.functions.customers import ENTITY
    return ENTITY


# -- the selection ------------------------------------------------------------------------------
def selection(call: Call) -> tuple[list[int], list[str], str]:
    """(ids, refs that matched nothing, how chosen): a pasted list (`users`), ticked rows
    (`elid`), or else every customer the list's filters and search (`q`) match."""
    ent = entity()
    visible = ent.visible(call, sa.select(Customer.id))
    raw = call.get("users")
    if raw is not None and raw.strip():
        refs = bulk.parse_list(F.parse_one("users", F.text(3_000_000), raw))
        ids, missing = bulk.resolve_refs(call.session, visible, refs)
        return ids, missing, "list"
    if call.elid:
        refs = [r.strip() for r in call.elid.split(",") if r.strip()]
        if len(refs) > bulk.MAX_LIST:
            raise FuncError(f"at most {bulk.MAX_LIST:,} customers at once", field="elid")
        ids, missing = bulk.resolve_refs(call.session, visible, refs, ids_only=True)
        return ids, missing, "ticked"
    stmt = visible
    for param, column in ent.filters.items():
        value = call.get(param)
        if value not in (None, "") and param in FILTERS:
            stmt = ent.filter(stmt, param, column, F.parse_one(param, F.text(200), value))
    q = F.parse_one("q", F.text(200), call.get("q") or "").strip()
    branches = ent.search_branches(call, q)
    if branches:
        stmt = stmt.where(sa.or_(*branches))
    return list(call.session.scalars(stmt.order_by(Customer.id))), [], "filter"


# -- the change ---------------------------------------------------------------------------------
def change(call: Call) -> tuple[str, str | None]:
    """The field and its value, checked as far as they can be before each customer's own
    checks (a package the caller may use, an operator in their subtree...)."""
    field = F.parse_one("field", F.choice(*CHANGEABLE), (call.get("field") or "").strip())
    raw = (call.get("value") or "").strip()
    if raw == "" and field not in ("zone", "billing_profile"):
        raise FuncError("is required: the new " + field.replace("_", " "), field="value")
    value = F.parse_one("value", F.text(200), raw) if raw else None
    from customers.functions.zones import ENTITY as zones
    from packages.functions.packages import ENTITY as packages
    from rating.functions.billing_profiles import ENTITY as profiles
    try:
        if field == "package":
            value = str(packages.find(call, value, field="value").id)
        elif field == "billing_profile" and value:
            value = str(profiles.find(call, value, field="value").id)
        elif field == "zone" and value:
            zone = zones.find(call, value, field="value")
            value = zone.name
        elif field == "operator":
            value = str(resolve_operator(call, value, field="value").id)
        elif field == "expires":
            value = F.parse_one("value", F.when, value).isoformat()
        elif field == "extend_days":
            days = F.parse_one("value", F.integer(-3650, 3650), value)
            if days == 0:
                raise FuncError("must not be 0", field="value")
            value = str(days)
        elif field == "status":
            value = F.parse_one("value", F.choice(*bulk.STATUSES), value)
    except FuncError as exc:  # a lookup names its own field; here it is the value
        raise FuncError(exc.errors.get("value") or exc.message, field="value",
                        status=exc.status) from None
    return field, value


def shown(c: Customer, field: str) -> str | None:
    """The customer's value of `field` as a person reads it."""
    if field in ("package", "package_replace"):
        return c.package.name if c.package else None
    if field == "billing_profile":
        return c.billing_profile.name if c.billing_profile else None
    if field == "zone":
        return c.zone.name if c.zone else None
    if field == "operator":
        return c.operator.name if c.operator else None
    if field in ("expires", "extend_days"):
        return c.expires_at.isoformat() if c.expires_at else None
    if field == "status":
        return bulk.lifecycle.state_of(c)
    return getattr(c, field, None)


def dry_run(call: Call, ids: list[int], field: str, values: dict[int, str | None],
            params: dict | None = None, more=None) -> list[dict]:
    """The first few customers' change made and undone (a savepoint rolled back), as the task
    makes it (its applier and `params`): what each would become (`more(customer)` adds to
    the row), or why it is refused."""
    out = []
    for cid in ids[:SAMPLE]:
        c = call.session.get(Customer, cid)
        row = {"username": c.username, "before": shown(c, field)}
        nested = call.session.begin_nested()
        try:
            if field == "status":
                refused = bulk.apply_status(call.session, call.caller, [c], values[cid],
                                            None)
                if refused:
                    raise FuncError(refused[cid], field="value")
            else:
                applier = bulk.APPLIERS.get(field, bulk.apply_one)
                applier(call.session, call.caller, c, field, values[cid], params)
            call.session.flush()
            call.session.refresh(c)
            row["after"] = shown(c, field)
            row.update(more(c) if more else {})
        except FuncError as exc:
            row["refused"] = bulk.reason(exc)
        finally:
            nested.rollback()
        call.session.expire(c)
        out.append(row)
    return out


def confirm(call: Call, count: int) -> None:
    raw = call.get("confirm")
    given = F.parse_one("confirm", F.integer(0), raw) if raw not in (None, "") else None
    if count > LARGE and given != count:
        said = f"confirm={given} does not match: " if given is not None else \
            "a change to many customers needs confirm: "
        raise FuncError(f"{said}it changes {count} customers; look at its preview (without "
                        f"sok=ok), then send confirm={count}", field="confirm")


SELECTION_PARAMS = (
    Param("elid", "ticked customers: ids or usernames", multi=True),
    Param("users", "or a list of usernames or ids, one a line (a CSV with a username column)"),
    Param("q", "or the customer list's search"), Param("status", "list filter"),
    Param("service", "list filter"), Param("operator", "list filter"),
    Param("package", "list filter"), Param("zone", "list filter"))


@function("customer.bulk", kind="form", roles=RESELLERS, money=False,
          params=SELECTION_PARAMS + (
              Param("field", "what to change: " + ", ".join(CHANGEABLE), True),
              Param("value", "the new value (extend_days: days, may be negative; status: "
                             "active, suspended or disabled)"),
              Param("note", "for a status change: a note for the suspension log"),
              Param("confirm", "for many customers: the count the preview showed")))
def customer_bulk(call: Call):
    """Change one thing for many customers. Without sok=ok a preview: how many are selected,
    names that match none, and a few customers' change made and undone; with sok=ok a
    background task applies it to each (audited per customer; a refusal is reported for that
    customer and the rest go on)."""
    field, value = change(call)
    note = F.parse_one("note", F.text(500), call.get("note")) if call.get("note") else None
    ids, missing, how = selection(call)
    if not call.sok:
        return FormResult(None, preview(call, ids, missing, how, field,
                                        {i: value for i in ids[:SAMPLE]}))
    if not ids:
        raise FuncError("selects no customer", field="users" if how == "list" else
                        ("elid" if how == "ticked" else "q"))
    confirm(call, len(ids))
    title = f"bulk change: {field} = {value if value is not None else '(none)'} for " \
            f"{len(ids):,} customers"
    task = bulk.start(call.session, call, field, value, ids, title=title, note=note)
    return OkResult(task.id, {"task": task.id, "customers": len(ids), "unmatched": len(missing)})


def preview(call: Call, ids: list[int], missing: list[str], how: str, field: str,
            values: dict[int, str | None]) -> dict:
    given = {k: call.get(k) for k in ("field", "value", "note", *FILTERS) if call.get(k)}
    return {**given, "selected_by": how, "matched": len(ids), "unmatched": len(missing),
            "unmatched_names": missing[:MISSING_SHOWN], "sample": dry_run(call, ids, field, values),
            "confirm_needed": len(ids) > LARGE}


# -- MACs from a file ---------------------------------------------------------------------------
def mac_lines(raw: str) -> tuple[dict[str, str], list[str]]:
    """{username: MAC} from `username,mac` lines (a header line is skipped); the bad lines."""
    pairs: dict[str, str] = {}
    bad: list[str] = []
    macs: dict[str, str] = {}
    for n, row in enumerate(csv.reader(io.StringIO(raw)), start=1):
        row = [c.strip() for c in row]
        if not any(row):
            continue
        if n == 1 and row[0].lower().lstrip("\ufeff") in ("username", "user", "login"):
            continue
        if len(row) < 2:
            bad.append(f"line {n}: give username,mac")
            continue
        user = row[0].lstrip("\ufeff")
        try:
            mac = F.mac(F.clean(row[1]))
        except ValueError as exc:
            bad.append(f"line {n}: {exc}")
            continue
        if user.lower() in pairs:
            bad.append(f"line {n}: {F.short(user)!r} is given twice")
        elif mac in macs:
            bad.append(f"line {n}: {mac} is also given to {F.short(macs[mac])!r}")
        else:
            pairs[user.lower()] = mac
            macs[mac] = user
        if len(pairs) > bulk.MAX_LIST:
            raise FuncError(f"at most {bulk.MAX_LIST:,} lines", field="lines")
    return pairs, bad


@function("customer.bulk_mac", kind="form", roles=RESELLERS, money=False,
          params=(Param("lines", "username,mac lines (a CSV file's text)", True),
                  Param("confirm", "for many customers: the count the preview showed")))
def customer_bulk_mac(call: Call):
    """Bind MAC addresses from a file of username,mac lines. Without sok=ok a preview (bad
    lines, names that match none); with sok=ok a background task binds each (a MAC bound to
    another customer is refused for that line)."""
    raw = call.get("lines") or ""
    if not raw.strip():
        raise FuncError("is required: username,mac lines", field="lines")
    pairs, bad = mac_lines(F.parse_one("lines", F.text(5_000_000), raw))
    visible = entity().visible(call, sa.select(Customer.id))
    ids, missing = bulk.resolve_refs(call.session, visible, list(pairs))
    names = dict(call.session.execute(sa.select(Customer.id, sa.func.lower(Customer.username))
                                      .where(Customer.id.in_(ids))).all()) if ids else {}
    values = {cid: pairs.get(name) or pairs.get(str(cid)) for cid, name in names.items()}
    if not call.sok:
        return FormResult(None, {"matched": len(ids), "bad_lines": len(bad),
                                 "bad": bad[:MISSING_SHOWN], "unmatched": len(missing),
                                 "unmatched_names": missing[:MISSING_SHOWN],
                                 "sample": dry_run(call, ids, "mac", values),
                                 "confirm_needed": len(ids) > LARGE})
    if bad:
        raise FuncError(f"{len(bad)} bad lines, the first: {bad[0]}", field="lines")
    if not ids:
        raise FuncError("names no customer of yours", field="lines")
    confirm(call, len(ids))
    task = bulk.start(call.session, call, "mac", None, ids, values=values,
                      title=f"bulk MAC binding for {len(ids):,} customers")
    return OkResult(task.id, {"task": task.id, "customers": len(ids), "unmatched": len(missing)})


# -- what a bulk task refused -------------------------------------------------------------------
@function("task.errors", kind="list", roles=tuple(sorted(set(CUSTOMER_VIEWERS + DEVICE_STAFF))),
          money=False,
          params=(Param("elid", "the task's id", True), Param("q", "search a username"),
                  Param("page"), Param("per_page")))
def task_errors(call: Call) -> ListResult:
    """The customers a bulk change refused, each with the reason (the first 200 a task keeps;
    its failed count is all of them)."""
    from logs.functions.tasks import find
    task = find(call, call.elid)
    rows = [{"username": u, "reason": why} for u, why in (task.params or {}).get("errors") or []]
    q = F.parse_one("q", F.text(200), call.get("q") or "").strip().lower()
    if q:
        rows = [r for r in rows if r["username"].lower().startswith(q)]
    page, per_page = page_params(call)
    return ListResult(rows[(page - 1) * per_page:page * per_page], len(rows), page, per_page,
                      ["username", "reason"])

"""Pages for any registered function, chosen by its kind: list, form or action.

/billmgr without `out` comes here, so a page's URL is its API call: add out=xml to get the data.
"""
from __future__ import annotations

import json
from urllib.parse import urlencode, urlsplit

from flask import flash, g, redirect, render_template, request, url_for

from radbill.functions.fields import as_id
from radbill.functions.registry import (IDEMPOTENCY_KEY, FileResult, FormResult, FuncError,
                                        ListResult, OkResult, load_all, request_line)

from admin import fmt, labels, menus
from admin.api import respond
from admin.calls import run
from admin.extensions import csrf
from admin.pages import cells, forms

LIST_TEMPLATES = {"customer": "customers/list.html", "audit": "logs/audit.html"}
# lists too wide to read whole: the columns shown (CSV export and the API keep every column)
LIST_COLUMNS = {"customer": ["username", "name", "mobile", "mac", "static_ip", "status", "package",
                             "expires_at", "advance_balance", "last_seen_at"],
                "package": ["name", "rate_down", "rate_up", "price", "wholesale_price",
                            "validity_days", "data_cap", "fup_rate_down", "fup_rate_up", "pool",
                            "sim_use", "hotspot", "time_limit", "data_limit", "online",
                            "operator_id"],
                "operator": ["name", "parent_id", "level", "kind", "credit_limit", "vat_percent",
                             "status", "require_2fa", "allow_shared_mobile"],
                "outbox": ["id", "created_at", "kind", "status", "username", "attempts",
                           "last_error", "next_attempt_at", "done_at", "payload"]}
# have a page of their own (the customer list links to them)
OWN_PAGES = {"customer.import", "customer.bulk", "customer.bulk_mac"}
# X.edit of an existing row whose page of its own shows it better than the generic form (the
# list's row links and linked names open X.edit): endpoint, its id argument
EDIT_PAGES = {"complaint.edit": ("dashboard.complaint", "cid")}
# actions whose confirmation is a page of their own: operator.delete shows its dry run there
OWN_CONFIRM = {"operator.delete": "operators.show"}  # (issue 19)
PAGE_CONTROL = {"back", "_orig", "_ask"}
ALIASES = {"nas": ("router",)}  # the router.* functions act on rows of the nas list


def page(func: str, fparams: dict[str, str], params: dict[str, str]):
    fn = load_all().get(func)
    if fn is None:
        return error_page(FuncError(f"unknown function {func!r}", field="func", status=404))
    may_change = g.caller.may_change
    if request.method == "POST" and g.get("cookie_auth"):
        csrf.protect()
    back = local_path(fparams.pop("back", None)) or local_path(request.referrer)
    original = original_values(fparams.pop("_orig", None))
    ask = fparams.pop("_ask", None)  # a list's bulk buttons: confirm before doing anything
    try:
        if fn.kind == "list":
            if fn.changes_with(fparams) and not may_change:  # a list that writes: confirm first
                return confirm_page(fn, fparams, back)
            return list_page(fn, fparams)
        if fn.kind == "form":
            if func in EDIT_PAGES and request.method == "GET" and set(fparams) == {"elid"} \
                    and as_id(fparams["elid"]) is not None:
                endpoint, arg = EDIT_PAGES[func]
                return redirect(url_for(endpoint, **{arg: as_id(fparams["elid"])}))
            submit = may_change and fparams.get("sok") == "ok"
            return form_page(fn, fparams, params, original, submit)
        if serves_file(fn, fparams):  # a read that answers a file (bill.pdf): the file itself
            return action_done(fn, fparams, params, back)
        if may_change and not ask and (request.method == "POST" or fparams.get("sok") == "ok"):
            return action_done(fn, fparams, params, back)
        if func in OWN_CONFIRM and as_id(fparams.get("elid")) is not None:
            return redirect(url_for(OWN_CONFIRM[func], oid=as_id(fparams["elid"])))
        return confirm_page(fn, fparams, back)
    except FuncError as exc:
        if exc.status in (403, 404):
            return error_page(exc)
        flash(exc.message, "error")
        return redirect(back or "/")


def serves_file(fn, fparams: dict[str, str]) -> bool:
    """A function of kind file or action that changes nothing (bill.pdf, card.vouchers,
    olt.config: each answers a FileResult) is served at once, as a download, by GET or POST: a
    confirmation page in between made a `func=bill.pdf` link answer HTML. It needs its required
    parameters; without them it still gets the form that asks for them."""
    if fn.kind not in ("file", "action") or fn.changes_with(fparams):
        return False
    return all(fparams.get(p.name) not in (None, "") for p in fn.params if p.required)


def original_values(raw: str | None) -> dict:
    """The values a form was opened with (to send only changes); anything odd counts as none."""
    try:
        values = json.loads(raw or "{}")
    except ValueError:
        return {}
    return values if isinstance(values, dict) else {}


def local_path(url: str | None) -> str | None:
    """Only a path on this site is a place to go back to (no open redirect via back=)."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.host:
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return path if path.startswith("/") and not path.startswith("//") else None


def error_page(exc: FuncError):
    return render_template("error.html", message=exc.message, status=exc.status), exc.status


def api_link(func: str, params: dict[str, str]) -> str:
    return "/billmgr?" + request_line(func, params) + "&out=xml"


def takes_elid(fn) -> bool:
    return any(p.name == "elid" for p in fn.params)


def children(name: str) -> list[str]:
    """Functions that act on this list's rows: customer.suspend for customer, router.* for nas."""
    registry = load_all()
    prefixes = (name,) + ALIASES.get(name, ())
    return sorted(n for n, f in registry.items() if f.permits(g.caller) and n != f"{name}.edit"
                  and any(n.startswith(p + ".") and n.count(".") == p.count(".") + 1
                          for p in prefixes))


def row_link(func: str, row: dict) -> str:
    """A per-row function's URL, its required parameters filled from the row where it has them."""
    query = {"func": func, "elid": row.get("id")}
    for p in load_all()[func].params:
        if p.required and p.name != "elid" and row.get(p.name) is not None:
            query[p.name] = row[p.name]
    return "/billmgr?" + urlencode(query)


def list_page(fn, fparams: dict[str, str]):
    try:
        result = run(fn.name, fparams)
    except FuncError as exc:
        if exc.status != 400:
            raise
        flash(exc.message, "error")
        result = ListResult([], 0, 1, 50, [])
    if isinstance(result, FileResult):
        return respond.formatted(result, "xml")
    columns = (LIST_COLUMNS.get(fn.name) or result.columns
               or (list(result.rows[0]) if result.rows else []))
    # the list's own custom field columns (issue 17: cf_<name>, "shown in the list")
    columns = list(columns) + [c for c in result.columns or [] if c.startswith("cf_")
                               and c not in columns]
    columns = fn.shown(g.caller, columns)
    registry = load_all()
    mine = [n for n in children(fn.name) if n not in OWN_PAGES]
    # ticked rows feed actions that need only elid; per-row functions (router.status) get links
    actions = [n for n in mine if registry[n].kind == "action" and takes_elid(registry[n])
               and not [p for p in registry[n].params if p.required and p.name != "elid"]]
    row_links = [n for n in mine if n not in actions and takes_elid(registry[n])]
    others = [n for n in mine if not takes_elid(registry[n])]
    edit_fn = registry.get(f"{fn.name}.edit")
    edit = edit_fn.name if edit_fn is not None and edit_fn.allowed(g.caller) else None
    filters = forms.filter_fields(fn, fparams)
    sortable = forms.sortable(fn, columns)
    base = {k: v for k, v in fparams.items() if k not in ("page",)}
    pages = {"prev": None, "next": None}
    if result.total is not None and result.per_page:
        last = max(1, -(-result.total // result.per_page))
        if result.page > 1:
            pages["prev"] = urlencode({"func": fn.name, **base, "page": result.page - 1})
        if result.page < last:
            pages["next"] = urlencode({"func": fn.name, **base, "page": result.page + 1})
        pages["last"] = last
    template = LIST_TEMPLATES.get(fn.name, "pages/list.html")
    extra = {}
    custom: dict[str, str] = {}  # cf_<name> columns' labels (issue 17: custom fields)
    if fn.name == "customer":
        from admin.customers.views import custom_labels, decorate
        extra, custom = decorate(result.rows), custom_labels()
    return render_template(template, fn=fn, result=result, columns=columns, actions=actions,
                           show_cell=cells.renderer(fn, result.rows, columns),
                           label=lambda c: custom.get(c) or labels.column(c, fn.name),
                           hide=labels.hide_class,
                           verb=labels.verb, title_of_fn=labels.title,
                           others=others, sortable=sortable,
                           row_links=row_links, row_link=row_link,
                           edit=edit, filters=filters, params=fparams, pages=pages,
                           title=menus.title(fn.name), api=api_link(fn.name, fparams),
                           export=urlencode({"func": fn.name, **base}),
                           refresh=refresh(fn, fparams), **extra)


def refresh(fn, fparams: dict[str, str]) -> int | None:
    """Who is online now is a wall display for the NOC: it reloads itself (no script needed)."""
    return 60 if fn.name == "session" and fparams.get("online") in ("on", "1", "yes") else None


def form_title(func: str, elid) -> str:
    return labels.form_title(func, elid)


def confirm_page(fn, fparams, back):
    """Before an action: what it does, to how many (by name), a reason where it takes one;
    dangerous ones styled so. The form posts the same call without _ask."""
    refs = [r.strip() for r in (fparams.get("elid") or "").split(",") if r.strip()]
    base = fn.name.rsplit(".", 1)[0]
    names = cells.names_of(base, refs, full=True)
    fields = [f for f in forms.build(fn, g.caller, fparams)]
    asks_reason = fn.name.rsplit(".", 1)[-1] in ("suspend", "disable")
    for f in fields:
        if f.name in ("reason", "note") and asks_reason:
            f.required = True
    count = len(refs)
    heading = (f"{labels.verb(fn.name)} {count} {labels.noun(base, count)}"
               if count and "." in fn.name else labels.title(fn.name))
    return render_template("pages/action.html", fn=fn, fields=fields, elid=fparams.get("elid", ""),
                           back=back or "/", names=names, count=count, heading=heading,
                           effect=labels.EFFECTS.get(fn.name), danger=labels.destructive(fn.name),
                           title=heading, verb=labels.verb(fn.name))


def form_html(fn, fields, elid, values=None, orig="{}", error=None, api=None, status=200,
              once_key=None):
    return render_template("pages/form.html", fn=fn, fields=fields, elid=elid or "",
                           values=values or {}, orig=orig, error=error,
                           title=form_title(fn.name, elid), api=api, once_key=once_key,
                           label_of=lambda k: labels.column(k, fn.name)), status


def form_page(fn, fparams, params, original, submit: bool):
    return submit_form(fn, fparams, params, original) if submit else open_form(fn, fparams)


def open_form(fn, fparams):
    """The form with its current values; values given in the URL prefill it (customer=...)."""
    fparams.pop("sok", None)
    try:
        result = run(fn.name, fparams)
    except FuncError as exc:
        if exc.status != 400:
            raise
        # a form that needs a value first (bill.preview's customer): ask for it
        return form_html(fn, forms.build(fn, g.caller, {}, exc.errors, posted=fparams),
                         fparams.get("elid"), error=exc.message, api=api_link(fn.name, fparams))
    if not isinstance(result, FormResult):
        return respond.formatted(result, "xml")
    fields = forms.build(fn, g.caller, result.values)
    orig = {f.name: str(f.value) for f in fields if f.kind != "password"}
    for f in fields:
        if f.name in fparams and f.name != "elid":
            f.value = fparams[f.name]
    return form_html(fn, fields, result.elid, result.values, json.dumps(orig),
                     api=api_link(fn.name, fparams))


def submit_form(fn, fparams, params, original):
    """Apply the form (sok=ok) with only the changed fields; field errors come back beside them."""
    creating = not fparams.get("elid")
    fields = forms.build(fn, g.caller, {}, posted=fparams)
    send = forms.changed(fields, fparams, original, creating)
    if not creating:
        send["elid"] = fparams["elid"]
    send["sok"] = "ok"
    if fparams.get(IDEMPOTENCY_KEY):  # the form's one-time key: a resubmission counts once
        send[IDEMPOTENCY_KEY] = fparams[IDEMPOTENCY_KEY]
    try:
        result = run(fn.name, send)
    except FuncError as exc:
        if exc.status in (403, 404):
            raise
        return form_html(fn, forms.build(fn, g.caller, {}, exc.errors, posted=fparams),
                         fparams.get("elid"), orig=json.dumps(original), error=exc.message,
                         api=api_link(fn.name, send), status=400,
                         once_key=fparams.get(IDEMPOTENCY_KEY))
    if isinstance(result, FileResult):
        return respond.formatted(result, "xml")
    if (shown := secret_page(fn, result, after_save(fn.name, result))) is not None:
        return shown
    names = cells.names_of(fn.name[:-5], [str(result.elid)]) \
        if isinstance(result, OkResult) and result.elid and fn.name.endswith(".edit") else []
    if fn.name == "payment.edit" and send.get("customer"):
        names = cells.names_of("customer", [send["customer"]], prefer="name")
    extra = result.extra if isinstance(result, OkResult) else {}
    flash(labels.success(fn.name, send, extra, names, fmt.money), "ok")
    return redirect(respond.startform(params, result) or after_save(fn.name, result))


def after_save(func: str, result) -> str:
    base = func.rsplit(".", 1)[0]
    if base == "customer" and isinstance(result, OkResult) and result.elid:
        return url_for("customers.show", cid=result.elid)
    if base in load_all() and load_all()[base].kind == "list":
        return "/billmgr?" + urlencode({"func": base})
    return "/"


def action_done(fn, fparams, params, back):
    send = {k: v for k, v in fparams.items() if k not in PAGE_CONTROL}
    refs = [r.strip() for r in (send.get("elid") or "").split(",") if r.strip()]
    names = cells.names_of(fn.name.rsplit(".", 1)[0], refs)  # before: a deleted one is gone
    result = run(fn.name, send)
    if isinstance(result, FileResult):
        return respond.formatted(result, "xml")
    if isinstance(result, OkResult) and result.extra.get("recovery_codes"):
        return render_template("auth/recovery.html", codes=result.extra["recovery_codes"],
                               next=back or "/")
    if (shown := secret_page(fn, result, back or after_save(fn.name, result))) is not None:
        return shown
    extra = result.extra if isinstance(result, OkResult) else {}
    flash(labels.success(fn.name, send, extra or {}, names, fmt.money), "ok")
    return redirect(respond.startform(params, result) or back or after_save(fn.name, result))


# a secret's own page by function (issue 19: a provisioning key is no API token)
SECRET_TEMPLATES = {"provisioning_key.edit": "tree/key_once.html"}


def secret_page(fn, result, next_url: str):
    """A secret answered once (an API client's token: api_client.edit, api_client.rotate) is
    shown on a page of its own, never in a flash message (which the session cookie carries)."""
    if not (isinstance(result, OkResult) and result.extra.get("secret")):
        return None
    names = cells.names_of(fn.name.rsplit(".", 1)[0], [str(result.elid)])
    body = render_template(SECRET_TEMPLATES.get(fn.name, "pages/secret.html"),
                           secret=result.extra["secret"],
                           client_id=result.extra.get("client_id", ""),
                           client_secret=result.extra.get("client_secret", ""),
                           message=labels.success(fn.name, {}, {}, names, fmt.money),
                           next=next_url)
    return body, 200, {"Cache-Control": "no-store"}


def init_abort_handlers(app) -> None:
    from flask_wtf.csrf import CSRFError
    for code in (403, 404):
        app.register_error_handler(code, lambda e, code=code: (render_template(
            "error.html", message=getattr(e, "description", ""), status=code), code))
    app.register_error_handler(CSRFError, lambda e: (render_template(
        "error.html", message="The form had no valid security token (it may have expired); "
                              "go back, reload the page and try again.", status=400), 400))

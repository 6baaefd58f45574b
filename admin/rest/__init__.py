"""REST under /api/v1 (issue 15): resources generated from the registry (admin/rest/resources.py),
JSON in and out, every error an RFC 9457 problem.

Every call goes through `registry.call` as the API client's Caller, which enforces roles, the
operator subtree, money rules and scopes and writes the audit rows (actor `api:<client>`).

Status codes: 401 no or bad token; 403 refused by role, subtree, scope or network; 404 unknown
resource or a row the caller cannot see (another reseller's looks the same as none); 405 wrong
method (with Allow); 409 a conflict (a value taken, an Idempotency-Key still running); 400 a
body that is not a JSON object; 422 every refusal that names a field (a bad value, an unknown
field or parameter, a bad limit or cursor, an Idempotency-Key reused with another request).

Paging: `cursor` holds where the next page starts and a hash of the query it belongs to, signed
with the app's secret (opaque to clients; one of another query is refused). A list in its
standard order (sort column, then id: every crud.Entity list) pages by keyset -- the cursor is
the last row's (sort value, id) -- so every page costs the same and rows inserted or deleted
meanwhile shift nothing; the other lists page by offset (a row inserted before the cursor's
place between two calls shifts the rest by one). `total` counts every match only when asked
(`?total=true`): counting is most of the cost of a page of a big list.
"""
from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from flask import Blueprint, Response, current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

from radbill.functions.audit import jsonable
from radbill.functions.caller import Caller
from radbill.functions.fields import as_id, boolean
from radbill.functions.registry import (IDEMPOTENCY_KEY, FileResult, FormResult, FuncError,
                                        ListResult, OkResult, call)

from admin.dbs import db
from admin.extensions import csrf
from admin.rest.auth import Problem
from admin.rest.resources import RESOURCES, Resource

bp = Blueprint("rest", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
PREFIX = "/api/v1"
DEFAULT_LIMIT, MAX_LIMIT = 50, 500
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
PROBLEM = "application/problem+json"
TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
          405: "Method Not Allowed", 409: "Conflict", 413: "Content Too Large",
          422: "Unprocessable Content", 429: "Too Many Requests", 500: "Internal Server Error"}
# registry parameter names as the REST API calls them in errors
FIELD_NAMES = {"q": "search", "elid": "id", IDEMPOTENCY_KEY: "Idempotency-Key"}


# -- answers -----------------------------------------------------------------------------------
def problem(p: Problem) -> Response:
    body = {"type": f"{PREFIX}/docs#problem-{p.status}", "title": p.title, "status": p.status,
            "detail": p.detail, "errors": p.errors}
    return Response(json.dumps(body), p.status, headers=p.headers, content_type=PROBLEM)


def refusal(exc: FuncError) -> Problem:
    """A registry refusal as a problem: 403, 404 and 409 as they are; a refusal naming a field
    (the registry's 400) is 422; a one-time key reused with another request is 422 too."""
    errors = [{"field": FIELD_NAMES.get(k, k), "message": v} for k, v in exc.errors.items()]
    status = exc.status
    if exc.field == IDEMPOTENCY_KEY and "different request" in exc.message:
        status = 422
    elif status == 400:
        status = 422
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or exc.message
    return Problem(status, TITLES.get(status, "Error"), detail, errors)


def bad_field(field: str, message: str, status: int = 422) -> Problem:
    return Problem(status, TITLES[status], f"{field}: {message}",
                   [{"field": field, "message": message}])


def as_json(data, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(jsonable(data)), status, headers=headers or {},
                    content_type="application/json")


@bp.errorhandler(Problem)
def on_problem(p: Problem):
    return problem(p)


@bp.errorhandler(FuncError)
def on_refusal(exc: FuncError):
    return problem(refusal(exc))


@bp.errorhandler(Exception)
def on_crash(exc: Exception):
    from werkzeug.exceptions import HTTPException
    if isinstance(exc, HTTPException):
        return problem(Problem(exc.code or 500, TITLES.get(exc.code, exc.name), exc.description))
    current_app.logger.exception("REST call failed")
    return problem(Problem(500, TITLES[500], "the server failed; the error is logged"))


# -- who calls ---------------------------------------------------------------------------------
def _caller() -> Caller:
    """The API client calling (401/403/429 as problems), counted against the rate limits and
    written to the request log (admin/rest/gate.py); the one place that knows how."""
    from admin.rest.gate import gate
    return gate(db())


def _reader(caller: Caller, noun: str) -> Caller:
    """The caller reading back a row it may write (the answer to POST/PATCH, DELETE's 404):
    `noun:write` implies reading what one wrote; roles and the subtree still apply."""
    from dataclasses import replace
    if caller.scopes is None or caller.in_scope(f"{noun}:read") \
            or not caller.in_scope(f"{noun}:write"):
        return caller
    return replace(caller, scopes=caller.scopes | {f"{noun}:read"})


# -- request values ----------------------------------------------------------------------------
def to_param(value, field: str) -> str:
    """A JSON value as the registry's string parameter (booleans yes/no, numbers as written)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (str, int, Decimal)):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, (str, int, Decimal)) and
                                       not isinstance(v, bool) for v in value):
        return ",".join(str(v) for v in value)
    raise bad_field(field, "must be a string, number, boolean or null")


def body_params(res: Resource, fn) -> dict[str, str]:
    """The JSON body's fields as `fn`'s parameters; unknown fields are refused by name."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        data = {}
    else:
        try:
            data = json.loads(raw, parse_float=Decimal)
        except (ValueError, UnicodeDecodeError):
            raise Problem(400, TITLES[400], "the body is not JSON") from None
    if not isinstance(data, dict):
        raise Problem(400, TITLES[400], "the body must be a JSON object")
    known = {p.name for p in res.body_params(fn)}
    params, errors = {}, []
    for key, value in data.items():
        if key not in known and not (res.extra_prefix and key.startswith(res.extra_prefix)):
            errors.append({"field": key, "message": f"is not a field of {fn.name}"})
            continue
        try:
            params[key] = to_param(value, key)
        except Problem as p:
            errors += p.errors
    if errors:
        raise Problem(422, TITLES[422], "; ".join(f"{e['field']}: {e['message']}" for e in errors),
                      errors)
    key = request.headers.get("Idempotency-Key")
    if key is not None:
        params[IDEMPOTENCY_KEY] = key
    return params


def path_id(ident: str) -> str:
    """The {id} in the path: a row id, else nothing here has it (404)."""
    if as_id(ident) is None:
        raise Problem(404, TITLES[404], f"no such id {ident[:40]!r}")
    return str(as_id(ident))


def allow(res: Resource, kind: str) -> list[str]:
    if kind == "collection":
        return [m for m, ok in (("GET", res.list_fn), ("POST", res.edit_fn)) if ok]
    if kind == "item":
        return [m for m, ok in (("GET", res.edit_fn), ("PATCH", res.edit_fn),
                                ("DELETE", res.delete_fn)) if ok]
    return ["POST"]


def not_allowed(methods: list[str]) -> Problem:
    return Problem(405, TITLES[405], f"{request.method} is not allowed here",
                   headers={"Allow": ", ".join(methods)})


def resource(name: str) -> Resource:
    res = RESOURCES.get(name)
    if res is None:
        raise Problem(404, TITLES[404], f"no resource {name[:40]!r}")
    return res


# -- routes ------------------------------------------------------------------------------------
@bp.route("/<name>", methods=METHODS)
def collection(name: str):
    res = resource(name)
    if request.method not in allow(res, "collection"):
        raise not_allowed(allow(res, "collection"))
    caller = _caller()
    if request.method == "GET":
        return listing(res, caller)
    result = call(db(), caller, res.edit_fn.name, {**body_params(res, res.edit_fn), "sok": "ok"})
    elid = str(result.elid)
    return as_json(answer_row(res, caller, elid, result), 201,
                   {"Location": f"{PREFIX}/{res.name}/{elid}", **replay_header(result)})


@bp.route("/<name>/<ident>", methods=METHODS)
def item(name: str, ident: str):
    res = resource(name)
    if request.method not in allow(res, "item"):
        raise not_allowed(allow(res, "item"))
    caller = _caller()
    elid = path_id(ident)
    if request.method == "GET":
        return as_json(read(res, caller, elid))
    if request.method == "PATCH":
        params = {**body_params(res, res.edit_fn), "elid": elid, "sok": "ok"}
        result = call(db(), caller, res.edit_fn.name, params)
        return as_json(answer_row(res, caller, elid, result), 200, replay_header(result))
    # DELETE: the seed's X.delete succeeds on nothing; REST says 404 for a row one cannot see
    if res.edit_fn is not None:
        read(res, _reader(caller, res.noun), elid)
    params = {"elid": elid}
    if (key := request.headers.get("Idempotency-Key")) is not None:
        params[IDEMPOTENCY_KEY] = key
    result = call(db(), caller, res.delete_fn.name, params)
    return Response(status=204, headers=replay_header(result))


@bp.route("/<name>/<ident>/<action>", methods=METHODS)
def act(name: str, ident: str, action: str):
    res = resource(name)
    fn = res.action_fn(action)
    if fn is None:
        raise Problem(404, TITLES[404], f"{res.name} have no action {action[:40]!r}")
    if request.method != "POST":
        raise not_allowed(["POST"])
    caller = _caller()
    elid = path_id(ident)
    result = call(db(), caller, fn.name, {**body_params(res, fn), "elid": elid})
    if isinstance(result, FileResult):
        from admin.api.respond import file
        return file(result)
    return as_json(answer_row(res, caller, elid, result), 200, replay_header(result))


@bp.route("/openapi.json")
def openapi_json():
    from admin.rest.openapi import document
    return as_json(document())


@bp.route("/docs")
def docs():
    from flask import render_template

    from admin.rest.openapi import document
    return render_template("rest/docs.html", doc=document())


@bp.route("/<path:rest>", methods=METHODS)
def unknown(rest: str):
    raise Problem(404, TITLES[404], f"no such resource: {PREFIX}/{rest[:80]}")


# -- reading -----------------------------------------------------------------------------------
def read(res: Resource, caller: Caller, elid: str) -> dict:
    """The row as the edit form shows it (404 when the caller cannot see it)."""
    result = call(db(), caller, res.edit_fn.name, {"elid": elid})
    values = dict(result.values) if isinstance(result, FormResult) else {}
    values.setdefault("id", result.elid if isinstance(result, FormResult) else int(elid))
    return values


def answer_row(res: Resource, caller: Caller, elid: str, result) -> dict:
    """The changed row (read back through the registry), with what the call answered beside it
    (a secret shown once)."""
    extra = dict(result.extra) if isinstance(result, OkResult) else {}
    extra.pop("replayed", None)
    if res.edit_fn is None:
        return {"id": int(elid) if as_id(elid) is not None else elid, **extra}
    try:
        row = read(res, _reader(caller, res.noun), elid)
    except FuncError as exc:
        if exc.status not in (403, 404):
            raise
        row = {"id": int(elid)}  # changed, but no longer visible (deleted, moved away)
    return {**row, **{k: v for k, v in extra.items() if k not in row}}


def replay_header(result) -> dict:
    if isinstance(result, OkResult) and result.extra.get("replayed"):
        return {"Idempotent-Replayed": "true"}
    return {}


def listing(res: Resource, caller: Caller) -> Response:
    """GET /<res>: the list function with its filters, paged by limit and cursor."""
    args = request.args.to_dict(flat=False)
    limit = parse_limit(args.pop("limit", []))
    token = args.pop("cursor", [])
    totals = args.pop("total", [])
    if len(totals) > 1:
        raise bad_field("total", f"is given {len(totals)} times; give it once")
    known = {p.name: p for p in res.query_params()}
    params, errors = {}, []
    for key, values in args.items():
        p = known.get(key)
        if p is None:
            errors.append({"field": key, "message": f"is not a parameter of GET {PREFIX}/{res.name}"})
        elif len(values) > 1 and not p.multi:
            errors.append({"field": key, "message": f"is given {len(values)} times; give it once"})
        else:
            params["q" if key == "search" else key] = ",".join(values)
    if errors:
        raise Problem(422, TITLES[422], "; ".join(f"{e['field']}: {e['message']}" for e in errors),
                      errors)
    want_total = parse_total(totals[0] if totals else None)
    query = query_hash(res, params)
    position = cursor_position(token, query)
    if not want_total:
        params["count"] = "no"
    rows, total, nxt = fetch(res, caller, params, position, limit)
    return as_json({"data": rows, "next_cursor": cursor_token(nxt, query) if nxt else None,
                    "total": total})


def fetch(res: Resource, caller: Caller, params: dict, position: dict, limit: int):
    """The `limit` rows at the cursor's position, the total (None unless counted) and the next
    position (None at the end). A list in its standard order pages by keyset ({"a": the last
    row's key}: each page costs the same however deep), any other by offset ({"o": n})."""

    def page(extra: dict) -> ListResult:
        result = call(db(), caller, res.list_fn.name, {**params, **extra})
        assert isinstance(result, ListResult)
        return result

    if "o" not in position:  # the first page, or a keyset cursor
        extra = {"after": position["a"]} if "a" in position else {}
        first = page({**extra, "page": "1", "per_page": str(limit + 1)})
        if first.keys is not None:
            rows, more = first.rows[:limit], len(first.rows) > limit
            return rows, first.total, {"a": first.keys[limit - 1]} if more else None
        if "a" in position:  # a keyset cursor for a list that no longer pages by keyset
            raise bad_field("cursor", "is not a cursor this API gave")
        position = {"o": 0}
    offset = position["o"]
    number, skip = offset // limit + 1, offset % limit
    first = page({"page": str(number), "per_page": str(limit)})
    rows = first.rows[skip:]
    if skip and len(first.rows) == limit:
        rows += page({"page": str(number + 1), "per_page": str(limit)}).rows
    rows = rows[:limit]
    more = offset + len(rows) < first.total if first.total is not None else len(rows) == limit
    return rows, first.total, {"o": offset + len(rows)} if more and rows else None


def parse_total(value: str | None) -> bool:
    try:
        return value not in (None, "") and boolean(value)
    except ValueError:
        raise bad_field("total", "is true or false") from None


def parse_limit(values: list[str]) -> int:
    if not values:
        return DEFAULT_LIMIT
    value = as_id(values[0]) if len(values) == 1 else None
    if value is None or not 1 <= value <= MAX_LIMIT:
        raise bad_field("limit", f"must be a whole number from 1 to {MAX_LIMIT}")
    return value


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="radbill-rest-cursor")


def query_hash(res: Resource, params: dict) -> str:
    text = json.dumps([res.name, sorted(params.items())])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cursor_token(position: dict, query: str) -> str:
    return _signer().dumps({**position, "q": query})


def cursor_position(values: list[str], query: str) -> dict:
    """{"a": a row key} or {"o": an offset} from a cursor this API gave for this query;
    {} for the first page."""
    if not values:
        return {}
    try:
        data = _signer().loads(values[0]) if len(values) == 1 else None
    except BadSignature:
        data = None
    ok = isinstance(data, dict) and (
        isinstance(data.get("a"), str)
        or isinstance(data.get("o"), int) and not isinstance(data.get("o"), bool) and data["o"] >= 0)
    if not ok:
        raise bad_field("cursor", "is not a cursor this API gave")
    if data.get("q") != query:
        raise bad_field("cursor", "belongs to another query (keep the filters and search)")
    return {k: data[k] for k in ("a", "o") if k in data}

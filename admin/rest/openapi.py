"""The OpenAPI 3.1 document of /api/v1, generated from the resource table and the registry's
metadata: the same source the routes use, so the two cannot drift apart.

Values are honest about what the API answers: the functions' rows hold strings (money as
decimal strings, rates like "10M", dates in ISO 8601), numbers, booleans and nulls, so a
column is typed as any of those; ids are integers. Requests take strings (the registry's
parameters), and numbers and booleans converted to them.
"""
from __future__ import annotations

from functools import lru_cache

from radbill.functions.registry import Function, Param, scope_of

from admin.rest import DEFAULT_LIMIT, MAX_LIMIT, PREFIX
from admin.rest.resources import RESOURCES, Resource

SCALAR = {"type": ["string", "number", "boolean", "null"]}
VALUE = {"type": ["string", "number", "boolean", "null", "array", "object"]}
INPUT = {"type": ["string", "number", "boolean", "null"]}
ERRORS = (400, 401, 403, 404, 409, 422, 429)
ERROR_TEXT = {400: "The body is not a JSON object.", 401: "No token, or a bad, expired or revoked one.",
              403: "Refused: the client's role, operator subtree, scopes or network.",
              404: "No such resource or row (rows outside the client's subtree are not found).",
              409: "A conflict: a value taken, or the same Idempotency-Key still running.",
              422: "A value refused; `errors` names each field.",
              429: "Too many requests; wait Retry-After seconds."}


def column_schema(name: str) -> dict:
    if name == "id":
        return {"type": "integer"}
    if name.endswith("_id"):
        return {"type": ["integer", "null"]}
    return dict(SCALAR)


def row_schema(res: Resource) -> dict:
    entity = res.entity
    props = {c: column_schema(c) for c in (entity.columns if entity else ["id"])}
    return {"type": "object", "properties": props, "additionalProperties": VALUE,
            "description": f"A row of {res.noun} (the list's columns; a single row also has "
                           "its form's values)."}


def param_schema(p: Param) -> dict:
    return {"description": p.help or p.name, **INPUT}


def body_schema(res: Resource, fn: Function, creating: bool) -> dict:
    params = res.body_params(fn)
    schema = {"type": "object",
              "properties": {p.name: param_schema(p) for p in params},
              "additionalProperties": False}
    required = [p.name for p in params if p.required and creating]
    if required:
        schema["required"] = required
    if res.extra_prefix:
        schema["patternProperties"] = {f"^{res.extra_prefix}[A-Za-z0-9_]{{1,64}}$":
                                       {"type": ["string", "null"]}}
    return schema


def responses(ok: int, schema: dict | None, text: str) -> dict:
    out = {str(ok): {"description": text}}
    if schema is not None:
        out[str(ok)]["content"] = {"application/json": {"schema": schema}}
    for code in ERRORS:
        out[str(code)] = {"$ref": f"#/components/responses/E{code}"}
    return out


def security(fn: Function, changes: bool) -> list[dict]:
    scope = scope_of(fn, {"sok": "ok"} if changes else {})
    return [{"bearer": []}, {"oauth2": [scope]}]


def ref(res: Resource) -> dict:
    return {"$ref": f"#/components/schemas/{schema_name(res)}"}


def schema_name(res: Resource) -> str:
    return res.noun.title().replace("_", "")


ID = {"name": "id", "in": "path", "required": True, "description": "the row's id",
      "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}
IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "required": False,
               "description": "a one-time key: a repeated request with it answers the first "
                              "response (Idempotent-Replayed: true) and changes nothing; reused "
                              "with another request it is refused (422); kept a day",
               "schema": {"type": "string", "minLength": 1, "maxLength": 200}}


def operation(fn: Function, op_id: str, summary: str, changes: bool, **rest) -> dict:
    out = {"operationId": op_id, "summary": summary, "description": fn.doc or fn.name,
           "tags": [op_id.split(".")[0]], "security": security(fn, changes)}
    if changes:
        out["parameters"] = [IDEMPOTENCY] + rest.pop("parameters", [])
    out.update(rest)
    out["x-radbill-function"] = fn.name
    return out


def json_body(schema: dict) -> dict:
    return {"required": False, "content": {"application/json": {"schema": schema}}}


def resource_paths(res: Resource) -> dict:
    base = f"{PREFIX}/{res.name}"
    paths: dict[str, dict] = {}
    coll, item = paths.setdefault(base, {}), {}
    if (fn := res.list_fn) is not None:
        query = [{"name": p.name, "in": "query", "required": False,
                  "description": p.help or p.name, "schema": {"type": "string"}}
                 for p in res.query_params()]
        query += [{"name": "limit", "in": "query", "required": False,
                   "description": f"rows per page (default {DEFAULT_LIMIT})",
                   "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}},
                  {"name": "cursor", "in": "query", "required": False,
                   "description": "next_cursor of the previous page (same filters and search)",
                   "schema": {"type": "string"}},
                  {"name": "total", "in": "query", "required": False,
                   "description": "true: also count every match (total); without it total is "
                                  "null and the page costs the same at any size",
                   "schema": {"type": "boolean"}}]
        listing = {"type": "object", "required": ["data", "next_cursor", "total"],
                   "properties": {"data": {"type": "array", "items": ref(res)},
                                  "next_cursor": {"type": ["string", "null"]},
                                  "total": {"type": ["integer", "null"]}}}
        coll["get"] = operation(fn, f"{res.name}.list", f"List {res.name}", False,
                                parameters=query,
                                responses=responses(200, listing, f"A page of {res.name}"))
    if (fn := res.edit_fn) is not None:
        coll["post"] = operation(fn, f"{res.name}.create", f"Create a {res.noun}", True,
                                 requestBody=json_body(body_schema(res, fn, True)),
                                 responses=responses(201, ref(res), "Created; Location names it"))
        item["get"] = operation(fn, f"{res.name}.get", f"One {res.noun}", False,
                                responses=responses(200, ref(res), f"The {res.noun}"))
        item["patch"] = operation(fn, f"{res.name}.update", f"Change a {res.noun}", True,
                                  requestBody=json_body(body_schema(res, fn, False)),
                                  responses=responses(200, ref(res), "Changed"))
    if (fn := res.delete_fn) is not None:
        item["delete"] = operation(fn, f"{res.name}.delete", f"Delete a {res.noun}", True,
                                   responses=responses(204, None, "Deleted"))
    if item:
        item["parameters"] = [ID]
        paths[f"{base}/{{id}}"] = item
    for action in res.actions:
        fn = res.action_fn(action)
        paths[f"{base}/{{id}}/{action}"] = {"parameters": [ID], "post": operation(
            fn, f"{res.name}.{action}", f"{action.title()} a {res.noun}", True,
            requestBody=json_body(body_schema(res, fn, True)),
            responses=responses(200, ref(res), "Done"))}
    return {k: v for k, v in paths.items() if v}


PROBLEM_SCHEMA = {
    "type": "object", "required": ["type", "title", "status", "detail", "errors"],
    "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                   "status": {"type": "integer"}, "detail": {"type": "string"},
                   "errors": {"type": "array", "items": {
                       "type": "object", "required": ["field", "message"],
                       "properties": {"field": {"type": "string"},
                                      "message": {"type": "string"}}}}}}


@lru_cache(maxsize=1)
def document() -> dict:
    paths: dict[str, dict] = {}
    for res in RESOURCES.values():
        paths.update(resource_paths(res))
    scopes = {}
    for res in RESOURCES.values():
        scopes[f"{res.noun}:read"] = f"read {res.name}"
        scopes[f"{res.noun}:write"] = f"change {res.name}"
    return {
        "openapi": "3.1.0",
        "info": {"title": "radbill REST API", "version": "1",
                 "description": "Resources generated from radbill's function registry. Every "
                                "error is an RFC 9457 problem (application/problem+json)."},
        "paths": paths,
        "components": {
            "schemas": {"Problem": PROBLEM_SCHEMA,
                        **{schema_name(r): row_schema(r) for r in RESOURCES.values()}},
            "responses": {f"E{code}": {"description": ERROR_TEXT[code], "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
                for code in ERRORS},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "a static token <key>.<secret>, or an access token"},
                "oauth2": {"type": "oauth2", "flows": {"clientCredentials": {
                    "tokenUrl": "/api/oauth/token", "scopes": scopes}}},
            },
        },
        "security": [{"bearer": []}, {"oauth2": []}],
    }

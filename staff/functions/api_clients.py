"""api_client, api_client.edit/.revoke/.rotate/.delete: integrators' REST clients (issue 15).

A client acts with a staff role inside its operator's subtree, limited to scopes named after the
registry's functions. Its secret is made here, answered once (`secret`, the static bearer token
`key.secret`; `client_id` and `client_secret` for OAuth2) and kept only as a SHA-256 digest
(admin/rest/auth.py checks it).
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import secrets as _secrets

import sqlalchemy as sa

from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.auth import digest
from radbill.functions.crud import Entity, in_subtree, paged, resolve_operator
from radbill.functions.registry import (AccessDenied, Call, FuncError, ListResult, OkResult,
                                        Param, function, load_all)
from radbill.functions.roles import RANK, RESELLERS, ROLE_LEVEL
from radbill.models import ApiClient, ApiRequest, ApiToken, Operator
from radbill.models.operators import ROLES

CLIENT_ROLES = tuple(r for r in ROLES if r != "admin")  # an admin client would not be root
MAX_NETWORKS = 50


def nouns() -> set[str]:
    """Every registered function's noun (customer for customer, customer.edit, ...)."""
    return {name.split(".", 1)[0] for name in load_all()}


def scope_list(raw: str) -> list[str]:
    """Comma-separated scopes, each `noun:read`, `noun:write`, `noun:*` or `*`."""
    known = nouns()
    out, bad = [], []
    for item in (s.strip() for s in raw.replace(" ", ",").split(",")):
        if not item:
            continue
        noun, sep, access = item.partition(":")
        if item == "*" or (sep and noun in known and access in ("read", "write", "*")):
            if item not in out:
                out.append(item)
        else:
            bad.append(F.short(item))
    if bad:
        raise ValueError(f"{', '.join(repr(b) for b in bad[:5])}: not a scope; a scope is a "
                         "function's noun with :read, :write or :* (customer:read, payment:write), "
                         "or * for everything")
    if not out:
        raise ValueError("name at least one scope (customer:read, payment:write, ...)")
    if len(out) > 200:
        raise ValueError("at most 200 scopes")
    return out


def network_list(raw: str) -> str:
    """CIDRs (IPv4 or IPv6, a bare address is one host), comma- or space-separated."""
    nets = []
    for item in (s for s in raw.replace(",", " ").split() if s):
        try:
            net = ipaddress.ip_network(item, strict=True)
        except ValueError:
            try:
                loose = ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{F.short(item)!r} is not a network like 203.0.113.0/24 "
                                 "or an address") from None
            raise ValueError(f"{item} has host bits set; did you mean {loose}?") from None
        if str(net) not in nets:
            nets.append(str(net))
    if len(nets) > MAX_NETWORKS:
        raise ValueError(f"at most {MAX_NETWORKS} networks")
    return ", ".join(nets)


def new_secret() -> tuple[str, str]:
    """A public key and a 256-bit secret; the bearer token is `key.secret` (no dot in either:
    admin/rest/auth.py splits at the first)."""
    return "rbk_" + _secrets.token_hex(8), _secrets.token_urlsafe(32)


def answer_secret(client: ApiClient, secret: str) -> dict[str, str]:
    """What a creation or a rotation answers, once: the static token and the OAuth2 pair."""
    return {"secret": f"{client.key}.{secret}", "client_id": client.key, "client_secret": secret}


def default_role(op: Operator) -> str:
    """The highest role a login at `op`'s level may have (group_admin, operator, sub_operator)."""
    return min((r for r in CLIENT_ROLES if ROLE_LEVEL[r] == op.level), key=RANK.__getitem__)


class ApiClients(Entity):
    name = "api_client"
    model = ApiClient
    label = "name"
    fields = [
        F.Field("name", F.text(100), required=True),
        F.Field("scopes", scope_list, required=True, clearable=False,
                help="comma-separated: customer:read, customer:write, payment:write, "
                     "customer:* (both), * (everything its role may do)"),
        F.Field("operator", str, help="operator (id or name) whose subtree it acts in; "
                                      "default: yours"),
        F.Field("role", F.choice(*CLIENT_ROLES),
                help="the staff role it acts with; default: the highest at its operator's level"),
        F.Field("networks", network_list,
                help="addresses or CIDRs it may call from, comma-separated; empty: anywhere"),
        F.Field("rate_limit", F.integer(1, 100000), clearable=False,
                help="requests a minute (default 600)"),
    ]
    columns = ["id", "name", "operator_id", "role", "scopes", "networks", "rate_limit", "key",
               "created_at", "last_used_at", "revoked_at"]
    search = ["name", "key"]
    filters = {"operator": "operator_id", "role": "role"}
    list_roles = RESELLERS
    edit_roles = RESELLERS
    money = frozenset()

    def visible(self, call: Call, stmt: sa.Select) -> sa.Select:
        return stmt.where(in_subtree(call, ApiClient.operator_id))

    def editable(self, call: Call, obj: ApiClient) -> bool:
        return call.caller.is_sysadmin or RANK[obj.role] >= RANK[call.caller.role]

    def row(self, obj: ApiClient) -> dict:
        row = super().row(obj)
        row["scopes"] = ", ".join(obj.scopes or [])
        return row

    def snapshot(self, obj: ApiClient | None) -> dict | None:
        snap = audit.snapshot(obj)
        if snap is not None:
            snap.pop("secret_hash", None)  # a digest, but still nothing the audit log needs
        return snap

    def apply(self, call: Call, obj: ApiClient, values: dict, creating: bool) -> None:
        if "operator" in values or creating:
            op = resolve_operator(call, values.pop("operator", None))
            obj.operator_id = op.id
        else:
            op = call.session.get(Operator, obj.operator_id)
        role = values.pop("role", None) or (default_role(op) if creating else obj.role)
        if not call.caller.is_sysadmin and RANK[role] < RANK[call.caller.role]:
            raise AccessDenied(f"you may not give a client the {role} role, which ranks above "
                               f"yours ({call.caller.role})", field="role")
        need = ROLE_LEVEL[role]
        if need and op.level != need:
            raise FuncError(f"a {role} client belongs to a {need}-level operator, not "
                            f"{op.name!r} ({op.level})", field="role")
        obj.role = role
        name = values.get("name")
        if name and call.session.scalar(sa.select(ApiClient.id).where(
                ApiClient.operator_id == op.id, ApiClient.name == name,
                ApiClient.id.is_distinct_from(obj.id))) is not None:
            raise FuncError(f"{op.name!r} already has a client named {name!r}", field="name")
        if "networks" in values:
            values["networks"] = values["networks"] or ""
        if creating:
            obj.key, secret = new_secret()
            obj.secret_hash = digest(secret)
            obj.created_by = call.caller.login
            call.new_secret = secret  # answered once by edit(), never stored
        super().apply(call, obj, values, creating)

    def edit(self, call: Call):
        result = super().edit(call)
        if isinstance(result, OkResult) and not call.elid:
            secret = getattr(call, "new_secret", None)
            if secret:
                client = call.session.get(ApiClient, result.elid)
                result = OkResult(client.id, answer_secret(client, secret))
        return result

    def remove(self, call: Call, obj: ApiClient) -> None:
        call.session.delete(obj)


ENTITY = ApiClients().register()


def _manageable(call: Call) -> ApiClient:
    client = ENTITY.find(call, call.elid or "", lock=True)
    if not ENTITY.editable(call, client):
        raise AccessDenied("you may not change this API client")
    return client


@function("api_client.revoke", roles=RESELLERS, money=False,
          params=(Param("elid", "the client's id or name", True),))
def revoke(call: Call) -> OkResult:
    """Revoke an API client: its token and every access token it holds stop working at once."""
    client = _manageable(call)
    before = ENTITY.snapshot(client)
    if client.revoked_at is None:
        client.revoked_at = dt.datetime.now(dt.timezone.utc)
    tokens = call.session.execute(sa.delete(ApiToken).where(ApiToken.client_id == client.id))
    call.session.flush()
    audit.record(call, "api_client", client.id, client.name, before,
                 {**ENTITY.snapshot(client), "tokens_revoked": tokens.rowcount},
                 client.operator_id)
    return OkResult(client.id)


@function("api_client.rotate", roles=RESELLERS, money=False,
          params=(Param("elid", "the client's id or name", True),))
def rotate(call: Call) -> OkResult:
    """Give an API client a new secret (shown once); the old one and its access tokens stop
    working at once."""
    client = _manageable(call)
    if client.revoked_at is not None:
        raise FuncError("is revoked; create a new client instead", field="elid")
    secret = new_secret()[1]
    client.secret_hash = digest(secret)
    call.session.execute(sa.delete(ApiToken).where(ApiToken.client_id == client.id))
    call.session.flush()
    audit.record(call, "api_client", client.id, client.name, None, {"secret": "rotated"},
                 client.operator_id)
    return OkResult(client.id, answer_secret(client, secret))


REQUEST_COLUMNS = ["id", "at", "client_id", "client", "ip", "method", "path", "status",
                   "duration_ms"]
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


@function("api_request", kind="list", roles=RESELLERS, money=False,
          params=(Param("client", "the client's id or name"),
                  Param("method", "GET, POST, PATCH, DELETE..."),
                  Param("path", "paths starting with this (/api/v1/customers)"),
                  Param("status", "an HTTP status (404) or a class (4xx)"),
                  Param("since", "from this day (ISP's zone)"),
                  Param("until", "to this day, inclusive"), Param("page"), Param("per_page")))
def request_list(call: Call) -> ListResult:
    """The REST API's request log of the caller's subtree's clients, newest first (the system
    administrator also sees unauthenticated calls)."""
    from logs.functions.events import _period
    stmt = sa.select(ApiRequest, ApiClient.name).outerjoin(
        ApiClient, ApiClient.id == ApiRequest.client_id)
    if call.caller.operator_path is not None:
        stmt = stmt.where(in_subtree(call, ApiClient.operator_id))
    if ref := call.get("client"):
        stmt = stmt.where(ApiRequest.client_id == ENTITY.find(call, ref, field="client").id)
    if method := (call.get("method") or "").strip():
        method = F.parse_one("method", F.choice(*METHODS), method.upper())
        stmt = stmt.where(ApiRequest.method == method)
    if path := (call.get("path") or "").strip():
        path = F.parse_one("path", F.text(500), path)
        stmt = stmt.where(ApiRequest.path.startswith(path, autoescape=True))
    if status := (call.get("status") or "").strip().lower():
        if len(status) == 3 and status[0] in "12345" and status[1:] == "xx":
            lo = int(status[0]) * 100
            stmt = stmt.where(ApiRequest.status.between(lo, lo + 99))
        else:
            stmt = stmt.where(ApiRequest.status == F.parse_one("status", F.integer(100, 599),
                                                               status))
    stmt = _period(call, stmt, ApiRequest.at)
    return paged(call, stmt, REQUEST_COLUMNS, lambda r, name: {
        "id": r.id, "at": audit.jsonable(r.at), "client_id": r.client_id, "client": name,
        "ip": r.ip, "method": r.method, "path": r.path, "status": r.status,
        "duration_ms": r.duration_ms}, ApiRequest.id.desc())

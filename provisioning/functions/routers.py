"""router.status, router.sessions, router.kick, router.push_profiles, router.push_walled_garden,
router.import (RouterOS API).

A router that does not answer, refuses the login or times out gives a FuncError (HTTP 502)
naming the setting to check; nothing in radbill changes in that case.

A router the caller's operator does not own (the ISP's shared NAS seen by a reseller's NOC) is
shared with other tenants: there the caller sees and kicks only its own subtree's sessions and
may neither push profiles or the walled garden nor import (issue 10). The ISP's own staff own
its global routers.
"""
from __future__ import annotations

import sqlalchemy as sa

from provisioning import device_secrets, mikrotik, ppp
from provisioning.errors import ProvisioningError
from radbill.functions import audit, fields as F
from radbill.functions.crud import in_subtree, operator_path, owns_globals, usable
from radbill.functions.registry import (AccessDenied, Call, FuncError, ListResult, OkResult, Param,
                                        function)
from radbill.functions.roles import DEVICE_STAFF, ISP_ADMINS
from radbill.models import Customer, DeviceStatus, Nas, NasSettings, Package

ELID = Param("elid", "the NAS id, name or address", True)


def device_error(exc: ProvisioningError) -> FuncError:
    return FuncError(str(exc), field=exc.field, status=502)


def nas_of(call: Call) -> Nas:
    """The NAS `elid` names, among those the caller may see."""
    from provisioning.functions.nas import ENTITY as nas_entity
    if not call.elid:
        raise FuncError("is required", field="elid")
    return nas_entity.find(call, call.elid)


def router_of(call: Call, nas: Nas | None = None) -> tuple[Nas, mikrotik.Router]:
    """The NAS (`nas`, or the one `elid` names) and how to reach its RouterOS API."""
    nas = nas or nas_of(call)
    s = call.session.get(NasSettings, nas.id)
    if s is None or not s.api_user:
        raise FuncError("set api_user and api_password on this NAS first (nas.edit)",
                        field="api_user")
    from provisioning.functions.devices import number
    timeout = number(call, "timeout", 1, 60, 5)
    try:  # the password is decrypted only here, for this connection
        return nas, device_secrets.router(nas.nasname, s, float(timeout))
    except ProvisioningError as exc:
        raise device_error(exc) from None


def owns(call: Call, nas: Nas) -> bool:
    """Whether the caller's operator owns this router (or sits above its owner). A global NAS
    (no operator) is the ISP's: owned by staff at the top of the tree only, and with several
    tenants by the system administrator only (crud.owns_globals)."""
    path = call.caller.operator_path
    if path is None:
        return True
    owner = nas.settings.operator_id if nas.settings else None
    if owner is None:
        return owns_globals(call)
    return call.caller.sees(operator_path(call, owner))


def own_users(call: Call, names: list[str]) -> set[str]:
    """Of these PPP user names, the (lower-cased) ones of customers in the caller's subtree."""
    wanted = sorted({n.lower() for n in names if n})
    if not wanted:
        return set()
    return set(call.session.scalars(sa.select(sa.func.lower(Customer.username)).where(
        sa.func.lower(Customer.username).in_(wanted), in_subtree(call, Customer.operator_id))))


def owner_only(call: Call, nas: Nas, what: str) -> None:
    if not owns(call, nas):
        raise AccessDenied(f"this router is shared with other operators; only its owner {what}",
                           field="elid")


@function("router.status", kind="list", roles=DEVICE_STAFF, params=(ELID,))
def status(call: Call) -> ListResult:
    """Test the API login and read CPU, memory, uptime and RouterOS version."""
    nas, router = router_of(call)
    try:
        r = mikrotik.resources(router)
    except ProvisioningError as exc:
        raise device_error(exc) from None
    snmp = call.session.get(DeviceStatus, ("nas", nas.id))
    row = {"id": nas.id, "name": nas.shortname, "ip": nas.nasname, "api": "ok",
           "version": r.version, "board": r.board, "uptime": r.uptime,
           "uptime_seconds": r.uptime_seconds, "cpu_load": r.cpu_load,
           "memory_used_percent": r.memory_used_percent, "free_memory": r.free_memory,
           "total_memory": r.total_memory, "snmp_up": snmp.up if snmp else None,
           "snmp_changed_at": audit.jsonable(snmp.changed_at) if snmp else None}
    return ListResult([row], 1, 1, 1, list(row))


SESSION_COLUMNS = ["id", "name", "service", "caller_id", "address", "uptime", "session_id"]


@function("router.sessions", kind="list", roles=DEVICE_STAFF, params=(ELID,))
def sessions(call: Call) -> ListResult:
    """Active PPP sessions on the router, as it reports them (on a shared router, only those of
    the caller's own customers)."""
    nas, router = router_of(call)
    try:
        found = mikrotik.active_sessions(router)
    except ProvisioningError as exc:
        raise device_error(exc) from None
    if not owns(call, nas):
        mine = own_users(call, [s.name for s in found])
        found = [s for s in found if s.name.lower() in mine]
    rows = [{c: getattr(s, c) for c in SESSION_COLUMNS} for s in found]
    return ListResult(rows, len(rows), 1, len(rows), SESSION_COLUMNS)


@function("router.kick", roles=DEVICE_STAFF,
          params=(ELID, Param("username", "the PPP user to disconnect", True)))
def kick(call: Call) -> OkResult:
    """Remove a user's active PPP session from the router (it may dial again at once)."""
    nas, router = router_of(call)
    username = (call.get("username") or "").strip()
    if not username:
        raise FuncError("is required", field="username")
    if not owns(call, nas) and username.lower() not in own_users(call, [username]):
        # the same words whether the user exists elsewhere or not at all: nothing leaks
        raise AccessDenied("this router is shared with other operators; you may disconnect "
                           "only your own customers", field="username")
    try:
        removed = mikrotik.kick(router, username)
    except ProvisioningError as exc:
        raise device_error(exc) from None
    audit.record(call, "nas", nas.id, nas.shortname, None, {"kicked": username, "removed": removed})
    return OkResult(nas.id, {"removed": removed})


@function("router.push_profiles", kind="list", changes=True, roles=DEVICE_STAFF,
          params=(ELID, Param("package", "package names, comma-separated (default: all)", multi=True),
                  Param("local_address", "the router's address inside the PPP profiles")))
def push_profiles(call: Call) -> ListResult:
    """Create or update a PPP profile (and its IP pool, and its IPv6 pools) on the router for
    each package."""
    nas, router = router_of(call)
    owner_only(call, nas, "pushes profiles to it")
    local = call.get("local_address") or ""
    if local:
        try:
            local = F.host_ipv4(local)
        except ValueError as exc:
            raise FuncError(str(exc), field="local_address") from None
    stmt = sa.select(Package).where(usable(call, Package.operator_id)).order_by(Package.name)
    names = [n.strip() for n in (call.get("package") or "").split(",") if n.strip()]
    if names:
        stmt = stmt.where(sa.func.lower(Package.name).in_([n.lower() for n in names]))
    packages = list(call.session.scalars(stmt))
    missing = {n.lower() for n in names} - {p.name.lower() for p in packages}
    if missing:
        raise FuncError(f"no package {sorted(missing)[0]!r}", field="package")
    pools, profiles, pools6 = ppp.push_plan(call.session, packages, local)
    try:
        done = mikrotik.push(router, pools, profiles, pools6)
    except ProvisioningError as exc:
        raise device_error(exc) from None
    rows = [{"kind": k, "name": n, "action": a} for k, n, a in done]
    audit.record(call, "nas", nas.id, nas.shortname, None, {"pushed": rows})
    return ListResult(rows, len(rows), 1, len(rows), ["kind", "name", "action"])


@function("router.push_walled_garden", kind="list", changes="sok", roles=DEVICE_STAFF,
          params=(ELID, Param("sok", "ok to make the changes the dry run lists")))
def push_walled_garden(call: Call) -> ListResult:
    """The hotspot walled garden (provisioning/walled_garden.py) onto the router, as entries
    commented `radbill` (the router's other entries are left alone); a dry run first."""
    from provisioning.walled_garden import walled_garden_for
    nas, router = router_of(call)
    owner_only(call, nas, "pushes the walled garden to it")
    hosts = [e.host for e in walled_garden_for(call.session, nas)]
    try:
        done = mikrotik.sync_walled_garden(router, hosts, apply=call.sok)
    except ProvisioningError as exc:
        raise device_error(exc) from None
    rows = [{"host": h, "action": a} for h, a in done]
    if call.sok:
        audit.record(call, "nas", nas.id, nas.shortname, None,
                     {"walled_garden": [r for r in rows if r["action"] != "unchanged"]})
    return ListResult(rows, len(rows), 1, len(rows), ["host", "action"])


@function("router.import", kind="list", changes="sok", roles=ISP_ADMINS,
          params=(ELID, Param("sok", "ok to create what the dry run lists")))
def import_(call: Call) -> ListResult:
    """PPP secrets, profiles and IP pools into customers, packages and pools; a dry run first."""
    nas, router = router_of(call)
    owner_only(call, nas, "imports from it")
    try:
        secrets, profiles, pools = mikrotik.inventory(router)
    except ProvisioningError as exc:
        raise device_error(exc) from None
    steps = ppp.plan_import(call.session, secrets, profiles, pools)
    rows = ppp.run_import(call, steps, apply=call.sok)
    if call.sok:
        created = sum(r["action"] == "create" for r in rows)
        audit.record(call, "nas", nas.id, nas.shortname, None, {"imported": created})
    return ListResult(rows, len(rows), 1, len(rows), ["kind", "name", "action", "detail"])

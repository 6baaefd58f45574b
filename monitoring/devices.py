"""A status check for every new router (NAS), OLT and radio, made by the function that creates
the device (the `entity_created` hook of crud.Entity.edit) in its transaction, and removed with it.

The check pings the device's address every 60 s, belongs to the device's operator (the ISP
group's for a shared one), is not public, and may reach private addresses (devices sit on the
ISP's own network). Staff may change or disable it like any other check.

Devices made before this hook existed get theirs from `adopt` (check.adopt_devices): the same
check for every router, OLT and radio inside the caller's subtree (shared routers only for the
ISP's own staff) that has none, so running it again makes nothing.
"""
from __future__ import annotations

import sqlalchemy as sa

from radbill.functions import audit, hooks
from radbill.models import Check, Nas, NasSettings, Olt, Radio

KINDS = {"nas": "router", "olt": "OLT", "radio": "radio"}


def _device(call, entity: str, obj) -> tuple[str, str, int | None] | None:
    """The device's (name, address, operator) for the entities that are devices."""
    if entity == "nas":
        op = call.session.scalar(sa.select(NasSettings.operator_id)
                                 .where(NasSettings.nas_id == obj.id))
        return obj.shortname, obj.nasname, op
    if entity in ("olt", "radio"):
        return obj.name, obj.host, obj.operator_id
    return None


def created(call, entity: str, obj) -> int | None:
    found = _device(call, entity, obj)
    if found is None:
        return None
    name, address, operator_id = found
    if operator_id is None:
        from radbill.functions.crud import root_operator
        operator_id = root_operator(call).id
    check = Check(operator_id=operator_id, name=f"{KINDS[entity]} {name}"[:120], kind="ping",
                  target=address, interval=60, failures=3, device_kind=entity,
                  device_id=obj.id, component="Network")
    call.session.add(check)
    call.session.flush()
    audit.record(call, "check", check.id, check.name, None, audit.snapshot(check), operator_id)
    return check.id


def deleted(call, entity: str, obj) -> None:
    if entity not in KINDS:
        return
    for check in call.session.scalars(sa.select(Check).where(
            Check.device_kind == entity, Check.device_id == obj.id)):
        audit.record(call, "check", check.id, check.name, audit.snapshot(check), None,
                     check.operator_id)
        call.session.delete(check)


ADOPT_LOCK = 0x72626164  # one adoption at a time: two would both see a device without a check


def _unchecked(kind: str, id_col):
    return ~sa.exists().where(Check.device_kind == kind, Check.device_id == id_col)


def orphans(call, include_shared: bool) -> list[tuple[str, object]]:
    """The caller's routers, OLTs and radios without a status check, oldest first."""
    from radbill.functions.crud import in_subtree

    def owned(col):
        mine = in_subtree(call, col)
        return sa.or_(mine, col.is_(None)) if include_shared else mine
    nas = call.session.scalars(
        sa.select(Nas).outerjoin(NasSettings, NasSettings.nas_id == Nas.id)
        .where(owned(NasSettings.operator_id), _unchecked("nas", Nas.id)).order_by(Nas.id)).all()
    olts = call.session.scalars(sa.select(Olt).where(
        owned(Olt.operator_id), _unchecked("olt", Olt.id)).order_by(Olt.id)).all()
    radios = call.session.scalars(sa.select(Radio).where(
        in_subtree(call, Radio.operator_id), _unchecked("radio", Radio.id))
        .order_by(Radio.id)).all()
    return [("nas", n) for n in nas] + [("olt", o) for o in olts] + [("radio", r) for r in radios]


def adopt(call, include_shared: bool) -> tuple[list[int], dict[str, str]]:
    """A ping check for each of the caller's devices that has none (the ids made), and the
    devices skipped with why (an address no ping can aim at, such as a NAS's client range)."""
    from monitoring.functions.checks import host
    call.session.execute(sa.select(sa.func.pg_advisory_xact_lock(ADOPT_LOCK)))
    made, skipped = [], {}
    for entity, obj in orphans(call, include_shared):
        name, address, _ = _device(call, entity, obj)
        try:
            host(address or "")
        except ValueError as exc:
            skipped[f"{entity} {name}"] = str(exc)
            continue
        made.append(created(call, entity, obj))
    return made, skipped


hooks.subscribe("entity_created", created)
hooks.subscribe("entity_deleted", deleted)

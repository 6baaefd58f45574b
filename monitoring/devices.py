"""A status check for every new router (NAS), OLT and radio, made by the function that creates
the device (the `entity_created` hook of crud.Entity.edit) in its transaction, and removed with it.

The check pings the device's address every 60 s, belongs to the device's operator (the ISP
group's for a shared one), is not public, and may reach private addresses (devices sit on the
ISP's own network). Staff may change or disable it like any other check.
"""
from __future__ import annotations

import sqlalchemy as sa

from radbill.functions import audit, hooks
from radbill.models import Check, NasSettings

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


def created(call, entity: str, obj) -> None:
    found = _device(call, entity, obj)
    if found is None:
        return
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


def deleted(call, entity: str, obj) -> None:
    if entity not in KINDS:
        return
    for check in call.session.scalars(sa.select(Check).where(
            Check.device_kind == entity, Check.device_id == obj.id)):
        audit.record(call, "check", check.id, check.name, audit.snapshot(check), None,
                     check.operator_id)
        call.session.delete(check)


hooks.subscribe("entity_created", created)
hooks.subscribe("entity_deleted", deleted)

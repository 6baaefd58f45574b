"""Build test data through the function layer, as staff would."""
from __future__ import annotations

import itertools

from sqlalchemy.orm import Session

from radbill.functions.caller import SYSTEM, Caller
from radbill.functions.registry import call

_seq = itertools.count(1)


def fn(session: Session, func_name: str, caller: Caller = SYSTEM, **params):
    return call(session, caller, func_name, {k: str(v) for k, v in params.items() if v is not None})


def make(session: Session, entity: str, caller: Caller = SYSTEM, **params):
    """Create one object with `entity.edit sok=ok` and return it from the database."""
    from radbill.functions.registry import load_all
    result = fn(session, f"{entity}.edit", caller, sok="ok", **params)
    entity_obj = __import__(ENTITY_MODULES[entity], fromlist=["ENTITY"]).ENTITY
    load_all()
    return session.get(entity_obj.model, result.elid)


ENTITY_MODULES = {"operator": "staff.functions.operators", "user": "staff.functions.users",
                  "pool": "packages.functions.pools", "package": "packages.functions.packages",
                  "nas": "provisioning.functions.nas", "customer": "customers.functions.customers",
                  "billing_profile": "rating.functions.billing_profiles",
                  "zone": "customers.functions.zones"}


def make_operator(session, caller=SYSTEM, **kw):
    kw.setdefault("name", f"op{next(_seq)}")
    return make(session, "operator", caller, **kw)


def make_isp(session):
    """The group (the ISP itself), created first by the system administrator."""
    return make_operator(session, name=f"isp{next(_seq)}")


def make_package(session, caller=SYSTEM, **kw):
    kw.setdefault("name", f"pkg{next(_seq)}")
    kw.setdefault("rate_down", "10M")
    kw.setdefault("rate_up", "5M")
    kw.setdefault("price", "500")
    kw.setdefault("validity_days", "30")
    return make(session, "package", caller, **kw)


def make_customer(session, caller=SYSTEM, **kw):
    kw.setdefault("username", f"user{next(_seq)}")
    kw.setdefault("password", "s3cret")
    if "package" not in kw:
        kw["package"] = make_package(session).name
    return make(session, "customer", caller, **kw)


def make_user(session, caller=SYSTEM, **kw):
    kw.setdefault("login", f"staff{next(_seq)}")
    kw.setdefault("password", "correct-horse")
    return make(session, "user", caller, **kw)


def caller_of(session, user) -> Caller:
    from radbill.functions.auth import caller_for
    return caller_for(session, user)

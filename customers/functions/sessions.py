"""session: the RADIUS sessions (radacct) of the caller's customers; online=on is who is on now."""
from __future__ import annotations

import sqlalchemy as sa

from radbill.functions import audit
from radbill.functions.crud import paged
from radbill.functions.registry import Call, ListResult, Param, function
from radbill.functions.roles import CUSTOMER_VIEWERS
from radbill.models import Customer, RadAcct

SESSION_COLUMNS = ["id", "username", "nas", "ip", "mac", "started", "stopped", "seconds",
                   "bytes_down", "bytes_up", "cause"]


@function("session", kind="list", roles=CUSTOMER_VIEWERS,
          params=(Param("online", "on: only sessions without a stop (online now)"),
                  Param("username"), Param("nas", "NAS address"), Param("page"), Param("per_page")))
def sessions(call: Call) -> ListResult:
    """RADIUS sessions (radacct) of the caller's customers, newest first; online=on: who is on."""
    from customers.functions.customers import ENTITY as customers
    acct = RadAcct
    stmt = sa.select(acct)
    if call.caller.operator_path is not None or call.caller.role == "manager":
        stmt = stmt.where(acct.username.in_(customers.visible(call, sa.select(Customer.username))))
    if call.get("online") in ("on", "1", "yes"):
        stmt = stmt.where(acct.acctstoptime.is_(None))
    if call.get("username"):
        stmt = stmt.where(acct.username == call.get("username"))
    if call.get("nas"):
        stmt = stmt.where(sa.cast(acct.nasipaddress, sa.Text).like(call.get("nas") + "%"))
    return paged(call, stmt, SESSION_COLUMNS, lambda r: {
        "id": r.radacctid, "username": r.username, "nas": str(r.nasipaddress),
        "ip": None if r.framedipaddress is None else str(r.framedipaddress),
        "mac": r.callingstationid,
        "started": audit.jsonable(r.acctstarttime), "stopped": audit.jsonable(r.acctstoptime),
        "seconds": r.acctsessiontime, "bytes_down": r.acctoutputoctets,
        "bytes_up": r.acctinputoctets, "cause": r.acctterminatecause},
        acct.acctstarttime.desc().nulls_last(), acct.radacctid.desc())

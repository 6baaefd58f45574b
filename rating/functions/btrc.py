"""report.btrc, report.btrc_file, btrc.settings: the subscriber report the Bangladesh regulator
(BTRC) asks licensed ISPs for (issue 19).

BTRC publishes no machine-readable template; ISPs file a summary and a subscriber list whose
fields the regulator's KYC circulars name (ISP billing panels in Bangladesh export the same):
subscriber counts (total, new and disconnected in the period) by connection type, bandwidth
tier, package, area/zone, district and operator, and the list of subscribers with identity
fields -- client id, name, NID, mobile, address, area, district, connection type, package,
bandwidth, IP, MAC, connection date. The headers below name them as those forms do.

A subscriber counts "as of" a day when created on or before it and not deleted by its end (the
ISP's zone). Which custom field holds the NID, the area, the district and the connection type is
the filing operator's `btrc.settings` (the nearest operator up its chain that set one); unset:
customers.national_id, the zone, none, and the connection derived from the network (an ONU on
one of our OLTs: FTTH; the MAC among a radio's stations: Wireless; else the service: PPPoE,
Hotspot, Static IP). Only resellers' own staff and the system administrator file it, each for
its subtree."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import sqlalchemy as sa

from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.crud import page_params, resolve_operator, shared_with
from radbill.functions.registry import (Call, FileResult, FormResult, FuncError, ListResult,
                                        OkResult, Param, function)
from radbill.functions.roles import RESELLERS
from radbill.models import (Customer, CustomField, FilingSettings, Operator, Package, RadAcct,
                            Zone)
from radbill.models.devices import Onu
from radbill.models.noc import RadioStation
from rating import filings
from rating.functions.common import day
from rating.terms import midnight

SERVICE_NAMES = {"pppoe": "PPPoE", "hotspot": "Hotspot", "static": "Static IP"}
SETTINGS = ("nid_field", "area_field", "district_field", "connection_field")
LIST = {"sl": "SL", "username": "Client ID", "name": "Client Name",
        "nid": "NID / Passport No.", "mobile": "Mobile No.", "address": "Address",
        "area": "Area / Zone", "district": "District", "connection_type": "Connection Type",
        "service": "Service Type", "package": "Package", "bandwidth_mbps": "Bandwidth (Mbps)",
        "ip": "IP Address", "mac": "MAC Address", "connection_date": "Connection Date",
        "status": "Status", "operator": "Operator / Reseller"}
SUMMARY = {"section": "Category", "item": "Item", "subscribers": "Number of Subscribers"}
SECTIONS = {"total": "Total Subscribers", "new": "New Subscribers",
            "disconnected": "Disconnected Subscribers", "connection_type": "Connection Type",
            "service": "Service Type", "bandwidth_mbps": "Bandwidth (Mbps)",
            "package": "Package", "area": "Area / Zone", "district": "District",
            "operator": "Operator / Reseller", "status": "Status"}
GROUPED = ("connection_type", "service", "bandwidth_mbps", "package", "area", "district",
           "operator", "status")
PARAMS = (Param("date", "as of this day (default today)"),
          Param("from", "new and disconnected since (default the 1st of the month)"),
          Param("operator", "its subtree (default yours)"))


def settings_for(call: Call, op: Operator) -> dict[str, str | None]:
    """The nearest filing settings along the operator's chain."""
    chain = [int(x) for x in op.path.strip("/").split("/") if x] or [op.id]
    found = call.session.scalars(
        sa.select(FilingSettings).join(Operator, Operator.id == FilingSettings.operator_id)
        .where(FilingSettings.operator_id.in_(chain))
        .order_by(sa.func.length(Operator.path).desc()).limit(1)).first()
    return {k: getattr(found, k) if found else None for k in SETTINGS}


def _cf(name: str | None):
    return Customer.custom_fields[name].astext if name else None


def columns(conf: dict) -> dict:
    """Each reported field as an SQL expression over customers (+ package, zone, operator)."""
    derived = sa.case(
        (sa.exists().where(Onu.customer_id == Customer.id), "FTTH"),
        (sa.and_(Customer.mac.is_not(None),
                 sa.exists().where(RadioStation.mac == Customer.mac)), "Wireless"),
        *[(Customer.service == k, v) for k, v in SERVICE_NAMES.items()])
    ip = (sa.select(sa.func.host(RadAcct.framedipaddress))
          .where(RadAcct.username == Customer.username, RadAcct.acctstoptime.is_(None))
          .order_by(RadAcct.acctstarttime.desc()).limit(1).scalar_subquery())

    def pick(field, fallback):
        return sa.func.coalesce(sa.func.nullif(_cf(field), ""), fallback) if field else fallback
    return {
        "username": Customer.username, "name": Customer.name,
        "nid": pick(conf["nid_field"], Customer.national_id),
        "mobile": Customer.mobile, "address": Customer.address,
        "area": pick(conf["area_field"], Zone.name),
        "district": pick(conf["district_field"], sa.null()),
        "connection_type": pick(conf["connection_field"], derived),
        "service": sa.case(*[(Customer.service == k, v) for k, v in SERVICE_NAMES.items()]),
        "package": Package.name, "bandwidth_mbps": Package.rate_down,
        "ip": sa.func.coalesce(sa.func.host(Customer.static_ip), ip), "mac": Customer.mac,
        "connection_date": sa.func.date(sa.func.timezone(_zone(), Customer.created_at)),
        "status": Customer.status, "operator": Operator.name}


def _zone() -> str:
    from radbill import settings
    return settings.get().time_zone


def scope(call: Call) -> tuple[Operator, dt.date, dt.date]:
    op = resolve_operator(call, call.get("operator"))
    on = day(call, "date")
    since = day(call, "from") if (call.get("from") or "").strip() else on.replace(day=1)
    if since > on:
        raise FuncError("must be on or before the report's date", field="from")
    return op, on, since


def live(op: Operator, on: dt.date, cols: dict) -> sa.Select:
    end = midnight(on + dt.timedelta(days=1))
    return (sa.select(*[c.label(k) for k, c in cols.items()])
            .select_from(Customer)
            .join(Package, Package.id == Customer.package_id)
            .join(Operator, Operator.id == Customer.operator_id)
            .outerjoin(Zone, Zone.id == Customer.zone_id)
            .where(Operator.path.startswith(op.path, autoescape=True),
                   Customer.created_at < end,
                   sa.or_(Customer.deleted_at.is_(None), Customer.deleted_at >= end)))


def mbps(rate) -> str:
    value = (Decimal(rate) / Decimal(1_000_000)).normalize()
    return format(value, "f")


def list_row(n: int, r) -> dict:
    from customers.functions.customers import national
    row = {"sl": n, **{k: audit.jsonable(getattr(r, k)) for k in LIST if k != "sl"}}
    row["mobile"] = national(row["mobile"])
    row["bandwidth_mbps"] = mbps(row["bandwidth_mbps"])
    return row


def summary(call: Call, op: Operator, on: dt.date, since: dt.date, cols: dict) -> list[dict]:
    base = live(op, on, {k: cols[k] for k in GROUPED}).subquery()
    found = call.session.execute(sa.select(base, sa.func.count())
                                 .group_by(*base.c)).all()
    counts = {k: Counter() for k in GROUPED}
    total = 0
    for r in found:
        n = r[-1]
        total += n
        for i, k in enumerate(GROUPED):
            value = r[i]
            counts[k][mbps(value) if k == "bandwidth_mbps" else (value or "")] += n
    lo, hi = midnight(since), midnight(on + dt.timedelta(days=1))
    within = Operator.path.startswith(op.path, autoescape=True)
    ours = sa.select(sa.func.count()).select_from(Customer).join(
        Operator, Operator.id == Customer.operator_id).where(within)
    new = call.session.scalar(ours.where(Customer.created_at >= lo, Customer.created_at < hi))
    gone = call.session.scalar(ours.where(Customer.deleted_at >= lo, Customer.deleted_at < hi,
                                          Customer.created_at < hi))
    rows = [{"section": "total", "item": on.isoformat(), "subscribers": total},
            {"section": "new", "item": f"{since.isoformat()}..{on.isoformat()}",
             "subscribers": new},
            {"section": "disconnected", "item": f"{since.isoformat()}..{on.isoformat()}",
             "subscribers": gone}]
    for k in GROUPED:
        order = sorted(counts[k].items(), key=lambda kv: (
            (float(kv[0]) if kv[0] else 0.0) if k == "bandwidth_mbps" else 0, str(kv[0])))
        rows += [{"section": k, "item": item, "subscribers": n} for item, n in order]
    return rows


@function("report.btrc", replica=True, money=False, kind="list", roles=RESELLERS, params=(
    Param("part", "summary (default) or list"), *PARAMS, Param("page"), Param("per_page")))
def btrc(call: Call) -> ListResult:
    """The BTRC subscriber report: counts as of a day (part=summary) or the subscriber list
    with identity fields (part=list), for your subtree."""
    part = F.parse_one("part", F.choice("summary", "list"), call.get("part") or "summary")
    op, on, since = scope(call)
    cols = columns(settings_for(call, op))
    if part == "summary":
        rows = summary(call, op, on, since, cols)
        return ListResult(rows, len(rows), 1, max(len(rows), 1), list(SUMMARY))
    page, per_page = page_params(call)
    stmt = live(op, on, {**cols, "id": Customer.id})
    total = call.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
    found = call.session.execute(stmt.order_by(Customer.username, Customer.id)
                                 .limit(per_page).offset((page - 1) * per_page))
    rows = [list_row((page - 1) * per_page + i, r) for i, r in enumerate(found, start=1)]
    return ListResult(rows, total, page, per_page, list(LIST))


@function("report.btrc_file", replica=True, money=False, kind="file", roles=RESELLERS, params=(
    *PARAMS, Param("format", "xlsx (default: a sheet per part) or csv"),
    Param("part", "csv: summary (default) or list")))
def btrc_file(call: Call) -> FileResult:
    """The BTRC report to file: an .xlsx with a Summary and a Subscribers sheet, or a CSV."""
    fmt = F.parse_one("format", F.choice("xlsx", "csv"), call.get("format") or "xlsx")
    part = F.parse_one("part", F.choice("summary", "list"), call.get("part") or "summary")
    op, on, since = scope(call)
    cols = columns(settings_for(call, op))
    summed = [[SECTIONS[r["section"]], r["item"], r["subscribers"]]
              for r in summary(call, op, on, since, cols)]
    name = f"btrc-{op.name}-{on:%Y%m%d}"
    listed = None
    if fmt == "xlsx" or part == "list":
        found = call.session.execute(live(op, on, cols).order_by(Customer.username,
                                                                  Customer.id))
        listed = [[row[k] for k in LIST] for row in
                  (list_row(i, r) for i, r in enumerate(found, start=1))]
    if fmt == "csv":
        headers, rows = (list(LIST.values()), listed) if part == "list" else \
            (list(SUMMARY.values()), summed)
        return FileResult(f"{name}-{part}.csv", "text/csv; charset=utf-8",
                          filings.csv_bytes(headers, rows))
    return FileResult(f"{name}.xlsx", filings.XLSX, filings.workbook([
        ("Summary", list(SUMMARY.values()), summed),
        ("Subscribers", list(LIST.values()), listed)]))


@function("btrc.settings", kind="form", money=False, roles=RESELLERS, params=(
    Param("elid", "the operator (default yours)"),
    Param("nid_field", "custom field holding the national ID (empty: the NID column)"),
    Param("area_field", "custom field holding the area (empty: the zone)"),
    Param("district_field", "custom field holding the district"),
    Param("connection_field", "custom field holding the connection type (empty: derived)")))
def btrc_settings(call: Call):
    """Which custom fields feed the BTRC report of an operator (and its subtree)."""
    op = resolve_operator(call, call.elid, field="elid")
    row = call.session.get(FilingSettings, op.id)
    if not call.sok:
        return FormResult(op.id, {"elid": op.name, **settings_for(call, op)})
    names = set(call.session.scalars(sa.select(CustomField.name).where(
        shared_with(op.path, CustomField.operator_id))))
    values, errors = {}, {}
    for key in SETTINGS:
        raw = call.get(key)
        if raw is None:
            continue
        try:
            value = F.parse_one(key, F.text(40), raw.strip()) or None
        except FuncError as exc:
            errors.update(exc.errors)
            continue
        if value is not None and value not in names:
            errors[key] = f"no custom field {F.short(value)!r} applies to {op.name}'s customers"
        values[key] = value
    if errors:
        raise FuncError(errors=errors)
    before = audit.snapshot(row)
    if row is None:
        row = FilingSettings(operator_id=op.id)
        call.session.add(row)
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_at = sa.func.now()
    call.session.flush()
    call.session.refresh(row)
    audit.record(call, "filing_settings", op.id, op.name, before, audit.snapshot(row), op.id)
    return OkResult(op.id)

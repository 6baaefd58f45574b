"""The money a radbill import carries, once per source row (imported_records' unique source,
kind, source_id): every source bill and payment of an imported customer is kept as read-only
history; an open bill's unpaid rest becomes an opening-due bill here (its source number and
period in the note), booked per operator as receivable / opening_balance; an advance balance
is added to the customer's and booked opening_balance / advances. Paid history moved its money
in the old system: it is shown, never booked (this instance's reports count only its own
money). A record that exists already inserts nothing, so nothing is booked twice."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from radbill import settings
from radbill.functions.registry import request_line
from rating.functions.receipts import number as receipt_number

from customers.importing.plan import Ctx, today
from customers.importing.write import book_openings

ZERO = Decimal(0)

RECORDS = """
WITH src AS (SELECT * FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(
    kind text, source_id bigint, customer_id int, operator_id int, number text, on_date date,
    period_from date, period_to date, amount numeric, paid numeric, status text, method text,
    note text))
INSERT INTO imported_records (source, kind, source_id, customer_id, operator_id, number, on_date,
                              period_from, period_to, amount, paid, status, method, note)
SELECT :source, kind, source_id, customer_id, operator_id, number, on_date, period_from,
       period_to, amount, paid, status, method, note FROM src ORDER BY kind, source_id
ON CONFLICT ON CONSTRAINT uq_imported_records_source DO NOTHING
RETURNING id, kind, customer_id, operator_id, amount, paid, status, number, period_from,
          period_to, note"""

# ids drawn first, so each record is linked to its own bill
BILLS = """
WITH src AS (SELECT * FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(
    rec_id bigint, customer_id int, operator_id int, amount numeric, due date, note text)),
ids AS MATERIALIZED (SELECT s.*, nextval(pg_get_serial_sequence('bills', 'id')) AS bill_id
                       FROM src s ORDER BY rec_id),
b AS (INSERT INTO bills (id, customer_id, operator_id, kind, issued_on, due_date, subtotal,
                         total, note)
      SELECT bill_id, customer_id, operator_id, 'manual', :today, due, amount, amount, note
        FROM ids RETURNING id, total, note),
l AS (INSERT INTO bill_lines (bill_id, description, amount) SELECT id, note, total FROM b),
u AS (UPDATE imported_records r SET bill_id = ids.bill_id FROM ids WHERE r.id = ids.rec_id)
SELECT count(*) FROM b"""

ADVANCES = """
WITH src AS (SELECT * FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(
    customer_id int, amount numeric)),
upd AS (UPDATE customers c SET advance_balance = c.advance_balance + s.amount, updated_at = now()
          FROM src s WHERE c.id = s.customer_id
        RETURNING c.id, c.username, c.operator_id, c.advance_balance)
INSERT INTO audit_log (actor, actor_user_id, operator_id, func, object_type, object_id,
                       object_name, before, after, request, ip)
SELECT :actor, :user_id, u.operator_id, :func, 'customer', u.id, u.username,
       jsonb_build_object('advance_balance', u.advance_balance - s.amount),
       jsonb_build_object('advance_balance', u.advance_balance), :request, :ip
  FROM upd u JOIN src s ON s.customer_id = u.id"""


@dataclass
class Carried:
    bills: int = 0  # source bills kept as history
    payments: int = 0
    open_bills: int = 0  # of them, opening-due bills made here
    opening_dues: Decimal = ZERO
    advances: int = 0
    advance_total: Decimal = ZERO
    already: int = 0  # records an earlier import carried

    def report(self) -> dict:
        return {"bills": self.bills, "payments": self.payments, "open_bills": self.open_bills,
                "opening_dues": str(self.opening_dues), "advances": self.advances,
                "advance_total": str(self.advance_total), "already_carried": self.already}


def _date(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(settings.get().tz).date().isoformat()
    return value.isoformat()


def _money(value) -> str | None:
    return None if value is None else str(Decimal(value))


def records(source, customers: dict[int, tuple[int, int]]) -> list[dict]:
    """The source's bills, payments and advance balances of the customers carried
    ({source customer id: (customer id here, operator id here)}) as imported_records rows."""
    out = []
    for b in source.bills:
        if b["customer_id"] not in customers:
            continue
        cid, op = customers[b["customer_id"]]
        start = b.get("service_from") or b.get("period_start")
        out.append({"kind": "bill", "source_id": b["id"], "customer_id": cid, "operator_id": op,
                    "number": str(b["id"]), "on_date": _date(b["issued_on"]),
                    "period_from": _date(start), "period_to": _date(b.get("service_to")),
                    "amount": _money(b["total"]), "paid": _money(b["paid"]),
                    "status": b["status"], "method": b.get("kind"),
                    "note": (b.get("note") or "")[:500] or None,
                    "due": _date(b["due_date"])})
    for p in source.payments:
        if p["customer_id"] not in customers:
            continue
        cid, op = customers[p["customer_id"]]
        out.append({"kind": "payment", "source_id": p["id"], "customer_id": cid,
                    "operator_id": op, "number": receipt_number(p["id"]),
                    "on_date": _date(p["received_at"]), "amount": _money(p["amount"]),
                    "status": p["status"], "method": p["method"],
                    "note": " ".join(x for x in (p.get("reference"), p.get("note")) if x)[:500]
                    or None})
    for c in source.customers:
        if c["id"] in customers and Decimal(c.get("advance_balance") or 0) > 0:
            cid, op = customers[c["id"]]
            out.append({"kind": "advance", "source_id": c["id"], "customer_id": cid,
                        "operator_id": op, "number": c["username"], "on_date": _date(today()),
                        "amount": _money(c["advance_balance"]), "status": "booked"})
    return out


def _rest(r) -> Decimal:
    return Decimal(r["amount"]) - Decimal(r["paid"] or 0)


def preview(session, source_key: str, rows: list[dict]) -> Carried:
    """What carry() would do with rows: the ones no earlier import carried."""
    done = set(session.execute(sa.text(
        "SELECT kind, source_id FROM imported_records WHERE source = :s"),
        {"s": source_key}).tuples())
    out = Carried()
    for r in rows:
        if (r["kind"], r["source_id"]) in done:
            out.already += 1
            continue
        _count(out, r)
    return out


def _count(out: Carried, r: dict) -> None:
    if r["kind"] == "bill":
        out.bills += 1
        if r["status"] == "open" and _rest(r) > 0:
            out.open_bills += 1
            out.opening_dues += _rest(r)
    elif r["kind"] == "payment":
        out.payments += 1
    else:
        out.advances += 1
        out.advance_total += Decimal(r["amount"])


def carry(ctx: Ctx, source_key: str, label: str, rows: list[dict]) -> Carried:
    """Insert the records no earlier import carried and book their money, in ctx's
    transaction; returns what was carried now."""
    s = ctx.session
    due_of = {(r["kind"], r["source_id"]): r.get("due") for r in rows}
    new = s.execute(sa.text(RECORDS), {"source": source_key, "rows": json.dumps(
        [{k: v for k, v in r.items() if k != "due"} for r in rows])}).mappings().all()
    out = Carried(already=len(rows) - len(new))
    on = today()
    bills, advances = [], []
    for r in new:
        _count(out, r)
        if r["kind"] == "bill" and r["status"] == "open" and _rest(r) > 0:
            src_id = int(r["number"])
            due = due_of.get(("bill", src_id))
            bills.append({"rec_id": r["id"], "customer_id": r["customer_id"],
                          "operator_id": r["operator_id"], "amount": str(_rest(r)),
                          "due": max(dt.date.fromisoformat(due), on).isoformat() if due
                          else on.isoformat(), "note": note(label, r)})
        elif r["kind"] == "advance":
            advances.append({"customer_id": r["customer_id"], "amount": str(r["amount"]),
                             "operator_id": r["operator_id"]})
    if bills:
        s.execute(sa.text(BILLS), {"rows": json.dumps(bills), "today": on})
    if advances:
        s.execute(sa.text(ADVANCES), {
            "rows": json.dumps(advances), "actor": ctx.caller.login,
            "user_id": ctx.caller.user_id, "ip": ctx.caller.ip, "func": ctx.func,
            "request": request_line(ctx.func, ctx.params)})
    for kind, booked, what in (("opening_due", bills, "opening dues"),
                               ("opening_advance", advances, "advance balances")):
        book_openings(ctx, kind, [(r["operator_id"], r["amount"]) for r in booked],
                      f"radbill import from {label}: {what}", f"radbill-import:{kind}")
    return out


def note(label: str, r) -> str:
    period = ""
    if r["period_from"]:
        period = f", period {r['period_from']}" + (f" to {r['period_to']}"
                                                  if r["period_to"] else "")
    return (f"Opening due carried over from radbill {label}: bill #{r['number']}{period}, "
            f"total {r['amount']}, paid {r['paid'] or 0}")[:500]

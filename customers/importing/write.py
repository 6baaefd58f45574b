"""A planned chunk written set-based, in the caller's transaction: one statement creates the
customers with their audit rows and customer.created events (cutover: no welcome notice),
one updates the rest with theirs (customer.updated naming the changed columns, relogin as
customer.edit sets it), statuses move through the lifecycle (reason import), and opening dues
become a bill per customer; dues and advance balances are booked per operator as one balanced
ledger transaction each against `opening_balance`."""
from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from radbill import lifecycle
from radbill.functions.registry import request_line
from rating import ledger

from customers.importing.plan import Ctx, Plan, today

SOURCE = """
src AS (SELECT * FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(
    line int, id int, username text, set_secret boolean, password text, nt_hash text,
    name text, mobile text, email text, national_id text, lang text, address text, mac text,
    service service_kind, static_ip inet, package_id int, operator_id int, zone_id int,
    billing_profile_id int, expires_at timestamptz, custom_price numeric, notes text,
    custom_fields jsonb, advance_balance numeric))"""

# masked as audit.record masks them
SECRETS = "jsonb_build_object('password', CASE WHEN {t}.password IS NULL THEN NULL ELSE '***' END, " \
          "'nt_hash', CASE WHEN {t}.nt_hash IS NULL THEN NULL ELSE '***' END)"

CREATE = f"""
WITH {SOURCE},
ins AS (
    INSERT INTO customers (username, password, nt_hash, name, mobile, email, national_id, lang,
                           address, mac, service, static_ip, package_id, operator_id, zone_id,
                           billing_profile_id, expires_at, custom_price, notes, custom_fields,
                           advance_balance, cycle_start)
    SELECT username, password, nt_hash, name, mobile, email, national_id, lang, address, mac,
           service, static_ip, package_id, operator_id, zone_id, billing_profile_id, expires_at,
           custom_price, notes, coalesce(custom_fields, '{{}}'), coalesce(advance_balance, 0),
           :today
      FROM src ORDER BY line
    RETURNING *
), ev AS (
    INSERT INTO events (name, customer_id, operator_id, actor, func, data)
    SELECT 'customer.created', i.id, i.operator_id, :actor, :func,
           jsonb_build_object('username', i.username, 'package', p.name,
                              'service', i.service, 'cutover', true)
      FROM ins i JOIN packages p ON p.id = i.package_id
), au AS (
    INSERT INTO audit_log (actor, actor_user_id, operator_id, func, object_type, object_id,
                           object_name, before, after, request, ip)
    SELECT :actor, :user_id, i.operator_id, :func, 'customer', i.id, i.username, NULL,
           to_jsonb(i) || {SECRETS.format(t='i')}, :request, :ip
      FROM ins i
)
SELECT i.id, i.username, i.operator_id FROM ins i
"""

UPDATE = f"""
WITH {SOURCE},
old AS MATERIALIZED (SELECT c.* FROM customers c JOIN src ON src.id = c.id),  -- the snapshot
upd AS (
    UPDATE customers c SET
        password = CASE WHEN r.set_secret THEN r.password ELSE c.password END,
        nt_hash = CASE WHEN r.set_secret THEN r.nt_hash ELSE c.nt_hash END,
        name = coalesce(r.name, c.name), mobile = coalesce(r.mobile, c.mobile),
        email = coalesce(r.email, c.email), national_id = coalesce(r.national_id, c.national_id),
        lang = coalesce(r.lang, c.lang), address = coalesce(r.address, c.address),
        mac = coalesce(r.mac, c.mac), service = coalesce(r.service, c.service),
        static_ip = coalesce(r.static_ip, c.static_ip),
        package_id = coalesce(r.package_id, c.package_id),
        operator_id = coalesce(r.operator_id, c.operator_id),
        zone_id = coalesce(r.zone_id, c.zone_id),
        billing_profile_id = coalesce(r.billing_profile_id, c.billing_profile_id),
        expires_at = coalesce(r.expires_at, c.expires_at),
        custom_price = coalesce(r.custom_price, c.custom_price),
        notes = coalesce(r.notes, c.notes),
        custom_fields = c.custom_fields || coalesce(r.custom_fields, '{{}}'),
        updated_at = now()
      FROM src r WHERE c.id = r.id
    RETURNING c.*
), ch AS (
    SELECT u.id, u.username, u.operator_id, to_jsonb(o) AS before, to_jsonb(u) AS after,
           ARRAY(SELECT n.key FROM jsonb_each(to_jsonb(u)) n
                  WHERE n.key <> 'updated_at'
                    AND n.value IS DISTINCT FROM to_jsonb(o) -> n.key ORDER BY n.key) AS changed
      FROM upd u JOIN old o ON o.id = u.id
), ev AS (
    INSERT INTO events (name, customer_id, operator_id, actor, func, data)
    SELECT 'customer.updated', id, operator_id, :actor, :func,
           jsonb_build_object('username', username, 'changed', to_jsonb(changed),
                              'relogin', changed && CAST(:relogin AS text[]))
      FROM ch WHERE cardinality(changed) > 0
), au AS (
    INSERT INTO audit_log (actor, actor_user_id, operator_id, func, object_type, object_id,
                           object_name, before, after, request, ip)
    SELECT :actor, :user_id, ch.operator_id, :func, 'customer', ch.id, ch.username,
           (SELECT jsonb_object_agg(k, CASE WHEN k IN ('password', 'nt_hash')
                                             AND ch.before -> k <> 'null' THEN '"***"'
                                        ELSE ch.before -> k END) FROM unnest(ch.changed) k),
           (SELECT jsonb_object_agg(k, CASE WHEN k IN ('password', 'nt_hash')
                                             AND ch.after -> k <> 'null' THEN '"***"'
                                        ELSE ch.after -> k END) FROM unnest(ch.changed) k),
           :request, :ip
      FROM ch WHERE cardinality(changed) > 0
)
SELECT ch.id, cardinality(ch.changed) > 0 FROM ch
"""

# an opening bill per customer that owed the old system: what they owe now, due today
BILLS = """
WITH src AS (SELECT * FROM jsonb_to_recordset(CAST(:rows AS jsonb))
                       AS r(customer_id int, operator_id int, amount numeric)),
b AS (
    INSERT INTO bills (customer_id, operator_id, kind, issued_on, due_date, subtotal, total, note)
    SELECT customer_id, operator_id, 'manual', :today, :today, amount, amount, :note
      FROM src ORDER BY customer_id
    RETURNING id, total
)
INSERT INTO bill_lines (bill_id, description, amount) SELECT id, :note, total FROM b
"""
NOTE = "Opening balance carried over from the previous system"


@dataclass
class Written:
    created: int = 0
    updated: int = 0  # customers the update changed


def _dump(rows: list[dict]) -> str:
    keep = ("line", "id", "username", "set_secret", "password", "nt_hash", "name", "mobile",
            "email", "national_id", "lang", "address", "mac", "service", "static_ip",
            "package_id", "operator_id", "zone_id", "billing_profile_id", "expires_at",
            "custom_price", "notes", "custom_fields", "advance_balance")
    return json.dumps([{k: r.get(k) for k in keep} for r in rows])


def write(ctx: Ctx, plan: Plan, reference: str) -> Written:
    """Write a planned chunk; `reference` names it in the ledger (import:<id>:<first line>)."""
    s, caller = ctx.session, ctx.caller
    who = {"actor": caller.login, "user_id": caller.user_id, "ip": caller.ip, "func": ctx.func,
           "request": request_line(ctx.func, ctx.params), "today": today()}
    out = Written()
    if plan.creates:
        made = s.execute(sa.text(CREATE), {**who, "rows": _dump(plan.creates)}).all()
        by_name = {u.lower(): (cid, op) for cid, u, op in made}
        for r in plan.creates:  # the statuses and the money need the new ids
            r["id"], r["operator_id"] = by_name[r["username"].lower()]
        out.created = len(made)
    if plan.updates:
        from customers.functions.customers import RELOGIN  # customer.edit's rule
        changed = dict(s.execute(sa.text(UPDATE), {**who, "rows": _dump(plan.updates),
                                                   "relogin": sorted(RELOGIN)}).all())
        out.updated = sum(1 for v in changed.values() if v)
    _statuses(ctx, plan)
    _money(ctx, plan, reference)
    return out


def _statuses(ctx: Ctx, plan: Plan) -> None:
    actor = lifecycle.Actor.of(ctx)
    moves: dict[tuple[str, str], list[int]] = {}
    for r in plan.creates + plan.updates:
        if r["status"]:
            moves.setdefault((r["status"], r["reason"]), []).append(r["id"])
    for (dest, reason), ids in sorted(moves.items()):
        lifecycle.apply(ctx.session, ids, dest, reason, actor, "cut-over import")


def _money(ctx: Ctx, plan: Plan, reference: str) -> None:
    dues = [r for r in plan.creates if r.get("opening_due") and Decimal(r["opening_due"]) > 0]
    if dues:
        ctx.session.execute(sa.text(BILLS), {"today": today(), "note": NOTE, "rows": json.dumps(
            [{"customer_id": r["id"], "operator_id": r["operator_id"],
              "amount": r["opening_due"]} for r in dues])})
    advances = [r for r in plan.creates
                if r.get("advance_balance") and Decimal(r["advance_balance"]) > 0]
    book_openings(ctx, "opening_due", [(r["operator_id"], r["opening_due"]) for r in dues],
                  "cut-over import: opening dues", f"{reference}:opening_due")
    book_openings(ctx, "opening_advance",
                  [(r["operator_id"], r["advance_balance"]) for r in advances],
                  "cut-over import: advance balances", f"{reference}:opening_advance")


# what a customer owed the old system is receivable here; what it had paid ahead, advances;
# both against equity (opening_balance), not revenue: the old system earned them
OPENING_LEGS = {
    "opening_due": lambda op, amt: [(op, "receivable", amt), (op, "opening_balance", -amt)],
    "opening_advance": lambda op, amt: [(op, "opening_balance", amt), (op, "advances", -amt)],
}


def book_openings(ctx: Ctx, kind: str, amounts: list[tuple[int, str | Decimal]],
                  description: str, reference: str) -> None:
    """One balanced ledger transaction per operator for its customers' [(operator id,
    amount)] opening dues or advances (`kind`, a key of OPENING_LEGS)."""
    per_op: dict[int, list[Decimal]] = {}
    for op, amount in amounts:
        per_op.setdefault(op, []).append(Decimal(amount))
    for op, each in sorted(per_op.items()):
        ledger.post(ctx.session, kind, f"{description} of {len(each)} customers",
                    OPENING_LEGS[kind](op, sum(each, Decimal(0))), operator_id=op,
                    reference=reference)

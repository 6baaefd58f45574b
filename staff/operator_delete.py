"""Deleting an operator with everything under it (issue 19): the plan, the archive, the delete.

What goes is worked out from the database's own foreign keys, so a table added later is
covered without touching this file. Starting from the rows to delete (the operator's subtree;
in a customers' step, a batch of its customers) it follows every foreign key that points at
them, to a fixed point:
  ON DELETE CASCADE          the rows pointing at them go too (the database would delete them);
  RESTRICT / NO ACTION       they go too when they belong to the subtree (their operator_id is
                             in it, or they have no operator_id: a bill's line, a payment's
                             allocation); a row of another operator pointing at them (a customer
                             elsewhere on the reseller's package) blocks the delete, named;
  SET NULL / SET DEFAULT     they stay, detached (a NAS or OLT of the reseller becomes global,
                             the audit log keeps its rows without the operator).
The dry run and the delete run the same computation (`plan`), so the list is exactly what
goes. Rows are kept by primary key in temporary tables (dropped at commit).

Money history is archived, not destroyed: the rows of MONEY_TABLES that go, and money rows
that stay but lose a link, are written as JSON ({table: [row, ...]}, gzip'd, with the SHA-256 of
the JSON) into `operator_archive_parts` of one `operator_archives` row attached to the parent
(the archive's `sha256` is the SHA-256 of its parts' digests, one a line, in order).
Ledger: a transaction whose every leg is on the subtree's accounts goes (archived); one it
shares with others (a fund: its parent's cash and downstream) keeps the others' legs, and the
subtree's legs are replaced by one leg on the parent's `archived` account carrying their sum
when it is not zero (so every transaction still balances and no other account of the parent
changes); its operator becomes the parent.

The delete is refused while an account of POSITIONS of any operator of the subtree is not
zero: what it owes or is owed (its balance with its parent, customers' dues and advances...),
named with the amount. Its revenue, costs, cash and VAT are its own history: archived.
"""
from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill.models import (LedgerAccount, LedgerEntry, Operator, OperatorArchive,
                            OperatorArchivePart)

MONEY_TABLES = frozenset({
    "bills", "bill_lines", "payments", "payment_allocations", "gateway_checkouts",
    "ledger_accounts", "ledger_entries", "ledger_transactions", "expenses", "recharge_cards",
    "operator_bills", "operator_plans", "package_changes", "pending_transactions",
    "books_monthly", "complaint_costs", "imported_records", "operator_archives",
    "operator_archive_parts"})
POSITIONS = ("upstream", "downstream", "receivable", "advances", "fees_payable",
             "fees_receivable", "commission_payable", "payable",
             "transfers")  # what another operator owes it for a moved customer's bills
# what the dry run calls each table (the rest by their table name)
NAMES = {"operators": "sub-operators and the operator", "staff_users": "staff logins",
         "customers": "customers", "packages": "packages", "billing_profiles": "billing profiles",
         "payment_gateways": "payment gateways", "ledger_accounts": "ledger accounts",
         "nas_settings": "NAS (kept, made global)", "checks": "status checks"}


@dataclass(frozen=True)
class Edge:
    child: str
    child_cols: tuple[str, ...]
    parent: str
    parent_cols: tuple[str, ...]
    action: str  # c cascade, r restrict, a no action, n set null, d set default


@dataclass
class Plan:
    root_id: int
    subtree: list[int]
    deleted: dict[str, int] = field(default_factory=dict)  # table -> rows that go
    detached: dict[str, int] = field(default_factory=dict)  # table -> rows kept, link cleared
    blockers: dict[str, int] = field(default_factory=dict)  # table -> rows of others in the way

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


class Catalog:
    """The foreign keys and primary keys of the public schema (read once per plan)."""

    def __init__(self, session: Session):
        rows = session.execute(sa.text("""
            SELECT c.conrelid::regclass::text, c.confrelid::regclass::text, c.confdeltype::text,
                   array(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
                         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n
                         ORDER BY k.i),
                   array(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
                         JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n
                         ORDER BY k.i)
              FROM pg_constraint c JOIN pg_namespace s ON s.oid = c.connamespace
             WHERE c.contype = 'f' AND s.nspname = 'public'""")).all()
        self.edges = [Edge(ch, tuple(cc), pa, tuple(pc), act) for ch, pa, act, cc, pc in rows]
        pks = session.execute(sa.text("""
            SELECT c.conrelid::regclass::text,
                   array(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
                         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n
                         ORDER BY k.i)
              FROM pg_constraint c JOIN pg_namespace s ON s.oid = c.connamespace
             WHERE c.contype = 'p' AND s.nspname = 'public'""")).all()
        self.pk = {t: tuple(cols) for t, cols in pks}
        self.with_operator = set(session.scalars(sa.text(
            "SELECT table_name::text FROM information_schema.columns "
            "WHERE table_schema = 'public' AND column_name = 'operator_id'")))


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Doomed:
    """The rows that go, by primary key, one temporary table per table."""

    def __init__(self, session: Session, catalog: Catalog, subtree: list[int]):
        self.s, self.cat, self.subtree = session, catalog, subtree
        self.temp: dict[str, str] = {}

    def table(self, name: str) -> str:
        if name not in self.temp:
            temp = f"opdel_{len(self.temp)}"
            cols = ", ".join(_q(c) for c in self.cat.pk[name])
            self.s.execute(sa.text(f"DROP TABLE IF EXISTS {temp}"))
            self.s.execute(sa.text(f"CREATE TEMP TABLE {temp} ON COMMIT DROP AS "
                                   f"SELECT {cols} FROM {_q(name)} LIMIT 0"))
            self.s.execute(sa.text(f"ALTER TABLE {temp} ADD PRIMARY KEY ({cols})"))
            self.temp[name] = temp
        return self.temp[name]

    def add(self, name: str, select_sql: str, params: dict | None = None) -> int:
        """Add the keys `select_sql` answers (the table's primary key columns, in order)."""
        temp = self.table(name)
        return self.s.execute(sa.text(f"INSERT INTO {temp} {select_sql} ON CONFLICT DO NOTHING"),
                              params or {}).rowcount

    def _pointing(self, e: Edge) -> str:
        """FROM/WHERE of the rows of e.child pointing at doomed rows of e.parent."""
        pk = self.cat.pk[e.parent]
        on = " AND ".join(f"c.{_q(a)} = p.{_q(b)}" for a, b in zip(e.child_cols, e.parent_cols))
        using = " AND ".join(f"p.{_q(k)} = d.{_q(k)}" for k in pk)
        return (f"FROM {_q(e.child)} c JOIN {_q(e.parent)} p ON {on} "
                f"JOIN {self.temp[e.parent]} d ON {using}")

    def _ours(self, e: Edge) -> str:
        return ("c.operator_id = ANY(CAST(:subtree AS int[]))"
                if e.child in self.cat.with_operator else "true")

    def close(self) -> None:
        """Follow the foreign keys to the fixed point."""
        while True:
            grown = 0
            for e in self.cat.edges:
                if e.parent not in self.temp or e.child not in self.cat.pk or e.action in "nd":
                    continue
                keys = ", ".join(f"c.{_q(k)}" for k in self.cat.pk[e.child])
                where = "true" if e.action == "c" else self._ours(e)
                grown += self.add(e.child, f"SELECT {keys} {self._pointing(e)} WHERE {where}",
                                  {"subtree": self.subtree})
            if not grown:
                return

    def _not_doomed(self, e: Edge) -> str:
        if e.child not in self.temp:
            return "true"
        own = " AND ".join(f"x.{_q(k)} = c.{_q(k)}" for k in self.cat.pk[e.child])
        return f"NOT EXISTS (SELECT 1 FROM {self.temp[e.child]} x WHERE {own})"

    def count(self, name: str) -> int:
        return self.s.scalar(sa.text(f"SELECT count(*) FROM {self.temp[name]}"))

    def outside(self, actions: str) -> dict[str, tuple[Edge, int]]:
        """Rows not going that point at rows going, by the edges of `actions`."""
        out: dict[str, tuple[Edge, int]] = {}
        for e in self.cat.edges:
            if e.parent not in self.temp or e.action not in actions:
                continue
            n = self.s.scalar(sa.text(f"SELECT count(*) {self._pointing(e)} "
                                      f"WHERE {self._not_doomed(e)}"))
            if n:
                prev = out.get(e.child, (e, 0))[1]
                out[e.child] = (e, prev + n)
        return out

    def rows_json(self, name: str) -> list:
        pk = self.cat.pk[name]
        using = " AND ".join(f"t.{_q(k)} = d.{_q(k)}" for k in pk)
        order = ", ".join(f"t.{_q(k)}" for k in pk)
        return self.s.scalar(sa.text(
            f"SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY {order}), '[]'::jsonb) "
            f"FROM {_q(name)} t JOIN {self.temp[name]} d ON {using}")) or []

    def detached_json(self, e: Edge) -> list:
        return self.s.scalar(sa.text(
            f"SELECT coalesce(jsonb_agg(DISTINCT to_jsonb(c)), '[]'::jsonb) {self._pointing(e)} "
            f"WHERE {self._not_doomed(e)}")) or []

    def order(self) -> list[str]:
        """The doomed tables, each after every doomed table pointing at it (children first)."""
        left, out = set(self.temp), []
        while left:
            ready = [t for t in sorted(left) if not any(
                e.parent == t and e.child in left and e.child != t for e in self.cat.edges)]
            if not ready:  # a cycle between tables: take them as they come
                ready = sorted(left)[:1]
            for t in ready:
                left.discard(t)
                out.append(t)
        return out

    def delete(self, name: str) -> int:
        using = " AND ".join(f"t.{_q(k)} = d.{_q(k)}" for k in self.cat.pk[name])
        return self.s.execute(sa.text(f"DELETE FROM {_q(name)} t USING {self.temp[name]} d "
                                      f"WHERE {using}")).rowcount


# -- the subtree, its balances ------------------------------------------------------------------
def subtree_of(session: Session, op: Operator) -> list[int]:
    return list(session.scalars(sa.select(Operator.id).where(
        Operator.path.startswith(op.path, autoescape=True)).order_by(Operator.id)))


def balances(session: Session, ids: list[int]) -> list[tuple[str, str, Decimal]]:
    """(operator, account, balance) of every POSITIONS account not at zero."""
    total = sa.func.sum(LedgerEntry.amount)
    return [(n, k, b) for n, k, b in session.execute(
        sa.select(Operator.name, LedgerAccount.kind, total)
        .join(LedgerAccount, LedgerAccount.operator_id == Operator.id)
        .join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
        .where(Operator.id.in_(ids), sa.cast(LedgerAccount.kind, sa.Text).in_(POSITIONS))
        .group_by(Operator.id, Operator.name, LedgerAccount.kind).having(total != 0)
        .order_by(Operator.id, LedgerAccount.kind))]


# -- the plan ---------------------------------------------------------------------------------
def plan(session: Session, op: Operator,
         customer_ids: list[int] | None = None) -> tuple[Plan, Doomed]:
    """What deleting `op` removes (`customer_ids`: only those customers, a task's step)."""
    session.flush()
    subtree = subtree_of(session, op)
    doomed = Doomed(session, Catalog(session), subtree)
    if customer_ids is not None:
        doomed.add("customers", "SELECT id FROM customers WHERE id = ANY(CAST(:ids AS int[])) "
                   "AND operator_id = ANY(CAST(:subtree AS int[]))",
                   {"ids": customer_ids, "subtree": subtree})
        doomed.close()
    else:
        doomed.add("operators", "SELECT id FROM operators WHERE id = ANY(CAST(:subtree AS int[]))",
                   {"subtree": subtree})
        doomed.close()
        # a transaction every leg of which is on the subtree's accounts goes with them
        if "ledger_accounts" in doomed.temp:
            acc = doomed.temp["ledger_accounts"]
            doomed.add("ledger_transactions", f"""
                SELECT t.id FROM ledger_transactions t
                 WHERE EXISTS (SELECT 1 FROM ledger_entries e JOIN {acc} a ON a.id = e.account_id
                                WHERE e.transaction_id = t.id)
                   AND NOT EXISTS (SELECT 1 FROM ledger_entries e
                                    WHERE e.transaction_id = t.id AND e.account_id NOT IN
                                          (SELECT id FROM {acc}))""")
            doomed.close()
    result = Plan(op.id, subtree)
    for name in doomed.temp:
        n = doomed.count(name)
        if n:
            result.deleted[name] = n
    result.detached = {t: n for t, (_e, n) in doomed.outside("nd").items()}
    result.blockers = {t: n for t, (_e, n) in doomed.outside("ra").items()}
    return result, doomed


def describe(p: Plan) -> list[dict]:
    """The dry run's rows: what goes (and what stays detached), by table, with counts."""
    rows = [{"table": t, "what": NAMES.get(t, t.replace("_", " ")), "rows": n, "effect": "deleted"
             if t not in MONEY_TABLES else "archived and deleted"}
            for t, n in sorted(p.deleted.items())]
    rows += [{"table": t, "what": NAMES.get(t, t.replace("_", " ")), "rows": n,
              "effect": "kept, link cleared"} for t, n in sorted(p.detached.items())]
    return rows


# -- archiving and deleting -------------------------------------------------------------------
def new_archive(session: Session, op: Operator, by: str) -> OperatorArchive:
    archive = OperatorArchive(parent_id=op.parent_id, operator_id=op.id, operator_name=op.name,
                              created_by=by)
    session.add(archive)
    session.flush()
    return archive


def _archive_part(session: Session, archive: OperatorArchive, doomed: Doomed) -> int:
    """Write the money rows going (and money rows losing a link, under "<table>@kept")."""
    content: dict[str, list] = {}
    for name in sorted(doomed.temp):
        if name in MONEY_TABLES and doomed.count(name):
            content[name] = doomed.rows_json(name)
    for e in doomed.cat.edges:
        if e.child in MONEY_TABLES and e.action in "nd" and e.parent in doomed.temp:
            kept = doomed.detached_json(e)
            if kept:
                content.setdefault(f"{e.child}@kept", []).extend(kept)
    rows = sum(len(v) for v in content.values())
    data = json.dumps(content, sort_keys=True, separators=(",", ":")).encode()
    archive.parts += 1
    session.add(OperatorArchivePart(archive_id=archive.id, seq=archive.parts,
                                    content=gzip.compress(data, mtime=0),
                                    sha256=hashlib.sha256(data).hexdigest(), rows=rows))
    session.flush()
    return rows


def _rebalance_shared(session: Session, doomed: Doomed, parent_id: int) -> Decimal:
    """Shared transactions keep the others' legs; the subtree's legs become one leg on the
    parent's `archived` account (when they do not sum to zero); the parent owns them now."""
    if "ledger_entries" not in doomed.temp:
        return Decimal(0)
    entries = doomed.temp["ledger_entries"]
    gone_tx = doomed.temp.get("ledger_transactions")
    skip = f"AND e.transaction_id NOT IN (SELECT id FROM {gone_tx})" if gone_tx else ""
    shared = session.execute(sa.text(
        f"SELECT e.transaction_id, sum(e.amount) FROM ledger_entries e "
        f"JOIN {entries} d ON d.id = e.id WHERE true {skip} GROUP BY e.transaction_id "
        f"ORDER BY e.transaction_id")).all()
    if not shared:
        return Decimal(0)
    session.execute(sa.text("UPDATE ledger_transactions SET operator_id = :parent "
                            "WHERE id = ANY(CAST(:ids AS bigint[])) AND "
                            "operator_id = ANY(CAST(:subtree AS int[]))"),
                    {"parent": parent_id, "ids": [t for t, _ in shared],
                     "subtree": doomed.subtree})
    legs = [(t, s) for t, s in shared if s != 0]
    if legs:
        from rating import ledger
        account = ledger.account_ids(session, [(parent_id, "archived")])[(parent_id, "archived")]
        session.execute(sa.insert(LedgerEntry), [{"transaction_id": t, "account_id": account,
                                                  "amount": s} for t, s in legs])
    return sum((s for _, s in legs), Decimal(0))


def execute(session: Session, archive: OperatorArchive, op: Operator,
            customer_ids: list[int] | None = None) -> dict[str, int]:
    """Archive and delete what `plan` lists (a batch of customers, or the rest with the
    subtree); returns the rows deleted per table. The caller checked blockers and balances."""
    p, doomed = plan(session, op, customer_ids)
    if p.blockers:
        raise ValueError(blocked_message(p))
    _archive_part(session, archive, doomed)
    if customer_ids is None:
        _rebalance_shared(session, doomed, op.parent_id)
    deleted: dict[str, int] = {}
    for name in doomed.order():
        n = doomed.delete(name)
        if n:
            deleted[name] = n
    session.expire_all()
    return deleted


def blocked_message(p: Plan) -> str:
    return "; ".join(f"{n} {t.replace('_', ' ')} of other operators depend on what it would "
                     f"delete" for t, n in sorted(p.blockers.items()))


def finish(session: Session, archive: OperatorArchive, summary: dict) -> None:
    digests = session.scalars(sa.select(OperatorArchivePart.sha256)
                              .where(OperatorArchivePart.archive_id == archive.id)
                              .order_by(OperatorArchivePart.seq)).all()
    archive.summary = summary
    archive.sha256 = hashlib.sha256("\n".join(digests).encode()).hexdigest()
    archive.status, archive.finished_at = "complete", sa.func.now()
    session.flush()


def read_archive(session: Session, archive: OperatorArchive) -> dict:
    """The archive's rows, every part's digest checked ({table: rows}, parts merged)."""
    out: dict[str, list] = {}
    digests = []
    for part in session.scalars(sa.select(OperatorArchivePart)
                                .where(OperatorArchivePart.archive_id == archive.id)
                                .order_by(OperatorArchivePart.seq)):
        data = gzip.decompress(part.content)
        if hashlib.sha256(data).hexdigest() != part.sha256:
            raise ValueError(f"part {part.seq} of archive {archive.id} does not match its SHA-256")
        digests.append(part.sha256)
        for table, rows in json.loads(data).items():
            out.setdefault(table, []).extend(rows)
    if archive.sha256 and hashlib.sha256("\n".join(digests).encode()).hexdigest() != archive.sha256:
        raise ValueError(f"archive {archive.id}'s parts do not match its SHA-256")
    return out

"""Account statements (issue 19): the opening balance, every movement of a period with the
running balance, the closing balance -- of a customer (bills and payments) or of one of an
operator's ledger accounts -- and the printed PDF (rating/report_pdf.py).

A customer's balance is what they owe: a bill adds its total, a payment (cash, card, online)
takes its amount off, a reversal puts it back; a payment from the advance balance is no money
moving and is left out, so the closing balance is the open bills' due less the advance
balance. An operator's account runs debit positive as the ledger does (`upstream`: + funds the
reseller holds with its parent, - what it owes).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill import l10n, settings
from radbill.l10n import tr
from radbill.models import (Bill, Customer, LedgerAccount, LedgerEntry, LedgerTransaction,
                            Operator, Payment)
from radbill.money import ZERO
from rating import report_pdf
from rating.terms import midnight


@dataclass
class Statement:
    subject: str  # whose: the customer's or operator's name
    account: str  # "customer" or a ledger account kind
    start: dt.date
    end: dt.date
    issuer: Operator
    opening: Decimal = ZERO
    rows: list[dict] = field(default_factory=list)

    @property
    def closing(self) -> Decimal:
        return self.rows[-1]["balance"] if self.rows else self.opening


def _window(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return midnight(start), midnight(end + dt.timedelta(days=1))


def _run(st: Statement, movements: list[tuple]) -> Statement:
    """movements: (moment, order, (msgid, values), reference, debit, credit), any order; the
    text is the msgid with its values (English), translated when printed."""
    lo, hi = _window(st.start, st.end)
    balance = st.opening
    for at, _order, (msgid, values), ref, debit, credit in sorted(movements, key=lambda m: m[:2]):
        if at < lo:
            st.opening += debit - credit
            balance = st.opening
            continue
        if at >= hi:
            continue
        balance += debit - credit
        st.rows.append({"at": at, "day": at.astimezone(settings.get().tz).date(),
                        "description": msgid % values if values else msgid,
                        "text": (msgid, values), "reference": ref, "debit": debit,
                        "credit": credit, "balance": balance})
    return st


def of_customer(session: Session, c: Customer, start: dt.date, end: dt.date) -> Statement:
    st = Statement(c.name or c.username, "customer", start, end,
                   session.get(Operator, c.operator_id))
    _, hi = _window(start, end)
    moves: list[tuple] = []
    for b in session.scalars(sa.select(Bill).where(Bill.customer_id == c.id,
                                                   Bill.issued_on <= end)):
        what = ("Bill #%(number)s, %(start)s to %(end)s",
                {"number": b.id, "start": b.service_from,
                 "end": b.service_to - dt.timedelta(days=1)}) \
            if b.service_from and b.service_to else ("Bill #%(number)s", {"number": b.id})
        moves.append((midnight(b.issued_on), (0, b.id), what, f"bill:{b.id}", b.total, ZERO))
    for p in session.scalars(sa.select(Payment).where(
            Payment.customer_id == c.id, Payment.method != "advance", Payment.received_at < hi)):
        moves.append((p.received_at, (1, p.id), ("Payment #%(number)s (%(method)s)",
                                                  {"number": p.id, "method": p.method}),
                      p.reference or f"payment:{p.id}", ZERO, p.amount))
        if p.status == "reversed" and p.reversed_at is not None:
            moves.append((p.reversed_at, (2, p.id), ("Payment #%(number)s reversed",
                                                     {"number": p.id}),
                          f"payment:{p.id}", p.amount, ZERO))
    return _run(st, moves)


def of_operator(session: Session, op: Operator, kind: str, start: dt.date,
                end: dt.date) -> Statement:
    """One of the operator's ledger accounts; the opening is summed in the database."""
    issuer = session.get(Operator, op.parent_id) if kind == "upstream" and op.parent_id else op
    st = Statement(op.name, kind, start, end, issuer)
    lo, hi = _window(start, end)
    acc = session.scalar(sa.select(LedgerAccount.id).where(LedgerAccount.operator_id == op.id,
                                                           LedgerAccount.kind == kind))
    if acc is None:
        return st
    base = (sa.select(LedgerEntry.id, LedgerEntry.amount, LedgerTransaction.at,
                      LedgerTransaction.id.label("tx"), LedgerTransaction.description)
            .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
            .where(LedgerEntry.account_id == acc))
    st.opening = session.scalar(sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount), 0))
                                .join(LedgerTransaction,
                                      LedgerTransaction.id == LedgerEntry.transaction_id)
                                .where(LedgerEntry.account_id == acc,
                                       LedgerTransaction.at < lo))
    rows = session.execute(base.where(LedgerTransaction.at >= lo, LedgerTransaction.at < hi))
    return _run(st, [(r.at, r.id, (r.description, None), f"tx:{r.tx}",
                      r.amount if r.amount > 0 else ZERO, -r.amount if r.amount < 0 else ZERO)
                     for r in rows])


# -- the PDF ---------------------------------------------------------------------------------
def describe(row: dict, lang: str) -> str:
    """A movement's text in `lang`: ours translated (numbers and dates in its digits), a ledger
    transaction's description as stored."""
    msgid, values = row["text"]
    if not values:
        return msgid
    shown = {k: l10n.date(v, lang, "iso" if lang == l10n.DEFAULT else "medium")
             if isinstance(v, dt.date) else l10n.digits(v, lang) if k == "number" else
             tr(lang, METHODS[v]) if k == "method" and v in METHODS else v
             for k, v in values.items()}
    return tr(lang, msgid, **shown)


METHODS = {"cash": "Cash", "card": "Recharge card", "online": "Online"}
ACCOUNT_TITLES = {"customer": "Customer account", "upstream": "Account with the parent operator"}


def lines(st: Statement, lang: str) -> list[dict]:
    """The statement as its reader sees it: the opening balance (report_pdf.BOLD), each
    movement described in `lang`, the closing balance with the period's sums (TOTAL)."""
    return [{"day": st.start, "description": tr(lang, "Opening balance"), "reference": None,
             "debit": None, "credit": None, "balance": st.opening, report_pdf.BOLD: True},
            *({**{k: r[k] for k in ("day", "reference", "debit", "credit", "balance")},
               "description": describe(r, lang)} for r in st.rows),
            {"day": st.end, "description": tr(lang, "Closing balance"), "reference": None,
             "debit": sum((r["debit"] for r in st.rows), ZERO),
             "credit": sum((r["credit"] for r in st.rows), ZERO), "balance": st.closing,
             report_pdf.TOTAL: True}]


def render(session: Session, st: Statement, lang: str | None = None) -> bytes:
    lang = l10n.pick(lang)
    account = ACCOUNT_TITLES.get(st.account)
    account = tr(lang, account) if account else st.account
    columns = [report_pdf.Column("day", tr(lang, "Date"), 26, "left"),
               report_pdf.Column("description", tr(lang, "Description"), 0, "left"),
               report_pdf.Column("debit", tr(lang, "Debit"), 24),
               report_pdf.Column("credit", tr(lang, "Credit"), 24),
               report_pdf.Column("balance", tr(lang, "Balance"), 24)]
    rows = [r if r.get(report_pdf.TOTAL) else  # a movement's other side is left blank
            {**r, "debit": r["debit"] or None, "credit": r["credit"] or None}
            for r in lines(st, lang)]
    note = tr(lang, "Balance: what is owed (a negative balance is in credit).") \
        if st.account == "customer" else tr(lang, "Balance: debits less credits.")
    return report_pdf.render(
        session, st.issuer, tr(lang, "STATEMENT OF ACCOUNT"),
        [f"{st.subject} -- {account}",
         tr(lang, "Period: %(start)s to %(end)s", start=report_pdf.cell(st.start, lang),
            end=report_pdf.cell(st.end, lang))],
        columns, rows, [note], lang, portrait=True)

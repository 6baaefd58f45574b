"""Account statements (issue 19): the opening balance, every movement of a period with the
running balance, the closing balance -- of a customer (bills and payments) or of one of an
operator's ledger accounts -- and the printed PDF (A4, the issuer's name, contact lines and
logo as on invoices, Bangla through rating/pdftext.py).

A customer's balance is what they owe: a bill adds its total, a payment (cash, card, online)
takes its amount off, a reversal puts it back; a payment from the advance balance is no money
moving and is left out, so the closing balance is the open bills' due less the advance
balance. An operator's account runs debit positive as the ledger does (`upstream`: + funds the
reseller holds with its parent, - what it owes).
"""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill import l10n, settings
from radbill.l10n import tr
from radbill.models import (Bill, Customer, LedgerAccount, LedgerEntry, LedgerTransaction,
                            Operator, Payment)
from radbill.money import ZERO
from rating import invoice_details
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
def _details(session: Session, op: Operator) -> invoice_details.Details:
    ops = invoice_details.chain(session, op)
    d = invoice_details.Details(name=op.name)
    for key in invoice_details.CONTACT:
        setattr(d, key, next((getattr(o, key) for o in ops if getattr(o, key, None)), None))
    d.logo = next((o.logo for o in ops if getattr(o, "logo", None)), None)
    return d


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


def render(session: Session, st: Statement, lang: str | None = None) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    from rating import pdftext
    lang = l10n.pick(lang)
    money = (lambda v: str(v)) if lang == l10n.DEFAULT else (  # noqa: E731
        lambda v: l10n.number(v, lang, 2))
    day = lambda v: l10n.date(v, lang, "iso" if lang == l10n.DEFAULT else "medium")  # noqa: E731
    left, right = 15 * mm, A4[0] - 15 * mm
    # date, description (to the debits' column), debit, credit and balance (right edges)
    cols = (left, left + 26 * mm, right - 72 * mm, right - 48 * mm, right - 24 * mm, right)
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, pageCompression=1)
    c.setTitle(tr(lang, "Statement of account"))
    about = _details(session, st.issuer)
    y = A4[1] - 20 * mm
    pdftext.draw(c, left, y, pdftext.fit(about.name, 16, right - left - 50 * mm, bold=True), 16,
                 bold=True)
    y = invoice_details.draw_header(c, about, left, right, y, A4[1], lang)
    y -= 10 * mm
    pdftext.draw(c, left, y, tr(lang, "STATEMENT OF ACCOUNT"), 14, bold=True)
    y -= 7 * mm
    account = ACCOUNT_TITLES.get(st.account)
    account = tr(lang, account) if account else st.account
    for text in (f"{st.subject} -- {account}",
                 tr(lang, "Period: %(start)s to %(end)s", start=day(st.start), end=day(st.end))):
        pdftext.draw(c, left, y, pdftext.fit(text, 10, right - left), 10)
        y -= 5 * mm

    def heading(y: float) -> float:
        for x, text, align in ((cols[0], tr(lang, "Date"), "left"),
                               (cols[1], tr(lang, "Description"), "left"),
                               (cols[3], tr(lang, "Debit"), "right"),
                               (cols[4], tr(lang, "Credit"), "right"),
                               (cols[5], tr(lang, "Balance"), "right")):
            pdftext.draw(c, x, y, text, 9, bold=True, align=align)
        c.line(left, y - 2 * mm, right, y - 2 * mm)
        return y - 7 * mm

    def line(y: float, when: str, text: str, debit: str, credit: str, balance: str,
             bold: bool = False) -> float:
        pdftext.draw(c, cols[0], y, when, 9, bold=bold)
        pdftext.draw(c, cols[1], y, pdftext.fit(text, 9, cols[2] - cols[1] - 4 * mm, bold), 9,
                     bold=bold)
        pdftext.draw(c, cols[3], y, debit, 9, bold=bold, align="right")
        pdftext.draw(c, cols[4], y, credit, 9, bold=bold, align="right")
        pdftext.draw(c, cols[5], y, balance, 9, bold=bold, align="right")
        return y - 5.5 * mm

    y = heading(y - 4 * mm)
    y = line(y, day(st.start), tr(lang, "Opening balance"), "", "", money(st.opening), True)
    for r in st.rows:
        if y < 25 * mm:
            c.showPage()
            y = heading(A4[1] - 20 * mm)
        y = line(y, day(r["day"]), describe(r, lang), money(r["debit"]) if r["debit"] else "",
                 money(r["credit"]) if r["credit"] else "", money(r["balance"]))
    debit = sum((r["debit"] for r in st.rows), ZERO)
    credit = sum((r["credit"] for r in st.rows), ZERO)
    c.line(left, y + 3 * mm, right, y + 3 * mm)
    y = line(y, day(st.end), tr(lang, "Closing balance"), money(debit), money(credit),
             money(st.closing), True)
    y -= 4 * mm
    note = tr(lang, "Balance: what is owed (a negative balance is in credit).") \
        if st.account == "customer" else tr(lang, "Balance: debits less credits.")
    c.setFillColorRGB(0.35, 0.38, 0.43)
    pdftext.draw(c, left, y, note, 8)
    pdftext.draw(c, left, 12 * mm, tr(lang, "Printed %(when)s. Amounts in %(currency)s.", when=l10n.datetime(
        dt.datetime.now(settings.get().tz), lang), currency=settings.get().currency), 8)
    c.showPage()
    c.save()
    return buf.getvalue()

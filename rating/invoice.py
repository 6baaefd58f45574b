"""The PDF invoice (reportlab): ISP and customer details, lines, discount, VAT, totals, due date
and payment status, in the customer's language (customers.lang: English or Bangla, with Bangla
digits and dates; Bangla text shaped by HarfBuzz in an embedded font, rating/pdftext.py)."""
from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy.orm import object_session

from radbill import l10n, settings
from radbill.functions.crud import isp_name
from radbill.l10n import tr
from radbill.models import Bill, Customer, Operator
from rating import pdftext
from rating import invoice_details

LEFT, RIGHT = 20 * mm, A4[0] - 20 * mm


def _money(value, lang: str) -> str:
    """As stored (1050.00) in English; Bangla digits in lakhs (১২,৩৪,৫৬৭.০০) in Bangla."""
    return str(value) if lang == "en" else l10n.number(value, lang, 2)


def status_text(bill: Bill, lang: str = "en") -> str:
    if bill.status == "paid":
        return tr(lang, "PAID")
    if bill.paid > 0:
        return tr(lang, "PARTLY PAID (%(paid)s paid, %(due)s due)",
                  paid=_money(bill.paid, lang), due=_money(bill.total - bill.paid, lang))
    return tr(lang, "UNPAID")


def render(bill: Bill, customer: Customer, operator: Operator, lang: str | None = None) -> bytes:
    s = settings.get()
    lang = l10n.pick(lang or getattr(customer, "lang", None))
    money = lambda v: _money(v, lang)  # noqa: E731
    day = lambda v: l10n.date(v, lang, "iso" if lang == "en" else "long")  # noqa: E731
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, pageCompression=0)
    c.setTitle(tr(lang, "Invoice %(number)s", number=bill.id))
    y = A4[1] - 25 * mm
    pdftext.draw(c, LEFT, y, isp_name(object_session(operator), operator.id)
                 if object_session(operator) is not None else s.isp_name, 16, bold=True)
    pdftext.draw(c, RIGHT, y, tr(lang, "INVOICE #%(number)s", number=l10n.digits(bill.id, lang)),
                 16, bold=True, align="right")
    y -= 6 * mm
    pdftext.draw(c, LEFT, y, tr(lang, "Operator: %(name)s", name=operator.name))
    pdftext.draw(c, RIGHT, y, tr(lang, "Issued: %(issued)s   Due: %(due)s",
                                 issued=day(bill.issued_on), due=day(bill.due_date)), align="right")
    about = invoice_details.of(bill, customer, operator)  # who bills, how to pay (issue 12)
    y = invoice_details.draw_header(c, about, LEFT, RIGHT, y, A4[1], lang)
    y -= 12 * mm
    for label, value in ((tr(lang, "Customer"), customer.name or customer.username),
                         (tr(lang, "Username"), customer.username),
                         (tr(lang, "Mobile"), customer.mobile),
                         (tr(lang, "Address"), customer.address)):
        if value:
            pdftext.draw(c, LEFT, y, f"{label}: {value}")
            y -= 5 * mm
    if bill.service_from:
        pdftext.draw(c, LEFT, y, tr(lang, "Service period: %(start)s to %(end)s",
                                    start=day(bill.service_from), end=day(bill.service_to)))
        y -= 5 * mm
    y -= 6 * mm
    pdftext.draw(c, LEFT, y, tr(lang, "Description"), bold=True)
    pdftext.draw(c, RIGHT, y, tr(lang, "Amount (%(currency)s)", currency=s.currency), bold=True,
                 align="right")
    c.line(LEFT, y - 2 * mm, RIGHT, y - 2 * mm)
    y -= 8 * mm
    for line in bill.lines:
        pdftext.draw(c, LEFT, y, pdftext.fit(invoice_details.line_text(line.description, lang),
                                             10, RIGHT - LEFT - 40 * mm))
        pdftext.draw(c, RIGHT, y, money(line.amount), align="right")
        y -= 6 * mm
    c.line(LEFT, y + 2 * mm, RIGHT, y + 2 * mm)
    y -= 4 * mm
    for label, value, bold in (
            (tr(lang, "Subtotal"), bill.subtotal, False),
            (tr(lang, "Discount"), -bill.discount, False),
            (tr(lang, "VAT %(percent)s%%", percent=l10n.digits(bill.vat_percent, lang)), bill.vat,
             False),
            (tr(lang, "Total"), bill.total, True), (tr(lang, "Paid"), bill.paid, False),
            (tr(lang, "Balance due"), bill.total - bill.paid, True)):
        pdftext.draw(c, RIGHT - 70 * mm, y, label, bold=bold)
        pdftext.draw(c, RIGHT, y, money(value), bold=bold, align="right")
        y -= 6 * mm
    y -= 6 * mm
    pdftext.draw(c, LEFT, y, tr(lang, "Status: %(status)s", status=status_text(bill, lang)), 12,
                 bold=True)
    invoice_details.draw_footer(c, about, LEFT, RIGHT, y, lang)
    c.showPage()
    c.save()
    return buf.getvalue()

"""The PDF invoice (reportlab): ISP and customer details, lines, discount, VAT, totals, due date
and payment status."""
from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from radbill import settings
from radbill.models import Bill, Customer, Operator

LEFT, RIGHT = 20 * mm, A4[0] - 20 * mm


def status_text(bill: Bill) -> str:
    if bill.status == "paid":
        return "PAID"
    if bill.paid > 0:
        return f"PARTLY PAID ({bill.paid} paid, {bill.total - bill.paid} due)"
    return "UNPAID"


def render(bill: Bill, customer: Customer, operator: Operator) -> bytes:
    s = settings.get()
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, pageCompression=0)
    c.setTitle(f"Invoice {bill.id}")
    y = A4[1] - 25 * mm
    c.setFont("Helvetica-Bold", 16)
    c.drawString(LEFT, y, s.isp_name)
    c.drawRightString(RIGHT, y, f"INVOICE #{bill.id}")
    c.setFont("Helvetica", 10)
    y -= 6 * mm
    c.drawString(LEFT, y, f"Operator: {operator.name}")
    c.drawRightString(RIGHT, y, f"Issued: {bill.issued_on}   Due: {bill.due_date}")
    y -= 12 * mm
    for label, value in (("Customer", customer.name or customer.username),
                         ("Username", customer.username), ("Mobile", customer.mobile),
                         ("Address", customer.address)):
        if value:
            c.drawString(LEFT, y, f"{label}: {value}")
            y -= 5 * mm
    if bill.service_from:
        c.drawString(LEFT, y, f"Service period: {bill.service_from} to {bill.service_to}")
        y -= 5 * mm
    y -= 6 * mm
    c.setFont("Helvetica-Bold", 10)
    c.drawString(LEFT, y, "Description")
    c.drawRightString(RIGHT, y, f"Amount ({s.currency})")
    c.line(LEFT, y - 2 * mm, RIGHT, y - 2 * mm)
    c.setFont("Helvetica", 10)
    y -= 8 * mm
    for line in bill.lines:
        c.drawString(LEFT, y, line.description[:90])
        c.drawRightString(RIGHT, y, str(line.amount))
        y -= 6 * mm
    c.line(LEFT, y + 2 * mm, RIGHT, y + 2 * mm)
    y -= 4 * mm
    for label, value in (("Subtotal", bill.subtotal), ("Discount", -bill.discount),
                         (f"VAT {bill.vat_percent}%", bill.vat), ("Total", bill.total),
                         ("Paid", bill.paid), ("Balance due", bill.total - bill.paid)):
        c.setFont("Helvetica-Bold" if label in ("Total", "Balance due") else "Helvetica", 10)
        c.drawString(RIGHT - 70 * mm, y, label)
        c.drawRightString(RIGHT, y, str(value))
        y -= 6 * mm
    y -= 6 * mm
    c.setFont("Helvetica-Bold", 12)
    c.drawString(LEFT, y, f"Status: {status_text(bill)}")
    c.showPage()
    c.save()
    return buf.getvalue()

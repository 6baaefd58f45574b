"""A money receipt (reportlab): one payment on an A5 page -- the ISP, the receipt number, when
(in the ISP's zone), the customer, the amount in figures, the method, who collected it. Text goes
through rating/pdftext.py (DejaVu Sans, Bangla in Noto Sans Bengali shaped by HarfBuzz), so a
customer's or collector's name typed in Bangla prints as typed."""
from __future__ import annotations

import io

from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from rating import pdftext

GREY = (0.35, 0.38, 0.43)


def render(r: dict) -> bytes:
    """`r` is a payment.receipt row (rating/functions/receipts.py)."""
    buf = io.BytesIO()
    width, height = A5
    c = Canvas(buf, pagesize=A5, pageCompression=1)
    c.setTitle(f"Money receipt {r['number']}")
    x, right = 14 * mm, width - 14 * mm
    y = height - 18 * mm
    pdftext.draw(c, x, y, pdftext.fit(r["isp"], 16, right - x, bold=True), 16, bold=True)
    for extra in (r.get("operator_address"), r.get("operator_phone")):
        if extra:
            y -= 4.5 * mm
            pdftext.draw(c, x, y, pdftext.fit(extra, 9, right - x), 9)
    y -= 10 * mm
    pdftext.draw(c, x, y, "MONEY RECEIPT", 14, bold=True)
    pdftext.draw(c, right, y, r["number"], 14, bold=True, align="right")
    if r.get("status") == "reversed":
        c.setFillColorRGB(0.64, 0.09, 0.1)
        pdftext.draw(c, right, y - 7 * mm, "REVERSED", 12, bold=True, align="right")
        c.setFillColorRGB(0, 0, 0)
    y -= 4 * mm
    c.line(x, y, right, y)
    rows = [("Date and time", r["received_local"]),
            ("Received from", r["customer_name"] or r["customer"]),
            ("Username", r["customer"]),
            ("Mobile", r.get("mobile") or ""),
            ("Method", r["method_label"]),
            ("Collected by", r["collector"] or "")]
    if r.get("reference"):
        rows.append(("Reference", r["reference"]))
    value_x = x + 38 * mm
    for label, value in rows:
        y -= 8 * mm
        c.setFillColorRGB(*GREY)
        pdftext.draw(c, x, y, label, 11)
        c.setFillColorRGB(0, 0, 0)
        pdftext.draw(c, value_x, y, pdftext.fit(value, 11, right - value_x), 11)
    y -= 12 * mm
    pdftext.draw(c, x, y, "Amount received", 13, bold=True)
    pdftext.draw(c, right, y - 1 * mm, f"{r['amount']} {r['currency']}", 20, bold=True,
                 align="right")
    parts = [f"{r['applied']} {r['currency']} to bills"]
    if r["to_advance"] != "0.00":
        parts.append(f"{r['to_advance']} {r['currency']} to the advance balance")
    y -= 8 * mm
    pdftext.draw(c, x, y, "; ".join(parts), 10)
    y -= 18 * mm
    c.line(right - 50 * mm, y, right, y)
    pdftext.draw(c, right, y - 4 * mm, "Collector's signature", 9, align="right")
    c.setFillColorRGB(*GREY)
    pdftext.draw(c, x, 12 * mm, f"Printed {r['printed_local']}. Keep this receipt.", 8)
    c.showPage()
    c.save()
    return buf.getvalue()

"""A money receipt (reportlab): one payment on an A5 page -- the ISP, the receipt number, when
(in the ISP's zone), the customer, the amount in figures, the method, who collected it. Text goes
through rating/pdftext.py (DejaVu Sans, Bangla in Noto Sans Bengali shaped by HarfBuzz), so a
customer's or collector's name typed in Bangla prints as typed. The labels, the time and the
figures are in the customer's language (`lang`: customers.lang; Bangla digits and month names)."""
from __future__ import annotations

import datetime as dt
import io

from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from radbill import l10n
from radbill.l10n import tr
from rating import pdftext

GREY = (0.35, 0.38, 0.43)


def method_label(r: dict, lang: str) -> str:
    """Cash, Recharge card, Online (bkash), Advance balance -- in the receipt's language."""
    if l10n.pick(lang) == l10n.DEFAULT:
        return r["method_label"]
    label = {"cash": tr(lang, "Cash"), "card": tr(lang, "Recharge card"),
             "online": tr(lang, "Online"), "advance": tr(lang, "Advance balance")}.get(r["method"])
    if label is None:
        return r["method_label"]
    gateway = r["method_label"].partition(" (")[2].rstrip(")")
    return f"{label} ({gateway})" if gateway else label


def when(moment: str | None, fallback: str, lang: str) -> str:
    """A time in the ISP's zone as the language writes it (১ ডিসেম্বর, ২০২৬, ১৪:০৫); English keeps
    the row's own text."""
    if l10n.pick(lang) == l10n.DEFAULT or not moment:
        return fallback
    from radbill import settings
    try:
        at = dt.datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(settings.get().tz)
    except ValueError:
        return fallback
    return f"{l10n.date(at, lang, 'long')}, {l10n.digits(at.strftime('%H:%M'), lang)}"


def render(r: dict, lang: str | None = None) -> bytes:
    """`r` is a payment.receipt row (rating/functions/receipts.py); `lang` the customer's."""
    lang = l10n.pick(lang)
    amount = (lambda v: str(v)) if lang == l10n.DEFAULT else (  # noqa: E731
        lambda v: l10n.number(v, lang, 2))
    buf = io.BytesIO()
    width, height = A5
    c = Canvas(buf, pagesize=A5, pageCompression=1)
    c.setTitle(tr(lang, "Money receipt %(number)s", number=r["number"]))
    x, right = 14 * mm, width - 14 * mm
    y = height - 18 * mm
    pdftext.draw(c, x, y, pdftext.fit(r["isp"], 16, right - x, bold=True), 16, bold=True)
    for extra in (r.get("operator_address"), r.get("operator_phone")):
        if extra:
            y -= 4.5 * mm
            pdftext.draw(c, x, y, pdftext.fit(extra, 9, right - x), 9)
    y -= 10 * mm
    pdftext.draw(c, x, y, tr(lang, "MONEY RECEIPT"), 14, bold=True)
    pdftext.draw(c, right, y, r["number"], 14, bold=True, align="right")
    if r.get("status") == "reversed":
        c.setFillColorRGB(0.64, 0.09, 0.1)
        pdftext.draw(c, right, y - 7 * mm, tr(lang, "REVERSED"), 12, bold=True, align="right")
        c.setFillColorRGB(0, 0, 0)
    y -= 4 * mm
    c.line(x, y, right, y)
    rows = [(tr(lang, "Date and time"), when(r.get("received_at"), r["received_local"], lang)),
            (tr(lang, "Received from"), r["customer_name"] or r["customer"]),
            (tr(lang, "Username"), r["customer"]),
            (tr(lang, "Mobile"), r.get("mobile") or ""),
            (tr(lang, "Method"), method_label(r, lang)),
            (tr(lang, "Collected by"), r["collector"] or "")]
    if r.get("reference"):
        rows.append((tr(lang, "Reference"), r["reference"]))
    value_x = x + 38 * mm
    for label, value in rows:
        y -= 8 * mm
        c.setFillColorRGB(*GREY)
        pdftext.draw(c, x, y, label, 11)
        c.setFillColorRGB(0, 0, 0)
        pdftext.draw(c, value_x, y, pdftext.fit(value, 11, right - value_x), 11)
    y -= 12 * mm
    pdftext.draw(c, x, y, tr(lang, "Amount received"), 13, bold=True)
    pdftext.draw(c, right, y - 1 * mm, f"{amount(r['amount'])} {r['currency']}", 20, bold=True,
                 align="right")
    parts = [tr(lang, "%(amount)s %(currency)s to bills", amount=amount(r["applied"]),
                currency=r["currency"])]
    if r["to_advance"] != "0.00":
        parts.append(tr(lang, "%(amount)s %(currency)s to the advance balance",
                        amount=amount(r["to_advance"]), currency=r["currency"]))
    y -= 8 * mm
    pdftext.draw(c, x, y, "; ".join(parts), 10)
    y -= 18 * mm
    c.line(right - 50 * mm, y, right, y)
    pdftext.draw(c, right, y - 4 * mm, tr(lang, "Collector's signature"), 9, align="right")
    c.setFillColorRGB(*GREY)
    printed = r["printed_local"] if lang == l10n.DEFAULT else when(
        dt.datetime.now(dt.timezone.utc).isoformat(), r["printed_local"], lang)
    pdftext.draw(c, x, 12 * mm, tr(lang, "Printed %(when)s. Keep this receipt.", when=printed), 8)
    c.showPage()
    c.save()
    return buf.getvalue()

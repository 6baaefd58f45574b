"""What an invoice says about who bills and how to pay (issue 12): the operator's address, phone,
e-mail, VAT number and logo in the header; the gateways, bKash number, payment note and a payment
link in the footer. Each detail comes from the customer's operator, else the nearest ancestor
that has it set (a sub-reseller without its own address prints its parent's). The labels are in
the customer's language (`tr(lang, ...)`, radbill/l10n.py), as are the bill's own lines
(`line_text`: a period line's dates and day counts)."""
from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session, object_session

from radbill import l10n
from radbill.l10n import tr
from radbill.models import Bill, Customer, Operator

CONTACT = ("address", "phone", "email", "vat_number", "bkash_number", "payment_note")
GATEWAY_LABELS = {"bkash": "bKash", "nagad": "Nagad", "sslcommerz": "SSLCommerz",
                  "aamarpay": "aamarPay"}


@dataclass
class Details:
    name: str = ""
    address: str | None = None
    phone: str | None = None
    email: str | None = None
    vat_number: str | None = None
    bkash_number: str | None = None
    payment_note: str | None = None
    logo: bytes | None = None
    gateways: list[str] = field(default_factory=list)
    link: str | None = None


def chain(session: Session, operator: Operator) -> list[Operator]:
    """The operator, then its parent, ... up to the group (nearest first)."""
    ids = [int(p) for p in (operator.path or "").strip("/").split("/") if p] or [operator.id]
    found = {o.id: o for o in session.scalars(sa.select(Operator).where(Operator.id.in_(ids)))}
    return [found[i] for i in reversed(ids) if i in found] or [operator]


def of(bill: Bill, customer: Customer, operator: Operator,
       now: dt.datetime | None = None) -> Details:
    session = object_session(bill) or object_session(operator)
    ops = chain(session, operator) if session is not None else [operator]
    d = Details(name=operator.name)
    for key in CONTACT:
        setattr(d, key, next((getattr(o, key) for o in ops if getattr(o, key, None)), None))
    d.logo = next((o.logo for o in ops if getattr(o, "logo", None)), None)
    if session is not None:
        d.gateways, d.link = _online(session, bill, customer, now)
    return d


def _online(session: Session, bill: Bill, customer: Customer,
            now: dt.datetime | None) -> tuple[list[str], str | None]:
    """The gateways the customer can pay with and, when there is one, a payment link that
    opens the checkout for what is due then (valid to 30 days past the due date, a week at
    least)."""
    from rating import checkout, links
    from rating.functions.checkout import public_url
    kinds = [g.kind for g in checkout.available(session, customer.operator_id)]
    if not kinds or bill.status == "paid":
        return [GATEWAY_LABELS.get(k, k) for k in kinds], None
    now = now or dt.datetime.now(dt.timezone.utc)
    due_end = dt.datetime.combine(bill.due_date + dt.timedelta(days=31), dt.time(),
                                  dt.timezone.utc)
    expires = max(due_end, now + dt.timedelta(days=7))
    token = links.make(customer.id, None, expires)
    return [GATEWAY_LABELS.get(k, k) for k in kinds], f"{public_url()}/portal/pay/l/{token}"


def header_lines(d: Details, lang: str = "en") -> list[str]:
    """The operator's contact lines under its name."""
    lines = []
    if d.address:
        lines += [part.strip() for part in d.address.splitlines() if part.strip()]
    contact = "   ".join(x for x in (
        tr(lang, "Phone: %(phone)s", phone=d.phone) if d.phone else "",
        tr(lang, "E-mail: %(email)s", email=d.email) if d.email else "") if x)
    if contact:
        lines.append(contact)
    if d.vat_number:
        lines.append(tr(lang, "VAT reg. no (BIN): %(number)s", number=d.vat_number))
    return lines


def footer_lines(d: Details, lang: str = "en") -> list[str]:
    """How to pay: the gateways, the bKash number, the operator's note, the link."""
    lines = []
    if d.gateways:
        lines.append(tr(lang, "Pay online with %(gateways)s.", gateways=", ".join(d.gateways)))
    if d.bkash_number:
        # numbers a customer types (bKash, the link) keep Latin digits, as a voucher's PIN does
        lines.append(tr(lang, "bKash (send money / payment) to: %(number)s",
                        number=d.bkash_number))
    if d.payment_note:
        lines += [part.strip() for part in d.payment_note.splitlines() if part.strip()]
    if d.link:
        lines.append(pay_now(d.link, lang))
    return lines


def pay_now(link: str, lang: str = "en") -> str:
    return tr(lang, "Pay now: %(link)s", link=link)


# a bill line as rating/pricing.py writes it (English, stored): "Home-20M, 2026-11-01 to
# 2026-11-30 (20 of 30 days)", "credit for Home-10M, same days (20 of 30 days)"
PERIOD_LINE = re.compile(r"^(?P<package>.+), (?P<start>\d{4}-\d{2}-\d{2}) to "
                         r"(?P<end>\d{4}-\d{2}-\d{2})(?: \((?P<days>\d+) of (?P<total>\d+) days\))?$")
CREDIT_LINE = re.compile(r"^credit for (?P<package>.+), same days "
                         r"\((?P<days>\d+) of (?P<total>\d+) days\)$")


def line_text(description: str, lang: str = "en") -> str:
    """A bill line as the customer reads it: the period lines billing writes (in English, as
    stored) in the customer's language with its dates and digits; a line typed by staff (a
    router, an installation) as typed."""
    if l10n.pick(lang) == l10n.DEFAULT or not description:
        return description
    m = PERIOD_LINE.match(description)
    if m:
        days = lambda: tr(lang, "%(days)s of %(total)s days",  # noqa: E731
                          days=l10n.digits(m["days"], lang), total=l10n.digits(m["total"], lang))
        text = tr(lang, "%(package)s, %(start)s to %(end)s", package=m["package"],
                  start=l10n.date(m["start"], lang, "long"), end=l10n.date(m["end"], lang, "long"))
        return f"{text} ({days()})" if m["days"] else text
    m = CREDIT_LINE.match(description)
    if m:
        return tr(lang, "credit for %(package)s, same days (%(days)s of %(total)s days)",
                  package=m["package"], days=l10n.digits(m["days"], lang),
                  total=l10n.digits(m["total"], lang))
    return description


def draw_logo(canvas, d: Details, right: float, top: float, height: float) -> float:
    """The logo at the top right, `height` tall; answers the width it took (0 without one)."""
    if not d.logo:
        return 0.0
    from reportlab.lib.utils import ImageReader
    try:
        image = ImageReader(io.BytesIO(d.logo))
        w, h = image.getSize()
    except Exception:  # noqa: BLE001  an unreadable logo is left out, never a failed invoice
        return 0.0
    width = height * w / h if h else height
    canvas.drawImage(image, right - width, top - height, width, height, mask="auto")
    return width


def draw_link(canvas, d: Details, x: float, y: float, width: float, size: float = 9) -> None:
    """Make the link's line clickable (a PDF link annotation)."""
    if d.link:
        canvas.linkURL(d.link, (x, y - 2, x + width, y + size), relative=0)


def _write(canvas, x: float, y: float, text: str, size: float = 10, bold: bool = False) -> None:
    """One line in the invoice's own fonts (rating/pdftext.py when present; else Helvetica)."""
    try:
        from rating import pdftext
    except ImportError:
        canvas.setFont("Helvetica-Bold" if bold else "Helvetica", size)
        canvas.drawString(x, y, text)
        canvas.setFont("Helvetica", 10)
        return
    pdftext.draw(canvas, x, y, text, size, bold=bold)


def draw_header(canvas, d: Details, left: float, right: float, y: float, top: float,
                lang: str = "en") -> float:
    """The logo (top right, above the title) and the contact lines under the operator's name;
    answers the y below them."""
    from reportlab.lib.units import mm
    draw_logo(canvas, d, right, top - 6 * mm, 14 * mm)
    for text in header_lines(d, lang):
        y -= 4.5 * mm
        _write(canvas, left, y, text, 9)
    return y


def draw_footer(canvas, d: Details, left: float, right: float, y: float,
                lang: str = "en") -> float:
    """"How to pay" under the status: gateways, bKash number, note, the (clickable) link."""
    from reportlab.lib.units import mm
    lines = footer_lines(d, lang)
    if not lines:
        return y
    y -= 10 * mm
    _write(canvas, left, y, tr(lang, "How to pay"), 11, bold=True)
    link_line = pay_now(d.link, lang) if d.link else None
    for text in lines:
        y -= 5 * mm
        _write(canvas, left, y, text, 9 if text != link_line else 8)
    draw_link(canvas, d, left, y, right - left, 8)
    return y

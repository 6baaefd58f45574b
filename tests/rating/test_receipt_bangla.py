"""Issue 12: a money receipt and an invoice's period line in their customer's language. A Bangla
customer's receipt (receipt.pdf) reads back, with pdftotext, in Bangla: labels, the method, the
amount with Bangla digits; an English customer's stays English."""
from __future__ import annotations

import shutil
from decimal import Decimal as D

import pytest

from radbill import l10n
from rating import invoice_details
from tests.rating.test_invoice_bangla import pdf_text
from tests.support.factories import fn, make_package
from tests.support.rating_factories import make_profile, pay, postpaid_customer

needs_pdftotext = pytest.mark.skipif(not shutil.which("pdftotext"),
                                     reason="pdftotext (poppler-utils, scripts/setup) is missing")


def receipt(session, lang: str) -> tuple[str, int]:
    profile = make_profile(session)
    c = postpaid_customer(session, profile, package=make_package(session, name="Home-20M",
                                                                  price="1500").name,
                          name="করিম উদ্দিন", mobile="01711000000")
    c.lang = lang
    fn(session, "bill.generate", sok="ok", date="2026-11-01")
    made = pay(session, c, "2000")
    result = fn(session, "receipt.pdf", elid=str(made.elid))
    assert result.content_type == "application/pdf"
    return pdf_text(result.data), made.elid


@needs_pdftotext
def test_a_bangla_customers_receipt_reads_back_in_bangla(session):
    text, pid = receipt(session, "bn")
    assert "করিম উদ্দিন" in text
    for label in ("টাকার রসিদ", "তারিখ ও সময়", "যার কাছ থেকে পাওয়া", "ব্যবহারকারীর নাম", "মোবাইল",
                  "পদ্ধতি", "প্রাপ্ত টাকা", "নগদ", "অগ্রিম জমায়", "আদায়কারীর স্বাক্ষর",
                  "রসিদটি রেখে দিন"):
        assert label in text, label
    assert "২,০০০.০০" in text  # the amount in Bangla digits
    assert f"MR-{pid:06d}" in text  # the receipt number stays as staff and the portal type it
    for english in ("MONEY RECEIPT", "Amount received", "Received from", "Cash",
                    "Collector's signature", "Keep this receipt", "to bills"):
        assert english not in text, english


@needs_pdftotext
def test_an_english_customers_receipt_stays_english(session):
    text, _pid = receipt(session, "en")
    assert "MONEY RECEIPT" in text and "Amount received" in text and "2000.00" in text
    assert "করিম উদ্দিন" in text and "টাকার রসিদ" not in text


def test_period_lines_in_bangla_and_typed_lines_as_typed():
    line = "Home-20M, 2026-11-10 to 2026-11-30 (21 of 30 days)"
    assert invoice_details.line_text(line, "en") == line
    bn = invoice_details.line_text(line, "bn")
    assert bn == "Home-20M, ১০ নভেম্বর, ২০২৬ থেকে ৩০ নভেম্বর, ২০২৬ (৩০ দিনের মধ্যে ২১ দিন)"
    credit = invoice_details.line_text("credit for Home-10M, same days (21 of 30 days)", "bn")
    assert credit == "Home-10M-এর ফেরত, একই দিনগুলোর (৩০ দিনের মধ্যে ২১ দিন)"
    assert invoice_details.line_text("Router installation", "bn") == "Router installation"


def test_the_invoice_footer_in_bangla():
    d = invoice_details.Details(name="opA", phone="01800000000", email="a@b.c",
                                vat_number="123", bkash_number="01711000222",
                                gateways=["bKash"], link="https://x/portal/pay/l/t")
    head, foot = invoice_details.header_lines(d, "bn"), invoice_details.footer_lines(d, "bn")
    assert "ফোন: 01800000000" in " ".join(head) and "ভ্যাট নিবন্ধন নম্বর" in " ".join(head)
    assert foot[0] == "bKash দিয়ে অনলাইনে পরিশোধ করুন।"
    assert "01711000222" in foot[1] and foot[-1].startswith("এখনই পরিশোধ করুন: https://")
    assert invoice_details.footer_lines(d)[0] == "Pay online with bKash."


@needs_pdftotext
def test_a_bangla_invoice_prints_its_period_line_and_how_to_pay_in_bangla(session):
    from tests.rating.test_invoice_bangla import invoice
    text, _data, bill = invoice(session, "bn")
    period = bill.lines[0].description
    assert invoice_details.line_text(period, "bn") != period
    assert l10n.date(bill.service_from, "bn", "long") in text
    assert "থেকে" in text and " to " not in text
    assert D(bill.total) > 0

"""Issue 12: invoices in Bangla. The text is drawn shaped (HarfBuzz, an embedded Bangla font from
Debian's fonts-noto-core) and read back with pdftotext (poppler-utils) as it was typed."""
from __future__ import annotations

import shutil
import subprocess
from decimal import Decimal as D

import pytest

from radbill import l10n
from rating import pdftext
from tests.support.factories import fn, make_package
from tests.support.rating_factories import bills_of, make_profile, pay, postpaid_customer

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"),
                                reason="pdftotext (poppler-utils, scripts/setup) is missing")


def pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=data,
                          capture_output=True, check=True).stdout.decode()


def invoice(session, lang: str) -> tuple[str, bytes, object]:
    profile = make_profile(session)
    c = postpaid_customer(session, profile, package=make_package(session, name="Home-20M",
                                                                  price="1234567").name,
                          name="করিম উদ্দিন", mobile="01711000000",
                          address="বাড়ি ১২, রোড ৫, মিরপুর, ঢাকা")
    c.operator.vat_percent = D("5")
    c.lang = lang
    fn(session, "bill.generate", sok="ok", date="2026-11-01")
    pay(session, c, "300")
    [bill] = bills_of(session, c)
    result = fn(session, "bill.pdf", elid=str(bill.id))
    assert result.content_type == "application/pdf"
    return pdf_text(result.data), result.data, bill


def test_an_invoice_for_karim_uddin_in_bangla_reads_back_as_typed(session):
    text, data, bill = invoice(session, "bn")
    # ি drawn before its consonant, ন্দ a conjunct: drawn shaped, read back as typed
    assert "করিম উদ্দিন" in text
    assert "বাড়ি ১২, রোড ৫, মিরপুর, ঢাকা" in text
    for label in ("চালান #" + l10n.digits(bill.id, "bn"), "গ্রাহক", "মোবাইল", "উপমোট", "ভ্যাট",
                  "মোট", "বাকি পাওনা", "আংশিক পরিশোধিত", "সেবার মেয়াদ"):
        assert label in text, label
    assert "১২,৩৪,৫৬৭.০০" in text  # the price with Bangla digits, grouped in lakhs
    assert "(৩০০.০০ পরিশোধিত," in text
    assert "১ নভেম্বর, ২০২৬" in text  # the issue date, as a Bangla reader writes it
    for english in ("INVOICE", "Customer", "Subtotal", "Balance due", "PARTLY PAID", "Status"):
        assert english not in text, english
    assert b"NotoSansBengali" in data or b"Lohit-Bengali" in data  # the font is embedded


def test_an_english_invoice_keeps_a_bangla_name_shaped(session):
    text, _, bill = invoice(session, "en")
    assert "করিম উদ্দিন" in text
    assert f"INVOICE #{bill.id}" in text and "Customer: করিম উদ্দিন" in text
    assert "Balance due" in text and "1234567.00" in text


def test_conjuncts_are_shaped_not_drawn_letter_by_letter():
    """HarfBuzz forms ক্ষ as one glyph (fewer glyphs than characters) and draws ি before ক."""
    pdftext.font("Bengali")
    conjunct = pdftext._shaped("ক্ষ", True, False, 10)[1]
    assert len(conjunct.__shapeData__) < len("ক্ষ")
    assert str(pdftext._shaped("কি", True, False, 10)[1]) == "িক"  # visual order


def test_a_voucher_sheet_in_bangla_keeps_the_pin_typeable():
    import datetime as dt

    from rating import vouchers
    data = vouchers.render([vouchers.Voucher("1234567890123456", "B1-0001", "হোম ২০", D("500"),
                                             dt.date(2026, 12, 31))],
                           isp="দ্রুত নেট", currency="৳", batch="b1", lang="bn")
    text = pdf_text(data)
    assert "দ্রুত নেট" in text and "হোম ২০" in text  # ISP and package names shaped
    assert "৫০০.০০ ৳" in text and "২০২৬-১২-৩১" in text  # price and last day in Bangla digits
    assert "1234 5678 9012 3456" in text  # the PIN as the portal's box takes it
    assert "valid until" not in text and "ক্রমিক" in text


def test_a_bangla_full_stop_stays_in_the_bengali_run_and_the_font_has_it():
    """The danda (।, U+0964) sits in the Devanagari block; drawn in the Latin font it was a box."""
    from reportlab.pdfbase import pdfmetrics
    assert pdftext.runs("বিল পরিশোধ করুন। ধন্যবাদ") == [(True, "বিল পরিশোধ করুন। ধন্যবাদ")]
    face = pdfmetrics.getFont(pdftext.font("Bengali")).face
    assert 0x0964 in face.charToGlyph and 0x0965 in face.charToGlyph

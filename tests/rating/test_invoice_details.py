"""The invoice says who bills and how to pay (issue 12): the operator's address, phone, e-mail,
VAT number and logo, its gateways, bKash number, payment note and a payment link; a reseller
without its own details prints its nearest ancestor's."""
from __future__ import annotations

import base64
import io
import re

import pytest
from pypdf import PdfReader

from radbill.functions.registry import FuncError
from tests.support.factories import fn, make_operator, make_package
from tests.support.rating_factories import bills_of, make_profile, postpaid_customer

# a 1x1 PNG
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def text_of(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def isp_with_details(session):
    isp = make_operator(session, name="isp")
    fn(session, "operator.edit", sok="ok", elid=str(isp.id), address="House 12, Road 5, Dhanmondi, Dhaka",
       phone="+880 1711-000111", email="billing@example.net", vat_number="000123456-0101",
       bkash_number="01711000222", payment_note="Cash at our office, 10am to 6pm.",
       logo="data:image/png;base64," + base64.b64encode(PNG).decode())
    return isp


def test_the_invoice_prints_the_operators_details_and_how_to_pay(session):
    isp = isp_with_details(session)
    fn(session, "gateway.edit", sok="ok", name="bk", kind="bkash", operator="isp",
       app_key="AK", app_secret="AS", username="merchant", password="PW")
    reseller = make_operator(session, name="res1", parent="isp", phone="01800000000")
    c = postpaid_customer(session, make_profile(session), operator="res1",
                          package=make_package(session, price="1000").name)
    fn(session, "bill.edit", sok="ok", customer=c.username, description="Router", amount="1000")
    [bill] = bills_of(session, c)
    pdf = fn(session, "bill.pdf", elid=str(bill.id))
    text = text_of(pdf.data)
    flat = re.sub(r"\s+", " ", text)
    for expected in ("House 12, Road 5, Dhanmondi, Dhaka", "Phone: 01800000000",
                     "billing@example.net", "000123456-0101", "01711000222",
                     "Cash at our office", "Pay online with bKash"):
        assert expected in flat, expected
    assert "+880 1711-000111" not in flat  # the reseller's own phone wins over its parent's
    link = re.search(r"Pay now: (\S+/portal/pay/l/\S+)", flat)
    assert link, flat
    from rating import links
    token = link.group(1).rsplit("/", 1)[1]
    assert links.read(token).customer_id == c.id
    assert b"/Subtype /Image" in pdf.data or b"/Image" in pdf.data  # the logo
    assert reseller.address is None and isp.logo_type == "image/png"


def test_no_gateway_no_link(session):
    isp_with_details(session)
    c = postpaid_customer(session, make_profile(session), operator="isp")
    fn(session, "bill.edit", sok="ok", customer=c.username, description="Router", amount="1000")
    [bill] = bills_of(session, c)
    flat = re.sub(r"\s+", " ", text_of(fn(session, "bill.pdf", elid=str(bill.id)).data))
    assert "01711000222" in flat and "Pay now" not in flat and "Pay online" not in flat


@pytest.mark.parametrize("logo, why", [
    ("data:image/gif;base64," + base64.b64encode(b"GIF89a....").decode(), "PNG or JPEG"),
    (base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * (200 * 1024)).decode(), "200 KB"),
    ("not base64!", "PNG or JPEG"),
])
def test_a_logo_must_be_a_small_png_or_jpeg(session, logo, why):
    isp = make_operator(session, name="isp")
    with pytest.raises(FuncError) as err:
        fn(session, "operator.edit", sok="ok", elid=str(isp.id), logo=logo)
    assert "logo" in err.value.errors and why in err.value.errors["logo"]


def test_contact_fields_are_validated_and_shown_in_the_form(session):
    isp = make_operator(session, name="isp")
    with pytest.raises(FuncError) as err:
        fn(session, "operator.edit", sok="ok", elid=str(isp.id), email="nope", phone="call me")
    assert set(err.value.errors) == {"email", "phone"}
    fn(session, "operator.edit", sok="ok", elid=str(isp.id), vat_number="BIN-1")
    assert fn(session, "operator.edit", elid=str(isp.id)).values["vat_number"] == "BIN-1"

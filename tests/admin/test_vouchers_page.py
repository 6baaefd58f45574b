"""Voucher sheets from the card list (issue 11): the generic action page posts card.vouchers and
the PDF comes back as a download, for the issuing operator only."""
from __future__ import annotations

import io

from pypdf import PdfReader

from tests.support.factories import caller_of, fn


def test_the_issuing_operator_downloads_its_voucher_sheet_from_the_card_list(world, auth, dbs):
    fn(dbs, "card.generate", caller_of(dbs, world.operator_a), count="3", amount="500",
       batch="dec")
    dbs.commit()
    auth.login("opera")
    cards = auth.get("/billmgr?func=card").get_data(as_text=True)
    assert 'href="/billmgr?func=card.vouchers"' in cards
    assert 'id="confirm"' in auth.get("/billmgr?func=card.vouchers").get_data(as_text=True)
    pdf = auth.post("/billmgr", {"func": "card.vouchers", "batch": "dec"})
    assert pdf.status_code == 200 and pdf.content_type == "application/pdf"
    assert 'filename="vouchers-dec.pdf"' in pdf.headers["Content-Disposition"]
    assert len(PdfReader(io.BytesIO(pdf.data)).pages) == 1
    auth.logout()
    auth.login("gadmin")  # the parent: no PINs of its reseller's
    refused = auth.post("/billmgr", {"func": "card.vouchers", "batch": "dec"})
    assert refused.status_code == 404 and b"%PDF" not in refused.data

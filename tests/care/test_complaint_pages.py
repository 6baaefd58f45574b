"""The complaint desk's staff pages (issue 14): the complaint page with internal comments marked
and its forms, the list's row opening it, an image upload refused unless it is a small image,
the report page's chart, the dashboard's overdue block, the menu entries."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from radbill.models.selfcare import Complaint, ComplaintAttachment
from tests.support.factories import caller_of, fn

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def desk(w):
    s = w.dbs
    fn(s, "department.edit", sok="ok", name="Field")
    fn(s, "complaint_category.edit", sok="ok", name="No internet", department="Field",
       target_hours="2", technical="yes")
    cid = fn(s, "complaint.edit", caller_of(s, w.operator_a), sok="ok", customer="alice",
             category="No internet", subject="Down since 9", message="red light").elid
    s.commit()
    return cid


def test_the_complaint_page_and_its_forms(client, auth, world):
    cid = desk(world)
    auth.login("opera")
    resp = client.get(f"/billmgr?func=complaint.edit&elid={cid}")
    assert resp.status_code == 302 and resp.location.endswith(f"/complaints/{cid}")
    page = auth.get(f"/complaints/{cid}").get_data(as_text=True)
    assert "Down since 9" in page and "red light" in page
    resp = auth.post(f"/complaints/{cid}/update", {"status": "acknowledged", "assignee": "opera",
                                                   "priority": "high"})
    assert resp.status_code == 303
    auth.post(f"/complaints/{cid}/comment", {"body": "splice at pole 12"})
    auth.post(f"/complaints/{cid}/comment", {"body": "coming at 3", "public": "yes"})
    page = auth.get(f"/complaints/{cid}").get_data(as_text=True)
    assert 'class="msg internal"' in page and "splice at pole 12" in page
    assert page.count('class="tag">') == 1  # the one internal comment is marked
    bad = auth.post(f"/complaints/{cid}/update", {"status": "closed"})
    assert bad.status_code == 400 and "can only become in progress" in bad.get_data(as_text=True)
    # an upload: a text file is refused, an image kept
    import io
    bad = auth.post(f"/complaints/{cid}/attach", {"file": (io.BytesIO(b"hello"), "a.png")},
                    content_type="multipart/form-data")
    assert bad.status_code == 400 and "PNG, JPEG or WebP" in bad.get_data(as_text=True)
    big = auth.post(f"/complaints/{cid}/attach",
                    {"file": (io.BytesIO(PNG + b"\x00" * (2 * 1024 * 1024)), "big.png")},
                    content_type="multipart/form-data")
    assert big.status_code == 400 and "2 MB" in big.get_data(as_text=True)
    ok = auth.post(f"/complaints/{cid}/attach", {"file": (io.BytesIO(PNG), "photo.png")},
                   content_type="multipart/form-data")
    assert ok.status_code == 303
    aid = world.dbs.scalar(sa.select(ComplaintAttachment.id)
                           .where(ComplaintAttachment.complaint_id == cid))
    img = client.get(f"/complaints/files/{aid}")
    assert img.data == PNG and img.headers["Content-Type"] == "image/png"
    auth.post(f"/complaints/{cid}/cost", {"description": "connector", "amount": "150"})
    page = auth.get(f"/complaints/{cid}").get_data(as_text=True)
    assert 'id="costs"' in page and "150.00" in page
    # another reseller's staff: nothing
    auth.logout()
    auth.login("operb")
    assert client.get(f"/complaints/{cid}").status_code == 404
    assert client.get(f"/complaints/files/{aid}").status_code == 404


def test_the_report_page_draws_a_chart_and_the_dashboard_shows_overdue(client, auth, world):
    cid = desk(world)
    c = world.dbs.get(Complaint, cid)
    c.due_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    world.dbs.commit()
    auth.login("opera")
    page = auth.get("/complaints/report?by=department").get_data(as_text=True)
    assert "<svg" in page and "Field" in page and 'id="report-table"' in page
    assert auth.get("/complaints/report?by=colour").status_code == 400
    home = auth.get("/").get_data(as_text=True)
    assert 'id="overdue-complaints"' in home and "Down since 9" in home
    assert "/complaints/report" in home  # the menu's entry
    listing = auth.get("/billmgr?func=complaint&late=1").get_data(as_text=True)
    assert "Down since 9" in listing
    auth.logout()
    auth.login("operb")
    home = auth.get("/").get_data(as_text=True)
    assert "Down since 9" not in home

"""The import page (issue 17): upload a .csv or .xlsx, map, a dry run whose bad rows are listed
a page at a time, then the import; a large one is a background task with a progress page."""
from __future__ import annotations

import io

import openpyxl
import pytest
import sqlalchemy as sa

from customers.importing import runs
from radbill import tasks
from radbill.models import Customer
from sqlalchemy.orm import sessionmaker


def xlsx(rows: list[list]) -> io.BytesIO:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


@pytest.fixture
def var(monkeypatch, tmp_path):
    """Uploads go to a folder of the test's own."""
    from radbill import settings
    monkeypatch.setenv("RADBILL_VAR_DIR", str(tmp_path))
    settings.get.cache_clear()
    yield tmp_path
    settings.get.cache_clear()


def test_upload_map_dry_run_report_pages_then_a_background_import(world, auth, dbs, conn, var,
                                                                  monkeypatch):
    monkeypatch.setattr(runs, "CHUNK", 40)
    auth.login("gadmin")
    rows = [["Login", "Pass", "Plan", "Phone"]]
    rows += [[f"pg{i:03d}", "pw", "home10", "bad" if i < 60 else f"0171{i:07d}"]
             for i in range(150)]
    page = auth.post("/customers/import", {"file": (xlsx(rows), "cut.xlsx")},
                     content_type="multipart/form-data")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<option selected>username</option>" in html
    token = html.split('name="token" value="')[1].split('"')[0]
    mapping = {"col0": "username", "col1": "password", "col2": "package", "col3": "mobile"}
    dry = auth.post("/customers/import", {"token": token, "mode": "dry", **mapping})
    html = dry.get_data(as_text=True)
    assert "60 of 150 rows have errors" in html and html.count(">mobile</td>") == 50
    second = auth.get(f"/customers/import/report/{token}?page=2").get_data(as_text=True)
    assert second.count(">mobile</td>") == 10 and ">61</td>" in second
    assert dbs.scalar(sa.select(sa.func.count()).where(Customer.username.like("pg%"))) == 0
    started = auth.post("/customers/import", {"token": token, "mode": "commit",
                                              "skip_bad": "yes", "save_as": "panel", **mapping})
    assert started.status_code == 302 and "/customers/import/runs/" in started.location
    progress = auth.get(started.location).get_data(as_text=True)
    assert 'http-equiv="refresh"' in progress
    factory = sessionmaker(bind=conn, join_transaction_mode="create_savepoint")
    while tasks.run_due(factory):
        pass
    done = auth.get(started.location).get_data(as_text=True)
    assert "The import is done." in done and 'http-equiv="refresh"' not in done
    assert "90 created, 0 updated" in done
    assert dbs.scalar(sa.select(sa.func.count()).where(Customer.username.like("pg%"))) == 90
    upload = auth.get("/customers/import").get_data(as_text=True)
    assert "<option>panel</option>" in upload  # the saved mapping


def test_a_token_that_is_a_path_is_refused(world, auth):
    auth.login("gadmin")
    auth.get("/customers/import")
    page = auth.post("/customers/import", {"token": "../../etc/passwd", "mode": "dry"})
    assert page.status_code == 400

"""The multi-edit page (admin/customers/bulk.py): from the customer list, ticked rows or "all
shown", a preview with the count and a sample, then the task; on a phone, in Bangla; a second
reseller sees only their own."""
from __future__ import annotations

import re

import sqlalchemy as sa

from radbill.models import StaffUser, Task
from tests.admin.test_bangla_pages import assert_bangla
from tests.support.factories import make_package


def test_the_list_links_to_multi_edit_and_the_preview_then_starts_the_task(world, auth, dbs):
    make_package(dbs, name="fast20", price="900")
    dbs.commit()
    auth.login("opera")
    page = auth.get("/billmgr?func=customer&q=a").get_data(as_text=True)
    assert 'id="change-all"' in page and 'id="bulk-change"' in page
    assert re.search(r'href="/customers/bulk\?[^"]*q=a', page)
    chosen = auth.get("/customers/bulk?elid=%d&elid=%d" % (world.cust_a.id, world.cust_a2.id))
    assert "2 ticked customers" in chosen.get_data(as_text=True)
    pv = auth.post("/customers/bulk", {"elid": f"{world.cust_a.id},{world.cust_a2.id}",
                                       "field": "package", "value": "fast20"})
    text = pv.get_data(as_text=True)
    assert pv.status_code == 200 and "2 customers will be changed" in text, text[-2000:]
    assert "fast20" in text and 'name="confirm" value="2"' in text
    done = auth.post("/customers/bulk", {"elid": f"{world.cust_a.id},{world.cust_a2.id}",
                                         "field": "package", "value": "fast20", "apply": "1",
                                         "confirm": "2"})
    assert done.status_code == 302 and "func=task" in done.location
    task = dbs.scalars(sa.select(Task).order_by(Task.id.desc())).first()
    assert task.kind == "customer.bulk" and task.total == 2 and task.created_by == "opera"
    tasks = auth.get("/billmgr?func=task").get_data(as_text=True)
    assert f"func=task.errors&amp;elid={task.id}" in tasks  # each task's refusals, a row link
    assert auth.get(f"/billmgr?func=task.errors&elid={task.id}").status_code == 200


def test_another_resellers_customers_match_nothing_and_errors_name_the_field(world, auth):
    auth.login("operb")
    pv = auth.post("/customers/bulk", {"users": "alice\namos\nbob", "field": "zone",
                                       "value": ""})
    text = pv.get_data(as_text=True)
    assert "1 customer will be changed" in text and "alice, amos" in text
    bad = auth.post("/customers/bulk", {"users": "bob", "field": "extend_days", "value": "x"})
    assert bad.status_code == 400 and "value:" in bad.get_data(as_text=True)


def test_the_mac_file_page_previews_bad_lines(world, auth):
    auth.login("opera")
    pv = auth.post("/customers/bulk", {"mode": "mac",
                                       "lines": "username,mac\nalice,AA:BB:CC:00:00:09\nx,zz"})
    text = pv.get_data(as_text=True)
    assert "1 customer will be changed" in text and "1 bad line" in text


def main(resp) -> str:
    """The page's own part (the menus are test_bangla_pages.py's, walked for every role)."""
    page = resp.get_data(as_text=True)
    return page[page.index("<main>"):page.index("</main>")]


def test_the_pages_are_in_bangla(world, auth, dbs):
    dbs.execute(sa.update(StaffUser).where(StaffUser.login == "opera").values(lang="bn"))
    dbs.commit()
    auth.login("opera")
    assert_bangla(main(auth.get(f"/customers/bulk?elid={world.cust_a.id}")), "bulk choose")
    pv = auth.post("/customers/bulk", {"users": "alice\nnobody", "field": "status",
                                       "value": "suspended"})
    assert_bangla(main(pv), "bulk preview")
    assert_bangla(main(auth.get("/customers/bulk?mode=mac")), "bulk mac")


def test_package_and_pool_replace_have_forms_from_their_lists(world, auth, dbs):
    make_package(dbs, name="fast20", price="900")
    dbs.commit()
    auth.login("opera")
    listing = auth.get("/billmgr?func=package").get_data(as_text=True)
    assert "func=package.replace" in listing
    form = auth.get("/billmgr?func=package.replace")
    assert form.status_code in (200, 400) and 'name="from"' in form.get_data(as_text=True)
    done = auth.post("/billmgr", {"func": "package.replace", "from": "home10", "to": "fast20",
                                  "proration": "none", "sok": "ok"})
    assert done.status_code == 302, done.get_data(as_text=True)[-1500:]
    task = dbs.scalars(sa.select(Task).order_by(Task.id.desc())).first()
    assert task.kind == "package.replace" and task.total == 2  # alice and amos, not bob
    assert auth.get("/billmgr?func=pool.replace").status_code in (200, 400)

"""Issue 12, designed pages: labels instead of names, formatted cells, sentences instead of request
lines, confirmations with a count and a reason that reaches the suspension log. The browser
half (widths at 1366 and 390 px, screenshots) is tests/admin/test_design_browser.py."""
from __future__ import annotations

import re

import pytest

from radbill.functions.registry import load_all
from radbill.models import Customer


def text(resp) -> str:
    return resp.get_data(as_text=True)


def headers(page: str) -> list[str]:
    head = page.split("<thead>")[1].split("</thead>")[0]
    return [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", head)]


def flashes(page: str) -> list[str]:
    return re.findall(r'class="flash [a-z]+">([^<]*)<', page)


def test_labels_from_one_place_with_fallbacks():
    from admin import labels
    assert labels.column("expires_at") == "Expires"
    assert labels.column("operator_id") == "Operator"
    assert labels.column("some_new_thing_at") == "Some new thing"
    assert labels.column("nas_ip") == "NAS IP"
    assert labels.title("olt") == "OLTs" and labels.title("onu") == "ONUs"
    assert labels.title("device") == "Devices"
    assert labels.title("bill.generate") == "Generate bills"
    assert labels.title("customer.suspend") == "Suspend customers"
    assert labels.form_title("package.edit", None) == "New package"
    assert labels.form_title("package.edit", 3) == "Edit package #3"


def test_lists_show_labels_not_column_names(world, auth):
    auth.login("opera")
    page = text(auth.get("/billmgr?func=customer"))
    shown = headers(page)
    assert "Expires" in shown and "Username" in shown and "Advance" in shown
    assert not [h for h in shown if "_" in h], shown
    assert ">expires_at<" not in page and ">advance_balance<" not in page
    assert "<title>Customers" in page
    menu = page.split("<nav>")[1].split("</nav>")[0]
    assert ">Customers<" in menu and ">Audit log<" in menu


def test_menu_says_olts_onus_devices(world, auth):
    auth.login("root1")
    menu = text(auth.get("/")).split("<nav>")[1].split("</nav>")[0]
    for func, label in (("olt", "OLTs"), ("onu", "ONUs"), ("device", "Devices")):
        if func in load_all():
            assert f">{label}<" in menu, label
    assert not re.search(r">(Olt|Onu|Device)<", menu)


def test_package_list_formats_money_and_links_names(world, auth):
    auth.login("gadmin")
    page = text(auth.get("/billmgr?func=package"))
    shown = headers(page)
    assert "Price" in shown and "Wholesale price" in shown and "Validity (days)" in shown
    assert "500.00 BDT" in page  # money: separators and the currency
    assert 'class="hide-wide"' in page  # secondary columns give way on narrow screens
    assert '<div class="scroll">' in page  # and the table scrolls in its own box


def test_a_payment_is_announced_as_a_sentence(world, auth, dbs):
    if "payment.edit" not in load_all():
        pytest.skip("rating not installed")
    auth.login("opera")
    resp = auth.post("/billmgr", {"func": "payment.edit", "sok": "ok", "customer": "alice",
                                  "method": "cash", "amount": "1200"})
    assert resp.status_code == 302
    said = flashes(text(auth.get(resp.location)))
    assert "Payment of 1,200.00 BDT recorded for Alice A" in said, said
    assert not any("func=" in s or "{" in s for s in said)


def test_a_saved_form_says_what_was_saved(world, auth):
    auth.login("gadmin")
    resp = auth.post("/billmgr", {"func": "zone.edit", "sok": "ok", "name": "Mirpur-10"})
    assert resp.status_code == 302
    said = flashes(text(auth.get(resp.location)))
    assert "Zone Mirpur-10 created" in said, said


def test_bulk_suspend_confirms_with_the_count_and_asks_why(world, auth, dbs):
    auth.login("opera")
    ids = f"{world.cust_a.id},{world.cust_a2.id}"
    asked = auth.post("/billmgr", {"func": "customer.suspend", "elid": [str(world.cust_a.id),
                                                                       str(world.cust_a2.id)],
                                   "_ask": "1", "back": "/billmgr?func=customer"})
    page = text(asked)
    assert asked.status_code == 200
    assert "Suspend 2 customers" in page and "suspension pool" in page
    assert "alice" in page and "amos" in page
    assert re.search(r'<textarea id="f-reason" name="reason" rows="3" required>', page)
    assert re.search(r'<button id="confirm" class="danger">', page)
    assert f'name="elid" value="{ids}"' in page
    dbs.expire_all()
    assert {dbs.get(Customer, c.id).status for c in (world.cust_a, world.cust_a2)} == {"active"}

    done = auth.post("/billmgr", {"func": "customer.suspend", "elid": ids,
                                  "reason": "cable cut, asked to pause",
                                  "back": "/billmgr?func=customer"})
    assert done.status_code == 302
    said = flashes(text(auth.get(done.location)))
    assert "2 customers suspended" in said, said
    dbs.expire_all()
    assert {dbs.get(Customer, c.id).status for c in (world.cust_a, world.cust_a2)} == \
        {"suspended"}
    log = text(auth.get("/logs/suspensions"))
    assert log.count("cable cut, asked to pause") == 2


def test_one_customer_suspended_is_named(world, auth):
    auth.login("opera")
    done = auth.post("/billmgr", {"func": "customer.suspend", "elid": str(world.cust_a.id),
                                  "reason": "asked", "back": f"/customers/{world.cust_a.id}"})
    said = flashes(text(auth.get(done.location)))
    assert "Customer alice suspended" in said, said


def test_the_customer_page_asks_before_suspend_disable_delete(world, auth):
    auth.login("opera")
    page = text(auth.get(f"/customers/{world.cust_a.id}"))
    for action in ("suspend", "disable", "delete"):
        link = re.search(rf'<a class="button danger" id="act-{action}" href="([^"]+)"', page)
        assert link, action
        confirm = text(auth.get(link.group(1).replace("&amp;", "&")))
        assert f"{action.capitalize()} 1 customer" in confirm and "alice" in confirm
        assert 'class="danger"' in confirm
    assert "Expires" in page or "Package" in page
    assert ">expires_at<" not in page and ">billing_profile<" not in page


def test_delete_from_a_list_confirms_as_dangerous(world, auth):
    auth.login("gadmin")
    page = text(auth.post("/billmgr", {"func": "package.delete", "elid": str(world.package.id),
                                        "_ask": "1", "back": "/billmgr?func=package"}))
    assert "Delete 1 package" in page and "home10" in page
    assert '<button id="confirm" class="danger">' in page


def test_no_stray_elid_field_on_a_confirmation(world, auth):
    auth.login("opera")
    page = text(auth.get(f"/billmgr?func=customer.suspend&elid={world.cust_a.id}"))
    assert 'id="f-elid"' not in page and ">elid<" not in page


def test_the_identity_gettext_is_only_a_fallback(app):
    assert callable(app.jinja_env.globals["_"])

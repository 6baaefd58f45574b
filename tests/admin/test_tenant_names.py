"""The pages' ISP name is the viewer's tenant's (issue 19; admin.tenant_name): a tenant's staff
read their tenant's name in every staff page's title and header (the print header of a bill,
the NOC wall of a wall link of theirs), a tenant's customers read it on the portal; the
install's first group, the system administrator and nobody (the login pages) read
RADBILL_ISP_NAME. Tenants are made as tests/kernel/test_tenants.py makes them
(`operator.edit tenant=yes` by the system administrator)."""
from __future__ import annotations

import re

import pytest

from radbill import settings
from tests.support.admin_fixtures import PASSWORD, Auth, fast_hash
from tests.support.factories import caller_of, fn, make_user

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
TITLE = re.compile(r"<title>(.*?)</title>", re.S)
BRAND = re.compile(r'<a class="brand" href="/">(.*?)</a>', re.S)
PORTAL_HEAD = re.compile(r"<header>\s*<b>(.*?)</b>", re.S)
B_NAME = "zzbnames"


@pytest.fixture
def install_name(app):
    name = app.config["ISP_NAME"]
    assert name == settings.get().isp_name and name != B_NAME
    return name


@pytest.fixture
def tenants(dbs, monkeypatch):
    """The first group A and tenant B, each with a group admin, a package, a customer (with a
    portal password) and a bill; a system administrator."""
    import staff.functions.users as users
    monkeypatch.setattr(users, "hash_password", fast_hash)
    out = {}
    for t, name, extra in (("A", "qqanames", {}), ("B", B_NAME, {"tenant": "yes"})):
        root = fn(dbs, "operator.edit", sok="ok", name=name, **extra).elid
        admin = make_user(dbs, login=f"{t.lower()}admin", role="group_admin", operator=name,
                          password=PASSWORD)
        c = caller_of(dbs, admin)
        fn(dbs, "package.edit", c, sok="ok", name=f"{name}home", rate_down="10M",
           rate_up="5M", price="500")
        fn(dbs, "customer.edit", c, sok="ok", username=f"{t.lower()}cust", password="s3cret-pw",
           package=f"{name}home")
        bill = fn(dbs, "bill.edit", c, sok="ok", customer=f"{t.lower()}cust",
                  description="Router", amount="120").elid
        out[t] = {"root": root, "admin": admin, "bill": bill}
    make_user(dbs, login="sysroot", role="admin", operator="qqanames", password=PASSWORD)
    dbs.commit()
    return out


def text(resp) -> str:
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


def title(page: str) -> str:
    return TITLE.search(page).group(1)


def brand(page: str) -> str:
    return BRAND.search(page).group(1).strip()


def portal_login(client, username: str):
    page = client.get("/portal/login").get_data(as_text=True)
    return client.post("/portal/login", data={"username": username, "password": "s3cret-pw",
                                              "csrf_token": TOKEN.search(page).group(1)})


def test_a_tenant_s_staff_read_their_tenant_s_name_never_the_first_group_s(
        tenants, auth, install_name):
    assert auth.login("badmin").status_code == 302
    for path in ("/", "/billmgr?func=customer", "/billmgr?func=package", "/account"):
        page = text(auth.get(path))
        assert brand(page) == B_NAME, path
        assert title(page).endswith(f"· {B_NAME}"), (path, title(page))
        assert install_name not in page, path
    bill = text(auth.get(f"/bills/{tenants['B']['bill']}"))
    assert f'<p class="print-only">{B_NAME}</p>' in bill and install_name not in bill


def test_the_first_group_s_staff_and_the_system_administrator_read_the_install_name(
        tenants, auth, install_name):
    for login in ("aadmin", "sysroot"):
        assert auth.login(login).status_code == 302
        for path in ("/", "/billmgr?func=customer"):
            page = text(auth.get(path))
            assert brand(page) == install_name, (login, path)
            assert title(page).endswith(f"· {install_name}"), (login, path)
        bill = text(auth.get(f"/bills/{tenants['A']['bill']}"))
        assert f'<p class="print-only">{install_name}</p>' in bill
        auth.logout()
    # the system administrator sees B's customers, and still the install's name
    assert auth.login("sysroot").status_code == 302
    page = text(auth.get("/billmgr?func=customer"))
    assert "bcust" in page and brand(page) == install_name


def test_the_login_pages_show_the_install_name(tenants, client, install_name):
    for path in ("/login", "/portal/login"):
        page = text(client.get(path))
        assert install_name in title(page) and B_NAME not in page, path
    assert PORTAL_HEAD.search(text(client.get("/portal/login"))).group(1) == install_name


def test_a_tenant_s_customer_reads_the_tenant_s_name_on_the_portal(
        tenants, client, install_name):
    # a staff login of the first group in the same browser changes nothing on the portal
    # (nor the customer the staff pages)
    staff = Auth(client)
    assert staff.login("aadmin").status_code == 302
    assert portal_login(client, "bcust").status_code == 302
    assert brand(text(staff.get("/"))) == install_name
    page = text(client.get("/portal/"))
    assert PORTAL_HEAD.search(page).group(1) == B_NAME
    assert title(page).endswith(f"· {B_NAME}") and install_name not in page
    client.post("/portal/logout", data={"csrf_token": TOKEN.search(page).group(1)})
    assert PORTAL_HEAD.search(text(client.get("/portal/login"))).group(1) == install_name


def test_the_first_group_s_customer_reads_the_install_name_on_the_portal(
        tenants, client, install_name):
    assert portal_login(client, "acust").status_code == 302
    page = text(client.get("/portal/"))
    assert PORTAL_HEAD.search(page).group(1) == install_name and B_NAME not in page


def test_a_tenant_s_noc_wall_carries_the_tenant_s_name(tenants, dbs, app, install_name):
    wall = {}
    for t in "AB":
        wall[t] = fn(dbs, "noc.wall_link", caller_of(dbs, tenants[t]["admin"]),
                     days="30").extra["path"]
    dbs.commit()
    tv = app.test_client()
    page = text(tv.get(wall["B"]))
    assert title(page).endswith(f"· {B_NAME}") and f"<h1>{B_NAME} ·" in page
    assert install_name not in page
    page = text(tv.get(wall["A"]))
    assert f"<h1>{install_name} ·" in page and B_NAME not in page

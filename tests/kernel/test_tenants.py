"""Tenants (issue 19): a super admin makes group admins, each an ISP of its own (a group at the
top of the operator tree, `operator.edit tenant=yes`), that never see each other.

The world has two tenants with one of nearly everything each: tenant A is the install's first
group (the ISP it was made for), tenant B a group made later with tenant=yes. Everything of A's
carries the marker `qqa` in its name, everything of B's `zzb`; the system administrator also
made global objects (no operator: the platform's defaults). Then, systematically, through the
registry (every caller's way in: pages, /billmgr, REST and `radbill call su=` are thin callers
of it, and tests below drive each of them once):
  - every registered list function, called as each tenant's group admin, shows no row of the
    other tenant (no marker, no id of the other's operators, customers or objects);
  - every function taking a reference (elid, customer, package, operator, ...) refuses the
    other tenant's objects, or answers without touching or showing them;
  - the system administrator sees both.
"""
from __future__ import annotations

import functools
import gc
import itertools
import json

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill.functions.caller import SYSTEM
from radbill.functions.crud import Entity
from radbill.functions.registry import FuncError, FileResult, ListResult, call, load_all
from tests.support.factories import caller_of, fn, make_user

MARK = {"A": "qqa", "B": "zzb"}
OTHER = {"A": "B", "B": "A"}
PASSWORD = "long-password-1"


def build_tenant(s: Session, t: str, root) -> dict:
    """One tenant's objects, made by its own group admin (and the admin's operator)."""
    p = MARK[t]
    admin = make_user(s, login=f"{p}admin", role="group_admin", operator=root.name,
                      password=PASSWORD)
    ga = caller_of(s, admin)
    res = fn(s, "operator.edit", ga, sok="ok", name=f"{p}res")
    oper = make_user(s, ga, login=f"{p}oper", role="operator", operator=f"{p}res",
                     password=PASSWORD)
    make_user(s, ga, login=f"{p}noc", role="noc", operator=root.name, password=PASSWORD)
    make_user(s, ga, login=f"{p}cards", role="card_distributor", operator=f"{p}res",
              password=PASSWORD)
    fn(s, "pool.edit", ga, sok="ok", name=f"{p}pool",
       cidr="10.51.0.0/24" if t == "A" else "10.52.0.0/24")
    fn(s, "billing_profile.edit", ga, sok="ok", name=f"{p}monthly")
    fn(s, "package.edit", ga, sok="ok", name=f"{p}home", rate_down="10M", rate_up="5M",
       price="500", validity_days="30", pool=f"{p}pool")
    fn(s, "zone.edit", ga, sok="ok", name=f"{p}north")
    fn(s, "customer.edit", ga, sok="ok", username=f"{p}alice", password="s3cret",
       package=f"{p}home", name=f"{p} Alice", mobile="01711000001" if t == "A" else
       "01711000002", zone=f"{p}north")
    fn(s, "customer.edit", caller_of(s, oper), sok="ok", username=f"{p}sam", password="s3cret",
       package=f"{p}home", name=f"{p} Sam")
    fn(s, "nas.edit", ga, sok="ok", name=f"{p}nas", ip="127.0.0.2" if t == "A" else "127.0.0.3",
       secret=f"{p}-nas-secret", api_user="api", api_password="pw", api_port="9")
    fn(s, "olt.edit", ga, sok="ok", name=f"{p}olt", brand="vsol", host="127.0.0.1",
       ssh_port="9", username="u", password="p")
    bill = fn(s, "bill.edit", ga, sok="ok", customer=f"{p}alice", description=f"{p} install",
              amount="100")
    pay = fn(s, "payment.edit", ga, sok="ok", customer=f"{p}alice", amount="40", method="cash",
             note=f"{p} cash")
    fn(s, "card.generate", ga, count="2", amount="100", batch=f"{p}b1")
    fn(s, "gateway.edit", ga, sok="ok", name=f"{p}gw", kind="bkash", app_key="a",
       app_secret="b", username="c", password="d")
    fn(s, "msg_gateway.edit", ga, sok="ok", name=f"{p}sms", kind="bulksmsbd",
       sender_id="8809617000000", api_key="k-1234")
    fn(s, "template.edit", ga, sok="ok", event="bill.due", channel="sms", lang="bn",
       body=f"{p} {{{{ name }}}}")
    fn(s, "webhook.edit", ga, sok="ok", url=f"https://{p}.example.com/hook", events="payment.*",
       note=f"{p} hook")
    fn(s, "api_client.edit", ga, sok="ok", name=f"{p}bot", scopes="customer:read")
    fn(s, "department.edit", ga, sok="ok", name=f"{p}desk")
    fn(s, "complaint_category.edit", ga, sok="ok", name=f"{p}outage", department=f"{p}desk",
       target_hours="8")
    comp = fn(s, "complaint.edit", ga, sok="ok", customer=f"{p}alice", category=f"{p}outage",
              subject=f"{p} down", message=f"{p} no link", priority="high")
    fn(s, "complaint.comment", ga, complaint=str(comp.elid), body=f"{p} on our way",
       public="yes")
    fn(s, "custom_field.edit", ga, sok="ok", name=f"{p}meter", label=f"{p} Meter", kind="text")
    fn(s, "walled_garden.edit", ga, sok="ok", host=f"{p}.portal.example", note=f"{p} portal")
    fn(s, "check.edit", ga, sok="ok", name=f"{p}check", kind="http",
       target=f"https://{p}.example.com/")
    fn(s, "announcement.edit", ga, sok="ok", title=f"{p} fibre works",
       starts_at="2026-12-05T02:00", ends_at="2026-12-05T04:00")
    fn(s, "zabbix.edit", ga, sok="ok", name=f"{p}zbx", url=f"https://{p}.example.net/zabbix",
       api_token="t0ken")
    fn(s, "radio.edit", ga, sok="ok", name=f"{p}ap", kind="airmax",
       host="10.20.0.1" if t == "A" else "10.20.0.2", community="ro")
    fn(s, "broadcast.edit", ga, sok="ok", channel="sms", body=f"{p} hello {{{{ name }}}}",
       status="active")
    fn(s, "customer.suspend", ga, elid=f"{p}sam")
    fn(s, "permission.edit", ga, sok="ok", user=f"{p}noc", func="customer", revoke="yes")
    job_rows(s, t)
    s.flush()
    return {"root": root, "admin": admin, "caller": ga, "bill": bill.elid, "payment": pay.elid,
            "complaint": comp.elid, "res": res.elid}


def job_rows(s: Session, t: str, who: str = "alice", n: int = 1) -> None:
    """What jobs, RADIUS and devices write for a tenant (sessions, incidents, messages, ONUs,
    Zabbix and radio readings, usage, rejects), inserted as they would be."""
    p = MARK[t]
    nas_ip = "127.0.0.2" if t == "A" else "127.0.0.3"
    q = {"p": p, "ip": nas_ip, "who": p + who, "n": str(n),
         "mac": f"AA:00:00:00:{n:02X}:{1 if t == 'A' else 2:02X}"}
    for stmt in (
        "insert into radacct (acctsessionid, acctuniqueid, username, nasipaddress, acctstarttime,"
        " framedipaddress) values (:p || 's' || :n, :p || 'u' || :n, :who, cast(:ip as inet),"
        " now(), cast('10.9.0.1' as inet))",
        "insert into radpostauth (username, reply, authdate, reason) values (:who,"
        " 'Access-Reject', now(), :p || ' bad password')",
        "insert into incidents (check_id, operator_id, opened_at, resolved_at, cause) select id,"
        " operator_id, now(), case when :n = '1' then null else now() end, :p || ' timeout'"
        " from checks where name = :p || 'check'",
        "insert into messages (operator_id, customer_id, event, channel, recipient, body)"
        " select operator_id, id, 'bill.due', 'sms', mobile, :p || ' pay now' from customers"
        " where username = :who",
        "insert into incoming_messages (operator_id, channel, sender, body) select operator_id,"
        " 'sms', mobile, :p || ' hello' from customers where username = :who",
        "insert into onus (olt_id, port, onu_id, serial, description, customer_id) select o.id,"
        " '0/1', cast(:n as int), :p || 'sn' || :n, :p || ' onu', c.id from olts o, customers c"
        " where o.name = :p || 'olt' and c.username = :who",
        "insert into zabbix_hosts (server_id, hostid, host, name, seen_at) select id,"
        " :p || 'h' || :n, :p || 'host', :p || ' core', now() from zabbix_servers"
        " where name = :p || 'zbx'",
        "insert into zabbix_problems (server_id, eventid, name, severity, clock, seen_at, hosts)"
        " select id, :p || 'e' || :n, :p || ' link down', 4, now(), now(), :p || 'host'"
        " from zabbix_servers where name = :p || 'zbx'",
        "insert into radio_stations (radio_id, mac, name, seen_at) select id, :mac,"
        " :p || ' cpe', now() from radios where name = :p || 'ap'",
        "insert into usage_daily (customer_id, day, bytes_in, bytes_out, sessions) select id,"
        " current_date, 1000, 2000, 1 from customers where username = :who",
    ):
        s.execute(sa.text(stmt), q)


@pytest.fixture(scope="module")
def world(database_url):
    """Two tenants and the platform's global objects, kept in an outer transaction rolled back
    after the module."""
    from radbill import db
    import staff.functions.users as users
    from werkzeug.security import generate_password_hash
    conn = db.engine(database_url).connect()
    outer = conn.begin()
    s = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    real_hash = users.hash_password
    users.hash_password = lambda pw: generate_password_hash(pw, method="pbkdf2:sha256:1000")
    try:
        root_a = _op(s, fn(s, "operator.edit", sok="ok", name="qqaisp").elid)  # the first group
        root_b = _op(s, fn(s, "operator.edit", sok="ok", name="zzbisp", tenant="yes").elid)
        # the platform's globals (no operator): readable by every tenant
        fn(s, "pool.edit", sok="ok", name="globalpool", cidr="10.53.0.0/24")
        fn(s, "billing_profile.edit", sok="ok", name="globalmonthly")
        fn(s, "package.edit", sok="ok", name="globalhome", rate_down="10M", rate_up="5M",
           price="500", pool="globalpool")
        w = {"A": build_tenant(s, "A", root_a), "B": build_tenant(s, "B", root_b),
             "session": s}
        w["ids"] = {t: owned_ids(s, w[t]["root"].id) for t in "AB"}
        w["theirs"] = {t: their_rows(w, t) for t in "AB"}
        w["bases"] = {t: bases(w, t) for t in "AB"}
        yield w
    finally:
        users.hash_password = real_hash
        s.close()
        outer.rollback()
        conn.close()


def _op(s, elid):
    from radbill.models import Operator
    return s.get(Operator, elid)


@functools.cache
def entities() -> dict[str, Entity]:
    load_all()
    return {e.name: e for e in gc.get_objects() if isinstance(e, Entity)
            and getattr(e, "name", None) in load_all()}


def owned_ids(s: Session, root_id: int) -> dict[str, set[int]]:
    """A tenant's ids by table: its operators, the customers and staff of those, and every row
    of a table with an operator_id or customer_id column that points into them."""
    from radbill.models import Base
    ops = set(s.scalars(sa.text("select id from operators where path like :p"),
                        {"p": f"/{root_id}/%"}))
    out = {"operators": ops}
    out["customers"] = set(s.scalars(sa.text("select id from customers where operator_id = "
                                             "any(:o)"), {"o": list(ops)}))
    out["staff_permissions"] = set(s.scalars(sa.text(
        "select p.id from staff_permissions p join staff_users u on u.id = p.user_id"
        " where u.operator_id = any(:o)"), {"o": list(ops)}))
    for table in Base.metadata.sorted_tables:
        if table.name in out or "id" not in table.c:
            continue
        for col, key in (("operator_id", "operators"), ("customer_id", "customers")):
            if col in table.c:
                out.setdefault(table.name, set()).update(s.scalars(
                    sa.select(table.c.id).where(table.c[col].in_(out[key]))))
    return out


# which table a column naming an id points into
ID_COLUMNS = {"operator_id": "operators", "customer_id": "customers", "user_id": "staff_users",
              "package_id": "packages", "nas_id": "nas", "bill_id": "bills",
              "payment_id": "payments", "complaint_id": "complaints", "pool_id": "ip_pools",
              "zone_id": "zones", "olt_id": "olts", "profile_id": "billing_profiles",
              "billing_profile_id": "billing_profiles", "webhook_id": "webhooks",
              "gateway_id": "payment_gateways", "check_id": "checks", "radio_id": "radios",
              "category_id": "complaint_categories", "department_id": "departments",
              "distributor_id": "staff_users", "parent_id": "operators"}


def leaks(result, t: str, world: dict, table: str | None, asked: str = "") -> list[str]:
    """What of the other tenant's a result shows: its marker anywhere (but in the words the
    caller asked with, `asked`, which an answer may repeat), or one of its ids in a column
    naming an id (and `id` itself for a list of `table`)."""
    other = OTHER[t]
    theirs = world["ids"][other]
    found = []
    text = json.dumps(result.rows if isinstance(result, ListResult) else
                      getattr(result, "values", None) or getattr(result, "extra", None) or {},
                      default=str)
    if isinstance(result, FileResult):
        text = result.data.decode("latin-1")
    if asked:
        text = text.replace(asked, "")
    if MARK[other] in text:
        at = text.index(MARK[other])
        found.append(f"marker {MARK[other]!r} in ...{text[max(0, at - 80):at + 40]}...")
    rows = result.rows if isinstance(result, ListResult) else []
    for row in rows:
        for col, value in row.items():
            tab = table if col in ("id", "parent_id") else ID_COLUMNS.get(col)
            if tab and isinstance(value, int) and value in theirs.get(tab, ()):
                found.append(f"{col}={value} is the other tenant's ({tab}) in {row}")
    return found


# -- every way in: pages, /billmgr, REST, the command line -------------------------------------
# (first in the file: the module's world keeps a transaction open, which would hold up the
# command line test's wipe of what it committed)
@pytest.fixture
def two_isps(dbs, monkeypatch):
    """Tenant A (the first group) and tenant B, each with a group admin, a package and a
    customer, committed inside the admin tests' rolled-back connection."""
    import staff.functions.users as users
    from tests.support.admin_fixtures import fast_hash
    monkeypatch.setattr(users, "hash_password", fast_hash)
    out = {}
    for t, extra in (("A", {}), ("B", {"tenant": "yes"})):
        p = MARK[t] + "w"  # names apart from the module's world, whose transaction is open
        root = _op(dbs, fn(dbs, "operator.edit", sok="ok", name=f"{p}isp", **extra).elid)
        ga = make_user(dbs, login=f"{p}admin", role="group_admin", operator=root.name,
                       password=PASSWORD)
        c = caller_of(dbs, ga)
        fn(dbs, "package.edit", c, sok="ok", name=f"{p}home", rate_down="10M", rate_up="5M",
           price="500")
        cust = fn(dbs, "customer.edit", c, sok="ok", username=f"{p}alice", password="s3cret",
                  package=f"{p}home")
        out[t] = {"root": root, "admin": ga, "customer": cust.elid}
    make_user(dbs, login="root7", role="admin", operator="qqawisp", password=PASSWORD)
    dbs.commit()
    return out


def test_pages_and_billmgr_keep_group_admin_a_out_of_b(two_isps, auth, client):
    b_cust = two_isps["B"]["customer"]
    auth.login("qqawadmin", PASSWORD)
    home = auth.get("/")
    assert home.status_code == 200 and MARK["B"] not in home.get_data(as_text=True)
    for func in ("customer", "package", "operator", "user", "audit", "event"):
        page = auth.get(f"/billmgr?func={func}")
        assert page.status_code == 200, func
        assert MARK["B"] not in page.get_data(as_text=True), func
    assert MARK["A"] in auth.get("/billmgr?func=customer").get_data(as_text=True)
    for path in (f"/billmgr?func=customer.edit&elid={b_cust}",
                 f"/billmgr?func=customer.edit&elid={MARK['B']}walice",
                 f"/billmgr?func=operator.edit&elid={two_isps['B']['root'].id}"):
        assert auth.get(path).status_code == 404, path
    resp = auth.post("/billmgr", {"func": "customer.suspend", "elid": str(b_cust),
                                  "reason": "manual"})
    assert resp.status_code == 404
    # /billmgr by authinfo, as A's group admin and as the system administrator
    def api(login, **params):
        return client.post("/billmgr", data={**params, "out": "json",
                                             "authinfo": f"{login}:{PASSWORD}"},
                           environ_base={"REMOTE_ADDR": "127.0.0.1"})
    resp = api("qqawadmin", func="customer")
    assert resp.status_code == 200 and MARK["B"] not in resp.get_data(as_text=True)
    assert api("qqawadmin", func="customer.disable", elid=str(b_cust)).status_code == 404
    assert api("qqawadmin", func="customer.edit", elid=str(b_cust)).status_code == 404
    both = api("root7", func="customer").get_data(as_text=True)
    assert MARK["A"] in both and MARK["B"] in both


def test_rest_keeps_a_tenant_s_client_out_of_the_other(two_isps, client, dbs):
    from tests.support.api_fixtures import bearer, make_client
    _, token = make_client(dbs, two_isps["A"]["root"], role="group_admin")
    dbs.commit()
    b_cust = two_isps["B"]["customer"]

    def get(path):
        return client.get("/api/v1" + path, headers=bearer(token))
    for res in ("customers", "packages", "operators", "events", "payments", "nas"):
        resp = get(f"/{res}")
        assert resp.status_code == 200, (res, resp.get_data(as_text=True))
        assert MARK["B"] not in resp.get_data(as_text=True), res
    assert MARK["A"] in get("/customers").get_data(as_text=True)
    assert get(f"/customers/{b_cust}").status_code == 404
    assert get(f"/operators/{two_isps['B']['root'].id}").status_code == 404
    resp = client.post(f"/api/v1/customers/{b_cust}/suspend", headers=bearer(token),
                       data=json.dumps({"reason": "manual"}), content_type="application/json")
    assert resp.status_code == 404
    resp = client.delete(f"/api/v1/customers/{b_cust}", headers=bearer(token))
    assert resp.status_code == 404


def test_the_command_line_as_a_tenant_s_group_admin(cli, committed):
    from radbill import db
    with db.session_factory()() as s, s.begin():
        for t, extra in (("A", {}), ("B", {"tenant": "yes"})):
            p = MARK[t] + "c"  # names apart from the module's world, whose transaction is open
            fn(s, "operator.edit", sok="ok", name=f"{p}isp", **extra)
            ga = make_user(s, login=f"{p}admin", role="group_admin", operator=f"{p}isp")
            c = caller_of(s, ga)
            fn(s, "package.edit", c, sok="ok", name=f"{p}home", rate_down="10M", rate_up="5M",
               price="500")
            fn(s, "customer.edit", c, sok="ok", username=f"{p}alice", password="s3cret",
               package=f"{p}home")
    r = cli("call", "customer", "su=qqacadmin", "out=json")
    assert r.returncode == 0, r.stderr
    names = {row["username"] for row in json.loads(r.stdout)["doc"]["elem"]}
    assert names == {"qqacalice"}
    for args in (["customer.edit", "elid=zzbcalice"], ["customer.suspend", "elid=zzbcalice"],
                 ["package.edit", "elid=zzbchome", "sok=ok", "price=1"]):
        r = cli("call", *args, "su=qqacadmin")
        assert r.returncode == 1 and "zzbcisp" not in r.stderr, (args, r.stdout, r.stderr)
    r = cli("call", "customer", "out=json")  # the system administrator sees both
    names = {row["username"] for row in json.loads(r.stdout)["doc"]["elem"]}
    assert names == {"qqacalice", "zzbcalice"}


@pytest.mark.integration
def test_a_global_router_shared_by_tenants_is_neither_s_own(session, ros):
    """The platform's NAS (no operator) used by two tenants: each tenant's group admin sees and
    kicks only its own customers' sessions there and may not push to it; with one group it was
    that group's own (tests/provisioning/test_shared_router.py)."""
    from radbill.functions.registry import AccessDenied
    from tests.support.factories import make, make_customer, make_package
    roots = {t: fn(session, "operator.edit", sok="ok", name=f"{MARK[t]}gisp",
                   **({"tenant": "yes"} if t == "B" else {})).elid for t in "AB"}
    admins = {t: caller_of(session, make_user(session, login=f"{MARK[t]}gadmin",
                                              role="group_admin", operator=roots[t]))
              for t in "AB"}
    make_package(session, name="gshared")
    for t in "AB":
        make_customer(session, admins[t], username=f"{MARK[t]}gcust", package="gshared")
    make(session, "nas", name="gnas", ip="127.0.0.1", secret="testing123", api_user="admin",
         api_password="secret", api_port=ros.port)
    for name, ip in (("qqagcust", "10.0.0.5"), ("zzbgcust", "10.0.0.6"),
                     ("stranger", "10.0.0.8")):
        ros.add("/ppp/active", name=name, service="pppoe", address=ip)
    for t in "AB":
        rows = fn(session, "router.sessions", admins[t], elid="gnas").rows
        assert [r["name"] for r in rows] == [f"{MARK[t]}gcust"]
        with pytest.raises(AccessDenied):
            fn(session, "router.kick", admins[t], elid="gnas",
               username=f"{MARK[OTHER[t]]}gcust")
        with pytest.raises(AccessDenied):
            fn(session, "router.push_profiles", admins[t], elid="gnas")
    names = sorted(r["name"] for r in fn(session, "router.sessions", SYSTEM, elid="gnas").rows)
    assert names == ["qqagcust", "stranger", "zzbgcust"]


def table_of(func: str) -> str | None:
    ent = entities().get(func)
    return ent.model.__tablename__ if ent is not None else None


def run_as(world, caller, func, params):
    """One call in a savepoint rolled back afterwards: the result, or the FuncError."""
    s = world["session"]
    attempt = s.begin_nested()
    try:
        return call(s, caller, func, params)
    except FuncError as exc:
        return exc
    finally:
        attempt.rollback()


LISTS = sorted(n for n, f in load_all().items() if f.kind == "list"
               and not any(p.required for p in f.params))


@pytest.mark.parametrize("func", LISTS)
def test_a_group_admin_lists_nothing_of_the_other_tenant(world, func):
    for t in "AB":
        for who in (world[t]["caller"],):
            result = run_as(world, who, func, {"per_page": "1000"})
            if isinstance(result, FuncError):
                assert result.status in (400, 403, 404), result.message
                continue
            assert not leaks(result, t, world, table_of(func)), (t, func)




# the other tenant's objects as a function's parameter names them: which table
PARAM_TABLES = {"customer": "customers", "package": "packages", "operator": "operators",
                "parent": "operators", "pool": "ip_pools", "fup_pool": "ip_pools",
                "billing_profile": "billing_profiles", "zone": "zones", "nas": "nas",
                "router": "nas", "olt": "olts", "user": "staff_users", "login": "staff_users",
                "manager": "staff_users", "distributor": "staff_users",
                "collector": "staff_users", "collected_by": "staff_users",
                "assignee": "staff_users", "complaint": "complaints",
                "category": "complaint_categories", "department": "departments",
                "gateway": "payment_gateways", "webhook": "webhooks", "check": "checks",
                "radio": "radios", "server": "zabbix_servers", "broadcast": "broadcasts",
                "username": "customers", "users": "customers", "child": "customers",
                "client": "api_clients", "template": "message_templates"}
# nouns whose elid is not an Entity of the same name
NOUN_TABLES = {"broadcast": "broadcasts", "complaint": "complaints", "device": "nas",
               "incident": "incidents", "outbox": "events", "receipt": "payments",
               "router": "nas", "task": "tasks", "noc": "staff_users", "me": "staff_users",
               "collect": "customers", "session": "customers", "usage": "customers",
               "report": "customers", "otp": None,
               "expense": "expenses", "approval": "pending_transactions",
               "btrc": "operators", "permission": "staff_permissions",
               "operator_plan": "operators", "operator_bill": "operator_bills",
               "operator_archive": "operator_archives"}
# functions whose elid names another kind than their noun's
FUNC_TABLES = {"complaint.attachment": "complaint_attachments",
               "approval.threshold": "operators"}


def elid_table(func: str) -> str | None:
    noun = func.split(".")[0]
    if func in FUNC_TABLES:
        return FUNC_TABLES[func]
    ent = entities().get(noun)
    return ent.model.__tablename__ if ent is not None else NOUN_TABLES.get(noun, "?")


def refs(world: dict, t: str, table: str) -> list[str]:
    """A tenant's objects of `table` as a caller could name them: ids, and names (labels)."""
    s = world["session"]
    ids = sorted(world["ids"][t].get(table, ()))[:2]
    out = [str(i) for i in ids]
    ent = next((e for e in entities().values() if e.model.__tablename__ == table), None)
    if ent is not None and ids:
        col = getattr(ent.model, ent.label)
        out += [str(v) for v in s.scalars(sa.select(col).where(ent.model.id.in_(ids)))
                if v is not None][:1]
    if table == "staff_users":
        out += list(s.scalars(sa.text("select login from staff_users where id = any(:i)"),
                              {"i": ids}))[:1]
    return list(dict.fromkeys(out))


def their_rows(world: dict, t: str) -> tuple:
    """Count and newest row version of the other tenant's rows in every table that names an
    operator or a customer (and its operators): any write into B's world changes one."""
    from radbill.models import Base
    s = world["session"]
    root = world[t]["root"].id
    ops = "(select id from operators where path like :p)"
    parts = ["(select count(*) || ':' || coalesce(max(xmin::text::bigint), 0) from operators "
             "where path like :p)"]
    for table in Base.metadata.sorted_tables:
        conds = []
        if "operator_id" in table.c:
            conds.append(f"operator_id in {ops}")
        if "customer_id" in table.c:
            conds.append(f"customer_id in (select id from customers where operator_id in {ops})")
        if conds:
            parts.append(f"(select count(*) || ':' || coalesce(max(xmin::text::bigint), 0) "
                         f'from "{table.name}" where {" or ".join(conds)})')
    return tuple(s.execute(sa.text("select " + ", ".join(parts)), {"p": f"/{root}/%"}).one())


SKIP = ("portal.", "otp.", "payment.confirm")  # customers' and visitors' own, the gateways'
FUNCS = sorted(n for n in load_all() if not n.startswith(SKIP))


def reference_params(func: str) -> list[tuple[str, str]]:
    """(parameter, table) for each parameter of `func` naming an object."""
    out = []
    for p in load_all()[func].params:
        if p.name == "elid":
            out.append(("elid", elid_table(func)))
        elif p.name in PARAM_TABLES:
            out.append((p.name, PARAM_TABLES[p.name]))
    return out


def bases(world: dict, t: str) -> dict[str, dict[str, str]]:
    """A valid call per function for tenant t's group admin (with its own objects), so that
    one of its references swapped for the other tenant's reaches past the other checks."""
    p = MARK[t]
    own = world[t]
    return {
        "customer.edit": {"username": f"{p}new", "password": "s3cret", "package": f"{p}home"},
        "customer.bulk": {"users": f"{p}alice", "field": "zone", "value": f"{p}north"},
        "customer.convert_trial": {"elid": f"{p}alice", "package": f"{p}home"},
        "bill.edit": {"customer": f"{p}alice", "description": "extra", "amount": "10"},
        "bill.preview": {"customer": f"{p}alice"},
        "payment.edit": {"customer": f"{p}alice", "amount": "10", "method": "cash"},
        "payment.link": {"customer": f"{p}alice", "amount": "10"},
        "complaint.edit": {"customer": f"{p}alice", "category": f"{p}outage", "subject": "s",
                           "message": "m", "priority": "high"},
        "complaint.comment": {"complaint": str(own["complaint"]), "body": "b"},
        "complaint.cost": {"complaint": str(own["complaint"]), "description": "d",
                           "amount": "1"},
        "card.generate": {"count": "1", "amount": "10"},
        "user.edit": {"login": f"{p}new", "password": "long-password", "role": "manager",
                      "operator": f"{p}res"},
        "api_client.edit": {"name": f"{p}bot2", "scopes": "customer:read"},
        "package.edit": {"name": f"{p}pkg2", "rate_down": "10M", "rate_up": "5M",
                         "price": "500"},
        "pool.edit": {"name": f"{p}pool2", "cidr": "10.80.0.0/24"},
        "nas.edit": {"name": f"{p}nas2", "ip": "10.99.0.2", "secret": "secret-2"},
        "webhook.edit": {"url": "https://hooks.example.com/x", "events": "payment.*"},
        "broadcast.edit": {"channel": "sms", "body": "Hello", "status": "active"},
        "operator.edit": {"name": f"{p}res2"},
        "operator.fund": {"elid": f"{p}res", "amount": "10"},
        "operator.transfer": {"from": f"{p}isp", "to": f"{p}res", "amount": "1"},
        "package.change": {"customer": f"{p}alice", "package": f"{p}home",
                           "date": "2026-03-01"},
        "package.replace": {"from": f"{p}home", "to": f"{p}home", "proration": "prorate"},
        "pool.replace": {"from": f"{p}pool", "to": f"{p}pool"},
        "template.preview": {"event": "bill.due", "channel": "sms", "customer": f"{p}alice"},
        "zone.edit": {"name": f"{p}south"},
        "billing_profile.edit": {"name": f"{p}weekly"},
        "department.edit": {"name": f"{p}desk2"},
        "complaint_category.edit": {"name": f"{p}cat2", "department": f"{p}desk",
                                    "target_hours": "8"},
        "custom_field.edit": {"name": f"{p}f2", "label": "F", "kind": "text"},
        "walled_garden.edit": {"host": f"{p}2.example.com"},
        "check.edit": {"name": f"{p}c2", "kind": "http", "target": "https://www.example.com/"},
        "radio.edit": {"name": f"{p}ap2", "kind": "airmax", "host": "10.20.0.9",
                       "community": "ro"},
        "zabbix.edit": {"name": f"{p}z2", "url": "https://z.example.net/zabbix",
                        "api_token": "t"},
        "router.kick": {"elid": f"{p}nas", "username": f"{p}alice"},
        "device.traffic": {"kind": "nas", "elid": f"{p}nas"},
        "msg_gateway.edit": {"name": f"{p}sms2", "kind": "bulksmsbd",
                             "sender_id": "8809617000000", "api_key": "k-1"},
        "gateway.edit": {"name": f"{p}gw2", "kind": "bkash", "app_key": "a", "app_secret": "b",
                         "username": "c", "password": "d"},
    }


@pytest.mark.parametrize("func", FUNCS)
def test_a_group_admin_cannot_reach_the_other_tenant_s_objects(world, func):
    fn_ = load_all()[func]
    pairs = reference_params(func)
    assert all(table != "?" for _, table in pairs), \
        f"{func}: say in NOUN_TABLES which table its elid names"
    s = world["session"]
    for t in "AB":
        me, other = world[t]["caller"], OTHER[t]
        before = world["theirs"][other]  # every attempt is rolled back: the same each time
        for name, table in pairs:
            if table is None:
                continue
            variants = [{}] + ([world["bases"][t][func]] if func in world["bases"][t] else [])
            for ref, base, sok in itertools.product(
                    refs(world, other, table), variants,
                    (None, "ok") if fn_.kind == "form" or fn_.changes == "sok" else (None,)):
                if True:
                    params = {**base, name: ref, **({"sok": sok} if sok else {})}
                    attempt = s.begin_nested()
                    try:
                        try:
                            result = call(s, me, func, params)
                        except FuncError as exc:
                            # 502: a device was asked -- only ever one's own (the other's
                            # object is then some other parameter, such as a username)
                            assert exc.status < 500 or exc.status == 502 and name != "elid", \
                                f"{func} {params} as {t}: {exc.message}"
                            # the answer may repeat what was asked, never say more of theirs
                            assert MARK[other] not in exc.message.replace(ref, ""), exc.message
                            continue
                        where = f"{func} {params} as {t}'s group admin"
                        assert not leaks(result, t, world, table_of(func), ref), where
                        assert their_rows(world, other) == before, f"{where} changed their rows"
                    finally:
                        attempt.rollback()


# -- what the other tenant does never changes what one sees ------------------------------------
VOLATILE = ("minute", "hour", "oldest", "oldest_seconds", "next_attempt", "at", "now")


def view(world, caller) -> dict:
    """Every list a group admin can open without arguments, without the columns that move with
    the clock."""
    out = {}
    for func in LISTS:
        result = run_as(world, caller, func, {"per_page": "1000"})
        if isinstance(result, ListResult):
            out[func] = sorted(json.dumps({k: v for k, v in row.items() if k not in VOLATILE},
                                          sort_keys=True, default=str) for row in result.rows)
    return out


def test_what_the_other_tenant_does_changes_nothing_one_sees(world):
    """Reports and counts too: B's new customer (on the platform's global package), its payment,
    bill, suspension, session, reject, complaint and message leave every list of A's as it was
    (and the other way round)."""
    s = world["session"]
    for t in "AB":
        me, other = world[t]["caller"], world[OTHER[t]]["caller"]
        p = MARK[OTHER[t]]
        before = view(world, me)
        attempt = s.begin_nested()
        try:
            fn(s, "customer.edit", other, sok="ok", username=f"{p}more", password="s3cret",
               package="globalhome", mobile="01711000009")
            fn(s, "payment.edit", other, sok="ok", customer=f"{p}more", amount="75",
               method="cash")
            fn(s, "bill.edit", other, sok="ok", customer=f"{p}more", description="x",
               amount="30")
            fn(s, "customer.suspend", other, elid=f"{p}more")
            fn(s, "complaint.edit", other, sok="ok", customer=f"{p}more",
               category=f"{p}outage", subject="s", message="m")
            fn(s, "card.generate", other, count="3", amount="50")
            job_rows(s, OTHER[t], "more", 2)
            s.flush()
            after = view(world, me)
        finally:
            attempt.rollback()
        changed = {f for f in before if before[f] != after.get(f)}
        assert not changed, {f: (before[f], after.get(f)) for f in changed}


# -- the system administrator, tenants, global objects -----------------------------------------
def test_the_system_administrator_sees_both_tenants(world):
    for func in ("customer", "package", "operator", "user", "nas", "payment", "audit"):
        text = json.dumps(run_as(world, SYSTEM, func, {"per_page": "1000"}).rows, default=str)
        assert MARK["A"] in text and MARK["B"] in text, func


def test_only_the_system_administrator_makes_a_tenant(world):
    s = world["session"]
    for t in "AB":
        err = run_as(world, world[t]["caller"], "operator.edit",
                     {"sok": "ok", "name": "rogue", "tenant": "yes"})
        assert isinstance(err, FuncError) and err.status == 403 and "tenant" in err.errors
    err = run_as(world, SYSTEM, "operator.edit",
                 {"sok": "ok", "name": "c", "tenant": "yes", "parent": "qqaisp"})
    assert isinstance(err, FuncError) and "parent" in err.errors
    err = run_as(world, SYSTEM, "operator.edit",
                 {"sok": "ok", "elid": "qqares", "tenant": "yes"})
    assert isinstance(err, FuncError) and "tenant" in err.errors
    attempt = s.begin_nested()
    try:
        made = fn(s, "operator.edit", sok="ok", name="third", tenant="yes")
        op = _op(s, made.elid)
        assert (op.parent_id, op.level, op.path) == (None, "group", f"/{op.id}/")
        # without tenant=yes the system administrator's operator goes under the first group
        under = _op(s, fn(s, "operator.edit", sok="ok", name="fourth").elid)
        assert under.parent_id == world["A"]["root"].id
    finally:
        attempt.rollback()


def test_a_tenant_reads_global_objects_but_never_changes_them(world):
    for t in "AB":
        me = world[t]["caller"]
        names = {r["name"] for r in run_as(world, me, "package", {}).rows}
        assert "globalhome" in names
        for func, params in (("package.edit", {"elid": "globalhome", "sok": "ok",
                                               "price": "1"}),
                             ("pool.edit", {"elid": "globalpool", "sok": "ok",
                                            "name": "mine"}),
                             ("billing_profile.edit", {"elid": "globalmonthly", "sok": "ok",
                                                       "name": "mine"})):
            err = run_as(world, me, func, params)
            assert isinstance(err, FuncError) and err.status == 403, (func, err)
        for func, ref in (("package.delete", "globalhome"), ("pool.delete", "globalpool")):
            result = run_as(world, me, func, {"elid": ref})
            assert isinstance(result, FuncError) and result.status == 403, (func, result)


def test_the_default_operator_is_the_caller_s_own_tenant(world):
    from radbill.functions.crud import isp_name, root_operator, tenant_of
    from radbill.functions.registry import Call
    from radbill import settings
    s = world["session"]
    for t in "AB":
        root = world[t]["root"]
        assert root_operator(Call(s, world[t]["caller"], "x", {})).id == root.id
        res = world[t]["res"]
        assert tenant_of(s, res).id == root.id
    assert root_operator(Call(s, SYSTEM, "x", {})).id == world["A"]["root"].id
    # the install's first group is called by RADBILL_ISP_NAME; a tenant by its own name
    assert isp_name(s, world["A"]["res"]) == settings.get().isp_name
    assert isp_name(s, world["B"]["res"]) == "zzbisp"
    # a receipt of a tenant's own payment is headed by the tenant's name
    for t, name in (("A", settings.get().isp_name), ("B", "zzbisp")):
        rows = run_as(world, world[t]["caller"], "payment.receipt",
                      {"elid": str(world[t]["payment"])}).rows
        assert rows[0]["isp"] == name


def test_a_group_admin_cannot_act_as_the_other_tenant_s_staff(world):
    from radbill.functions.auth import su
    s = world["session"]
    for t in "AB":
        for login in ("admin", "oper", "noc"):
            with pytest.raises(FuncError) as err:
                su(s, world[t]["caller"], f"{MARK[OTHER[t]]}{login}")
            assert err.value.status == 403 and "su" in err.value.errors
        assert su(s, world[t]["caller"], f"{MARK[t]}oper").operator_path.startswith(
            world[t]["caller"].operator_path)


def test_a_tenant_s_check_may_not_aim_at_the_platform_s_private_network(world):
    """The probes run from the platform's network: only the install's own group may aim a check
    at private or loopback addresses; a tenant (another group) is held like a reseller."""
    s = world["session"]
    attempt = s.begin_nested()
    try:
        err = run_as(world, world["B"]["caller"], "check.edit",
                     {"sok": "ok", "name": "zzbpeek", "kind": "tcp", "target": "10.1.2.3:22"})
        assert isinstance(err, FuncError) and "target" in err.errors, err
        made = run_as(world, world["A"]["caller"], "check.edit",
                      {"sok": "ok", "name": "qqacore", "kind": "tcp", "target": "10.1.2.3:22"})
        assert not isinstance(made, FuncError), made
    finally:
        attempt.rollback()

"""Device credentials at rest: an OLT's CLI password and SNMP community, a router's RouterOS API
password and SNMP community are kept Fernet-encrypted (provisioning/device_secrets.py), set
write-only through olt.edit / nas.edit, and never come back: not in lists, forms, pages, CSV
exports, audit rows nor logs. The devices (the SSH OLT and RouterOS API emulators, a real
snmpd) still answer with the decrypted values, also after `radbill db upgrade` moved a database's
plaintext credentials into the encrypted blobs (migration 0031)."""
from __future__ import annotations

import csv
import io
import json

import pytest
import sqlalchemy as sa
from alembic import command

from provisioning import device_secrets, jobs, mikrotik
from provisioning.olt import driver_for, sync
from radbill import db, migrate, settings
from radbill.functions.registry import FuncError, NotFound
from radbill.models import DeviceStatus, Nas, NasSettings, Olt
from rating.gateways import secrets
from tests.admin.test_bangla_pages import untranslated, visible_text
from tests.support.admin_fixtures import PASSWORD, Auth, fast_hash
from tests.support.factories import caller_of, fn, make, make_operator, make_user
from tests.support.routeros_emu import RouterOS, Server
from tests.support.scratch_db import radbill_at, scratch_database
from tests.support.secret_checks import another_key, audit_text, edits, logs  # noqa: F401
from tests.support.secret_checks import row_text
from tests.support.snmp_agent import SnmpAgent
from tests.support.ssh_olt import OltSshServer

pytestmark = pytest.mark.integration

# values no page, word or log line would hold by chance
OLT_PW, OLT_RO = "Olt-Pw-7hq2", "Olt-Ro-3vbn"
API_PW, NAS_RO = "Api-Pw-9f3k", "Nas-Ro-4mzt"
RADIUS_SECRET = "Radius-S3cret-8w"
PLAINTEXT = (OLT_PW, OLT_RO, API_PW, NAS_RO, RADIUS_SECRET)


@pytest.fixture
def olt_ssh():
    s = OltSshServer("vsol.txt", users={"admin": OLT_PW}).start()
    yield s
    s.stop()


@pytest.fixture
def routeros():
    router = RouterOS(users={"admin": API_PW})
    srv = Server(router).start()
    router.port = srv.port
    yield router
    srv.stop()


@pytest.fixture(scope="module")
def agent(tmp_path_factory):
    a = SnmpAgent(tmp_path_factory.mktemp("secrets-snmpd"), community=NAS_RO).start()
    yield a
    a.stop()


def assert_hidden(text: str, where: str) -> None:
    for value in PLAINTEXT:
        assert value not in text, f"{value!r} shown in {where}"


def add_olt(session, olt_ssh, caller=None, **kw) -> Olt:
    params = dict(sok="ok", name="olt-a", brand="vsol", host="127.0.0.1", ssh_port=olt_ssh.port,
                  username="admin", password=OLT_PW, community=OLT_RO)
    elid = fn(session, "olt.edit", *([caller] if caller else []), **{**params, **kw}).elid
    return session.get(Olt, elid)


def add_router(session, routeros, caller=None, **kw) -> Nas:
    params = dict(name="edge", ip="127.0.0.1", secret=RADIUS_SECRET, api_user="admin",
                  api_password=API_PW, api_port=routeros.port, community=NAS_RO)
    return make(session, "nas", *([caller] if caller else []), **{**params, **kw})


# -- OLTs ---------------------------------------------------------------------------------------
def test_an_olts_credentials_are_encrypted_write_only_and_still_work(session, olt_ssh, logs):
    olt = add_olt(session, olt_ssh)
    assert secrets.decrypt(olt.credentials) == {"password": OLT_PW, "community": OLT_RO}
    assert_hidden(row_text(session, "olts"), "the olts table")
    [row] = fn(session, "olt").rows
    assert row["credentials_set"] == ["community", "password"]
    assert "password" not in row and "community" not in row
    assert_hidden(json.dumps(row), "the olt list")
    form = fn(session, "olt.edit", elid=olt.id).values
    assert form["credentials_set"] == ["community", "password"]
    assert_hidden(json.dumps(form), "the olt.edit form")

    # the device is read with the decrypted password
    assert fn(session, "olt.sync", elid=olt.id).rows[0]["ok"] is True
    # empty values keep what is stored; another field changes alone
    fn(session, "olt.edit", elid=olt.id, sok="ok", password="", community="", description="core")
    session.refresh(olt)
    assert secrets.decrypt(olt.credentials) == {"password": OLT_PW, "community": OLT_RO}
    assert fn(session, "olt.sync", elid=olt.id).rows[0]["ok"] is True
    # a new password replaces it (the OLT refuses that one), the right one works again
    fn(session, "olt.edit", elid=olt.id, sok="ok", password="not-the-one")
    failed = fn(session, "olt.sync", elid=olt.id).rows[0]
    assert failed["ok"] is False and "rejected" in failed["error"]
    fn(session, "olt.edit", elid=olt.id, sok="ok", password=OLT_PW)
    assert fn(session, "olt.sync", elid=olt.id).rows[0]["ok"] is True
    # forget= drops one
    fn(session, "olt.edit", elid=olt.id, sok="ok", forget="community")
    session.refresh(olt)
    assert secrets.decrypt(olt.credentials) == {"password": OLT_PW}
    assert fn(session, "olt").rows[0]["credentials_set"] == ["password"]

    olt_edits = edits(session, "olt.edit", "olt")
    assert len(olt_edits) == 5 and olt_edits[0].after["credentials"] == "***"
    assert "credentials" not in olt_edits[1].after  # nothing typed: no change recorded
    assert olt_edits[2].before["credentials"] == olt_edits[2].after["credentials"] == "***"
    assert_hidden(audit_text(session), "the audit log")
    assert_hidden(logs.text, "the logs")
    assert OLT_PW not in repr(sync.access(olt))  # a logged connection object carries none


def test_bad_olt_credentials_are_refused_naming_the_field(session, olt_ssh):
    base = dict(sok="ok", name="olt-b", brand="vsol", host="127.0.0.1", username="admin")
    cases = [({"password": "x" * 129}, "password"), ({"password": "p", "community": "a\x01b"},
                                                      "community"),
             ({"password": "p", "community": "c" * 65}, "community"),
             ({"password": "p", "forget": "token"}, "forget"),
             ({"password": "p", "forget": "password"}, "password"),
             ({}, "password")]  # a CLI OLT needs its password
    for params, field in cases:
        with pytest.raises(FuncError) as err:
            fn(session, "olt.edit", **base, **params)
        assert field in err.value.errors, (params, err.value.errors)
    assert session.scalar(sa.select(sa.func.count()).select_from(Olt)) == 0
    olt = add_olt(session, olt_ssh)
    blob = olt.credentials
    with pytest.raises(FuncError) as err:
        fn(session, "olt.edit", elid=olt.id, sok="ok", password="new", community="c" * 65)
    assert "community" in err.value.errors
    session.refresh(olt)
    assert olt.credentials == blob  # nothing half-written


def test_another_reseller_neither_sees_nor_sets_them(session, olt_ssh, routeros):
    make_operator(session, name="isp-s")
    for name in ("resA", "resB"):
        make_operator(session, name=name, parent="isp-s")
    noc = {n: caller_of(session, make_user(session, login=f"noc-{n}", role="noc", operator=n))
           for n in ("resA", "resB")}
    seller = {n: caller_of(session, make_user(session, login=f"op-{n}", role="operator",
                                              operator=n)) for n in ("resA", "resB")}
    olt = add_olt(session, olt_ssh, noc["resA"])
    nas = add_router(session, routeros, seller["resA"])
    assert fn(session, "olt", noc["resA"]).rows[0]["credentials_set"] == ["community", "password"]
    assert fn(session, "olt", noc["resB"]).rows == []
    assert [r["name"] for r in fn(session, "nas", seller["resB"]).rows] == []
    olt_blob, nas_blob = olt.credentials, session.get(NasSettings, nas.id).credentials
    for func, who, elid, secret in (("olt.edit", noc["resB"], olt.id, "password"),
                                    ("nas.edit", seller["resB"], nas.id, "api_password")):
        for params in ({}, {"sok": "ok", secret: "mine"}, {"sok": "ok", "forget": "community"}):
            with pytest.raises(NotFound):
                fn(session, func, who, elid=elid, **params)
    for func, elid in (("olt.log", olt.id), ("olt.sync", olt.id), ("router.status", nas.id)):
        with pytest.raises(NotFound):
            fn(session, func, noc["resB"], elid=elid)
    session.refresh(olt)
    assert olt.credentials == olt_blob
    assert session.get(NasSettings, nas.id).credentials == nas_blob


# -- routers ------------------------------------------------------------------------------------
def test_a_routers_credentials_are_encrypted_write_only_and_still_work(session, routeros, agent,
                                                                       logs):
    nas = add_router(session, routeros, snmp_port=agent.port)
    s = session.get(NasSettings, nas.id)
    assert secrets.decrypt(s.credentials) == {"api_password": API_PW, "community": NAS_RO}
    assert nas.community is None and nas.secret == RADIUS_SECRET  # FreeRADIUS reads the secret
    assert_hidden(row_text(session, "nas_settings"), "nas_settings")
    [row] = fn(session, "nas").rows
    assert row["credentials_set"] == ["api_password", "community"]
    assert_hidden(json.dumps(row), "the nas list")
    assert_hidden(json.dumps(fn(session, "nas.edit", elid=nas.id).values), "the nas.edit form")

    # the RouterOS API, the daily API check and the SNMP poll use the decrypted values
    assert fn(session, "router.status", elid="edge").rows[0]["version"]
    assert jobs.check_router_apis(session)[0]["ok"] is True
    [polled] = jobs.poll_devices(session)
    assert polled["up"] is True and session.get(DeviceStatus, ("nas", nas.id)).up
    fn(session, "nas.edit", elid=nas.id, sok="ok", api_password="", community="",
       description="edge router")
    assert fn(session, "router.status", elid="edge").rows[0]["version"]
    fn(session, "nas.edit", elid=nas.id, sok="ok", api_password="wrong-one")
    with pytest.raises(FuncError, match="rejected") as err:
        fn(session, "router.status", elid="edge")
    assert err.value.status == 502
    fn(session, "nas.edit", elid=nas.id, sok="ok", api_password=API_PW, forget="community")
    assert fn(session, "router.status", elid="edge").rows[0]["version"]
    assert jobs.poll_devices(session) == []  # no community: not polled
    assert fn(session, "nas").rows[0]["credentials_set"] == ["api_password"]

    nas_edits = edits(session, "nas.edit", "nas")
    assert nas_edits[0].after["credentials"] == "***" and nas_edits[0].after["secret"] == "***"
    assert nas_edits[0].after["api_user"] == "admin"  # the settings row is audited with the nas
    assert "credentials" not in nas_edits[1].after
    assert_hidden(audit_text(session), "the audit log")
    assert_hidden(logs.text, "the logs")
    router = device_secrets.router(nas.nasname, s, 5)
    assert API_PW not in repr(router) and API_PW not in repr(sync.Access("h", password=API_PW))


def test_bad_router_credentials_are_refused_naming_the_field(session, routeros):
    nas = add_router(session, routeros)
    blob = session.get(NasSettings, nas.id).credentials
    for params, field in (({"api_password": "p" * 129}, "api_password"),
                          ({"community": "bad\x07bell"}, "community"),
                          ({"forget": "secret"}, "forget"),
                          ({"community": "x", "forget": "community"}, "community")):
        with pytest.raises(FuncError) as err:
            fn(session, "nas.edit", elid=nas.id, sok="ok", **params)
        assert field in err.value.errors, (params, err.value.errors)
    assert session.get(NasSettings, nas.id).credentials == blob


def test_a_changed_key_says_to_enter_them_again(session, olt_ssh, routeros, monkeypatch):
    olt = add_olt(session, olt_ssh)
    add_router(session, routeros)
    with another_key(monkeypatch):
        assert fn(session, "olt").rows[0]["credentials_set"] == [device_secrets.UNREADABLE]
        result = fn(session, "olt.sync", elid=olt.id).rows[0]
        assert result["ok"] is False and "enter them again" in result["error"]
        with pytest.raises(FuncError, match="enter them again") as err:
            fn(session, "router.status", elid="edge")
        assert err.value.field == "api_password"
        [api] = jobs.check_router_apis(session)
        assert api["ok"] is False and "enter them again" in api["error"]
        # entering them again under the new key recovers
        fn(session, "olt.edit", elid=olt.id, sok="ok", password=OLT_PW, community=OLT_RO)
        assert fn(session, "olt.sync", elid=olt.id).rows[0]["ok"] is True
        fn(session, "nas.edit", elid="edge", sok="ok", api_password=API_PW)
        assert fn(session, "router.status", elid="edge").rows[0]["version"]


# -- pages and exports --------------------------------------------------------------------------
def test_pages_forms_and_csv_exports_never_show_them(world, auth, olt_ssh, routeros):
    olt = add_olt(world.dbs, olt_ssh, operator="isp")
    nas = add_router(world.dbs, routeros, operator="isp")
    world.dbs.commit()
    auth.login("gadmin")
    for path in (f"/devices/olt/{olt.id}", f"/devices/nas/{nas.id}", "/devices/",
                 "/billmgr?func=olt", "/billmgr?func=nas", f"/billmgr?func=olt.edit&elid={olt.id}",
                 f"/billmgr?func=nas.edit&elid={nas.id}", "/billmgr?func=audit"):
        resp = auth.get(path)
        assert resp.status_code == 200, path
        assert_hidden(resp.get_data(as_text=True), path)
    form = auth.get(f"/billmgr?func=olt.edit&elid={olt.id}").get_data(as_text=True)
    assert 'type="password"' in form and 'name="forget"' in form
    for func, names in (("olt", '["community", "password"]'),
                        ("nas", '["api_password", "community"]')):
        resp = auth.get(f"/export.csv?func={func}")
        assert resp.status_code == 200
        body = resp.get_data(as_text=True)
        assert_hidden(body, f"/export.csv?func={func}")
        [row] = list(csv.DictReader(io.StringIO(body)))
        assert row["credentials_set"] == names
    # the form posted with its password boxes left empty keeps the credentials
    resp = auth.post("/billmgr", {"func": "olt.edit", "elid": str(olt.id), "sok": "ok",
                                  "password": "", "community": "", "description": "north"})
    assert resp.status_code in (200, 302)
    world.dbs.expire_all()
    assert secrets.decrypt(world.dbs.get(Olt, olt.id).credentials)["password"] == OLT_PW
    assert world.dbs.get(Olt, olt.id).description == "north"


def test_the_edit_forms_in_bangla(world, auth, olt_ssh, routeros):
    olt = add_olt(world.dbs, olt_ssh)
    nas = add_router(world.dbs, routeros)
    world.dbs.commit()
    auth.login("gadmin")
    ours = {"Forget credentials", "write-only", "empty keeps it", "credentials to drop",
            "SNMP community", "Password", "API password"}
    for path in (f"/billmgr?func=olt.edit&elid={olt.id}&lang=bn",
                 f"/billmgr?func=nas.edit&elid={nas.id}&lang=bn"):
        page = auth.get(path).get_data(as_text=True)
        # the forms' other labels (Edit, NAS, OLT...) are not all in Bangla yet; these are
        assert not [p for p in untranslated(page) if any(o in p for o in ours)], path
        text = visible_text(page)
        assert "প্রবেশের তথ্য মুছে ফেলুন" in text and "খালি রাখলে আগেরটি থাকে" in text
        assert "write-only" not in text and "Forget" not in text
        assert_hidden(page, path)


@pytest.fixture
def replica_app(committed, routeros, monkeypatch):
    """The admin app on committed data with RADBILL_REPLICA_URL set: a replica's read-only
    transaction (here on the primary itself) for reports and exports."""
    import staff.functions.users as users
    from admin import create_app
    monkeypatch.setattr(users, "hash_password", fast_hash)
    with db.session_scope() as s:
        make_operator(s, name="isp-r")
        make_user(s, login="noc-r", role="noc", operator="isp-r", password=PASSWORD)
        nas_id = add_router(s, routeros).id
    routeros.log("pppoe-alice: connected", "pppoe,info", "09:00:00")
    monkeypatch.setenv("RADBILL_REPLICA_URL", str(committed.url.render_as_string(
        hide_password=False)))
    settings.get.cache_clear()
    yield create_app({"TESTING": True, "SECRET_KEY": "test", "AUTHINFO_NETWORKS": ""}), nas_id
    monkeypatch.delenv("RADBILL_REPLICA_URL")
    settings.get.cache_clear()


def test_export_refuses_a_list_that_audits_its_reads_when_reading_the_replica(replica_app):
    app, nas_id = replica_app
    auth = Auth(app.test_client())
    auth.login("noc-r")
    resp = auth.get(f"/export.csv?func=router.log&elid={nas_id}")
    assert resp.status_code == 409
    assert "audit log" in resp.get_data(as_text=True)
    ok = auth.get("/export.csv?func=nas")  # a list that only reads still comes from the replica
    assert ok.status_code == 200 and "edge" in ok.get_data(as_text=True)
    assert_hidden(ok.get_data(as_text=True), "/export.csv?func=nas on the replica")
    page = auth.get(f"/devices/nas/{nas_id}/logs.csv")  # the router's own download works
    assert page.status_code == 200 and "pppoe-alice" in page.get_data(as_text=True)


# -- the upgrade of a database with plaintext credentials ----------------------------------------
def plaintext_rows(url: str, olt_port: int, api_port: int) -> None:
    """An OLT and a router as a radbill from before migration 0031 kept them."""
    with db.engine(url).begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO olts (name, brand, host, ssh_port, username, password, community) "
            "VALUES ('olt-old', 'vsol', '127.0.0.1', :p, 'admin', :pw, :ro)"),
            {"p": olt_port, "pw": OLT_PW, "ro": OLT_RO})
        nas_id = conn.scalar(sa.text(
            "INSERT INTO nas (nasname, shortname, type, secret, community) "
            "VALUES ('127.0.0.1', 'edge-old', 'mikrotik', :s, :ro) RETURNING id"),
            {"s": RADIUS_SECRET, "ro": NAS_RO})
        conn.execute(sa.text(
            "INSERT INTO nas_settings (nas_id, api_user, api_password, api_port, snmp_port) "
            "VALUES (:i, 'admin', :pw, :p, :sp)"),
            {"i": nas_id, "pw": API_PW, "p": api_port, "sp": 161})


def test_db_upgrade_encrypts_plaintext_credentials_and_the_devices_still_answer(
        database_url, olt_ssh, routeros, agent):
    with scratch_database(database_url, "secrets") as url:
        migrate.upgrade(url, "0030")
        plaintext_rows(url, olt_ssh.port, routeros.port)
        r = radbill_at(url, "db", "upgrade")
        assert r.returncode == 0, r.stderr
        assert_hidden(r.stdout + r.stderr, "radbill db upgrade's output")
        with db.engine(url).connect() as conn:
            columns = set(conn.execute(sa.text(
                "SELECT table_name || '.' || column_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND table_name IN ('olts', 'nas_settings')"))
                .scalars())
        assert {"olts.credentials", "nas_settings.credentials"} <= columns
        assert not columns & {"olts.password", "olts.community", "nas_settings.api_password"}
        with db.session_factory(url)() as s:
            for table in ("olts", "nas_settings"):
                assert_hidden(row_text(s, table), table)
            assert s.scalar(sa.text("SELECT community FROM nas")) is None
            olt = s.scalars(sa.select(Olt)).one()
            settings_row = s.scalars(sa.select(NasSettings)).one()
            assert secrets.decrypt(olt.credentials) == {"password": OLT_PW, "community": OLT_RO}
            assert secrets.decrypt(settings_row.credentials) == {"api_password": API_PW,
                                                                 "community": NAS_RO}
            # the devices answer with what was decrypted
            assert driver_for("vsol", sync.access(olt)).onus(False)
            router = device_secrets.router("127.0.0.1", settings_row, 5)
            assert mikrotik.resources(router).version
            [polled] = [r for r in jobs.poll_devices(s, nas_snmp_port=agent.port, timeout=0.5)
                        if r["kind"] == "nas"]
            assert polled["up"] is True
            s.rollback()
        # a second upgrade changes nothing, and the schema agrees with the models
        r = radbill_at(url, "db", "upgrade")
        assert r.returncode == 0, r.stderr
        with db.session_factory(url)() as s:
            assert secrets.decrypt(s.scalars(sa.select(Olt)).one().credentials)["password"] \
                == OLT_PW
        r = radbill_at(url, "db", "check")
        assert (r.returncode, r.stderr) == (0, "")


def test_a_community_a_stock_tool_writes_into_nas_is_moved_on_upgrade(database_url, routeros):
    with scratch_database(database_url, "secrets2") as url:
        migrate.upgrade(url)
        with db.engine(url).begin() as conn:
            conn.execute(sa.text("INSERT INTO nas (nasname, shortname, secret, community) "
                                 "VALUES ('10.9.9.9', 'daloradius-made', 's3', :ro)"),
                         {"ro": NAS_RO})
        migrate.upgrade(url)
        with db.session_factory(url)() as s:
            assert s.scalar(sa.text("SELECT community FROM nas")) is None
            assert secrets.decrypt(s.scalars(sa.select(NasSettings)).one().credentials) == \
                {"community": NAS_RO}


def test_alembic_alone_refuses_to_drop_credentials_it_cannot_encrypt(database_url, olt_ssh,
                                                                     routeros):
    with scratch_database(database_url, "secrets3") as url:
        migrate.upgrade(url, "0030")
        plaintext_rows(url, olt_ssh.port, routeros.port)
        with pytest.raises(RuntimeError, match="radbill db upgrade"):
            command.upgrade(migrate.alembic_config(url), "0031")
        with db.engine(url).connect() as conn:  # rolled back: the plaintext is still there
            assert conn.scalar(sa.text("SELECT password FROM olts")) == OLT_PW
            assert conn.scalar(sa.text("SELECT version_num FROM alembic_version")) == "0030"

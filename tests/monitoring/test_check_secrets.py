"""An SNMP status check's community at rest (migration 0032): kept Fernet-encrypted in
`checks.credentials` (provisioning/device_secrets.py, as the devices' are), set write-only
through check.edit (an empty value keeps it, `forget=community` drops it, an snmp check needs
one), never shown back: not in the list, the form, the API's answers, pages, CSV exports, audit
rows nor logs. The probe still reaches a real snmpd with the decrypted community, also after
`radbill db upgrade` moved a database's plaintext `checks.community` into the blob; a second
reseller neither reads nor changes it."""
from __future__ import annotations

import csv
import io
import json

import pytest
import sqlalchemy as sa
from alembic import command

from monitoring import checks
from radbill import db, migrate
from radbill.functions.registry import FuncError, NotFound
from radbill.models import Check, CheckResult
from rating.gateways import secrets
from tests.admin.test_bangla_pages import untranslated, visible_text
from tests.support.factories import caller_of, fn
from tests.support.scratch_db import radbill_at, scratch_database
from tests.support.secret_checks import another_key, audit_text, edits, logs  # noqa: F401
from tests.support.secret_checks import row_text
from tests.support.snmp_agent import SnmpAgent

pytestmark = pytest.mark.integration

COMMUNITY = "Chk-Ro-6tpz"  # no page, word or log line holds it by chance


@pytest.fixture(scope="module")
def agent(tmp_path_factory):
    a = SnmpAgent(tmp_path_factory.mktemp("check-secrets-snmpd"), community=COMMUNITY).start()
    yield a
    a.stop()


def assert_hidden(text: str, where: str) -> None:
    assert COMMUNITY not in text, f"the community is shown in {where}"


def add_check(session, agent, caller=None, **kw) -> Check:
    params = dict(sok="ok", name="core snmp", kind="snmp", target=f"127.0.0.1:{agent.port}",
                  timeout="1", community=COMMUNITY)
    elid = fn(session, "check.edit", *([caller] if caller else []), **{**params, **kw}).elid
    return session.get(Check, elid)


def run(session, check: Check) -> Check:
    fn(session, "check.run", elid=str(check.id))
    session.refresh(check)
    return check


def test_the_community_is_encrypted_write_only_and_the_probe_still_works(session, tree, agent,
                                                                        logs):
    isp, a, b, ua, ub, noc = tree
    check = add_check(session, agent, noc)  # the ISP's own: it may watch 127.0.0.1
    assert secrets.decrypt(check.credentials) == {"community": COMMUNITY}
    assert_hidden(row_text(session, "checks"), "the checks table")
    [row] = fn(session, "check", noc).rows
    assert row["credentials_set"] == ["community"] and "community" not in row
    assert_hidden(json.dumps(row), "the check list")
    form = fn(session, "check.edit", noc, elid=check.id)  # without sok: the API's form answer
    assert form.values["credentials_set"] == ["community"] and "community" not in form.values
    assert_hidden(json.dumps(form.values, default=str), "the check.edit form")

    # the probe asks the real snmpd with the decrypted community
    assert checks.spec_of(check, "group").community == COMMUNITY
    assert run(session, check).state == "up", check.last_error
    # an empty value keeps it while another field changes
    fn(session, "check.edit", noc, elid=check.id, sok="ok", community="", name="core agent")
    session.refresh(check)
    assert check.name == "core agent"
    assert secrets.decrypt(check.credentials) == {"community": COMMUNITY}
    assert run(session, check).last_error is None
    # a new one replaces it (the agent refuses that one), the right one works again
    fn(session, "check.edit", noc, elid=check.id, sok="ok", community="not-the-one")
    session.refresh(check)
    assert secrets.decrypt(check.credentials) == {"community": "not-the-one"}
    assert "SNMP" in (run(session, check).last_error or "")
    fn(session, "check.edit", noc, elid=check.id, sok="ok", community=COMMUNITY)
    assert run(session, check).last_error is None and check.streak == 0
    # an snmp check needs one: forgetting it is refused, nothing changes
    with pytest.raises(FuncError) as err:
        fn(session, "check.edit", noc, elid=check.id, sok="ok", forget="community")
    assert err.value.field == "community"
    session.refresh(check)
    assert secrets.decrypt(check.credentials) == {"community": COMMUNITY}
    # a check that is not snmp any more may drop it
    fn(session, "check.edit", noc, elid=check.id, sok="ok", kind="tcp", forget="community")
    session.refresh(check)
    assert check.credentials is None and fn(session, "check", noc).rows[0]["credentials_set"] == []
    assert checks.spec_of(check, "group").community is None

    check_edits = edits(session, "check.edit", "check")
    assert len(check_edits) == 5
    assert check_edits[0].after["credentials"] == "***" and "community" not in check_edits[0].after
    assert "credentials" not in check_edits[1].after  # nothing typed: no change recorded
    assert check_edits[2].before["credentials"] == check_edits[2].after["credentials"] == "***"
    assert check_edits[4].after["credentials"] is None
    assert all("community=%2A%2A%2A" in e.request or "community=***" in e.request
               for e in check_edits[:4] if "community=" in e.request)
    assert_hidden(audit_text(session), "the audit log")
    assert_hidden(row_text(session, "check_results"), "the check results")
    assert_hidden(row_text(session, "checks"), "the checks table")
    assert_hidden(logs.text, "the logs")


def test_bad_communities_are_refused_naming_the_field(session, tree, agent):
    isp, a, b, ua, ub, noc = tree
    base = dict(sok="ok", name="agent", kind="snmp", target=f"127.0.0.1:{agent.port}")
    for params, field in (({}, "community"),  # an snmp check needs one
                          ({"community": "two words"}, "community"),
                          ({"community": "c" * 65}, "community"),
                          ({"community": "bad\x07bell"}, "community"),
                          ({"community": "x", "forget": "token"}, "forget"),
                          ({"community": "x", "forget": "community"}, "community")):
        with pytest.raises(FuncError) as err:
            fn(session, "check.edit", noc, **base, **params)
        assert field in err.value.errors, (params, err.value.errors)
    assert session.scalar(sa.select(sa.func.count()).select_from(Check)) == 0  # nothing written
    check = add_check(session, agent, noc)
    blob = check.credentials
    with pytest.raises(FuncError) as err:
        fn(session, "check.edit", noc, elid=check.id, sok="ok", community="c" * 65,
           name="renamed")
    assert "community" in err.value.errors
    session.refresh(check)
    assert check.credentials == blob and check.name == "core snmp"  # nothing half-written


def test_another_reseller_neither_reads_nor_changes_it(session, tree):
    isp, a, b, ua, ub, noc = tree
    cid = fn(session, "check.edit", ua, sok="ok", name="A's agent", kind="snmp",
             target="snmp.example.com:161", community=COMMUNITY).elid
    blob = session.get(Check, cid).credentials
    assert fn(session, "check", ua).rows[0]["credentials_set"] == ["community"]
    assert fn(session, "check", ub).rows == []
    for params in ({}, {"sok": "ok", "community": "mine now"}, {"sok": "ok", "forget": "community"},
                   {"sok": "ok", "kind": "tcp", "forget": "community"}):
        with pytest.raises(NotFound):
            fn(session, "check.edit", ub, elid=cid, **params)
    with pytest.raises(FuncError):
        fn(session, "check.run", ub, elid=str(cid))
    assert session.get(Check, cid).credentials == blob
    assert session.scalar(sa.select(sa.func.count()).select_from(CheckResult)) == 0
    # the ISP's NOC above both sees that one is set, never the value
    [row] = [r for r in fn(session, "check", noc).rows if r["id"] == cid]
    assert row["credentials_set"] == ["community"]
    assert_hidden(json.dumps(fn(session, "check.edit", noc, elid=cid).values, default=str),
                  "the ISP's check.edit form")


def test_a_changed_key_fails_the_check_until_the_community_is_entered_again(
        session, tree, agent, monkeypatch):
    isp, a, b, ua, ub, noc = tree
    check = add_check(session, agent, noc)
    with another_key(monkeypatch):
        assert fn(session, "check", noc).rows[0]["credentials_set"] == ["unreadable"]
        assert "enter them again" in run(session, check).last_error  # one check, no crash
        assert check.streak == 1 and check.last_ms is None  # failed without asking snmpd
        with pytest.raises(FuncError) as err:  # kept as it is, it has no community
            fn(session, "check.edit", noc, elid=check.id, sok="ok", name="renamed")
        assert err.value.field == "community"
        fn(session, "check.edit", noc, elid=check.id, sok="ok", community=COMMUNITY)
        assert run(session, check).last_error is None


# -- pages and exports --------------------------------------------------------------------------
def test_pages_forms_csv_and_audit_never_show_it(world, auth, dbs, agent):
    check = add_check(dbs, agent, caller_of(dbs, world.group_admin), operator="isp")
    dbs.commit()
    auth.login("gadmin")
    for path in ("/billmgr?func=check", f"/billmgr?func=check.edit&elid={check.id}",
                 "/billmgr?func=audit", "/billmgr?func=check&out=json",
                 f"/billmgr?func=check.edit&elid={check.id}&out=json"):
        resp = auth.get(path)
        assert resp.status_code == 200, path
        assert_hidden(resp.get_data(as_text=True), path)
    form = auth.get(f"/billmgr?func=check.edit&elid={check.id}").get_data(as_text=True)
    assert 'type="password"' in form and 'name="forget"' in form
    resp = auth.get("/export.csv?func=check")
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert_hidden(body, "/export.csv?func=check")
    [row] = list(csv.DictReader(io.StringIO(body)))
    assert row["credentials_set"] == '["community"]'
    # the form posted with its password box left empty keeps the community
    resp = auth.post("/billmgr", {"func": "check.edit", "elid": str(check.id), "sok": "ok",
                                  "community": "", "component": "Core"})
    assert resp.status_code in (200, 302)
    dbs.expire_all()
    stored = dbs.get(Check, check.id)
    assert stored.component == "Core"
    assert secrets.decrypt(stored.credentials) == {"community": COMMUNITY}
    # in Bangla, the write-only help and the forget field are translated
    page = auth.get(f"/billmgr?func=check.edit&elid={check.id}&lang=bn").get_data(as_text=True)
    ours = {"Forget credentials", "write-only", "empty keeps it", "credentials to drop",
            "SNMP community"}
    assert not [p for p in untranslated(page) if any(o in p for o in ours)]
    text = visible_text(page)
    assert "খালি রাখলে আগেরটি থাকে" in text and "যে প্রবেশের তথ্য মুছবেন" in text
    assert "write-only" not in text and "credentials to drop" not in text
    assert_hidden(page, "the Bangla form")


# -- the upgrade of a database holding plaintext communities -------------------------------------
def plaintext_check(url: str, port: int) -> None:
    """An ISP's snmp check as a radbill from before migration 0032 kept it."""
    with db.engine(url).begin() as conn:
        isp = conn.scalar(sa.text("INSERT INTO operators (name, level) VALUES ('isp-old', "
                                  "'group') RETURNING id"))
        conn.execute(sa.text("INSERT INTO checks (operator_id, name, kind, target, timeout, "
                             "community) VALUES (:o, 'old agent', 'snmp', :t, 1, :c)"),
                     {"o": isp, "t": f"127.0.0.1:{port}", "c": COMMUNITY})


def test_db_upgrade_encrypts_a_plaintext_community_and_the_probe_still_answers(
        database_url, agent):
    with scratch_database(database_url, "checksecrets") as url:
        migrate.upgrade(url, "0031")
        plaintext_check(url, agent.port)
        r = radbill_at(url, "db", "upgrade")
        assert r.returncode == 0, r.stderr
        assert_hidden(r.stdout + r.stderr, "radbill db upgrade's output")
        with db.engine(url).connect() as conn:
            columns = set(conn.execute(sa.text(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND table_name = 'checks'")).scalars())
        assert "credentials" in columns and "community" not in columns
        with db.session_factory(url)() as s:
            assert_hidden(row_text(s, "checks"), "the checks table")
            check = s.scalars(sa.select(Check)).one()
            assert secrets.decrypt(check.credentials) == {"community": COMMUNITY}
            assert checks.run_due(s, ids=[check.id]).failed == 0  # snmpd answers it
            assert check.state == "up", check.last_error
            s.rollback()
        # a second upgrade changes nothing, and the schema agrees with the models
        r = radbill_at(url, "db", "upgrade")
        assert r.returncode == 0, r.stderr
        with db.session_factory(url)() as s:
            assert secrets.decrypt(s.scalars(sa.select(Check)).one().credentials) == \
                {"community": COMMUNITY}
        r = radbill_at(url, "db", "check")
        assert (r.returncode, r.stderr) == (0, "")
        # the downgrade brings the column back empty (it cannot decrypt)
        command.downgrade(migrate.alembic_config(url), "0031")
        with db.engine(url).connect() as conn:
            assert conn.scalar(sa.text("SELECT community FROM checks")) is None


def test_alembic_alone_refuses_to_drop_communities_it_cannot_encrypt(database_url, agent):
    with scratch_database(database_url, "checksecrets2") as url:
        migrate.upgrade(url, "0031")
        plaintext_check(url, agent.port)
        with pytest.raises(RuntimeError, match="radbill db upgrade"):
            command.upgrade(migrate.alembic_config(url), "0032")
        with db.engine(url).connect() as conn:  # rolled back: the plaintext is still there
            assert conn.scalar(sa.text("SELECT community FROM checks")) == COMMUNITY
            assert conn.scalar(sa.text("SELECT version_num FROM alembic_version")) == "0031"

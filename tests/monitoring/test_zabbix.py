"""Zabbix as the NOC uses it (issue 18): one run of the job brings the emulator's hosts and
problems in, a problem resolved in Zabbix is gone after the next run, the API token is
write-only, a URL cannot be aimed at the database or the cloud's metadata, a reseller sees
only its subtree's servers and problems, a refused sync keeps the last state and says why."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from monitoring import noc_jobs
from radbill.functions.registry import AccessDenied, FuncError, NotFound
from radbill.models import AuditLog, ZabbixProblem, ZabbixServer
from tests.support.factories import fn, make_operator
from tests.support.zabbix_emu import ZabbixEmulator

TOKEN = "b2f9" * 16


@pytest.fixture
def emu():
    with ZabbixEmulator(TOKEN) as z:
        z.add_host("10084", "Core router", "1")
        z.add_host("10085", "OLT Mirpur", "2", "SNMP agent timeout")
        z.add_problem("501", "OLT Mirpur is unreachable", 4, "10085")
        z.add_problem("502", "High CPU on core", 2, "10084")
        yield z


def add_server(session, emu, caller=None, **kw):
    from radbill.functions.caller import SYSTEM
    kw.setdefault("name", "zbx")
    kw.setdefault("url", f"{emu.url}/zabbix")
    kw.setdefault("api_token", TOKEN)
    return fn(session, "zabbix.edit", caller or SYSTEM, sok="ok", **kw).elid


def test_problems_appear_after_one_sync_and_a_resolved_one_disappears(session, tree, emu):
    isp, a, b, ua, ub, noc = tree
    add_server(session, emu, operator="isp")
    assert noc_jobs.zabbix_job(session, dt.date(2026, 12, 2)) == "synced 1, failed 0"
    rows = fn(session, "zabbix_problem", noc).rows
    assert [(r["name"], r["severity_name"], r["hosts"]) for r in rows] == [
        ("OLT Mirpur is unreachable", "high", "OLT Mirpur"),
        ("High CPU on core", "warning", "Core router")]
    hosts = {r["name"]: r for r in fn(session, "zabbix_host", noc).rows}
    assert hosts["OLT Mirpur"]["available"] == "unavailable"
    assert hosts["OLT Mirpur"]["error"] == "SNMP agent timeout"
    assert hosts["Core router"]["available"] == "available"
    emu.resolve("501")
    noc_jobs.zabbix_job(session, dt.date(2026, 12, 2))
    assert [r["name"] for r in fn(session, "zabbix_problem", noc).rows] == ["High CPU on core"]
    assert emu.violations == []
    assert {"host.get", "problem.get", "event.get", "apiinfo.version"} <= set(emu.methods)
    for seen in emu.requests_to("/zabbix/api_jsonrpc.php"):
        assert seen.json["jsonrpc"] == "2.0" and "auth" not in seen.json
        if seen.json["method"] != "apiinfo.version":
            assert seen.headers["Authorization"] == f"Bearer {TOKEN}"
    server = session.scalars(sa.select(ZabbixServer)).one()
    assert server.version == emu.version and server.last_error is None
    audits = session.scalars(sa.select(AuditLog).where(AuditLog.func == "zabbix_sync")).all()
    assert len(audits) == 2 and audits[0].actor == "scheduler" and audits[0].after["ok"]


def test_the_job_runs_from_the_command_line(committed, cli, emu):
    with Session(committed) as s, s.begin():
        make_operator(s, name="isp")
        add_server(s, emu)
    out = cli("job", "run", "zabbix_sync")
    assert out.returncode == 0, out.stderr
    with Session(committed) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(ZabbixProblem)) == 2


def test_the_token_is_write_only(session, tree, emu):
    elid = add_server(session, emu)
    [row] = fn(session, "zabbix").rows
    assert row["token_set"] is True and TOKEN not in repr(row)
    form = fn(session, "zabbix.edit", elid=str(elid)).values
    assert TOKEN not in repr(form)
    fn(session, "zabbix.edit", sok="ok", elid=str(elid), name="zbx2")  # no token: kept
    assert noc_jobs.sync_server(session, session.get(ZabbixServer, elid))["ok"]
    for audit in session.scalars(sa.select(AuditLog).where(AuditLog.object_type == "zabbix")):
        assert TOKEN not in repr((audit.before, audit.after, audit.request))
    with pytest.raises(FuncError) as err:
        fn(session, "zabbix.edit", sok="ok", name="other", url="https://zbx.example.net")
    assert err.value.field == "api_token"


@pytest.mark.parametrize("bad, why", [
    ("postgresql://127.0.0.1:5432/radbill", "http"),
    ("http://127.0.0.1:5432/", "database"),
    ("http://db.example.net:6432/zabbix", "database"),
    ("http://admin:pw@zbx.example.net/", "password"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://0.0.0.0:8080/", "link-local"),
    ("file:///etc/passwd", "http"),
    ("http://zbx.example.net/?x=1", "query"),
    ("http://zbx.example.net/\x00", "NUL"),
    ("http://zbx.example.net/a b", "spaces"),
    ("javascript:alert(1)", "http"),
])
def test_the_url_cannot_point_at_the_database_or_metadata(session, tree, bad, why):
    with pytest.raises(FuncError) as err:
        fn(session, "zabbix.edit", sok="ok", name="z", url=bad, api_token="t")
    assert err.value.field == "url" and why in err.value.errors["url"]


def test_a_reseller_sees_and_syncs_only_its_own(session, tree, emu):
    isp, a, b, ua, ub, noc = tree
    for target in ("http://10.1.2.3/zabbix", "http://127.0.0.1/zabbix", "http://[::1]/"):
        with pytest.raises(FuncError) as err:
            add_server(session, emu, ua, url=target)
        assert err.value.field == "url" and "private or loopback" in err.value.errors["url"]
    # a name resolving to loopback passes the save and is refused when asked
    mine = add_server(session, emu, ua, name="mine", url=f"{emu.url.replace('127.0.0.1', 'localhost')}/zabbix")
    with pytest.raises(FuncError) as err:
        fn(session, "zabbix.sync", ua, elid=str(mine))
    assert "loopback" in err.value.message and not emu.seen
    theirs = add_server(session, emu, name="isp-zbx", operator="isp")
    fn(session, "zabbix.sync", noc, elid=str(theirs))
    assert len(fn(session, "zabbix_problem", noc).rows) == 2
    assert fn(session, "zabbix_problem", ua).rows == []
    assert fn(session, "zabbix_problem", ub).rows == []
    assert [r["name"] for r in fn(session, "zabbix", ua).rows] == ["mine"]
    assert fn(session, "zabbix", ub).rows == []
    with pytest.raises(NotFound):
        fn(session, "zabbix.sync", ub, elid=str(theirs))
    with pytest.raises(NotFound):
        fn(session, "zabbix.edit", ub, sok="ok", elid=str(mine), name="stolen")
    with pytest.raises(AccessDenied):
        add_server(session, emu, ua, name="sneaky", operator="resB", url="https://z.example.net")


def test_a_refused_sync_keeps_the_last_state_and_says_why(session, tree, emu):
    elid = add_server(session, emu)
    server = session.get(ZabbixServer, elid)
    assert noc_jobs.sync_server(session, server)["ok"]
    emu.token = "another"
    outcome = noc_jobs.sync_server(session, server)
    assert outcome == {"ok": False, "error": "host.get: Zabbix refused: Invalid params. "
                                             "Not authorized."}
    assert server.last_error == outcome["error"]
    assert session.scalar(sa.select(sa.func.count()).select_from(ZabbixProblem)) == 2
    emu.hang_next, emu.hang_for = 1, 3
    fn(session, "zabbix.edit", sok="ok", elid=str(elid), timeout="1")
    emu.token = TOKEN
    assert "no answer within 1 s" in noc_jobs.sync_server(session, server)["error"]

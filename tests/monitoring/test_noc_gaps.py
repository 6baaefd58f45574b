"""Issue 18's NOC gaps: status checks for routers, OLTs and radios made before checks existed
(check.adopt_devices); the NOC's device-down totals counted in the database past 1,000
devices (noc.down_counts); revoking wall links (noc.wall_revoke); and probes that connect to
the very address the guard passed (a name that resolves elsewhere the second time, DNS
rebinding, cannot take a reseller's check to loopback)."""
from __future__ import annotations

import datetime as dt
import re
import socket
import ssl
import threading

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from monitoring import checks, probes, wall
from radbill.functions.registry import AccessDenied, FuncError, NotFound
from radbill.models import (AuditLog, Check, DeviceStatus, Nas, NasSettings, Olt, Radio,
                            StaffUser)
from tests.support.check_targets import self_signed
from tests.support.factories import caller_of, fn


# -- check.adopt_devices ----------------------------------------------------------------------
def old_devices(s, isp, a, b) -> dict[str, int]:
    """Devices inserted as before checks existed (no hook ran): a router and an OLT of the
    ISP, a shared router (no operator), a router and a radio of reseller A, a radio of B, and
    a router whose address is a client range (no ping can aim at it)."""
    ids = {}
    for name, address, owner in (("core", "10.0.0.1", isp.id), ("shared", "10.0.0.2", None),
                                 ("nas-a", "10.1.0.1", a.id), ("range", "10.9.0.0/24", isp.id)):
        nas = Nas(nasname=address, shortname=name, secret="s3cret")
        s.add(nas)
        s.flush()
        s.add(NasSettings(nas_id=nas.id, operator_id=owner))
        ids[name] = nas.id
    olt = Olt(name="olt-core", brand="huawei", host="10.0.1.1", operator_id=isp.id)
    ra = Radio(operator_id=a.id, name="ap-a", kind="airmax", host="10.1.0.9")
    rb = Radio(operator_id=b.id, name="ap-b", kind="airmax", host="10.2.0.9")
    s.add_all([olt, ra, rb])
    s.flush()
    ids.update({"olt-core": olt.id, "ap-a": ra.id, "ap-b": rb.id})
    return ids


def device_checks(s) -> dict[tuple[str, int], Check]:
    return {(c.device_kind, c.device_id): c for c in s.scalars(
        sa.select(Check).where(Check.device_kind.is_not(None)))}


def test_adopting_devices_gives_each_one_check_inside_the_callers_subtree(session, tree):
    isp, a, b, ua, ub, noc = tree
    ids = old_devices(session, isp, a, b)
    fn(session, "nas.edit", sok="ok", name="new-nas", ip="10.0.0.50", secret="s3cret-nas")
    assert len(device_checks(session)) == 1  # the new router's own (the hook), nothing else

    got = fn(session, "check.adopt_devices", ua)  # reseller A: its router and radio only
    assert got.extra["created"] == 2
    made = device_checks(session)
    assert ("nas", ids["nas-a"]) in made and ("radio", ids["ap-a"]) in made
    assert ("radio", ids["ap-b"]) not in made and ("nas", ids["core"]) not in made
    mine = made[("radio", ids["ap-a"])]
    assert (mine.kind, mine.target, mine.interval, mine.operator_id, mine.public) == \
        ("ping", "10.1.0.9", 60, a.id, False)

    got = fn(session, "check.adopt_devices", noc)  # the ISP's: the rest, the shared one too
    assert got.extra["created"] == 4 and list(got.extra["skipped"]) == ["nas range"]
    made = device_checks(session)
    assert made[("nas", ids["shared"])].operator_id == isp.id  # the group's, as new ones
    assert made[("olt", ids["olt-core"])].name == "OLT olt-core"
    assert ("nas", ids["range"]) not in made
    for caller in (noc, ua, ub):  # again: nothing more
        assert fn(session, "check.adopt_devices", caller).extra["created"] == 0
    assert len(device_checks(session)) == 7
    audited = session.scalars(sa.select(AuditLog.object_id).where(
        AuditLog.func == "check.adopt_devices", AuditLog.object_type == "check")).all()
    adopted = [c.id for c in device_checks(session).values() if c.name != "router new-nas"]
    assert sorted(audited) == sorted(adopted) and len(audited) == 6


def test_adopting_is_refused_to_roles_without_checks(session, tree):
    from tests.support.factories import make_user
    isp, a, *_ = tree
    mgr = caller_of(session, make_user(session, login="mgr-a", role="manager", operator="resA"))
    with pytest.raises(AccessDenied):
        fn(session, "check.adopt_devices", mgr)


def test_the_checks_page_offers_adoption(world, auth, dbs):
    dbs.add(Radio(operator_id=world.op_a.id, name="ap-old", kind="airmax", host="10.1.0.7"))
    dbs.commit()
    auth.login("opera")
    page = auth.get("/billmgr?func=check").get_data(as_text=True)
    assert "func=check.adopt_devices" in page and "Add checks for existing devices" in page
    auth.get("/billmgr?func=check.adopt_devices")  # the confirmation, then the POST
    resp = auth.post("/billmgr", {"func": "check.adopt_devices"})
    assert resp.status_code in (200, 302, 303)
    assert dbs.scalar(sa.select(sa.func.count()).select_from(Check).where(
        Check.device_kind == "radio")) == 1
    auth.logout()
    dbs.execute(sa.update(StaffUser).where(StaffUser.login == "opera").values(lang="bn"))
    dbs.commit()
    auth.login("opera")
    page = auth.get("/billmgr?func=check").get_data(as_text=True)
    assert "আগের যন্ত্রগুলোর জন্য যাচাই যোগ করুন" in page


# -- noc.down_counts past 1,000 devices -------------------------------------------------------
def many_routers(s, operator_id: int, n: int, down: int) -> None:
    """`n` routers of the operator, the first `down` of them down (executemany inserts)."""
    ids = s.scalars(sa.insert(Nas).returning(Nas.id), [
        {"nasname": f"10.{i // 250}.{i % 250}.1", "shortname": f"r{i}", "secret": "x"}
        for i in range(n)]).all()
    s.execute(sa.insert(NasSettings), [{"nas_id": i, "operator_id": operator_id} for i in ids])
    now = dt.datetime.now(dt.timezone.utc)
    s.execute(sa.insert(DeviceStatus), [
        {"kind": "nas", "device_id": nid, "up": k >= down, "checked_at": now,
         "changed_at": now - dt.timedelta(minutes=k)} for k, nid in enumerate(ids)])


def test_device_totals_are_right_past_a_thousand_devices(world, auth, dbs):
    many_routers(dbs, world.isp.id, 1150, 1020)
    dbs.add_all([Radio(operator_id=world.op_a.id, name="ap-a1", kind="airmax", host="10.3.0.1",
                       up=False),
                 Radio(operator_id=world.op_a.id, name="ap-a2", kind="airmax", host="10.3.0.2",
                       up=True),
                 Radio(operator_id=world.op_b.id, name="ap-b1", kind="airmax", host="10.4.0.1",
                       up=False)])
    dbs.commit()
    counts = {r["kind"]: (r["devices"], r["down"])
              for r in fn(dbs, "noc.down_counts", caller_of(dbs, world.noc)).rows}
    assert counts == {"nas": (1150, 1020), "radio": (3, 2)}
    # reseller A sees its radios only (its role may not see the routers' list)
    counts = {r["kind"]: (r["devices"], r["down"])
              for r in fn(dbs, "noc.down_counts", caller_of(dbs, world.operator_a)).rows}
    assert counts == {"radio": (2, 1)}
    listed = fn(dbs, "noc.down_devices", caller_of(dbs, world.noc), per_page="10")
    assert listed.total == 1022 and len(listed.rows) == 10
    auth.login("noc1")
    page = auth.get("/noc/").get_data(as_text=True)
    assert re.search(r'id="down-count">1,022<', page) and re.search(r'id="device-count">1,153<',
                                                                     page)
    assert "972 more not listed" in page
    auth.logout()
    auth.login("opera")
    page = auth.get("/noc/").get_data(as_text=True)
    assert re.search(r'id="down-count">1<', page) and "ap-b1" not in page and "ap-a1" in page


def test_down_lists_refuse_bad_paging(session, tree):
    *_, noc = tree
    for bad in ("0", "x", "10001"):
        with pytest.raises(FuncError) as exc:
            fn(session, "noc.down_devices", noc, per_page=bad)
        assert "per_page" in exc.value.errors


# -- wall links can be revoked ----------------------------------------------------------------
def wall_path(auth) -> str:
    made = auth.post("/noc/wall-link", {"days": "30"})
    url = re.search(r'id="wall-url" readonly value="([^"]+)"', made.get_data(as_text=True))[1]
    return url.split("localhost", 1)[1]


def test_a_revoked_wall_link_gets_403_and_a_new_one_works(world, auth, app, dbs):
    auth.login("noc1")
    auth.get("/noc/")
    first = wall_path(auth)
    tv = app.test_client()
    assert tv.get(first).status_code == 200
    page = auth.get("/noc/").get_data(as_text=True)
    assert 'id="wall-revoke"' in page
    assert auth.post("/noc/wall-revoke", {}).status_code == 303
    assert tv.get(first).status_code == 403
    auth.get("/noc/")
    second = wall_path(auth)
    assert tv.get(second).status_code == 200 and tv.get(first).status_code == 403
    [row] = dbs.scalars(sa.select(AuditLog).where(AuditLog.func == "noc.wall_revoke"))
    assert row.object_name == "noc1" and row.after == {"generation": 1, "revoked": True}
    # the ISP's admin ends noc1's links; a reseller may not reach them
    with pytest.raises(NotFound):
        fn(dbs, "noc.wall_revoke", caller_of(dbs, world.operator_a), elid="noc1")
    assert tv.get(second).status_code == 200
    with pytest.raises(AccessDenied):  # a noc login ends only its own
        fn(dbs, "noc.wall_revoke", caller_of(dbs, world.noc), elid="gadmin")
    fn(dbs, "noc.wall_revoke", caller_of(dbs, world.group_admin), elid="noc1")
    dbs.commit()
    assert tv.get(second).status_code == 403


def test_a_link_from_before_generations_ends_at_the_first_revoke(world, app, dbs):
    import time
    noc = dbs.scalar(sa.select(StaffUser).where(StaffUser.login == "noc1"))
    old = wall._signer().dumps({"u": noc.id, "e": int(time.time()) + 3600})  # no "g"
    tv = app.test_client()
    assert tv.get(f"/noc/wall/{old}").status_code == 200
    fn(dbs, "noc.wall_revoke", caller_of(dbs, world.noc))
    dbs.commit()
    assert tv.get(f"/noc/wall/{old}").status_code == 403


# -- probes connect to the address the guard checked ------------------------------------------
class HostTarget:
    """An HTTP(S) server on 127.0.0.1 that records each request's Host header."""

    def __init__(self, ssl_context=None):
        self.hosts: list[str] = []
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True,
                                  ssl_context=ssl_context)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def app(self, environ, start_response):
        self.hosts.append(Request(environ).host)
        return Response("all systems go")(environ, start_response)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def rebinding(monkeypatch):
    """`rebind.test` resolves to the addresses in `answers`, one per lookup (the last one
    from then on), like a DNS server an attacker runs with a TTL of 0."""
    real = socket.getaddrinfo
    answers: list[str] = []
    lookups: list[str] = []

    def getaddrinfo(host, port, *args, **kw):
        if host == "rebind.test":
            address = answers.pop(0) if len(answers) > 1 else answers[0]
            lookups.append(address)
            return real(address, port, *args, **kw)
        return real(host, port, *args, **kw)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers, lookups


def spec(target: str, allow_private: bool, **kw) -> probes.Spec:
    return probes.Spec(id=1, kind="http", target=target, timeout=1, allow_private=allow_private,
                       **kw)


def test_http_connects_to_the_address_it_checked_with_the_name_as_host(rebinding):
    answers, lookups = rebinding
    with HostTarget() as web:
        answers[:] = ["127.0.0.1", "127.0.0.3"]  # nothing listens on .3
        got = probes.run(spec(f"http://rebind.test:{web.port}/health", True,
                              expect_body="systems go"))
        assert got.ok, got.error
        assert lookups == ["127.0.0.1"] and web.hosts == [f"rebind.test:{web.port}"]


def test_https_sends_the_name_as_sni_and_checks_the_certificate_for_it(rebinding, tmp_path,
                                                                       monkeypatch):
    answers, lookups = rebinding
    key, cert = self_signed(30, "rebind.test")
    (tmp_path / "key.pem").write_bytes(key)
    (tmp_path / "cert.pem").write_bytes(cert)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    names: list[str | None] = []
    ctx.sni_callback = lambda sock, name, _ctx: names.append(name)
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "cert.pem"))  # trust it, for this test
    with HostTarget(ctx) as web:
        answers[:] = ["127.0.0.1", "127.0.0.3"]
        got = probes.run(spec(f"https://rebind.test:{web.port}/health", True))
        assert got.ok, got.error
        assert names == ["rebind.test"] and web.hosts == [f"rebind.test:{web.port}"]
        assert lookups == ["127.0.0.1"]
        monkeypatch.delenv("SSL_CERT_FILE")  # the system's roots do not know it
        answers[:] = ["127.0.0.1"]
        bad = probes.run(spec(f"https://rebind.test:{web.port}/health", True))
        assert not bad.ok and "certificate" in bad.error.lower()


def test_a_resellers_check_never_reaches_loopback_by_a_name(rebinding, session, tree):
    answers, lookups = rebinding
    isp, a, b, ua, ub, noc = tree
    with HostTarget() as web:
        url = f"http://rebind.test:{web.port}/health"
        cid = fn(session, "check.edit", ua, sok="ok", name="A's portal", kind="http",
                 target=url, failures="1").elid  # a name: checked on every run
        answers[:] = ["127.0.0.1"]
        checks.run_due(session, ids=[cid])
        check = session.get(Check, cid)
        assert check.state == "down" and "private address (127.0.0.1)" in check.last_error
        # rebinding: public at the guard's lookup, loopback after; the probe keeps the first
        answers[:] = ["192.0.43.10", "127.0.0.1"]
        lookups.clear()
        got = probes.run(spec(url, False))
        assert not got.ok and lookups == ["192.0.43.10"]
        assert web.hosts == []  # nothing ever reached the loopback server


def test_a_tenants_check_never_reaches_the_platforms_loopback_by_a_name(rebinding, session,
                                                                        tree):
    """A tenant (another group, hosted here) is held like a reseller on every run too, as
    check.edit holds it on save (isp_owned): only the install's own group's checks may aim
    at private or loopback addresses."""
    answers, lookups = rebinding
    isp = tree[0]
    fn(session, "operator.edit", sok="ok", name="tenant", tenant="yes")
    with HostTarget() as web:
        url = f"http://rebind.test:{web.port}/health"
        theirs, ours = (fn(session, "check.edit", sok="ok", name=name, kind="http",
                           target=url, failures="1", operator=owner).elid
                        for name, owner in (("tenant's portal", "tenant"),
                                            ("ISP portal", isp.name)))
        answers[:] = ["127.0.0.1"]
        checks.run_due(session, ids=[theirs, ours])
        check = session.get(Check, theirs)
        assert check.state == "down" and "private address (127.0.0.1)" in check.last_error
        assert session.get(Check, ours).state == "up"
        assert web.hosts == [f"rebind.test:{web.port}"]  # the ISP's check only

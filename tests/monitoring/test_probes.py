"""Each kind of probe against a real local target (issue 18): HTTP status and body, TCP, DNS
at a given server, a TLS certificate's days and chain, SNMP sysUpTime, ICMP echo to 127.0.0.1;
and the guard that keeps a reseller's check off private addresses."""
from __future__ import annotations

import time

from monitoring import probes
from monitoring.probes import Spec
from tests.support.check_targets import DnsTarget, HttpTarget, TcpTarget, TlsTarget
from tests.support.snmp_agent import SnmpAgent


def spec(kind, target, **kw):
    kw.setdefault("allow_private", True)
    return Spec(id=1, kind=kind, target=target, timeout=kw.pop("timeout", 2), **kw)


def test_http_status_and_body():
    with HttpTarget() as web:
        ok = probes.run(spec("http", web.url, expect_body="systems go"))
        assert ok.ok and ok.ms is not None and ok.detail["status"] == 200
        assert not probes.run(spec("http", web.url, expect_body="nope")).ok
        web.status = 503
        down = probes.run(spec("http", web.url))
        assert not down.ok and down.error == "HTTP 503"
        assert probes.run(spec("http", web.url, expect_status=503)).ok


def test_http_times_out_and_reads_a_capped_body():
    with HttpTarget(body="x" * (5 * probes.BODY_CAP) + "needle") as web:
        # the needle is past the cap: not read, not found
        assert not probes.run(spec("http", web.url, expect_body="needle")).ok
        web.delay = 3
        start = time.monotonic()
        slow = probes.run(spec("http", web.url, timeout=1))
        assert not slow.ok and "Timeout" in slow.error and time.monotonic() - start < 2.5


def test_tcp_open_and_closed():
    with TcpTarget() as t:
        assert probes.run(spec("tcp", f"127.0.0.1:{t.port}")).ok
        port = t.port
    refused = probes.run(spec("tcp", f"127.0.0.1:{port}"))
    assert not refused.ok and "Refused" in refused.error


def test_dns_at_a_given_server():
    with DnsTarget({("portal.isp.test", "A"): ["203.0.113.7"]}) as d:
        ok = probes.run(spec("dns", "portal.isp.test", dns_server=d.server,
                             expect_answer="203.0.113.7"))
        assert ok.ok and ok.detail["answer"] == ["203.0.113.7"]
        wrong = probes.run(spec("dns", "portal.isp.test", dns_server=d.server,
                                expect_answer="203.0.113.8"))
        assert not wrong.ok and "expected 203.0.113.8" in wrong.error
        assert not probes.run(spec("dns", "nx.isp.test", dns_server=d.server)).ok


def test_tls_days_left_and_an_unverified_chain():
    with TlsTarget(days=40) as t:
        out = probes.run(spec("tls", f"localhost:{t.port}"))
        assert not out.ok and "does not verify" in out.error
        assert out.detail["chain_valid"] is False and 38 <= out.detail["days_left"] <= 40


def test_snmp_uptime(tmp_path):
    agent = SnmpAgent(tmp_path, community="n0c").start()
    try:
        assert probes.run(spec("snmp", f"127.0.0.1:{agent.port}", community="n0c")).ok
        assert not probes.run(spec("snmp", f"127.0.0.1:{agent.port}", community="bad",
                                   timeout=1)).ok
    finally:
        agent.stop()


def test_ping_loopback():
    out = probes.run(spec("ping", "127.0.0.1"))
    assert out.ok, out.error
    assert out.detail["received"] == probes.PING_COUNT and out.detail["loss"] == 0


def test_private_targets_only_when_allowed():
    with HttpTarget() as web:
        out = probes.run(spec("http", web.url, allow_private=False))
        assert not out.ok and "private address" in out.error and web.hits == 0
    assert "private" in probes.run(spec("ping", "localhost", allow_private=False)).error
    assert not probes.run(spec("tcp", "10.0.0.1:22", allow_private=False, timeout=1)).ok

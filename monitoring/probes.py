"""One probe per kind of check: ask the target once and say whether it passed, how fast, why not.

Each probe takes a `Spec` (a plain copy of the check's fields, so threads never touch the ORM)
and returns an `Outcome`; every network call has a timeout (the check's, 1..8 s), an HTTP body
is read to at most BODY_CAP bytes, no shell is ever involved (ICMP via icmplib's raw socket, we
run as root). A target that resolves to a private, loopback or link-local address is refused
unless the spec allows it (monitoring/functions/checks.py decides who may); every probe then
connects to the address the guard checked (the name is resolved once), never to a second
resolution of the name.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass, field
from typing import Any, Callable

BODY_CAP = 64 * 1024  # bytes of an HTTP answer read for the body match
PING_COUNT = 3


@dataclass(frozen=True)
class Spec:
    id: int
    kind: str
    target: str
    timeout: float = 5.0
    expect_status: int | None = None
    expect_body: str | None = None
    dns_server: str | None = None
    record_type: str | None = None
    expect_answer: str | None = None
    warn_days: int | None = None
    community: str | None = field(default=None, repr=False)  # never in a logged repr
    allow_private: bool = False


@dataclass
class Outcome:
    ok: bool
    ms: int | None = None
    error: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


class Refused(Exception):
    """The target is not one this check may reach."""


def split_host_port(target: str, default: int | None) -> tuple[str, int | None]:
    """`host`, `host:port`, `[v6]:port` or a bare IPv6 address."""
    if target.startswith("["):
        host, _, rest = target[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else default
    if target.count(":") == 1:
        host, port = target.split(":")
        return host, int(port)
    return target, default


def public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    return ip.is_global and not ip.is_multicast


def guard(host: str, spec: Spec, port: int | None = None) -> list[str]:
    """The host's addresses; Refused when one is private and the spec does not allow it."""
    try:
        infos = socket.getaddrinfo(host, port or 0, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused(f"cannot resolve {host}: {exc}") from None
    addresses = list(dict.fromkeys(i[4][0] for i in infos))
    if not spec.allow_private:
        bad = [a for a in addresses if not public(a)]
        if bad:
            raise Refused(f"{host} is a private address ({bad[0]}): not allowed for this check")
    return addresses


def _ms(start: float) -> int:
    return int(round((time.perf_counter() - start) * 1000))


def http(spec: Spec) -> Outcome:
    """GET the URL from the very address the guard passed (resolved once: a name that
    resolves again to somewhere private between the guard and the connect, DNS rebinding,
    cannot redirect us), with the name in the Host header, the TLS server name (SNI) and the
    certificate check."""
    import urllib3
    from urllib.parse import urlsplit
    parts = urlsplit(spec.target)
    name = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = guard(name, spec, port)[0]
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    timeout = urllib3.Timeout(connect=spec.timeout, read=spec.timeout)
    if parts.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address, port, timeout=timeout, retries=False, ssl_context=ssl.create_default_context(),
            server_hostname=name, assert_hostname=name)
    else:
        pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False)
    start = time.perf_counter()
    # no redirects: a 3xx is the answer (a redirect could lead anywhere, a private address too)
    with pool:
        resp = pool.urlopen("GET", path, redirect=False, retries=False, preload_content=False,
                            headers={"Host": parts.netloc.rpartition("@")[2],
                                     "User-Agent": "radbill-check/1"})
        try:
            body = b""
            if spec.expect_body:
                for chunk in resp.stream(8192):
                    body += chunk
                    if len(body) >= BODY_CAP or time.perf_counter() - start > spec.timeout:
                        break
            ms = _ms(start)
            status = resp.status
        finally:
            resp.release_conn()
    detail = {"status": status}
    if spec.expect_status is not None and status != spec.expect_status:
        return Outcome(False, ms, f"HTTP {status}, expected {spec.expect_status}", detail)
    if spec.expect_status is None and status >= 400:
        return Outcome(False, ms, f"HTTP {status}", detail)
    if spec.expect_body and spec.expect_body.encode() not in body[:BODY_CAP]:
        return Outcome(False, ms, "the answer lacks the expected text", detail)
    return Outcome(True, ms, None, detail)


def ping(spec: Spec) -> Outcome:
    import icmplib
    address = guard(spec.target, spec)[0]
    host = icmplib.ping(address, count=PING_COUNT, interval=0.2, timeout=min(spec.timeout, 2),
                        privileged=True)
    detail = {"loss": round(host.packet_loss, 3), "sent": host.packets_sent,
              "received": host.packets_received}
    if not host.packets_received:
        return Outcome(False, None, f"no echo reply from {address} ({PING_COUNT} sent)", detail)
    return Outcome(True, int(round(host.avg_rtt)), None, detail)


def tcp(spec: Spec) -> Outcome:
    host, port = split_host_port(spec.target, None)
    address = guard(host, spec, port)[0]
    start = time.perf_counter()
    with socket.create_connection((address, port), timeout=spec.timeout):
        return Outcome(True, _ms(start))


def dns(spec: Spec) -> Outcome:
    import dns.exception
    import dns.resolver
    resolver = dns.resolver.Resolver(configure=spec.dns_server is None)
    if spec.dns_server:
        server, port = split_host_port(spec.dns_server, 53)
        resolver.nameservers, resolver.port = [guard(server, spec, port)[0]], port
    resolver.lifetime = resolver.timeout = spec.timeout
    start = time.perf_counter()
    try:
        answer = resolver.resolve(spec.target, spec.record_type or "A", search=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer, dns.resolver.NoNameservers,
            dns.exception.Timeout) as exc:
        return Outcome(False, _ms(start), f"{type(exc).__name__}: {exc}"[:300])
    ms = _ms(start)
    got = sorted(r.to_text().rstrip(".") for r in answer)
    detail = {"answer": got[:10]}
    want = (spec.expect_answer or "").rstrip(".")
    if want and want.lower() not in (g.lower() for g in got):
        return Outcome(False, ms, f"answered {', '.join(got[:5])}, expected {want}", detail)
    return Outcome(True, ms, None, detail)


def _certificate(host: str, port: int, address: str, timeout: float,
                 verify: bool) -> tuple[bytes, int]:
    ctx = ssl.create_default_context()
    if not verify:
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    start = time.perf_counter()
    with socket.create_connection((address, port), timeout=timeout) as raw:
        with ctx.wrap_socket(raw, server_hostname=host) as tls_sock:
            return tls_sock.getpeercert(binary_form=True), _ms(start)


def tls(spec: Spec, now: dt.datetime | None = None) -> Outcome:
    from cryptography import x509
    host, port = split_host_port(spec.target, 443)
    address = guard(host, spec, port)[0]
    error = None
    try:
        der, ms = _certificate(host, port, address, spec.timeout, True)
        valid = True
    except ssl.SSLCertVerificationError as exc:
        error, valid = f"the chain does not verify: {exc.verify_message}", False
        der, ms = _certificate(host, port, address, spec.timeout, False)
    cert = x509.load_der_x509_certificate(der)
    ends = cert.not_valid_after_utc
    days = int((ends - (now or dt.datetime.now(dt.timezone.utc))).total_seconds() // 86400)
    detail = {"days_left": days, "chain_valid": valid, "not_after": ends.isoformat()}
    warn = spec.warn_days if spec.warn_days is not None else 14
    if days < 0:
        return Outcome(False, ms, f"the certificate expired {-days} days ago", detail)
    if not valid:
        return Outcome(False, ms, error, detail)
    if days < warn:
        return Outcome(False, ms, f"the certificate expires in {days} days", detail)
    return Outcome(True, ms, None, detail)


def snmp(spec: Spec) -> Outcome:
    from provisioning import snmp as agents  # the one SNMP client (routers' and OLTs' polls)
    from provisioning.errors import ProvisioningError
    host, port = split_host_port(spec.target, 161)
    address = guard(host, spec, port)[0]
    agent = agents.Agent(address, spec.community or "public", port,
                         timeout=max(1.0, spec.timeout), retries=0)
    start = time.perf_counter()
    try:
        [value] = agents.get(agent, [agents.SYS_UPTIME])
    except ProvisioningError as exc:
        return Outcome(False, _ms(start), f"SNMP: {exc.reason}")
    ms = _ms(start)
    if value in (None, ""):
        return Outcome(False, ms, "the agent has no sysUpTime")
    return Outcome(True, ms, None, {"uptime": str(value)})


PROBES: dict[str, Callable[[Spec], Outcome]] = {
    "http": http, "ping": ping, "tcp": tcp, "dns": dns, "tls": tls, "snmp": snmp}


def run(spec: Spec) -> Outcome:
    """Run one probe; any failure becomes a failed Outcome with its reason (never raises)."""
    start = time.perf_counter()
    try:
        return PROBES[spec.kind](spec)
    except Refused as exc:
        return Outcome(False, None, str(exc))
    except Exception as exc:  # a probe's failure is the check's result, whatever it is
        text = str(exc) or type(exc).__name__
        return Outcome(False, _ms(start), f"{type(exc).__name__}: {text}"[:300])

"""SNMP polling against Debian's snmpd: uptime, 64-bit interface counters, rates, up/down."""
from __future__ import annotations

import socket
import threading
import time

import pytest
import sqlalchemy as sa

from tests.support.factories import fn, make
from provisioning import jobs, snmp
from provisioning.errors import DeviceTimeout
from radbill.models import DeviceStatus, InterfaceSample
from tests.support.snmp_agent import SnmpAgent

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def agent(tmp_path_factory):
    a = SnmpAgent(tmp_path_factory.mktemp("snmpd"), community="s3cret-ro").start()
    yield a
    a.stop()


def loopback_traffic(nbytes: int) -> None:
    """Push `nbytes` through lo so its counters move by a known amount (at least)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)

    def sink():
        conn, _ = srv.accept()
        while conn.recv(65536):
            pass
        conn.close()
    t = threading.Thread(target=sink)
    t.start()
    with socket.create_connection(srv.getsockname()) as c:
        c.sendall(b"x" * nbytes)
    t.join(10)
    srv.close()


def test_poll_reads_uptime_and_64_bit_counters(agent):
    p = snmp.poll(snmp.Agent("127.0.0.1", "s3cret-ro", agent.port))
    assert p.uptime_ticks > 0 and "Linux" in p.descr
    lo = next(i for i in p.interfaces if i.name == "lo")
    assert lo.bits == 64 and lo.in_octets > 0 and lo.up is True


def test_wrong_community_times_out_clearly(agent):
    with pytest.raises(DeviceTimeout) as err:
        snmp.poll(snmp.Agent("127.0.0.1", "guess", agent.port, timeout=0.3, retries=0))
    assert err.value.host == f"127.0.0.1:{agent.port}" and "no SNMP reply" in str(err.value)


def test_counter_arithmetic():
    assert snmp.rate(100, 1100, 64, 8) == 1000
    assert snmp.rate(2**32 - 500, 500, 32, 1) == 8000  # one wrap of a 32-bit counter
    assert snmp.rate(5000, 100, 64, 1) is None  # a 64-bit counter going back: device restarted
    assert snmp.rate(1, 2, 64, 0) is None


def test_poll_devices_stores_rates_and_up_down(session, agent):
    nas = make(session, "nas", name="edge1", ip="127.0.0.1", secret="testing123",
               community="wrong-one")
    [r] = jobs.poll_devices(session, nas_snmp_port=agent.port, timeout=0.3)
    assert r["up"] is False and "no SNMP reply" in r["error"]
    down_since = session.get(DeviceStatus, ("nas", nas.id)).changed_at
    jobs.poll_devices(session, nas_snmp_port=agent.port, timeout=0.3)
    assert session.get(DeviceStatus, ("nas", nas.id)).changed_at == down_since  # still down

    fn(session, "nas.edit", elid=nas.id, sok="ok", community="s3cret-ro")
    [r] = jobs.poll_devices(session, nas_snmp_port=agent.port)
    status = session.get(DeviceStatus, ("nas", nas.id))
    assert status.up and status.changed_at > down_since and status.sys_uptime > 0
    first = session.scalars(sa.select(InterfaceSample).where(InterfaceSample.if_name == "lo")).one()
    assert first.in_bps is None  # nothing to compare with yet

    loopback_traffic(4_000_000)
    time.sleep(6)  # snmpd caches interface counters for a few seconds
    jobs.poll_devices(session, nas_snmp_port=agent.port)
    second = session.scalars(sa.select(InterfaceSample).where(InterfaceSample.if_name == "lo")
                             .order_by(InterfaceSample.at.desc())).first()
    seconds = (second.at - first.at).total_seconds()
    assert second.counter_bits == 64
    assert second.in_bps >= 4_000_000 * 8 / seconds * 0.95
    assert int(second.in_octets) - int(first.in_octets) >= 4_000_000

    rows = fn(session, "device.traffic", kind="nas", elid=nas.id, if_index=second.if_index).rows
    assert rows[0]["in_bps"] == second.in_bps and rows[0]["if_name"] == "lo"
    [dev] = [d for d in fn(session, "device").rows if d["kind"] == "nas"]
    assert dev["up"] is True and dev["name"] == "edge1"


def test_snmpv1_agents_give_32_bit_counters(agent):
    p = snmp.poll(snmp.Agent("127.0.0.1", "s3cret-ro", agent.port, version="1"))
    lo = next(i for i in p.interfaces if i.name == "lo")
    assert lo.bits == 32 and lo.in_octets > 0


def test_each_router_is_polled_on_its_own_snmp_port(session, agent):
    nas = make(session, "nas", name="edge2", ip="127.0.0.1", secret="testing123",
               community="s3cret-ro", snmp_port=str(agent.port))
    assert fn(session, "nas.edit", elid=nas.id).values["snmp_port"] == agent.port
    [r] = jobs.poll_devices(session)  # no override: nas_settings.snmp_port is used
    assert r["up"] is True
    with pytest.raises(Exception, match="snmp_port"):
        fn(session, "nas.edit", elid=nas.id, sok="ok", snmp_port="70000")

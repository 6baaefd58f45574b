"""Pure parsing of device output: no network, no database."""
from __future__ import annotations

from decimal import Decimal

from provisioning.olt import bdcom, huawei, vsol, zte
from provisioning.olt.base import dbm, epon_distance, mac
from provisioning.olt.gpon_snmp import gpon_serial


def test_mac_spellings():
    assert mac("70a5.6add.7e1d") == mac("70-A5-6A-DD-7E-1D") == "70:A5:6A:DD:7E:1D"
    assert mac("N/A") is None and mac("") is None


def test_optics_values():
    assert dbm("-17.1") == Decimal("-17.10")
    assert dbm("--") is None and dbm("N/A") is None and dbm("x") is None
    assert zte.rx_dbm("6350") == Decimal("-17.30")
    assert zte.rx_dbm("65535") is None and zte.rx_dbm("0") is None


def test_distance_from_epon_rtt():
    assert epon_distance(728) == 1180  # as a BDCOM shows both columns
    assert epon_distance(3) == 0


def test_gpon_serials_however_rendered():
    assert gpon_serial("HWTC\x1a+<M") == "HWTC1A2B3C4D"
    assert gpon_serial("48575443 1A2B3C4D") == "HWTC1A2B3C4D"
    assert gpon_serial("ZTEGc0a80102") == "ZTEGC0A80102"


def test_pon_port_names_from_ifindex():
    assert huawei.port_name(4194304000) == "0/0/0"
    assert huawei.port_name(4194312448) == "0/1/1"
    assert zte.port_name(268501248) == "1/1/1"
    assert zte.port_name(268566784) == "1/2/1"


def test_vsol_rows_skip_headers_and_prompts():
    text = ("ONU-ID      LLID   Status    MAC  Address         RTT(TQ) Description\n"
            "EPON0/3:7   9      los       98:2a:0a:a0:25:b9   N/A     flat 2\n"
            "epon-olt(config-pon-0/3)#")
    [o] = vsol.parse_auth_info(text)
    assert (o.port, o.onu_id, o.status, o.distance, o.description) == ("0/3", 7, "los", None, "flat 2")


def test_bdcom_inactive_reasons():
    text = ("EPON0/4:2        80f7.a607.ce31 lost             2026-11-18 13:48:37 "
            "2026-11-18 13:51:37 wire-down         3  .05:29:13")
    [o] = bdcom.parse_inactive(text)
    assert (o.port, o.onu_id, o.status, o.mac) == ("0/4", 2, "los", "80:F7:A6:07:CE:31")

"""Cambium ePMP (1000, 2000, 3000/3000L, 4500/4600 and their Force SMs; firmware 4.x): the web
UI's JSON API and SNMP (CAMBIUM-PMP80211-MIB).

HTTP. Cambium documents no REST reference for the radio itself (cnMaestro's API is the one it
publishes; the MIB's cambiumDeviceAgent group only points the radio at cnMaestro, which the
radio dials out to). The radio's own web UI is a LuCI stack whose calls tools use as
Metasploit's Msf::Auxiliary::EPMP documents them (lib/msf/core/auxiliary/epmp.rb, `login_2`,
firmware 3.5 and later), and as field adapters for 4.x/5.x firmware confirm:
- `POST /cgi-bin/luci`, form `username`, `password`: 200 with JSON `{"stok": ..., "userRole":
  ...}` and a `sysauth_*` session cookie. A refusal is also a 200: `{"msg": "auth_failed",
  "success": 0}`, or `max_user_number_reached` when the radio's five web sessions are taken,
  so every poll logs out, even after a failure.
- `POST /cgi-bin/luci/;stok=<stok>/admin/get_param`, form `act=status`: both the stok in the path
  and the cookie are needed (either alone is `auth_failed`, still a 200), and a body (a bare
  POST is 411). The answer is `{"success": "1", "device_props": {...}}`, named as the MIB's
  objects (cambiumSTADLRSSI, sysCPUUsage in percent, cambiumAPConnectedSTATable as a list of
  connectedSTA* rows) plus cambiumDeviceMode (1 AP, 2 SM), which the MIB lacks.
  `act=config_regular` answers the configuration with its secrets in clear: never asked.
- `POST /cgi-bin/luci/;stok=<stok>/admin/logout` ends the session.

SNMP: CAMBIUM-PMP80211-MIB (.1.3.6.1.4.1.17713.21, release 5.8.0 as netdisco-mibs carries it),
scalars at instance .0: cambiumHWInfo (.1.1.2, the SKU), cambiumSystemUptime (.1.1.4,
"dddd:hh:mm:ss"), cambiumEffectiveSSID (.1.1.11), cambiumCurrentuImageVersion (.1.1.17),
cambiumSTAConnectedRFFrequency (.1.2.1), cambiumSTADLRSSI (.1.2.3), cambiumSTAConnectedAP
(.1.2.8, the SSID), cambiumAPNumberOfConnectedSTA (.1.2.10), cambiumSTADistanceKm (.1.2.12),
cambiumSTADLSNR (.1.2.18), cambiumConnectedAPMACAddress (.1.2.19), staTxQuality (.1.2.22),
sysCPUUsage (.2.1.64, tenths of a percent), wirelessInterfaceMode (.3.8.2.1: 1 AP, 2 SM);
cambiumAPConnectedSTATable (.1.2.30.1, a row per SM: 1 MAC, 4/5 UL/DL RSSI, 6/7 UL/DL SNR,
10 IP, 18 host name, 20 TX quality, 27 session time, 28 DL rate in Mbit/s, 29 distance in m).
Memory is not in the MIB: UCD-SNMP-MIB's, where the agent serves it.

Figures: ePMP reports neither a noise floor nor CCQ. SNR = RSSI - noise, so noise is signal
- SNR, and the CCQ column holds ePMP's TX quality (0..100 %), its nearest kin. An SM's
signal, SNR and quality are its downlink's and its one station is the AP it is registered to
(as airOS lists a station's AP); an AP's are the means of its SMs' uplinks as it hears them,
its rates the means of their PHY rates (kbit/s). An SM reports no rates of its own.
"""
from __future__ import annotations

import re

import requests

from monitoring.radios import RadioError, Reading, Station, Target
from monitoring.radios.common import (MEM_AVAIL, MEM_TOTAL, base_url, combine, http_session,
                                      mean, num, read_json, text, ucd_memory)
from provisioning import snmp
from provisioning.errors import ProvisioningError

MIB = ".1.3.6.1.4.1.17713.21"
SCALARS = {  # the MIB's names, as get_param's device_props names them too
    "cambiumHWInfo": f"{MIB}.1.1.2.0", "cambiumSystemUptime": f"{MIB}.1.1.4.0",
    "cambiumEffectiveSSID": f"{MIB}.1.1.11.0", "cambiumCurrentuImageVersion": f"{MIB}.1.1.17.0",
    "cambiumSTAConnectedRFFrequency": f"{MIB}.1.2.1.0", "cambiumSTADLRSSI": f"{MIB}.1.2.3.0",
    "cambiumSTAConnectedAP": f"{MIB}.1.2.8.0", "cambiumAPNumberOfConnectedSTA": f"{MIB}.1.2.10.0",
    "cambiumSTADistanceKm": f"{MIB}.1.2.12.0", "cambiumSTADLSNR": f"{MIB}.1.2.18.0",
    "cambiumConnectedAPMACAddress": f"{MIB}.1.2.19.0", "staTxQuality": f"{MIB}.1.2.22.0",
    "sysCPUUsage": f"{MIB}.2.1.64.0", "wirelessInterfaceMode": f"{MIB}.3.8.2.1.0",
}
STA_TABLE = f"{MIB}.1.2.30.1"
STA_COLUMNS = {1: "connectedSTAMAC", 4: "connectedSTAULRSSI", 5: "connectedSTADLRSSI",
               6: "connectedSTAULSNR", 7: "connectedSTADLSNR", 10: "connectedSTAIP",
               18: "connectedSTAClickTHostName", 20: "connectedSTATXQuality",
               27: "connectedSTASessionTime", 28: "connectedSTADLRateMbps",
               29: "connectedSTADistance"}
MODELS = {0: "ePMP 1000 5 GHz connectorized (sync)", 1: "ePMP 1000 5 GHz connectorized",
          2: "ePMP 1000 5 GHz integrated", 3: "ePMP 1000 2.4 GHz connectorized (sync)",
          4: "ePMP 1000 2.4 GHz connectorized", 5: "ePMP 1000 2.4 GHz integrated",
          10: "ePMP 2000", 35: "Force 300-25 (FCC)", 36: "Force 300-25 (ROW/ETSI)",
          37: "ePMP 3000 (FCC)", 38: "Force 300-16 (FCC)", 39: "Force 300-16 (ROW/ETSI)",
          40: "ePMP 3000 (ROW/ETSI)", 43: "ePMP 3000L (FCC)", 44: "ePMP 3000L (ROW/ETSI)",
          53264: "ePMP 4600 4x4", 53280: "ePMP 4500 8x8 (ROW)", 53281: "ePMP 4500C 8x8 (ROW)",
          53288: "ePMP 4500 8x8 (FCC)", 53289: "ePMP 4500C 8x8 (FCC)",
          53344: "ePMP 4500L (ROW)", 53352: "ePMP 4500L (FCC)"}
STOK = re.compile(r"[0-9A-Za-z]{1,128}")
MAC = re.compile(r"([0-9A-Fa-f]{2})[:-]?" * 5 + r"([0-9A-Fa-f]{2})")
REFUSALS = {"max_user_number_reached":
            "HTTP login refused: all the radio's web sessions are in use (try later)"}


def seconds(value) -> int | None:
    """ePMP's "dddd:hh:mm:ss" (uptime, an SM's session time) in seconds."""
    m = re.fullmatch(r"\s*(\d+):(\d{1,2}):(\d{1,2}):(\d{1,2})\s*", str(value or ""))
    if not m:
        return None
    d, h, mi, s = (int(x) for x in m.groups())
    return ((d * 24 + h) * 60 + mi) * 60 + s


def kbits(mbps) -> int | None:
    m = re.match(r"\s*([0-9]+(?:\.[0-9]+)?)", str(mbps if mbps is not None else ""))
    return int(round(float(m.group(1)) * 1000)) if m else None


def mac(value) -> str | None:
    m = MAC.fullmatch(str(value or "").strip())
    return ":".join(m.groups()).upper() if m else None


def quality(value) -> int | None:
    q = num(value)
    return min(max(q, 0), 100) if q is not None else None


def minus(a: int | None, b: int | None) -> int | None:
    return a - b if a is not None and b is not None else None


# -- HTTP -----------------------------------------------------------------------------------
def fetch_status(t: Target) -> dict:
    """Log in, read get_param act=status's device_props, log out (always: sessions are few)."""
    luci = f"{base_url(t)}/cgi-bin/luci"
    with http_session(t) as s:
        answer = _answer(s.post(luci, data={"username": t.username, "password": t.password},
                                timeout=t.timeout, allow_redirects=False, stream=True),
                         "HTTP login")
        stok = answer.get("stok")
        if not stok:
            raise RadioError(REFUSALS.get(str(answer.get("msg")),
                                          "HTTP login refused: check the user name and password"))
        if not isinstance(stok, str) or not STOK.fullmatch(stok):
            raise RadioError("HTTP login: the radio's session token is malformed")
        admin = f"{luci}/;stok={stok}/admin"
        try:
            answer = _answer(s.post(f"{admin}/get_param", data={"act": "status"},
                                    timeout=t.timeout, allow_redirects=False, stream=True),
                             "get_param")
            if str(answer.get("success")) != "1":
                raise RadioError("get_param refused the session (login not accepted)")
            props = answer.get("device_props")
            if not isinstance(props, dict):
                raise RadioError("get_param: the answer has no device_props")
            return props
        finally:
            _logout(s, admin, t)


def _answer(r, what: str) -> dict:
    with r:
        if 300 <= r.status_code < 400:
            raise RadioError(f"{what}: the radio redirects (does it want HTTPS?)")
        if r.status_code != 200:
            raise RadioError(f"{what}: status {r.status_code}")
        return read_json(r, what, "ePMP")


def _logout(s, admin: str, t: Target) -> None:
    try:  # an explicit empty form: a POST without a body is refused (411)
        s.post(f"{admin}/logout", data=b"", timeout=t.timeout, allow_redirects=False,
               headers={"Content-Type": "application/x-www-form-urlencoded"}).close()
    except requests.RequestException:
        pass  # the session ages out on the radio


# -- reading --------------------------------------------------------------------------------
def role(props: dict) -> str | None:
    code = num(props.get("cambiumDeviceMode"))
    if code is None:
        code = num(props.get("wirelessInterfaceMode"))
    if code in (1, 2, 3):
        return {1: "ap", 2: "sm", 3: "spectrum"}[code]
    if mac(props.get("cambiumConnectedAPMACAddress")):  # an AP says "Not Associated"
        return "sm"
    return "ap" if isinstance(props.get("cambiumAPConnectedSTATable"), list) else None


def parse_status(props: dict, source: str = "http") -> Reading:
    """device_props (or SNMP's answers under the same names) as a Reading."""
    r = Reading(sources=[source], mode=role(props))
    hw = num(props.get("cambiumHWInfo"))
    r.model = MODELS.get(hw, f"ePMP (SKU {hw})") if hw is not None and hw >= 0 else None
    r.firmware = text(props.get("cambiumCurrentuImageVersion")
                      or props.get("cambiumCurrentSWInfo"), 60)
    r.frequency = num(props.get("cambiumSTAConnectedRFFrequency")) or None
    r.uptime = seconds(props.get("cambiumSystemUptime"))
    cpu = num(props.get("sysCPUUsage"))
    r.cpu = min(max(cpu, 0), 100) if cpu is not None else None
    if r.mode == "sm":
        link(r, props)
    else:
        rows = props.get("cambiumAPConnectedSTATable")
        rows = rows if isinstance(rows, list) else []
        r.ssid = text(props.get("cambiumEffectiveSSID"), 64)
        r.stations = [s for s in (station(row) for row in rows if isinstance(row, dict)) if s]
        count = num(props.get("cambiumAPNumberOfConnectedSTA"))
        r.station_count = count if count is not None else len(r.stations)
        r.signal = mean(s.signal for s in r.stations)
        r.noise = mean(s.noise for s in r.stations)
        r.ccq = mean(s.ccq for s in r.stations)
        r.tx_rate = mean(s.tx_rate for s in r.stations)
        r.rx_rate = mean(s.rx_rate for s in r.stations)
    r.snr = minus(r.signal, r.noise)
    return r


def link(r: Reading, props: dict) -> None:
    """An SM: its downlink's figures, its AP as its one station (none while it scans)."""
    ap = mac(props.get("cambiumConnectedAPMACAddress"))
    ssid = text(props.get("cambiumSTAConnectedAP"), 64)
    r.ssid = None if ssid == "Scanning" else ssid
    r.stations = []
    if ap:
        r.signal = num(props.get("cambiumSTADLRSSI"))
        r.noise = minus(r.signal, num(props.get("cambiumSTADLSNR")))
        r.ccq = quality(props.get("staTxQuality"))
        km = re.match(r"\s*([0-9]+(?:\.[0-9]+)?)", str(props.get("cambiumSTADistanceKm") or ""))
        r.stations.append(Station(mac=ap, name=r.ssid, signal=r.signal, noise=r.noise,
                                  ccq=r.ccq, distance=round(float(km.group(1)) * 1000)
                                  if km else None))
    r.station_count = len(r.stations)


def station(row: dict) -> Station | None:
    """A cambiumAPConnectedSTATable row (HTTP's dict or SNMP's columns by the same names)."""
    address = mac(row.get("connectedSTAMAC"))
    if not address:
        return None
    rssi = num(row.get("connectedSTAULRSSI"))
    ip = text(row.get("connectedSTAIP"), 45)
    return Station(mac=address,
                   name=text(row.get("connectedClickTHostName")
                             or row.get("connectedSTAClickTHostName"), 100),
                   ip=None if ip == "0.0.0.0" else ip, signal=rssi,
                   noise=minus(rssi, num(row.get("connectedSTAULSNR"))),
                   ccq=quality(row.get("connectedSTATXQuality")),
                   tx_rate=kbits(row.get("connectedSTADLRateMbps")),
                   rx_rate=kbits(row.get("connectedSTAULRateMbps")),
                   distance=num(row.get("connectedSTADistance")),
                   uptime=seconds(row.get("connectedSTASessionTime")))


# -- SNMP -----------------------------------------------------------------------------------
def read_snmp(t: Target) -> Reading:
    agent = snmp.Agent(t.host, t.community or "public", t.snmp_port,
                       timeout=min(t.timeout, 3.0), retries=1)
    try:
        s = snmp.session(agent)
        values = snmp.get(agent, list(SCALARS.values()) + [MEM_TOTAL, MEM_AVAIL,
                                                           snmp.SYS_UPTIME], s)
        props = dict(zip(SCALARS, values))
        mtotal, mavail, up = values[len(SCALARS):]
        if all(props[k] is None for k in ("wirelessInterfaceMode", "cambiumHWInfo",
                                          "cambiumCurrentuImageVersion")):
            raise RadioError("SNMP: no CAMBIUM-PMP80211-MIB here (is this an ePMP radio?)")
        cpu = num(props.pop("sysCPUUsage"))
        props["sysCPUUsage"] = cpu / 10 if cpu is not None else None  # tenths of a percent
        if role(props) != "sm":
            props["cambiumAPConnectedSTATable"] = sta_rows(snmp.walk(agent, STA_TABLE, s))
        r = parse_status(props, "snmp")
        r.memory = ucd_memory(mtotal, mavail)
        if r.uptime is None and up is not None:
            r.uptime = (num(up) or 0) // 100
        return r
    except ProvisioningError as exc:
        raise RadioError(f"SNMP: {exc.reason}") from None


def sta_rows(walked: dict[str, str]) -> list[dict]:
    """cambiumAPConnectedSTATable's {column.row: value} as rows named like HTTP's."""
    rows: dict[int, dict] = {}
    for suffix, value in walked.items():
        col, _, index = suffix.partition(".")
        if col.isdigit() and index.isdigit() and int(col) in STA_COLUMNS:
            rows.setdefault(int(index), {})[STA_COLUMNS[int(col)]] = value
    return [rows[i] for i in sorted(rows)]


def poll(t: Target) -> Reading:
    """HTTP when a login is set, SNMP when a community is; HTTP's figures first."""
    return combine(t, lambda: parse_status(fetch_status(t)), lambda: read_snmp(t))

"""Ubiquiti airMAX (airOS 6 and 8): the HTTP status endpoint and SNMP (UBNT-AirMAX-MIB).

HTTP: airOS 8 logs in with `POST /api/auth` (JSON username/password), answering an `AIROS_*`
session cookie and an `X-CSRF-ID` header to send back; airOS 6 with a form POST to
`/login.cgi`. Then `GET /status.cgi` answers JSON: `host` (devmodel, fwversion, uptime,
cpuload, totalram, freeram), `wireless` (essid, mode, frequency, noisef; airOS 6 also signal,
ccq in tenths of a percent, txrate/rxrate in Mbit/s; airOS 8 throughput and polling capacities
in kbit/s, `count` and `sta`, the associated stations). Radios ship self-signed certificates,
so HTTPS is not verified (the password still travels encrypted).

SNMP: ubntWlStatTable (.1.3.6.1.4.1.41112.1.4.5.1: 2 ssid, 5 signal, 7 ccq %, 8 noise floor,
9/10 tx/rx rate, 15 station count), ubntRadioTable frequency (.4.1.1.4), ubntStaTable
(.4.7.1, indexed by radio and the station's MAC: 2 name, 3 signal, 4 noise, 5 distance,
6 ccq, 10 last IP, 11/12 tx/rx rate), ubntHostCpuLoad (.4.8.3.0), memory from UCD-SNMP-MIB
(memTotalReal/memAvailReal) and sysUpTime.
"""
from __future__ import annotations

from monitoring.radios import RadioError, Reading, Station, Target
from monitoring.radios.common import (MEM_AVAIL, MEM_TOTAL, base_url, combine, http_session,
                                      num as _int, pct as _pct, read_json, ucd_memory)
from provisioning import snmp
from provisioning.errors import ProvisioningError

UBNT = ".1.3.6.1.4.1.41112.1.4"
WL_STAT = f"{UBNT}.5.1"
RADIO_FREQ = f"{UBNT}.1.1.4.1"
STA_TABLE = f"{UBNT}.7.1"
HOST_CPU = f"{UBNT}.8.3.0"


# -- HTTP -----------------------------------------------------------------------------------
def fetch_status(t: Target) -> dict:
    """Log in and read /status.cgi (the session is dropped afterwards)."""
    base = base_url(t)
    with http_session(t) as s:
        r = s.post(f"{base}/api/auth", json={"username": t.username, "password": t.password},
                   timeout=t.timeout, allow_redirects=False)
        if r.status_code == 404:  # airOS 6
            r = s.post(f"{base}/login.cgi", data={"username": t.username,
                                                  "password": t.password},
                       timeout=t.timeout, allow_redirects=False)
        if r.status_code in (401, 403):
            raise RadioError("HTTP login refused: check the user name and password")
        if r.status_code >= 400:
            raise RadioError(f"HTTP login: status {r.status_code}")
        headers = {}
        if r.headers.get("X-CSRF-ID"):
            headers["X-CSRF-ID"] = r.headers["X-CSRF-ID"]
        with s.get(f"{base}/status.cgi", headers=headers, timeout=t.timeout,
                   allow_redirects=False, stream=True) as st:
            if st.status_code in (302, 401, 403):
                raise RadioError("status.cgi refused the session (login not accepted)")
            if st.status_code != 200:
                raise RadioError(f"status.cgi: status {st.status_code}")
            return read_json(st, "status.cgi", "airOS")


def parse_status(data: dict) -> Reading:
    """status.cgi's JSON (airOS 6 or 8) as a Reading."""
    host = data.get("host") if isinstance(data.get("host"), dict) else {}
    wl = data.get("wireless") if isinstance(data.get("wireless"), dict) else {}
    r = Reading(sources=["http"])
    r.model = str(host.get("devmodel") or "")[:100] or None
    r.firmware = str(host.get("fwversion") or "")[:60] or None
    r.uptime = _int(host.get("uptime"))
    r.cpu = _int(host.get("cpuload"))
    total, free = _int(host.get("totalram")), _int(host.get("freeram"))
    r.memory = _pct(total - free, total) if total and free is not None else None
    r.ssid = str(wl.get("essid") or "")[:64] or None
    r.mode = str(wl.get("mode") or "")[:20] or None
    r.frequency = _int(wl.get("frequency"))
    r.noise = _int(wl.get("noisef"))
    stas = wl.get("sta") if isinstance(wl.get("sta"), list) else None
    if stas is not None:
        r.stations = [station(s) for s in stas if isinstance(s, dict) and s.get("mac")]
    r.station_count = _int(wl.get("count"))
    if r.station_count is None and r.stations is not None:
        r.station_count = len(r.stations)
    r.signal = _int(wl.get("signal"))
    if r.signal is None and r.stations:
        signals = [s.signal for s in r.stations if s.signal is not None]
        if signals:  # a station's link is its AP; an AP's is the mean of its stations'
            r.signal = signals[0] if (r.mode or "").startswith("sta") else \
                round(sum(signals) / len(signals))
    if wl.get("ccq") is not None:
        r.ccq = min(_int(wl.get("ccq")) // 10, 100)  # airOS 6: per mille
    if wl.get("txrate") is not None:  # airOS 6: the PHY rate in Mbit/s
        r.tx_rate = _int(float(_int(wl["txrate"]) or 0) * 1000)
        r.rx_rate = _int(float(_int(wl.get("rxrate")) or 0) * 1000)
    elif isinstance(wl.get("polling"), dict):  # airOS 8: the link's capacity in kbit/s
        r.tx_rate = _int(wl["polling"].get("dl_capacity"))
        r.rx_rate = _int(wl["polling"].get("ul_capacity"))
    if r.signal is not None and r.noise is not None:
        r.snr = r.signal - r.noise
    return r


def station(s: dict) -> Station:
    remote = s.get("remote") if isinstance(s.get("remote"), dict) else {}
    am = s.get("airmax") if isinstance(s.get("airmax"), dict) else {}
    tx = _int(s.get("tx"))
    rx = _int(s.get("rx"))
    return Station(mac=str(s.get("mac"))[:17].upper(),
                   name=str(s.get("name") or remote.get("hostname") or "")[:100] or None,
                   ip=str(s.get("lastip") or "")[:45] or None,
                   signal=_int(s.get("signal")), noise=_int(s.get("noisefloor")),
                   ccq=min(_int(s.get("ccq")) // 10, 100) if s.get("ccq") is not None else None,
                   tx_rate=tx * 1000 if tx is not None else _int(am.get("dl_capacity")),
                   rx_rate=rx * 1000 if rx is not None else _int(am.get("ul_capacity")),
                   distance=_int(s.get("distance")), uptime=_int(s.get("uptime")))


# -- SNMP -----------------------------------------------------------------------------------
def read_snmp(t: Target) -> Reading:
    agent = snmp.Agent(t.host, t.community or "public", t.snmp_port,
                       timeout=min(t.timeout, 3.0), retries=1)
    try:
        s = snmp.session(agent)
        oids = [f"{WL_STAT}.{c}.1" for c in (2, 5, 7, 8, 9, 10, 15)] + \
            [f"{RADIO_FREQ}.1", HOST_CPU, MEM_TOTAL, MEM_AVAIL, snmp.SYS_UPTIME]
        ssid, sig, ccq, noise, tx, rx, count, freq, cpu, mtotal, mavail, up = \
            snmp.get(agent, oids, s)
        if up is None:
            raise RadioError("SNMP: the agent has no sysUpTime")
        r = Reading(sources=["snmp"], ssid=ssid or None, signal=_int(sig), ccq=_int(ccq),
                    noise=_int(noise), tx_rate=_int(tx), rx_rate=_int(rx),
                    station_count=_int(count), frequency=_int(freq), cpu=_int(cpu),
                    memory=ucd_memory(mtotal, mavail), uptime=(_int(up) or 0) // 100)
        if r.signal is not None and r.noise is not None:
            r.snr = r.signal - r.noise
        r.stations = snmp_stations(snmp.walk(agent, STA_TABLE, s))
        return r
    except ProvisioningError as exc:
        raise RadioError(f"SNMP: {exc.reason}") from None


def snmp_stations(rows: dict[str, str]) -> list[Station]:
    """ubntStaTable rows ({column.radio.m1.m2.m3.m4.m5.m6: value}) as stations."""
    by_mac: dict[str, dict[int, str]] = {}
    for suffix, value in rows.items():
        parts = suffix.split(".")
        if len(parts) != 8 or not all(p.isdigit() for p in parts):
            continue
        mac = ":".join(f"{int(p):02X}" for p in parts[2:])
        by_mac.setdefault(mac, {})[int(parts[0])] = value
    return [Station(mac=mac, name=(c.get(2) or None), signal=_int(c.get(3)),
                    noise=_int(c.get(4)), distance=_int(c.get(5)), ccq=_int(c.get(6)),
                    ip=(c.get(10) or None), tx_rate=_int(c.get(11)), rx_rate=_int(c.get(12)))
            for mac, c in sorted(by_mac.items())]


def poll(t: Target) -> Reading:
    """HTTP when a login is set, SNMP when a community is; HTTP's figures first."""
    return combine(t, lambda: parse_status(fetch_status(t)), lambda: read_snmp(t))

"""An airMAX radio: airOS 8's web API over HTTP and a real snmpd serving UBNT-AirMAX-MIB.

HTTP, as airOS 8 answers it (and as clients such as python-airos use it): `POST /api/auth`
with a JSON username/password answers 200 with an `AIROS_<id>` session cookie and an
`X-CSRF-ID` header (401 on a wrong login); `GET /status.cgi` with both answers the status JSON
(`host`, `wireless` with `sta`, `interfaces`), without them 302 to the login page.

SNMP: tests/support/snmp_agent.py's snmpd with a pass_persist table for
.1.3.6.1.4.1.41112 (ubntRadioTable frequency, ubntWlStatTable, ubntAirMaxTable, ubntStaTable
indexed by radio 1 and the station's MAC, ubntHostCpuLoad); MIB-II and UCD memory are the
host's own.
"""
from __future__ import annotations

import secrets
from pathlib import Path

from tests.support.http_emulator import HttpEmulator
from tests.support.snmp_agent import SnmpAgent

UBNT = ".1.3.6.1.4.1.41112.1.4"

STATIONS = [
    {"mac": "24:5A:4C:10:00:01", "name": "cpe-rahim", "ip": "10.20.0.11", "signal": -58,
     "noise": -94, "distance": 1200, "ccq": 96, "tx": 173000, "rx": 144000, "uptime": 86000},
    {"mac": "24:5A:4C:10:00:02", "name": "cpe-karim", "ip": "10.20.0.12", "signal": -71,
     "noise": -93, "distance": 3400, "ccq": 81, "tx": 65000, "rx": 52000, "uptime": 4000},
]


class AirOsEmulator(HttpEmulator):
    name = "airos"
    routes = [("POST", r"/api/auth", "auth"), ("GET", r"/status\.cgi", "status"),
              ("POST", r"/login\.cgi", "old_login")]

    def __init__(self, username: str = "ubnt", password: str = "airmax-pass"):
        super().__init__()
        self.username, self.password = username, password
        self.sessions: dict[str, str] = {}  # cookie value -> CSRF id
        self.stations = [dict(s) for s in STATIONS]
        self.noisef = -92
        self.cpuload = 23.4

    def auth(self, req, seen):
        body = seen.json if isinstance(seen.json, dict) else {}
        if "json" not in (req.content_type or ""):
            self.violation("/api/auth posted without a JSON body")
        if body.get("username") != self.username or body.get("password") != self.password:
            return self.json({"ok": False}, 401)
        cookie, csrf = secrets.token_hex(16), secrets.token_hex(8)
        self.sessions[cookie] = csrf
        resp = self.json({"ok": True, "boardinfo": {"name": "NanoBeam 5AC"}})
        resp.set_cookie("AIROS_24A43C000001", cookie, httponly=True)
        resp.headers["X-CSRF-ID"] = csrf
        return resp

    def old_login(self, req, seen):
        self.violation("airOS 8 has no /login.cgi form login")
        return self.text("not found", 404)

    def status(self, req, seen):
        cookie = req.cookies.get("AIROS_24A43C000001")
        if cookie not in self.sessions:
            resp = self.text("", 302)
            resp.headers["Location"] = "/login.cgi?uri=/status.cgi"
            return resp
        if req.headers.get("X-CSRF-ID") != self.sessions[cookie]:
            self.violation("status.cgi asked without the session's X-CSRF-ID")
        return self.json(self.document())

    def document(self) -> dict:
        sta = [{"mac": s["mac"], "lastip": s["ip"], "signal": s["signal"], "rssi": 96 + s["signal"],
                "noisefloor": s["noise"], "distance": s["distance"], "uptime": s["uptime"],
                "tx_latency": 1, "stats": {"rx_bytes": 1000, "tx_bytes": 2000},
                "airmax": {"dl_capacity": s["tx"], "ul_capacity": s["rx"], "cb_capacity": 0},
                "remote": {"hostname": s["name"], "signal": s["signal"] + 2}}
               for s in self.stations]
        return {
            "host": {"hostname": "ap-mirpur-1", "devmodel": "NanoBeam 5AC", "fwversion": "v8.7.11",
                     "uptime": 345600, "cpuload": self.cpuload, "totalram": 63447040,
                     "freeram": 31723520, "netrole": "bridge", "loadavg": 0.2},
            "wireless": {"essid": "mirpur-sector-1", "mode": "ap-ptmp", "frequency": 5180,
                         "center1_freq": 5190, "chanbw": 40, "noisef": self.noisef,
                         "txpower": 20, "count": len(sta), "sta": sta,
                         "throughput": {"tx": 5400, "rx": 21000},
                         "polling": {"dl_capacity": 250000, "ul_capacity": 210000, "use": 30}},
            "interfaces": [{"ifname": "eth0", "hwaddr": "24:A4:3C:00:00:01", "enabled": True,
                            "status": {"plugged": True, "speed": 1000}},
                           {"ifname": "ath0", "hwaddr": "24:A4:3C:00:00:02", "enabled": True,
                            "status": {"plugged": False}}],
        }

    # -- SNMP ---------------------------------------------------------------------------------
    def snmp_table(self) -> dict[str, tuple[str, object]]:
        t: dict[str, tuple[str, object]] = {
            f"{UBNT}.1.1.4.1": ("integer", 5180),
            f"{UBNT}.5.1.2.1": ("string", "mirpur-sector-1"),
            f"{UBNT}.5.1.5.1": ("integer", -61),
            f"{UBNT}.5.1.7.1": ("integer", 91),
            f"{UBNT}.5.1.8.1": ("integer", self.noisef),
            f"{UBNT}.5.1.9.1": ("integer", 240000),
            f"{UBNT}.5.1.10.1": ("integer", 200000),
            f"{UBNT}.5.1.15.1": ("integer", len(self.stations)),
            f"{UBNT}.6.1.3.1": ("integer", 88),
            f"{UBNT}.6.1.4.1": ("integer", 74),
            f"{UBNT}.8.3.0": ("integer", int(self.cpuload)),
        }
        for s in self.stations:
            idx = "1." + ".".join(str(int(x, 16)) for x in s["mac"].split(":"))
            for col, typ, value in ((2, "string", s["name"]), (3, "integer", s["signal"]),
                                    (4, "integer", s["noise"]), (5, "integer", s["distance"]),
                                    (6, "integer", s["ccq"]), (10, "ipaddress", s["ip"]),
                                    (11, "integer", s["tx"]), (12, "integer", s["rx"])):
                t[f"{UBNT}.7.1.{col}.{idx}"] = (typ, value)
        return t

    def snmpd(self, workdir: Path, community: str = "sector-ro") -> SnmpAgent:
        return SnmpAgent(workdir, community, {".1.3.6.1.4.1.41112": self.snmp_table()}).start()

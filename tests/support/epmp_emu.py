"""A Cambium ePMP radio (an AP or an SM, firmware 4.x): its web UI's JSON API and a real snmpd
serving CAMBIUM-PMP80211-MIB.

HTTP, as the radio answers it (Metasploit's lib/msf/core/auxiliary/epmp.rb `login_2`, and field
adapters for 4.x/5.x): `POST /cgi-bin/luci` with a form username/password answers 200 with
`{"stok", "userRole", "clientIpAddr"}` and a `sysauth_<host>_<port>` cookie; a wrong login is
200 `{"msg": "auth_failed", "success": 0}`; with five sessions open, `max_user_number_reached`.
`POST /cgi-bin/luci/;stok=<stok>/admin/<method>` needs the stok AND its session's cookie (else
200 `auth_failed`) and a body (a bare POST is 411): `get_param` `act=status` answers
`{"success": "1", "device_props": {...}}` with the status under the MIB's names (numbers as
strings, cambiumAPConnectedSTATable a list, cambiumDeviceMode 1 AP / 2 SM, an AP's
cambiumSTADLRSSI "0" and cambiumConnectedAPMACAddress "Not Associated" as real APs say);
`act=config_regular` holds the secrets (asking it is a violation); `logout` ends the session.

SNMP: tests/support/snmp_agent.py's snmpd with a pass_persist table for .1.3.6.1.4.1.17713
(scalars at .0; an AP has cambiumAPConnectedSTATable .21.1.2.30.1 and no SM scalars, an SM the
reverse, as the MIB allocates them); MIB-II and UCD memory are the host's own.
"""
from __future__ import annotations

import secrets
from pathlib import Path

from tests.support.http_emulator import HttpEmulator
from tests.support.snmp_agent import SnmpAgent

MIB = ".1.3.6.1.4.1.17713.21"
MAX_SESSIONS = 5
AP_MAC = "00:04:56:AA:00:01"

STATIONS = [
    {"mac": "00:04:56:AA:BB:01", "name": "cpe-rahim", "ip": "10.30.0.11", "ul_rssi": -58,
     "dl_rssi": -60, "ul_snr": 35, "dl_snr": 33, "quality": 98, "dl_mbps": "260",
     "ul_mbps": "173", "distance": 1200, "session": "0001:00:00:00"},
    {"mac": "00:04:56:AA:BB:02", "name": "cpe-karim", "ip": "10.30.0.12", "ul_rssi": -71,
     "dl_rssi": -73, "ul_snr": 22, "dl_snr": 20, "quality": 81, "dl_mbps": "130",
     "ul_mbps": "104", "distance": 3400, "session": "0000:01:06:40"},
]


class EpmpEmulator(HttpEmulator):
    name = "epmp"
    routes = [("POST", r"/cgi-bin/luci", "login"),
              ("POST", r"/cgi-bin/luci/;stok=(?P<stok>[^/]*)/admin/(?P<method>\w+)", "admin"),
              ("GET", r"/cgi-bin/luci.*", "page")]

    def __init__(self, mode: str = "ap", username: str = "admin", password: str = "epmp-pass"):
        super().__init__()
        assert mode in ("ap", "sm")
        self.mode, self.username, self.password = mode, username, password
        self.sessions: dict[str, str] = {}  # stok -> its sysauth cookie
        self.logins = self.refused = 0
        self.stations = [dict(s) for s in STATIONS]
        self.cpu = 17.4  # percent; SNMP says tenths
        self.sm = {"rssi": -62, "snr": 31, "quality": 94, "km": "1.8"}
        self.expire_sessions = False  # sessions die right after login (a reboot, an age-out)

    def _cookie_name(self, req) -> str:
        return f"sysauth_{req.host.replace(':', '_')}"

    def _has_body(self, req) -> bool:
        return req.headers.get("Content-Length") is not None or \
            req.headers.get("Transfer-Encoding") is not None

    def login(self, req, seen):
        if not self._has_body(req):
            return self.text("Length Required", 411)
        if "x-www-form-urlencoded" not in (req.content_type or ""):
            self.violation("/cgi-bin/luci login posted without a form body")
        if seen.form.get("username") != self.username or \
                seen.form.get("password") != self.password:
            self.refused += 1
            return self.json({"msg": "auth_failed", "success": 0})
        if len(self.sessions) >= MAX_SESSIONS:
            return self.json({"msg": "max_user_number_reached", "success": 0,
                              "users": {"ro": 0, "rw": len(self.sessions)}})
        stok, cookie = secrets.token_hex(16), secrets.token_hex(16)
        self.sessions[stok] = cookie
        self.logins += 1
        resp = self.json({"clientIpAddr": req.remote_addr, "userRole": "admin", "stok": stok,
                          "certif_dir": "/tmp/certif"})
        resp.set_cookie(self._cookie_name(req), cookie, path="/", samesite="Strict")
        return resp

    def admin(self, req, seen, stok: str, method: str):
        if not self._has_body(req):
            return self.text("Length Required", 411)
        if self.expire_sessions:
            self.sessions.pop(stok, None)
        if stok not in self.sessions or \
                req.cookies.get(self._cookie_name(req)) != self.sessions[stok]:
            return self.json({"msg": "auth_failed", "success": 0})
        if method == "logout":
            del self.sessions[stok]
            return self.json({"success": 1})
        if method != "get_param":
            self.violation(f"asked /admin/{method}: a poller reads, it does not act")
            return self.json({"success": 0})
        act = seen.form.get("act")
        if act == "config_regular":
            self.violation("asked act=config_regular: the configuration holds the secrets")
            return self.json({"success": "1", "device_props": {"snmpReadOnlyCommunity": "x"}})
        if act != "status":
            return self.json({"success": "1", "device_props": {}})
        return self.json({"success": "1", "device_props": self.props(), "template_props": {}})

    def page(self, req, seen):
        self.violation("GET of a web page: the API is POST only")
        return self.text("<html>ePMP</html>")

    # -- what the radio reports ---------------------------------------------------------------
    def props(self) -> dict:
        common = {"cambiumHWInfo": "37", "cambiumCurrentuImageVersion": "4.7.0.1",
                  "cambiumCurrentSWInfo": "4.7.0.1", "cambiumSystemUptime": "0004:00:00:00",
                  "cambiumSTAConnectedRFFrequency": "5745", "sysCPUUsage": str(self.cpu),
                  "cambiumSubModeType": "1", "cambiumLANStatus": "1",
                  "dlWLanKbitCount": "81234567", "ulWLanKbitCount": "12345678"}
        if self.mode == "ap":
            return {**common, "cambiumDeviceMode": "1", "cambiumEffectiveDeviceName": "ap-epmp",
                    "cambiumEffectiveSSID": "mirpur-epmp-sector", "cambiumSTADLRSSI": "0",
                    "cambiumSTADLSNR": "0", "cambiumConnectedAPMACAddress": "Not Associated",
                    "cambiumAPNumberOfConnectedSTA": str(len(self.stations)),
                    "cambiumAPConnectedSTATable": [self.http_row(s) for s in self.stations]}
        return {**common, "cambiumDeviceMode": "2", "cambiumEffectiveDeviceName": "sm-epmp",
                "cambiumHWInfo": "38", "cambiumSTADLRSSI": str(self.sm["rssi"]),
                "cambiumSTADLSNR": str(self.sm["snr"]), "staTxQuality": str(self.sm["quality"]),
                "cambiumConnectedAPMACAddress": AP_MAC,
                "cambiumSTAConnectedAP": "mirpur-epmp-sector",
                "cambiumSTADistanceKm": self.sm["km"], "cambiumAPConnectedSTATable": {}}

    @staticmethod
    def http_row(s: dict) -> dict:
        return {"connectedSTAMAC": s["mac"], "connectedClickTHostName": s["name"],
                "connectedSTAIP": s["ip"], "connectedSTAULRSSI": str(s["ul_rssi"]),
                "connectedSTADLRSSI": str(s["dl_rssi"]), "connectedSTAULSNR": str(s["ul_snr"]),
                "connectedSTADLSNR": str(s["dl_snr"]), "connectedSTATXQuality": str(s["quality"]),
                "connectedSTATXCapacity": "95", "connectedSTADLRateMbps": s["dl_mbps"],
                "connectedSTAULRateMbps": s["ul_mbps"], "connectedSTADistance": str(s["distance"]),
                "connectedSTASessionTime": s["session"], "connectedSTASoftwareVersion": "4.7.0.1"}

    # -- SNMP ---------------------------------------------------------------------------------
    def snmp_table(self) -> dict[str, tuple[str, object]]:
        t: dict[str, tuple[str, object]] = {
            f"{MIB}.1.1.2.0": ("integer", 37 if self.mode == "ap" else 38),
            f"{MIB}.1.1.4.0": ("string", "0004:00:00:00"),
            f"{MIB}.1.1.17.0": ("string", "4.7.0.1"),
            f"{MIB}.1.2.1.0": ("integer", 5745),
            f"{MIB}.2.1.64.0": ("counter", int(self.cpu * 10)),
            f"{MIB}.3.8.2.1.0": ("integer", 1 if self.mode == "ap" else 2),
        }
        if self.mode == "sm":
            t.update({f"{MIB}.1.2.3.0": ("integer", self.sm["rssi"]),
                      f"{MIB}.1.2.8.0": ("string", "mirpur-epmp-sector"),
                      f"{MIB}.1.2.12.0": ("string", self.sm["km"]),
                      f"{MIB}.1.2.18.0": ("integer", self.sm["snr"]),
                      f"{MIB}.1.2.19.0": ("string", AP_MAC),
                      f"{MIB}.1.2.22.0": ("integer", self.sm["quality"])})
            return t
        t[f"{MIB}.1.1.11.0"] = ("string", "mirpur-epmp-sector")
        t[f"{MIB}.1.2.10.0"] = ("integer", len(self.stations))
        t[f"{MIB}.1.2.19.0"] = ("string", "Not Associated")
        for i, s in enumerate(self.stations, 1):
            for col, typ, value in ((1, "string", s["mac"]), (2, "integer", i),
                                    (4, "integer", s["ul_rssi"]), (5, "integer", s["dl_rssi"]),
                                    (6, "integer", s["ul_snr"]), (7, "integer", s["dl_snr"]),
                                    (10, "ipaddress", s["ip"]), (18, "string", s["name"]),
                                    (19, "integer", 95), (20, "integer", s["quality"]),
                                    (27, "string", s["session"]), (28, "string", s["dl_mbps"]),
                                    (29, "integer", s["distance"])):
                t[f"{MIB}.1.2.30.1.{col}.{i}"] = (typ, value)
        return t

    def snmpd(self, workdir: Path, community: str = "epmp-ro") -> SnmpAgent:
        return SnmpAgent(workdir, community, {".1.3.6.1.4.1.17713": self.snmp_table()}).start()

"""A Zabbix frontend's JSON-RPC API (api_jsonrpc.php), written from Zabbix's API manual:

- every request is a POST of `{"jsonrpc": "2.0", "method", "params", "id"}` with
  Content-Type application/json-rpc (or application/json); the answer is
  `{"jsonrpc": "2.0", "result", "id"}` or `{"jsonrpc": "2.0", "error": {"code", "message",
  "data"}, "id"}`;
- API tokens go in `Authorization: Bearer <token>` (6.4+); the `auth` member is refused as in
  7.2 ("unexpected parameter"); apiinfo.version is asked without authentication;
- host.get (`output`, `selectInterfaces`: interface `available` 0 unknown, 1 available,
  2 unavailable), problem.get (unresolved problems unless `recent`; `severities`, `eventids`),
  event.get (`eventids`, `time_from`, `selectHosts`, `value`, `limit`); ids, clocks and enum
  values are strings, as the real API returns them.

`violations` lists anything we sent that the manual does not allow.
"""
from __future__ import annotations

import time

from tests.support.http_emulator import HttpEmulator

KNOWN = {
    "host.get": {"output", "selectInterfaces", "limit", "hostids", "filter", "search",
                 "sortfield", "sortorder", "selectTags", "monitored_hosts"},
    "problem.get": {"output", "source", "object", "recent", "severities", "eventids",
                    "sortfield", "sortorder", "limit", "acknowledged", "suppressed",
                    "selectTags", "hostids", "time_from", "time_till"},
    "event.get": {"output", "eventids", "source", "object", "value", "time_from", "time_till",
                  "selectHosts", "sortfield", "sortorder", "limit", "severities", "hostids"},
    "apiinfo.version": set(),
}
PROBLEM_FIELDS = {"eventid", "source", "object", "objectid", "clock", "ns", "r_eventid",
                  "r_clock", "r_ns", "correlationid", "userid", "name", "acknowledged",
                  "severity", "suppressed", "opdata", "urls", "cause_eventid"}


class ZabbixEmulator(HttpEmulator):
    name = "zabbix"
    routes = [("POST|GET", r"/zabbix/api_jsonrpc\.php", "rpc")]
    version = "7.0.5"

    def __init__(self, token: str = "tok-" + "a" * 60):
        super().__init__()
        self.token = token
        self.hosts: list[dict] = []
        self.problems: list[dict] = []   # each also has "hostids": [...] and "resolved"
        self.methods: list[str] = []

    # -- the test's side -------------------------------------------------------------------
    def add_host(self, hostid: str, name: str, available: str = "1", error: str = "") -> None:
        self.hosts.append({"hostid": hostid, "host": name.lower().replace(" ", "-"),
                           "name": name, "status": "0",
                           "interfaces": [{"interfaceid": str(100 + len(self.hosts)),
                                           "type": "2", "available": available,
                                           "error": error}]})

    def add_problem(self, eventid: str, name: str, severity: int, hostid: str,
                    clock: int | None = None) -> None:
        self.problems.append({"eventid": eventid, "source": "0", "object": "0",
                              "objectid": str(20000 + int(eventid)),
                              "clock": str(clock or int(time.time()) - 600), "ns": "0",
                              "r_eventid": "0", "r_clock": "0", "r_ns": "0",
                              "correlationid": "0", "userid": "0", "name": name,
                              "acknowledged": "0", "severity": str(severity),
                              "suppressed": "0", "opdata": "", "urls": [],
                              "cause_eventid": "0", "hostids": [hostid], "resolved": None})

    def resolve(self, eventid: str) -> None:
        for p in self.problems:
            if p["eventid"] == eventid:
                p["resolved"] = int(time.time())

    # -- the API ----------------------------------------------------------------------------
    def error(self, rid, code: int, message: str, data: str):
        return self.json({"jsonrpc": "2.0", "error": {"code": code, "message": message,
                                                      "data": data}, "id": rid})

    def rpc(self, req, seen):
        if req.method != "POST":
            self.violation("api_jsonrpc.php asked with GET")
            return self.error(None, -32600, "Invalid request.", "POST only")
        ctype = (req.content_type or "").split(";")[0].strip()
        if ctype not in ("application/json-rpc", "application/json", "application/jsonrequest"):
            self.violation(f"Content-Type {ctype!r}")
            return self.error(None, -32700, "Parse error.", "Invalid JSON. Unsupported type.")
        import json
        try:
            body = json.loads(seen.body)
        except ValueError:
            self.violation("body is not JSON")
            return self.error(None, -32700, "Parse error.", "Invalid JSON.")
        rid = body.get("id") if isinstance(body, dict) else None
        if not isinstance(body, dict) or body.get("jsonrpc") != "2.0":
            self.violation("jsonrpc is not 2.0")
            return self.error(rid, -32600, "Invalid request.", 'Invalid parameter "/jsonrpc".')
        if "auth" in body:
            self.violation("the deprecated auth member was sent")
            return self.error(rid, -32600, "Invalid request.",
                              'Invalid parameter "/": unexpected parameter "auth".')
        method, params = body.get("method"), body.get("params")
        if method not in KNOWN:
            self.violation(f"unknown method {method!r}")
            return self.error(rid, -32601, "Method not found.", f"Incorrect API {method!r}.")
        self.methods.append(method)
        if not isinstance(params, (dict, list)):
            self.violation(f"{method}: params is not an object")
            return self.error(rid, -32602, "Invalid params.", "params must be an object")
        auth = req.headers.get("Authorization", "")
        if method == "apiinfo.version":
            if auth:
                self.violation("apiinfo.version asked with authentication")
            return self.json({"jsonrpc": "2.0", "result": self.version, "id": rid})
        if auth != f"Bearer {self.token}":
            if not auth.startswith("Bearer "):
                self.violation(f"{method}: no Bearer token")
            return self.error(rid, -32602, "Invalid params.",
                              "Not authorized.")
        unknown = set(params) - KNOWN[method]
        if unknown:
            self.violation(f"{method}: parameters the manual does not list: {sorted(unknown)}")
        return self.json({"jsonrpc": "2.0", "result": getattr(self, method.replace(".", "_"))(
            params), "id": rid})

    @staticmethod
    def _pick(obj: dict, output) -> dict:
        if output in (None, "extend"):
            return dict(obj)
        return {k: obj[k] for k in output if k in obj}

    def host_get(self, params: dict) -> list[dict]:
        out = []
        for h in self.hosts[:int(params.get("limit") or 10**6)]:
            row = self._pick({k: v for k, v in h.items() if k != "interfaces"},
                             params.get("output"))
            if "selectInterfaces" in params:
                row["interfaces"] = [self._pick(i, params["selectInterfaces"])
                                     for i in h["interfaces"]]
            out.append(row)
        return out

    def problem_get(self, params: dict) -> list[dict]:
        bad = set(params.get("output") or []) - PROBLEM_FIELDS \
            if isinstance(params.get("output"), list) else set()
        if bad:
            self.violation(f"problem.get: output fields the problem object lacks: {sorted(bad)}")
        found = [p for p in self.problems if p["resolved"] is None or params.get("recent")]
        if params.get("severities") is not None:
            want = {int(s) for s in params["severities"]}
            found = [p for p in found if int(p["severity"]) in want]
        if params.get("eventids") is not None:
            found = [p for p in found if p["eventid"] in set(map(str, params["eventids"]))]
        found.sort(key=lambda p: int(p["eventid"]), reverse=params.get("sortorder") == "DESC")
        return [self._pick({k: v for k, v in p.items() if k not in ("hostids", "resolved")},
                           params.get("output")) for p in found[:int(params.get("limit") or 10**6)]]

    def _events(self) -> list[dict]:
        out = []
        for p in self.problems:
            base = {"source": "0", "object": "0", "objectid": p["objectid"],
                    "severity": p["severity"], "name": p["name"], "hostids": p["hostids"],
                    "acknowledged": p["acknowledged"], "ns": "0"}
            out.append({**base, "eventid": p["eventid"], "clock": p["clock"], "value": "1"})
            if p["resolved"]:
                out.append({**base, "eventid": str(int(p["eventid"]) + 100000),
                            "clock": str(p["resolved"]), "value": "0", "severity": "0"})
        return out

    def event_get(self, params: dict) -> list[dict]:
        found = self._events()
        if params.get("eventids") is not None:
            found = [e for e in found if e["eventid"] in set(map(str, params["eventids"]))]
        if params.get("time_from") is not None:
            found = [e for e in found if int(e["clock"]) >= int(params["time_from"])]
        if params.get("value") is not None:
            found = [e for e in found if e["value"] == str(params["value"])]
        found.sort(key=lambda e: (int(e["clock"]), int(e["eventid"])),
                   reverse=params.get("sortorder") == "DESC")
        names = {h["hostid"]: h["name"] for h in self.hosts}
        out = []
        for e in found[:int(params.get("limit") or 10**6)]:
            row = self._pick({k: v for k, v in e.items() if k != "hostids"}, params.get("output"))
            if "selectHosts" in params:
                row["hosts"] = [self._pick({"hostid": h, "name": names.get(h, h)},
                                           params["selectHosts"]) for h in e["hostids"]]
            out.append(row)
        return out

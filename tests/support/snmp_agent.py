"""Debian's snmpd on a free local port with a test configuration.

The real agent serves the host's own MIB-II (sysUpTime, ifTable, ifXTable with 64-bit counters
for `lo`, which the tests make move by sending traffic over loopback). Vendor subtrees (an OLT's
ONU tables) come from a `pass_persist` helper that answers from a fixed OID table in a JSON file,
so Huawei/ZTE OLT drivers are tested over real SNMP with deterministic values.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

PASS_PERSIST = Path(__file__).with_name("snmp_pass_persist.py")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SnmpAgent:
    def __init__(self, workdir: Path, community: str = "public",
                 tables: dict[str, dict[str, tuple[str, object]]] | None = None):
        """`tables` maps a subtree root OID to {full OID: (type, value)} served by pass_persist."""
        self.dir = workdir
        self.community = community
        self.port = free_port()
        self.tables = tables or {}
        self.proc: subprocess.Popen | None = None

    def config(self) -> str:
        lines = [f"agentAddress udp:127.0.0.1:{self.port}",
                 f"rocommunity {self.community} 127.0.0.1",
                 "sysLocation radbill test rack", "sysContact noc@example.net",
                 "sysServices 72"]
        for root in self.tables:
            data = self.dir / f"table{root.replace('.', '_')}.json"
            data.write_text(json.dumps(self.tables[root]))
            lines.append(f"pass_persist {root} {sys.executable} {PASS_PERSIST} {data}")
        return "\n".join(lines) + "\n"

    def start(self) -> "SnmpAgent":
        conf = self.dir / "snmpd.conf"
        conf.write_text(self.config())
        snmpd = shutil.which("snmpd") or "/usr/sbin/snmpd"
        # -C: only our config; -f: foreground; -Lf: log to a file; no MIB loading needed.
        self.proc = subprocess.Popen(
            [snmpd, "-f", "-C", "-c", str(conf), "-Lf", str(self.dir / "snmpd.log"),
             "-p", str(self.dir / "snmpd.pid")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            env={**os.environ, "MIBS": "", "SNMP_PERSISTENT_DIR": str(self.dir)})
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            r = subprocess.run(["snmpget", "-v2c", "-c", self.community, "-On", "-t", "0.5",
                                "-r", "0", f"127.0.0.1:{self.port}", ".1.3.6.1.2.1.1.3.0"],
                               capture_output=True, text=True)
            if r.returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError(f"snmpd did not start: {(self.dir / 'snmpd.log').read_text()}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

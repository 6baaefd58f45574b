"""The provisioning functions through the real `radbill call` command line."""
from __future__ import annotations

import json

import pytest

from tests.support.ssh_olt import OltSshServer

pytestmark = pytest.mark.integration


def test_olt_and_onus_from_the_command_line(cli):
    ssh = OltSshServer("vsol.txt", users={"admin": "vsol-pw"}).start()
    try:
        r = cli("call", "olt.edit", "sok=ok", "name=vsol-cli", "brand=vsol", "host=127.0.0.1",
                f"ssh_port={ssh.port}", "username=admin", "password=vsol-pw")
        assert r.returncode == 0, r.stderr
        r = cli("call", "olt.sync", "elid=vsol-cli", "out=json")
        assert r.returncode == 0, r.stderr
        r = cli("call", "onu", "status=online", "out=json")
        assert r.returncode == 0, r.stderr
        body = json.loads(r.stdout)
        assert "98:2A:0A:A0:25:B9" in r.stdout and "-10.74" in r.stdout, body
        r = cli("call", "olt", "out=json")
        assert "vsol-pw" not in r.stdout  # credentials never listed
        r = cli("call", "olt.edit", "sok=ok", "name=bad", "brand=zte", "host=127.0.0.1",
                "optics_interval=60")
        assert r.returncode == 1 and "optics_interval" in r.stderr and "at least 900" in r.stderr
    finally:
        ssh.stop()

"""FreeRADIUS never prints the database password (issue 10): rlm_sql and the radbill module get
a connection string naming a passfile (mode 0600), not a password, even in full debug."""
from __future__ import annotations

import os
import stat
import subprocess
import time

from psycopg.conninfo import conninfo_to_dict

from radbill import radiusconf, settings
from tests.support.radius_helpers import RadiusServer


def test_freeradius_debug_output_has_no_database_password(database_url, tmp_path):
    password = conninfo_to_dict(settings.get().psycopg_dsn).get("password")
    assert password, "the test database URL carries a password to keep out of the logs"
    server = RadiusServer(tmp_path / "radius")
    conf = (server.directory / "radiusd.conf").read_text()
    assert f"password={password}" not in conf and f":{password}@" not in conf
    passfile = server.directory / "pgpass"
    assert stat.S_IMODE(os.stat(passfile).st_mode) == 0o600
    assert f"passfile={passfile}" in conf
    log = server.directory / "debug.log"
    with open(log, "w") as out:  # -X: the most it ever prints (every setting, every connection)
        proc = subprocess.Popen(radiusconf.argv(server.directory) + ["-xx"], stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while "Ready to process requests" not in log.read_text(errors="replace"):
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait(15)
    text = log.read_text(errors="replace")
    assert "passfile=" in text  # the connection strings are printed...
    for leak in (f"password={password}", f"password='{password}'", f"password = \"{password}\"",
                 f":{password}@"):
        assert leak not in text, leak  # ...without the password

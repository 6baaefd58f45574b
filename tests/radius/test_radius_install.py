"""`radbill radius install` (issue 16): the configuration where Debian's freeradius.service reads
it, checked the way that unit starts it -- `freeradius -Cx -lstdout` as the freerad user -- so
an ISP can run it as it runs FreeRADIUS today."""
from __future__ import annotations

import os
import pwd
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from radbill import radiusconf

FREERAD = "freerad"


@pytest.fixture
def root():
    """A scratch tree every user may walk (the unit's user must reach the files)."""
    path = Path(tempfile.mkdtemp(prefix="radbill-install-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def test_install_writes_the_packaged_layout_and_freerad_can_start_it(cli, root):
    try:
        uid = pwd.getpwnam(FREERAD).pw_uid
    except KeyError:
        pytest.skip("Debian's freeradius package makes the freerad user")
    packaged = root / radiusconf.DEBIAN_CONFDIR
    packaged.mkdir(parents=True)
    (packaged / "radiusd.conf").write_text("# Debian's own\n")

    proc = cli("radius", "install", "--root", str(root))
    assert proc.returncode == 0, proc.stderr
    confdir = root / radiusconf.DEBIAN_CONFDIR
    assert "the packaged configuration moved to" in proc.stdout
    assert (root / "etc/freeradius/3.0.debian/radiusd.conf").read_text() == "# Debian's own\n"
    conf = (confdir / "radiusd.conf").read_text()
    assert f"logdir = {root}/var/log/freeradius" in conf
    assert f"run_dir = {root}/run/freeradius" in conf
    # readable by the service's group, the password file only by its user, nothing by others
    mode = (confdir / "radiusd.conf").stat()
    assert stat.S_IMODE(mode.st_mode) == 0o640
    pgpass = (confdir / "pgpass").stat()
    assert pgpass.st_uid == uid and stat.S_IMODE(pgpass.st_mode) == 0o600
    assert "password" not in conf.split("radius_db")[1].split("\n")[0]
    drop_in = (root / radiusconf.DROP_IN).read_text()
    assert "[Service]" in drop_in and "MemoryMax=infinity" in drop_in

    # what the unit's ExecStartPre runs, as the unit's user
    check = subprocess.run(
        ["su", FREERAD, "-s", "/bin/sh", "-c",
         f"/usr/sbin/freeradius -Cx -lstdout -d {confdir}"],
        capture_output=True, text=True, timeout=120, env=os.environ.copy())
    assert check.returncode == 0, check.stdout[-3000:] + check.stderr[-2000:]

    # a second install rewrites radbill's own directory and leaves the moved one alone
    again = cli("radius", "install", "--root", str(root))
    assert again.returncode == 0, again.stderr
    assert "moved" not in again.stdout
    assert (root / "etc/freeradius/3.0.debian/radiusd.conf").exists()

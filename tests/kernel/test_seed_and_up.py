"""`radbill seed` and `radbill up` as an operator would run them."""
import os
import signal
import socket
import subprocess
import time

import sqlalchemy as sa

from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_seed_loads_a_consistent_realistic_isp_and_appends_on_a_second_run(cli, committed):
    r = cli("seed", "--customers", "500", "--sessions", "2")
    assert r.returncode == 0, r.stderr
    assert "seeded 500 customers, 1,000 past sessions" in r.stdout
    with committed.connect() as conn:
        q = lambda sql: conn.execute(sa.text(sql)).scalar()  # noqa: E731
        assert q("select count(*) from customers") == 500
        assert q("select count(distinct operator_id) from customers") > 5
        assert q("select count(*) from operators where level = 'sub'") >= 5
        assert q("select count(*) from ip_pools where suspended") == 1
        assert q("select count(*) from radacct where acctstoptime is null") > 100
        # every open session belongs to a customer who may be online
        assert q("select count(*) from radacct r join customers c on c.username = r.username "
                 "where r.acctstoptime is null and c.status not in ('active', 'fup')") == 0
        assert q("select count(*) from customers where mobile !~ '^\\+8801[3-9][0-9]{8}$'") == 0
    r = cli("seed", "--customers", "100", "--sessions", "0")
    assert r.returncode == 0, r.stderr
    with committed.connect() as conn:
        assert conn.execute(sa.text("select count(*) from customers")).scalar() == 600
    listed = cli("call", "customer", "q=c000055", "out=text").stdout
    assert "username=c0000550" in listed


def test_up_starts_every_part_prints_the_first_admin_once_and_stops_on_ctrl_c(committed, tmp_path):
    env = dict(os.environ, RADBILL_ADMIN_PORT=str(free_port()),
               RADBILL_RADIUS_AUTH_PORT=str(free_port()), RADBILL_RADIUS_ACCT_PORT=str(free_port()),
               RADBILL_RADIUS_DIR=str(tmp_path / "freeradius"))
    exe = str(ROOT / ".venv" / "bin" / "radbill")

    def start():
        return subprocess.Popen([exe, "up"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, env=env, start_new_session=True)

    proc = start()
    lines = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "first run - admin login" in line:
            break
    out = "".join(lines)
    assert "first run - admin login: admin / " in out, out
    time.sleep(2)
    assert proc.poll() is None, out + proc.stdout.read()
    os.killpg(proc.pid, signal.SIGINT)
    rest = proc.communicate(timeout=30)[0]
    assert proc.returncode == 0, out + rest
    assert "radbill up: stopped" in rest
    with committed.connect() as conn:
        assert conn.execute(sa.text("select role from staff_users where login = 'admin'")).scalar() == "admin"
    # the second run shows no password again
    proc = start()
    time.sleep(4)
    os.killpg(proc.pid, signal.SIGINT)
    out2 = proc.communicate(timeout=30)[0]
    assert "admin login" not in out2 and proc.returncode == 0, out2

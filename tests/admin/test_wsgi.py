"""The admin as `radbill up` runs it: gunicorn admin.wsgi:app against the real database."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from radbill import db

from tests.conftest import ROOT  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return resp.read().decode()


def test_gunicorn_serves_pages_and_the_func_api(committed):
    from tests.support.factories import make_operator, make_user
    with db.session_scope() as s:
        make_operator(s, name="isp")
        make_user(s, login="gunny", role="group_admin", operator="isp", password="correct-horse")
    port = free_port()
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "gunicorn"), "--workers", "1", "--bind",
                             f"127.0.0.1:{port}", "admin.wsgi:app"],
                            cwd=ROOT, env=os.environ.copy(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                assert "Log in" in get(base + "/login")
                break
            except OSError:
                time.sleep(0.1)
        body = get(base + "/billmgr?func=auth&username=gunny&password=correct-horse&out=xml")
        sid = re.search(r'<auth id="([0-9a-f]+)"', body).group(1)
        assert "<name>isp</name>" in get(f"{base}/billmgr?func=operator&auth={sid}&out=xml")
    finally:
        proc.terminate()
        log = proc.communicate(timeout=20)[0].decode()
    assert "Request [127.0.0.1][gunny] 'func=operator'" in log

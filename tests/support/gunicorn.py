"""The admin as `radbill up` runs it: gunicorn admin.wsgi:app from the project root (so its
gunicorn.conf.py is read) against the test database, on a free port."""
from __future__ import annotations

import os
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from typing import Iterator

from tests.conftest import ROOT
from tests.support.device_fixtures import free_tcp_port


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return resp.read().decode()


@contextmanager
def gunicorn(*args: str, workers: int = 1,
             env: dict[str, str] | None = None) -> Iterator[tuple[str, list[str]]]:
    """Yield (base URL, log lines so far); the log (stdout and stderr) is complete once the
    block ends, when the server has been stopped. `env`: variables added to this process's."""
    port = free_tcp_port()
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "gunicorn"), "--workers", str(workers),
                             "--bind", f"127.0.0.1:{port}", *args, "admin.wsgi:app"],
                            cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    base, log = f"http://127.0.0.1:{port}", []
    try:
        for _ in range(100):
            try:
                get(base + "/login")
                break
            except OSError:
                time.sleep(0.1)
        yield base, log
    finally:
        proc.terminate()
        log.append(proc.communicate(timeout=20)[0].decode())

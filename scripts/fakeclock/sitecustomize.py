"""Put on PYTHONPATH by scripts/test-on-day, so every Python interpreter imports it at start.

FreeRADIUS loads rlm_python3 with RTLD_DEEPBIND, so the interpreter embedded in it binds
clock_gettime() straight to libc, past the LD_PRELOADed scripts/fakeclock.c shim. In such an
interpreter (its wall clock agrees with a new file's mtime) time.time() and time.time_ns() are
shifted by the same RADBILL_FAKE_OFFSET; elsewhere this does nothing. radius_module reads the
clock only through time.time().
"""
import os
import tempfile
import time


def _shift() -> None:
    offset = int(os.environ.get("RADBILL_FAKE_OFFSET") or 0)
    if abs(offset) < 3600:
        return
    with tempfile.TemporaryFile() as f:
        real = os.fstat(f.fileno()).st_mtime  # set by the kernel: never faked
    if abs(time.time() - real) > abs(offset) / 2:
        return  # the shim works in this process
    real_time, real_time_ns = time.time, time.time_ns
    time.time = lambda: real_time() + offset
    time.time_ns = lambda: real_time_ns() + offset * 1_000_000_000


_shift()

"""The several-nodes topology (HACKING.md, "Several nodes") on one machine, as separate
processes: RADIUS nodes (FreeRADIUS with radbill's module) behind a FreeRADIUS proxy, schedulers,
outbox workers, and a streaming replica of the test database's PostgreSQL cluster made with
pg_basebackup. Everything binds free ports and lives in temporary directories."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict

from tests.conftest import ROOT
from tests.support.device_fixtures import free_tcp_port
from tests.support.radius_helpers import SECRET, RadiusServer, free_udp_port

PG_BIN = Path("/usr/lib/postgresql") / sorted(os.listdir("/usr/lib/postgresql"))[-1] / "bin"
PROXY_ADDR = "127.0.0.5"  # the proxy talks to the nodes from here (their RADBILL_RADIUS_PROXIES)
PROXY_SECRET = "proxy-to-node-secret"


class Process:
    """A child process in a session of its own, its stdout and stderr in `log`."""

    def __init__(self, name: str, argv: list[str], log: Path, env: dict[str, str] | None = None,
                 cwd: Path = ROOT) -> None:
        self.name, self.log = name, log
        self.out = open(log, "w")
        self.proc = subprocess.Popen(argv, stdout=self.out, stderr=subprocess.STDOUT, cwd=cwd,
                                     env={**os.environ, **(env or {})}, start_new_session=True)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not say {text!r}:\n{self.output()[-3000:]}")
            time.sleep(0.05)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL, as a host that dies."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self, timeout: float = 15) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.out.close()
        return self.proc.returncode


def radbill(name: str, args: list[str], log: Path, env: dict[str, str] | None = None) -> Process:
    """The real `radbill` command (scheduler, worker) against the test database."""
    return Process(name, [str(ROOT / ".venv" / "bin" / "radbill"), *args], log, env)


# -- RADIUS -------------------------------------------------------------------------------------
def node(directory: Path) -> RadiusServer:
    """A RADIUS node that knows the proxy (PROXY_ADDR, PROXY_SECRET) as radbill's proxy."""
    import dataclasses

    from radbill import radiusconf, settings
    s = dataclasses.replace(settings.get(), radius_proxies=PROXY_ADDR,
                            radius_proxy_secret=PROXY_SECRET)
    return RadiusServer(directory, proxy_clients=radiusconf.proxy_clients(s))


class Proxy(RadiusServer):
    """The front-end FreeRADIUS proxy over `nodes`, rendered by radiusconf.render_proxy, with
    short timers so a dead node is noticed in seconds (ISPs keep FreeRADIUS' defaults)."""

    def __init__(self, directory: Path, nodes: list[RadiusServer], auth_pool: str,
                 acct_pool: str) -> None:
        from radbill import radiusconf, settings
        self.auth_port, self.acct_port = free_udp_port(), free_udp_port()
        self.directory = radiusconf.render_proxy(
            settings.get(), directory,
            [radiusconf.Node("127.0.0.1", n.auth_port, n.acct_port) for n in nodes],
            auth_pool, acct_pool, src_addr=PROXY_ADDR, secret=PROXY_SECRET,
            auth_port=self.auth_port, acct_port=self.acct_port, listen_addr="127.0.0.1",
            response_window=1, zombie_period=2, revive_interval=10, check_interval=1,
            check_timeout=1, client_lifetime=300)
        self.log = self.directory / "stdout.log"
        self.proc = None


def client(server: RadiusServer, source: str, secret: bytes = SECRET, timeout: float = 1.0,
           retries: int = 1):
    """A pyrad client of `server` from the NAS at `source`."""
    return server.client(source, secret, timeout=timeout, retries=retries)


# -- the streaming replica ----------------------------------------------------------------------
class Replica:
    """A hot standby of the cluster holding the test database: `pg_basebackup -R` (as the
    postgres user, over the local socket: Debian's `local replication all peer`) into a
    temporary directory, started on a free port with its socket there. The test's own
    superuser access is `trust` on that private socket."""

    def __init__(self, primary_url: str) -> None:
        params = conninfo_to_dict(primary_url.replace("postgresql+psycopg://", "postgresql://"))
        self.primary_host = params.get("host") or "/var/run/postgresql"
        self.primary_port = str(params.get("port") or 5432)
        self.dbname = params["dbname"]
        self.user, self.password = params.get("user"), params.get("password")
        self.base = Path(tempfile.mkdtemp(prefix="radbill-replica-"))
        self.data, self.sock = self.base / "data", self.base / "sock"
        self.port = free_tcp_port()
        self.seconds = 0.0  # how long the base backup took

    def as_postgres(self, *argv: str, timeout: float = 300) -> subprocess.CompletedProcess:
        proc = subprocess.run(["runuser", "-u", "postgres", "--", *argv], capture_output=True,
                              text=True, timeout=timeout, cwd="/")
        if proc.returncode:
            raise RuntimeError(f"{argv[0]} failed: {proc.stdout}{proc.stderr}")
        return proc

    def primary_setting(self, name: str) -> str:
        out = self.as_postgres(str(PG_BIN / "psql"), "-h", self.primary_host, "-p",
                               self.primary_port, "-Atc", f"SHOW {name}")
        return out.stdout.strip()

    def start(self) -> Replica:
        self.sock.mkdir()
        shutil.chown(self.base, "postgres", "postgres")
        shutil.chown(self.sock, "postgres", "postgres")
        started = time.monotonic()
        self.as_postgres(str(PG_BIN / "pg_basebackup"), "-D", str(self.data), "-R",
                         "-X", "stream", "--checkpoint=fast", "-h", self.primary_host,
                         "-p", self.primary_port)
        self.seconds = time.monotonic() - started
        # Debian keeps the configuration outside the data directory, so the copy has none. A
        # hot standby needs these at least as large as its primary's.
        same = {name: self.primary_setting(name) for name in (
            "max_connections", "max_worker_processes", "max_wal_senders",
            "max_prepared_transactions", "max_locks_per_transaction")}
        conf = {**same, "port": self.port, "listen_addresses": "''",
                "unix_socket_directories": f"'{self.sock}'", "hot_standby": "on",
                "shared_buffers": "'32MB'", "fsync": "off", "logging_collector": "off",
                "wal_receiver_status_interval": "'1s'", "hot_standby_feedback": "on"}
        (self.data / "postgresql.conf").write_text(
            "".join(f"{k} = {v}\n" for k, v in conf.items()))
        (self.data / "pg_hba.conf").write_text("local all all trust\n")
        (self.data / "pg_ident.conf").write_text("")
        for name in ("postgresql.conf", "pg_hba.conf", "pg_ident.conf"):
            shutil.chown(self.data / name, "postgres", "postgres")
        self.as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l",
                         str(self.base / "replica.log"), "-w", "-t", "60", "start")
        return self

    @property
    def url(self) -> str:
        """The app's URL of the test database on the replica (RADBILL_REPLICA_URL)."""
        return (f"postgresql+psycopg://{self.user}:{self.password}@/{self.dbname}"
                f"?host={self.sock}&port={self.port}")

    def connect(self, dbname: str | None = None) -> psycopg.Connection:
        """A superuser connection to the replica (pg_wal_replay_pause and the like)."""
        return psycopg.connect(host=str(self.sock), port=self.port, user="postgres",
                               dbname=dbname or self.dbname, autocommit=True)

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D",
                            str(self.data), "-m", "immediate", "-w", "stop"],
                           capture_output=True, timeout=60, cwd="/")
        shutil.rmtree(self.base, ignore_errors=True)

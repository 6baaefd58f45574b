"""Render the FreeRADIUS configuration from freeradius-config/ and say how to run it.

`radbill radius config DIR` and `radbill up` both call `render`; `processes` is what `radbill up`
starts. The templates hold FreeRADIUS syntax with `@@name@@` markers (FreeRADIUS itself uses
`${...}` and `%{...}`, so neither can be the marker).
"""
from __future__ import annotations

import re
import shutil
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from radbill import settings as settings_mod
from radbill.settings import PROJECT_ROOT, Settings

TEMPLATES = PROJECT_ROOT / "freeradius-config"
FREERADIUS = shutil.which("freeradius") or "/usr/sbin/freeradius"
_MARK = re.compile(r"@@(\w+)@@")
# Debian's stock PostgreSQL queries, copied next to the stock configuration the benchmark runs
STOCK_QUERIES = Path("/etc/freeradius/3.0/mods-config/sql/main/postgresql/queries.conf")


def fill(text: str, values: dict[str, object]) -> str:
    """Replace every @@name@@; a marker without a value is an error, not an empty string."""
    def one(m: re.Match) -> str:
        if m.group(1) not in values:
            raise KeyError(f"no value for @@{m.group(1)}@@")
        return str(values[m.group(1)])
    return _MARK.sub(one, text)


def python_path() -> str:
    """rlm_python3 embeds Debian's python3: give it our venv's packages and the repository
    (appended to sys.path; .pth files such as the editable install are not read there)."""
    return ":".join([sysconfig.get_paths()["purelib"], str(PROJECT_ROOT)])


def conninfo(url: str) -> str:
    """libpq key=value form: rlm_sql_postgresql appends options, which breaks a URI."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo
    return make_conninfo("", **conninfo_to_dict(url))


def passfile_line(password: str, user: str = "*") -> str:
    """A libpq password file line for `user` (any host, port and database)."""
    def esc(v: str) -> str:
        return v.replace("\\", "\\\\").replace(":", "\\:")
    return f"*:*:*:{esc(user)}:{esc(password)}\n"


def secret_free_conninfo(url: str, directory: Path) -> str:
    """The connection string FreeRADIUS gets, with no password in it: rlm_sql_postgresql and
    `radiusd -X` print the string they connect with, and the configuration dump prints both
    settings holding it. A password in `url` moves to `directory`/pgpass (mode 0600) and the
    string names that file (libpq's `passfile`); without one, libpq's own PGPASSFILE or
    ~/.pgpass (or peer authentication) applies as for any client."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo
    params = conninfo_to_dict(url)
    password = params.pop("password", None)
    if password:
        path = directory / "pgpass"
        tmp = path.with_suffix(".tmp")
        tmp.touch(mode=0o600)
        tmp.chmod(0o600)
        tmp.write_text(passfile_line(str(password), str(params.get("user") or "*")))
        tmp.replace(path)
        params["passfile"] = str(path)
    return make_conninfo("", **params)


def values_for(s: Settings, directory: Path, **overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "confdir": directory, "logdir": directory / "log", "rundir": directory / "run",
        "dsn": secret_free_conninfo(s.psycopg_dsn, directory), "python_path": python_path(),
        "listen_addr": "*",
        "auth_port": s.radius_auth_port, "acct_port": s.radius_acct_port,
        "interim_interval": s.interim_interval,
        "suspended_session_timeout": s.suspended_session_timeout,
        "suspended_address_list": s.suspended_address_list,
        "resync_seconds": 300, "reject_delay": 1, "last_seen_every": 60, "flush_seconds": 0.2,
        "client_lifetime": 300, "max_threads": 16,
        "proxy_clients": proxy_clients(s),
    }
    values.update(overrides)
    return values


def quoted(value: str) -> str:
    """A FreeRADIUS double-quoted string."""
    if any(c in value for c in "\r\n\0"):
        raise ValueError("a FreeRADIUS string may not hold a line break or NUL")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def proxy_clients(s: Settings) -> str:
    """The node's clients for radbill's FreeRADIUS proxies in front of it (RADBILL_RADIUS_PROXIES
    and _SECRET): nas_type radbill-proxy, the mark radiusd.conf's radbill_nas_address policy
    checks before it believes the NAS address a packet's Radbill-NAS-Address names."""
    import ipaddress
    nets = [n.strip() for n in s.radius_proxies.split(",") if n.strip()]
    if nets and not s.radius_proxy_secret:
        raise ValueError("RADBILL_RADIUS_PROXIES needs RADBILL_RADIUS_PROXY_SECRET")
    blocks = []
    for i, net in enumerate(nets, 1):
        ipaddress.ip_network(net, strict=False)  # ValueError names a bad one
        blocks.append(f"client radbill_proxy_{i} {{\n\tipaddr = {net}\n"
                      f"\tsecret = {quoted(s.radius_proxy_secret)}\n"
                      "\tshortname = radbill-proxy\n\tnas_type = radbill-proxy\n}\n")
    return "\n".join(blocks)


def render(s: Settings | None = None, directory: str | Path | None = None,
           template: str = "radiusd.conf", **overrides: object) -> Path:
    """Write a complete configuration directory (radiusd.conf, dictionary, filter, log/, run/)."""
    s = s or settings_mod.get()
    directory = Path(directory or s.radius_dir).resolve()
    for sub in ("", "log", "run"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    values = values_for(s, directory, **overrides)
    text = fill((TEMPLATES / template).read_text(), values)
    (directory / "radiusd.conf").write_text(text)
    for name in ("dictionary", "access_reject"):
        shutil.copyfile(TEMPLATES / name, directory / name)
    if template == "stock.conf":
        shutil.copyfile(STOCK_QUERIES, directory / "queries.conf")
    # the file holds the database password: keep it to the owner
    (directory / "radiusd.conf").chmod(0o600)
    return directory


# -- a front-end proxy over several nodes (issue 16, HACKING.md "Several nodes") ----------------
POOL_TYPES = ("fail-over", "load-balance", "client-balance", "client-port-balance",
              "keyed-balance")


@dataclass(frozen=True)
class Node:
    """A RADIUS node (a FreeRADIUS with radbill's module) as the proxy's home servers."""
    host: str
    auth_port: int = 1812
    acct_port: int = 1813

    @classmethod
    def parse(cls, text: str) -> Node:
        """HOST[:AUTH_PORT[:ACCT_PORT]]; the accounting port defaults to the auth port + 1."""
        host, *ports = text.split(":")
        auth = int(ports[0]) if ports else 1812
        return cls(host, auth, int(ports[1]) if len(ports) > 1 else auth + 1)


def home_server(name: str, kind: str, node: Node, secret: str, src_addr: str | None,
                timers: dict[str, object]) -> str:
    lines = [f"home_server {name} {{", f"\ttype = {kind}", f"\tipaddr = {node.host}",
             f"\tport = {node.auth_port if kind == 'auth' else node.acct_port}",
             f"\tsecret = {quoted(secret)}", "\tstatus_check = status-server",
             "\tmax_outstanding = 65536"]
    if src_addr:
        lines.append(f"\tsrc_ipaddr = {src_addr}")
    lines += [f"\t{k} = {v}" for k, v in timers.items()]
    return "\n".join(lines) + "\n}\n"


def render_proxy(s: Settings | None, directory: str | Path, nodes: list[Node],
                 auth_pool: str = "load-balance", acct_pool: str = "fail-over",
                 src_addr: str | None = None, secret: str | None = None,
                 response_window: float = 20, zombie_period: int = 40, revive_interval: int = 120,
                 check_interval: int = 30, check_timeout: int = 4, num_answers_to_alive: int = 3,
                 **overrides: object) -> Path:
    """The front-end proxy's configuration (freeradius-config/proxy.conf) over `nodes`, with the
    pool types given (fail-over lists the nodes in order of preference). It talks to the nodes
    with `secret` (default RADBILL_RADIUS_PROXY_SECRET) from `src_addr` (default: the
    system's choice): each node must list that address in RADBILL_RADIUS_PROXIES."""
    s = s or settings_mod.get()
    secret = secret if secret is not None else s.radius_proxy_secret
    if not nodes or not secret:
        raise ValueError("a proxy needs at least one node and the nodes' secret")
    for pool in (auth_pool, acct_pool):
        if pool not in POOL_TYPES:
            raise ValueError(f"pool type {pool!r}: one of {', '.join(POOL_TYPES)}")
    timers = {"response_window": response_window, "zombie_period": zombie_period,
              "revive_interval": revive_interval, "check_interval": check_interval,
              "check_timeout": check_timeout, "num_answers_to_alive": num_answers_to_alive}
    servers, members = [], {"auth": [], "acct": []}
    for i, node in enumerate(nodes, 1):
        for kind in ("auth", "acct"):
            name = f"radbill_node{i}_{kind}"
            servers.append(home_server(name, kind, node, secret, src_addr, timers))
            members[kind].append(f"\thome_server = {name}")
    return render(s, directory, template="proxy.conf", home_servers="\n".join(servers),
                  auth_pool=auth_pool, acct_pool=acct_pool,
                  auth_members="\n".join(members["auth"]),
                  acct_members="\n".join(members["acct"]), max_threads=8, **overrides)


def argv(directory: Path) -> list[str]:
    return [FREERADIUS, "-f", "-l", "stdout", "-d", str(directory)]


def check(directory: Path) -> tuple[bool, str]:
    """`freeradius -C`: parse the configuration and instantiate every module, then exit."""
    import subprocess
    proc = subprocess.run([FREERADIUS, "-C", "-d", str(directory)], capture_output=True,
                          text=True, timeout=60)
    return proc.returncode == 0, proc.stdout + proc.stderr


def processes(s: Settings) -> list[tuple[str, list[str], str]]:
    """What `radbill up` runs: one FreeRADIUS with the radbill module and rlm_sql accounting."""
    directory = render(s)
    where = f"udp auth :{s.radius_auth_port}, acct :{s.radius_acct_port} (config {directory})"
    return [("radius", argv(directory), where)]


# -- as Debian's packaged service (issue 16) ----------------------------------------------------
DEBIAN_CONFDIR = "etc/freeradius/3.0"
DROP_IN = "etc/systemd/system/freeradius.service.d/radbill.conf"
MARKER = ".radbill"  # in a configuration directory radbill wrote


def drop_in_text() -> str:
    """The systemd drop-in for Debian's freeradius.service: the packaged unit runs
    `freeradius -f` as freerad with /etc/freeradius read-only; radbill's state tables need more
    memory than its 2G cap at a million subscribers, and the module reads the project."""
    return (
        "# written by `radbill radius install`: FreeRADIUS with the radbill module\n"
        "[Service]\n"
        "# the module keeps every subscriber in memory (see HACKING.md, the AAA hot path)\n"
        "MemoryLimit=\n"
        "MemoryMax=infinity\n"
        f"ReadOnlyPaths={PROJECT_ROOT}\n")


def install(s: Settings | None = None, root: str | Path = "/", user: str = "freerad") -> dict:
    """Write radbill's FreeRADIUS configuration where Debian's service reads it: the packaged
    directory (moved aside once to 3.0.debian), logs in /var/log/freeradius, the pid under
    /run/freeradius, readable by `user` (the password file its own, 0600), and a systemd drop-in.
    `root` prefixes every path (a test installs into a scratch tree). Returns what it wrote."""
    import grp
    import os
    import pwd
    s = s or settings_mod.get()
    root = Path(root)
    confdir = root / DEBIAN_CONFDIR
    moved = None
    if confdir.exists() and not (confdir / MARKER).exists():
        moved = confdir.with_name("3.0.debian")
        if moved.exists():
            raise RuntimeError(f"{moved} exists already: move one of them away first")
        confdir.rename(moved)
    logdir, rundir = root / "var/log/freeradius", root / "run/freeradius"
    for d in (logdir, rundir):
        d.mkdir(parents=True, exist_ok=True)
    render(s, confdir, logdir=logdir, rundir=rundir)
    (confdir / MARKER).write_text("radbill radius install\n")
    try:
        uid, gid = pwd.getpwnam(user).pw_uid, grp.getgrnam(user).gr_gid
    except KeyError:
        uid = gid = None
    if uid is not None and os.geteuid() == 0:
        for path in (confdir, confdir / "log", confdir / "run", logdir, rundir):
            os.chown(path, uid if path in (logdir, rundir) else 0, gid)
        for name in ("radiusd.conf", "dictionary", "access_reject", MARKER):
            os.chown(confdir / name, 0, gid)
            (confdir / name).chmod(0o640)
        if (confdir / "pgpass").exists():  # libpq wants its password file the user's, 0600
            os.chown(confdir / "pgpass", uid, gid)
    drop_in = root / DROP_IN
    drop_in.parent.mkdir(parents=True, exist_ok=True)
    drop_in.write_text(drop_in_text())
    return {"confdir": confdir, "moved": moved, "drop_in": drop_in}

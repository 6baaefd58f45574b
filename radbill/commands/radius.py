"""`radbill radius config DIR [--check]`: render the FreeRADIUS configuration directory.
`radbill radius install [--root DIR] [--check]`: write it where Debian's freeradius service reads
it (/etc/freeradius/3.0, the packaged one moved aside to 3.0.debian) with a systemd drop-in;
then `systemctl daemon-reload && systemctl restart freeradius`.
`radbill radius proxy DIR --node HOST[:AUTH[:ACCT]] ...`: a front-end FreeRADIUS proxy over
several RADIUS nodes (HACKING.md, "Several nodes")."""
from __future__ import annotations

import sys

from radbill import radiusconf, settings


def register(sub) -> None:
    p = sub.add_parser("radius", help="FreeRADIUS configuration")
    p.add_argument("action", choices=["config", "install", "proxy"])
    p.add_argument("directory", nargs="?", help="where to write it (default RADBILL_RADIUS_DIR)")
    p.add_argument("--check", action="store_true", help="then run `freeradius -C` on it")
    p.add_argument("--root", default="/", help="install: prefix of every path (default /)")
    p.add_argument("--node", action="append", default=[], metavar="HOST[:AUTH[:ACCT]]",
                   help="proxy: a RADIUS node (repeat; fail-over prefers them in this order)")
    p.add_argument("--auth-pool", default="load-balance", choices=radiusconf.POOL_TYPES,
                   help="proxy: how Access-Requests spread over the nodes")
    p.add_argument("--acct-pool", default="fail-over", choices=radiusconf.POOL_TYPES,
                   help="proxy: how accounting spreads (keyed-balance: by Acct-Session-Id)")
    p.add_argument("--src", help="proxy: the address it talks to the nodes from (each node's "
                   "RADBILL_RADIUS_PROXIES)")
    p.set_defaults(handler=run)


def run(args) -> int:
    if args.action == "proxy":
        if not args.directory or not args.node:
            print("radbill radius proxy: give DIR and at least one --node", file=sys.stderr)
            return 2
        directory = radiusconf.render_proxy(
            settings.get(), args.directory, [radiusconf.Node.parse(n) for n in args.node],
            args.auth_pool, args.acct_pool, args.src)
        print(directory)
    elif args.action == "install":
        done = radiusconf.install(settings.get(), args.root)
        if done["moved"]:
            print(f"the packaged configuration moved to {done['moved']}")
        print(f"{done['confdir']}\n{done['drop_in']}")
        directory = done["confdir"]
    else:
        directory = radiusconf.render(settings.get(), args.directory)
        print(directory)
    if args.check:
        ok, output = radiusconf.check(directory)
        if not ok:
            print(output, file=sys.stderr)
            return 1
        print("freeradius -C: configuration OK")
    return 0

"""`radbill radius config DIR [--check]`: render the FreeRADIUS configuration directory.
`radbill radius install [--root DIR] [--check]`: write it where Debian's freeradius service reads
it (/etc/freeradius/3.0, the packaged one moved aside to 3.0.debian) with a systemd drop-in;
then `systemctl daemon-reload && systemctl restart freeradius`."""
from __future__ import annotations

import sys

from radbill import radiusconf, settings


def register(sub) -> None:
    p = sub.add_parser("radius", help="FreeRADIUS configuration")
    p.add_argument("action", choices=["config", "install"])
    p.add_argument("directory", nargs="?", help="where to write it (default RADBILL_RADIUS_DIR)")
    p.add_argument("--check", action="store_true", help="then run `freeradius -C` on it")
    p.add_argument("--root", default="/", help="install: prefix of every path (default /)")
    p.set_defaults(handler=run)


def run(args) -> int:
    if args.action == "install":
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

"""`radbill radius config DIR [--check]`: render the FreeRADIUS configuration directory."""
from __future__ import annotations

import sys

from radbill import radiusconf, settings


def register(sub) -> None:
    p = sub.add_parser("radius", help="FreeRADIUS configuration")
    p.add_argument("action", choices=["config"])
    p.add_argument("directory", nargs="?", help="where to write it (default RADBILL_RADIUS_DIR)")
    p.add_argument("--check", action="store_true", help="then run `freeradius -C` on it")
    p.set_defaults(handler=run)


def run(args) -> int:
    directory = radiusconf.render(settings.get(), args.directory)
    print(directory)
    if args.check:
        ok, output = radiusconf.check(directory)
        if not ok:
            print(output, file=sys.stderr)
            return 1
        print("freeradius -C: configuration OK")
    return 0

"""`radbill archive list|run|restore MONTH|drop MONTH`: radacct's months (issue 16)."""
from __future__ import annotations

import datetime as dt
import sys


def register(sub) -> None:
    p = sub.add_parser("archive", help="radacct by month: list the partitions and archived "
                       "months, archive the old ones now, restore one for an audit")
    a = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a.add_parser("list", help="live months (rows, open sessions, size) and archived ones")
    r = a.add_parser("run", help="make the coming months and archive the old ones now "
                     "(what the radacct_partitions job does)")
    r.add_argument("--keep-months", type=int, default=None,
                   help="archive months older than this many (default: the setting "
                        "RADBILL_RADACCT_KEEP_MONTHS)")
    for name, text in (("restore", "load an archived month into radacct_restored_YYYY_MM"),
                       ("drop", "drop a restored month's table")):
        x = a.add_parser(name, help=text)
        x.add_argument("month", help="YYYY-MM")
    p.set_defaults(handler=run)


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def run(args) -> int:
    from radbill import archive, db, settings
    try:
        if args.action == "list":
            with db.engine().connect() as conn:
                parts = archive.partitions(conn)
                restored = archive.restored(conn)
            print("live months (radacct partitions):")
            for p in parts:
                label = f"{p.month:%Y-%m}" if p.month else "other (radacct_default)"
                print(f"  {label:<24} {p.rows:>12,} rows  {p.open:>9,} open  {_size(p.bytes):>10}")
            files = archive.archived()
            print(f"archived months ({archive.folder()}):" if files else "archived months: none")
            for m in files:
                print(f"  {m['month']:<24} {m['rows']:>12,} rows  {_size(m['bytes']):>10}  "
                      f"sha256 {m['sha256'][:16]}…  {m['archived_at']}")
            for table in restored:
                print(f"restored for audit: {table}")
            return 0
        if args.action == "run":
            keep = settings.get().radacct_keep_months if args.keep_months is None \
                else args.keep_months
            today = dt.datetime.now(settings.get().tz).date()
            with db.engine().begin() as conn:
                made, said = archive.maintain(conn, today, keep)
            for name in made:
                print(f"made {name}")
            for line in said or ["nothing to archive"]:
                print(line)
            return 0
        month = archive.parse_month(args.month)
        with db.engine().begin() as conn:
            if args.action == "restore":
                table, rows = archive.restore(conn, month)
                print(f"restored {rows:,} rows of {month:%Y-%m} into {table}")
            else:
                print(f"dropped {archive.drop_restored(conn, month)}")
        return 0
    except archive.ArchiveError as exc:
        print(f"radbill archive: {exc}", file=sys.stderr)
        return 1

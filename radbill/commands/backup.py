"""`radbill backup [--to DIR] [--keep N]`, `radbill restore FOLDER --database NAME` (issue 16)."""
from __future__ import annotations

import sys


def register(sub) -> None:
    p = sub.add_parser("backup", help="write a backup folder: the database, the RADIUS "
                       "configuration, the settings (masked), a manifest")
    p.add_argument("--to", help="the folder to write backups under (default: var/backups)")
    p.add_argument("--keep", type=int, default=7, help="keep the newest N backups (default 7)")
    p.set_defaults(handler=backup)
    r = sub.add_parser("restore", help="check a backup and restore it into a new database")
    r.add_argument("folder")
    r.add_argument("--database", required=True, help="the new database's name (must not exist)")
    r.set_defaults(handler=restore)


def backup(args) -> int:
    from radbill import backup as b
    try:
        print(b.backup(args.to, args.keep))
    except b.BackupError as exc:
        print(f"radbill backup: {exc}", file=sys.stderr)
        return 1
    return 0


def restore(args) -> int:
    from radbill import backup as b
    try:
        ok = b.restore(args.folder, args.database)
    except b.BackupError as exc:
        print(f"radbill restore: {exc}", file=sys.stderr)
        return 1
    return 0 if ok else 1

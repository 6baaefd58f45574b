"""`radbill db upgrade|check`: migrate and apply radbill/sql, or check the database against both."""
from __future__ import annotations

import sys

from radbill import migrate


def register(sub) -> None:
    p = sub.add_parser("db", help="database migrations and SQL functions")
    p.add_argument("action", choices=["upgrade", "check"],
                   help="upgrade: run the migrations, then apply radbill/sql/*.sql (one "
                        "transaction); check: exit 1 when the models differ from the migrations "
                        "or the database's functions and triggers differ from radbill/sql")
    p.set_defaults(handler=run)


def run(args) -> int:
    if args.action == "upgrade":
        try:
            migrate.upgrade()
        except migrate.PreSquashDatabase as exc:
            print(f"radbill db upgrade: {exc}", file=sys.stderr)
            return 1
        return 0
    failed = False
    for d in migrate.pending_model_changes():
        print(f"model differs from the migrations: {d}", file=sys.stderr)
        failed = True
    for d in migrate.sql_differences() + migrate.table_differences():
        print(d, file=sys.stderr)
        failed = True
    return 1 if failed else 0

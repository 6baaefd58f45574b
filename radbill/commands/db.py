"""`radbill db upgrade|check`: run the migrations, or check the models match them."""
from __future__ import annotations

import sys

from radbill import migrate


def register(sub) -> None:
    p = sub.add_parser("db", help="database migrations")
    p.add_argument("action", choices=["upgrade", "check"])
    p.set_defaults(handler=run)


def run(args) -> int:
    if args.action == "upgrade":
        migrate.upgrade()
        return 0
    diff = migrate.pending_model_changes()
    for d in diff:
        print(d, file=sys.stderr)
    return 1 if diff else 0

"""The `radbill` command: each subcommand lives in a module of radbill.commands (or a domain)."""
from __future__ import annotations

import argparse
import importlib
import logging
import sys

from radbill import settings

COMMAND_MODULES = (
    "radbill.commands.db",
    "radbill.commands.call",
    "radbill.commands.seed",
    "radbill.commands.up",
    "radbill.commands.radius",
    "radbill.commands.bench",
    "radbill.commands.jobs",
    "radbill.commands.worker",
    "radbill.commands.backup",
    "radbill.commands.archive",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="radbill", description="AAA and billing for ISPs")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=settings.get().log_level,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())

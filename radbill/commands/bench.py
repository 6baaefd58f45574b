"""`radbill bench radius|radius-memory|rating|admin|payment|api|radacct|bulk|import|custom-fields`: benchmarks that print figures (never run by the tests)."""
from __future__ import annotations

import importlib

SUITES = ("radius", "radius-memory", "rating", "admin", "payment", "api", "radacct", "bulk",
          "import", "custom-fields", "checks")
MODULES = {"import": "imports"}  # `import` is Python's own word: benchmarks/imports.py


def register(sub) -> None:
    p = sub.add_parser("bench", help="run a benchmark and print its figures")
    p.add_argument("suite", choices=SUITES)
    p.add_argument("--customers", type=int, default=100_000)
    p.add_argument("--seconds", type=float, default=10.0, help="length of each load phase")
    p.add_argument("--phases", help="radius: a comma-separated subset of auth,acct,storm,memory"
                   " (default all)")
    p.add_argument("--checks", type=int, default=500, help="checks: how many status checks")
    p.add_argument("--rows", type=int, default=10_000_000,
                   help="radacct: the rows radacct grows to for the second measurement")
    p.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    p.set_defaults(handler=run)


def run(args) -> int:
    name = MODULES.get(args.suite, args.suite.replace('-', '_'))
    module = importlib.import_module(f"benchmarks.{name}")
    return int(module.run(args) or 0)

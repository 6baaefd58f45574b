"""`radbill seed --customers N`: synthetic operators, packages, customers and past sessions."""
from __future__ import annotations

import sys
import time

from radbill import db


def register(sub) -> None:
    p = sub.add_parser("seed", help="load realistic synthetic data for demos and benchmarks")
    p.add_argument("--customers", type=int, default=1000)
    p.add_argument("--sessions", type=int, default=3, help="past sessions per customer")
    p.add_argument("--random-seed", type=int, default=1)
    p.set_defaults(handler=run)


def run(args) -> int:
    from radbill.seed import seed
    if args.customers < 0:
        print("radbill seed: --customers must not be negative", file=sys.stderr)
        return 2
    t0 = time.monotonic()

    def progress(msg: str) -> None:
        print(f"  {time.monotonic() - t0:6.1f}s  {msg}", file=sys.stderr, flush=True)

    with db.session_scope() as session:
        result = seed(session, args.customers, args.sessions, args.random_seed, progress)
    print(f"seeded {result.customers:,} customers, {result.sessions:,} past sessions, "
          f"{result.online:,} online, {result.operators} operators, {result.packages} packages "
          f"in {time.monotonic() - t0:.1f}s")
    return 0

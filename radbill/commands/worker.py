"""`radbill worker`: send queued CoA/Disconnect requests (the outbox) and messages."""
from __future__ import annotations

import signal
import sys
import threading


def register(sub) -> None:
    p = sub.add_parser("worker", help="drain the outbox: CoA, Disconnect, notifications")
    p.add_argument("--once", action="store_true", help="drain what is due, then exit")
    p.add_argument("--poll", type=float, default=5.0, help="seconds between polls (default 5)")
    p.add_argument("--max-attempts", type=int, default=8)
    p.add_argument("--retry-delay", type=float, default=10.0,
                   help="seconds before the first retry; doubles each time (default 10)")
    p.add_argument("--coa-timeout", type=float, default=3.0)
    p.set_defaults(handler=run)


def run(args) -> int:
    from provisioning import worker
    from radbill import db

    policy = worker.Policy(max_attempts=args.max_attempts, base_delay=args.retry_delay,
                           coa_timeout=args.coa_timeout)
    factory = db.session_factory()
    from messaging import legacy
    try:
        with factory.begin() as session:
            for channel in legacy.adopt(session):
                print(f"radbill worker: the {channel} settings are now the ISP's {channel} "
                      "gateway (msg_gateway)", file=sys.stderr)
    except Exception as exc:  # a bad old setting must not stop CoA and Disconnect
        print(f"radbill worker: could not adopt the old notification settings: {exc}",
              file=sys.stderr)
    if args.once:
        handled, sent = worker.drain_all(factory, policy)
        print(f"{handled} events handled, {sent} messages sent")
        return 0
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    worker.run(factory, policy, stop, args.poll)
    return 0

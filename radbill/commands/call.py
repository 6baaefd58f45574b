"""`radbill call FUNC name=value ... [out=json] [su=LOGIN]`: call a function locally (like mgrctl)."""
from __future__ import annotations

import sys

from radbill import db
from radbill.functions import auth, output
from radbill.functions.registry import (REGISTRY, FileResult, FuncError, call as call_function,
                                        join_repeated, load_all)


def register(sub) -> None:
    p = sub.add_parser("call", help="call a function as the system administrator (or su=LOGIN)")
    p.add_argument("-i", "--info", action="store_true", help="list functions and their parameters")
    p.add_argument("func", nargs="?")
    p.add_argument("params", nargs="*", metavar="name=value")
    p.set_defaults(handler=run)


def run(args) -> int:
    load_all()
    if args.info:
        return info(args.func)
    if not args.func:
        print("radbill call: name a function (radbill call -i lists them)", file=sys.stderr)
        return 2
    given: dict[str, list[str]] = {}
    for item in args.params:
        if "=" not in item:
            print(f"radbill call: {item!r} is not name=value", file=sys.stderr)
            return 2
        key, value = item.split("=", 1)
        given.setdefault(key, []).append(value)
    out = (given.get("out") or ["text"])[-1]
    try:
        # a name given twice is refused unless the function takes a list (name=a name=b)
        params = join_repeated(args.func, given)
    except FuncError as exc:
        return emit_error(exc, out if len(given.get("out", [])) == 1 else "text")
    params.pop("out", None)
    su = params.pop("su", None)
    refused = None
    try:
        with db.session_scope() as session:
            caller = auth.system_caller(session, su)
            try:
                result = call_function(session, caller, args.func, params)
            except FuncError as exc:
                if not exc.keep:
                    raise
                refused = exc  # committed: the refusal's own record (a wrong PIN) counts
    except FuncError as exc:
        return emit_error(exc, out)
    if refused is not None:
        return emit_error(refused, out)
    if isinstance(result, FileResult):
        sys.stdout.buffer.write(result.data)
        return 0
    print(output.render(result, out)[1])
    return 0


def emit_error(exc: FuncError, out: str) -> int:
    try:
        print(output.render(exc, out)[1], file=sys.stderr)
    except FuncError:
        print(output.render(exc, "text")[1], file=sys.stderr)
    return 1


def info(func: str | None) -> int:
    for name in sorted(REGISTRY):
        if func and name != func:
            continue
        fn = REGISTRY[name]
        roles = "everyone" if fn.roles is None else ", ".join(sorted(fn.roles))
        print(f"{name}  [{fn.kind}; {roles}]  {fn.doc}")
        for p in fn.params:
            req = " (required)" if p.required else ""
            print(f"    {p.name}{req}  {p.help}")
    return 0

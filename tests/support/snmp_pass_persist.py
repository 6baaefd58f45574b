"""snmpd `pass_persist` helper: answers get/getnext from a JSON file {oid: [type, value]}.

Protocol (snmpd.conf(5)): snmpd writes PING -> we answer PONG; `get`/`getnext` then an OID ->
we answer the OID, its type and value on three lines, or NONE.
"""
import json
import sys


def key(oid: str) -> tuple[int, ...]:
    return tuple(int(x) for x in oid.strip(".").split("."))


def main() -> None:
    with open(sys.argv[1]) as f:
        table = {("." + k.strip(".")): v for k, v in json.load(f).items()}
    order = sorted(table, key=key)
    out = sys.stdout
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "PING":
            out.write("PONG\n")
        elif cmd in ("get", "getnext"):
            oid = "." + sys.stdin.readline().strip().strip(".")
            if cmd == "get":
                found = oid if oid in table else None
            else:
                found = next((o for o in order if key(o) > key(oid)), None)
            if found is None:
                out.write("NONE\n")
            else:
                typ, value = table[found]
                out.write(f"{found}\n{typ}\n{value}\n")
        elif cmd == "set":
            sys.stdin.readline()
            sys.stdin.readline()
            out.write("not-writable\n")
        elif cmd == "":
            break
        out.flush()


if __name__ == "__main__":
    main()

"""What `radbill bench radius` prints: ours next to stock as Debian ships it and stock without
post-auth logging, ratios both ways, the storm, start-up and memory."""
from __future__ import annotations

from benchmarks.radius import ROUNDS, STORM, STORM_SECONDS, STORM_TIMEOUT, STORM_TRIES, Server
from benchmarks.radius_load import Result
from benchmarks.radius_storm import StormResult


def median(runs: list[Result]) -> Result:
    return sorted(runs, key=lambda r: r.rate)[len(runs) // 2]


def line(label: str, r: Result) -> str:
    return (f"  {label:<22} {r.rate:>10,.0f}/s   p50 {r.percentile(0.5):6.2f} ms   "
            f"p99 {r.percentile(0.99):7.2f} ms   lost {r.lost}\n"
            f"  {'':<22} server CPU {r.cpu_us:6.1f} us/req"
            f" (FreeRADIUS {r.radius_us:.1f}, PostgreSQL {r.cpu_us - r.radius_us:.1f}, of which"
            f" for radius_module's thread {r.module_us:.1f}); the generator\n"
            f"  {'':<22} used {r.generator_us:.1f} us/req of the same cores")


def storm_line(r: StormResult) -> str:
    return (f"  {r.label:<17} sent {r.sent:,} in {r.send_seconds:.1f} s, answered "
            f"{r.answered:,}, lost {r.lost}, retransmits {r.retransmits:,}; "
            f"p50 {r.percentile(0.5):.2f} ms, p99 {r.percentile(0.99):.2f} ms "
            f"(from the first try), all done in {r.seconds:.1f} s")


def mb(kb: float) -> str:
    """/proc's kB are KiB: KB and MB here are 1,024 bytes and 1,024 KB."""
    return f"{kb / 1024:,.1f} MB"


def report(n: int, seconds: float, results: dict, phases: set[str],
           empty: dict | None) -> None:
    print(f"\nradbill bench radius: {n:,} customers; stock = rlm_sql as Debian ships it "
          f"(post-auth logged), stock-lean = the same without post-auth logging")
    if {"auth", "acct"} & phases:
        print(f"{ROUNDS} rounds of {seconds:.0f} s per phase, 128 requests in flight; "
              f"the median round of each")
    for name, res in results.items():
        print(f"{name}:")
        if "auth" in phases:
            auth = median(res["auth"])
            print(line("Access-Request (PAP)", auth))
            print(f"  {'':<22} all rounds {', '.join(f'{r.rate:,.0f}' for r in res['auth'])}/s;"
                  f" accepts {auth.codes.get(2, 0):,} of {len(auth.latencies):,}")
        if "acct" in phases:
            acct = median(res["acct"])
            print(line("Accounting (S/I/S)", acct))
            print(f"  {'':<22} all rounds {', '.join(f'{r.rate:,.0f}' for r in res['acct'])}/s;"
                  f" acknowledged start/interim/stop {acct.acked}; radacct rows "
                  f"{res['radacct'][0]:,}, closed {res['radacct'][1]:,}")
    if {"auth", "acct"} & phases:
        ours = results["radbill"]
        for other in ("stock", "stock-lean"):
            for kind, label in (("auth", "Access-Request"), ("acct", "Accounting")):
                if kind not in phases:
                    continue
                a, b = median(ours[kind]), median(results[other][kind])
                if not (a.rate and b.rate):
                    print(f"ratio ours/{other:<10} {label:<15} n/a (a stack answered nothing)")
                    continue
                print(f"ratio ours/{other:<10} {label:<15} throughput {a.rate / b.rate:5.2f}x   "
                      f"p99 {a.percentile(0.99):.2f} vs {b.percentile(0.99):.2f} ms   "
                      f"server CPU per request {a.cpu_us / b.cpu_us:5.2f}x")
    if "storm" in phases:
        print(f"\nNAS reboot storm: {STORM:,} Accounting Starts and {STORM:,} Access-Requests "
              f"(distinct sessions and users) paced over {STORM_SECONDS:.0f} s, both at once; "
              f"a try times out after {STORM_TIMEOUT:.0f} s, {STORM_TRIES} tries")
        for name, res in results.items():
            st = res["storm"]
            auth, starts = st["auth"], st["starts"]
            intact = (auth.lost == 0 and starts.lost == 0 and auth.answered == auth.sent
                      and starts.answered == starts.sent and st["radacct"] == starts.answered)
            print(f"{name}:")
            print(storm_line(auth) + f"; accepts {auth.codes.get(2, 0):,}")
            print(storm_line(starts))
            print(f"  {'':<17} radacct rows {st['radacct']:,} for {starts.answered:,} "
                  f"acknowledged Starts -> nothing lost: {'yes' if intact else 'NO'}")
        ours = results["radbill"]["storm"]
        for other in ("stock", "stock-lean"):
            theirs = results[other]["storm"]
            print(f"storm p99 ours/{other:<10} Access-Request "
                  f"{ours['auth'].percentile(0.99):.2f} vs {theirs['auth'].percentile(0.99):.2f}"
                  f" ms, Start {ours['starts'].percentile(0.99):.2f} vs "
                  f"{theirs['starts'].percentile(0.99):.2f} ms")
    print("\nstart-up and resident memory (VmRSS of the FreeRADIUS process, all threads)")
    for name, res in results.items():
        srv: Server = res["server"]
        loaded = (f"module's first full load done at {srv.loaded_s:.2f} s (the load itself "
                  f"{srv.load_s:.2f} s), " if srv.loaded_s is not None else "")
        last = srv.memory.get("after load", srv.memory["started"])
        after = f", {mb(last['VmRSS'])} after the load phases" if "after load" in srv.memory \
            else ""
        print(f"{name}: {loaded}ready at {srv.ready_s:.2f} s; resident "
              f"{mb(srv.memory['started']['VmRSS'])} when ready{after}, peak {mb(last['VmHWM'])}")
    srv = results["radbill"]["server"]
    rss = srv.memory["started"]["VmRSS"]
    if empty:
        e = empty["memory"]["VmRSS"]
        print(f"radbill with 0 customers: resident {mb(e)}, ready at {empty['ready_s']:.2f} s")
        print(f"resident memory per customer: {(rss - e) / n:.2f} KB ({(rss - e) * 1024 / n:,.0f}"
              f" bytes above the server with 0 customers; {rss / n:.2f} KB counting the whole"
              f" process)")
    else:
        print(f"resident memory per customer: {rss / n:.2f} KB (the whole process; run the"
              f" memory phase for the module's share)")
    if "resync" in results["radbill"]:
        resync(results["radbill"]["resync"], (rss - empty["memory"]["VmRSS"]) if empty else None)


def resync(r: dict, share: float | None) -> None:
    """The full reload: how long, and how far above the steady resident memory it went."""
    if not r["done"]:
        print("full resync: the module did not log a new full load (not triggered?)")
        return
    steady = r["before"]["VmRSS"]
    peak = r["hwm"] or r["sampled_peak"]
    load = f" (the load {r['load_s']:.2f} s)" if r["load_s"] else ""
    print(f"full resync (everything reloaded as every 300 s; {r['how']}): {r['seconds']:.2f} s"
          f"{load}; resident {mb(steady)} before, peak {mb(peak)} "
          f"({'VmHWM' if r['hwm'] else 'sampled'}; sampled {mb(r['sampled_peak'])}), "
          f"{mb(r['after']['VmRSS'])} after")
    extra = (f"; the module's share {mb(share)}, the reload added "
             f"{max(0, peak - steady) / share:.0%} of it") if share and share > 0 else ""
    print(f"  peak/steady {peak / steady:.2f}x{extra}")

"""Realistic synthetic data for demos and benchmarks: operators, packages, customers, sessions.

The small things (operators, pools, packages, profiles, zones, a NAS) go through the function
layer like staff would create them; customers and their past sessions are bulk-loaded with
COPY, which is what makes 100,000 customers take seconds.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import random
from dataclasses import dataclass
from typing import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill.functions.caller import SYSTEM
from radbill.functions.crud import root_operator
from radbill.functions.registry import Call, call
from radbill.models import BillingProfile, Customer, IpPool, Nas, Operator, Package, Zone
from radbill.nthash import nt_hash

log = logging.getLogger(__name__)

FIRST = ["Rahim", "Karim", "Fatema", "Ayesha", "Hasan", "Nusrat", "Tanvir", "Sadia", "Imran",
         "Farhana", "Arif", "Jannat", "Sabbir", "Mim", "Rakib", "Sumaiya", "Mahmud", "Tania"]
LAST = ["Ahmed", "Hossain", "Rahman", "Islam", "Khan", "Chowdhury", "Akter", "Uddin", "Sarkar",
        "Begum", "Miah", "Talukder", "Sheikh", "Bhuiyan"]
AREAS = ["Mirpur", "Uttara", "Dhanmondi", "Banani", "Mohammadpur", "Badda", "Rampura", "Gulshan"]
PACKAGES = [  # name, down, up, price, cap, fup down/up, sim_use
    ("Home-5M", "5M", "2M", "500", None, None, None, 1),
    ("Home-10M", "10M", "5M", "800", None, None, None, 1),
    ("Home-20M", "20M", "10M", "1200", "300G", "5M", "2M", 1),
    ("Family-40M", "40M", "20M", "1800", "600G", "10M", "5M", 2),
    ("Gamer-60M", "60M", "30M", "2500", None, None, None, 1),
    ("Office-100M", "100M", "50M", "5000", "2T", "20M", "10M", 5),
]
STATUS_WEIGHTS = [("active", 85), ("suspended", 8), ("disabled", 3), ("fup", 4)]


@dataclass
class SeedResult:
    operators: int
    packages: int
    customers: int
    sessions: int
    online: int


def catalog(session: Session) -> None:
    """Operators, pools, packages, profiles, zones and a NAS, created through the functions."""
    def fn(func: str, **params) -> None:
        call(session, SYSTEM, func, {"sok": "ok", **params})

    def exists(model, col, value) -> bool:
        return session.scalar(sa.select(model.id).where(col == value)) is not None

    if not exists(IpPool, IpPool.name, "main"):
        fn("pool.edit", name="main", cidr="10.64.0.0/10")
        fn("pool.edit", name="walled-garden", cidr="100.64.0.0/16", suspended="on")
        fn("pool.edit", name="fup", cidr="100.65.0.0/16")
    for name, down, up, price, cap, fd, fu, sim in PACKAGES:
        if not exists(Package, Package.name, name):
            extra = {"data_cap": cap, "fup_rate_down": fd, "fup_rate_up": fu, "fup_pool": "fup"} if cap else {}
            fn("package.edit", name=name, rate_down=down, rate_up=up, price=price,
               wholesale_price=str(int(price) * 7 // 10), validity_days="30", sim_use=str(sim),
               pool="main", **extra)
    if not exists(BillingProfile, BillingProfile.name, "Monthly-10"):
        fn("billing_profile.edit", name="Monthly-10", term="monthly", due_day="10", grace_days="5")
        fn("billing_profile.edit", name="Monthly-1", term="monthly", due_day="1", grace_days="3",
           discount_kind="percent", discount_value="5")
        fn("billing_profile.edit", name="Daily", term="daily", grace_days="0")
    if session.scalar(sa.select(sa.func.count()).select_from(Operator)) <= 1:
        root = root_operator(Call(session, SYSTEM, "seed", {}))
        for i, area in enumerate(AREAS[:5], 1):
            fn("operator.edit", name=f"{area}-Net", parent=root.name,
               kind="debit" if i % 2 else "credit", credit_limit="50000")
            fn("operator.edit", name=f"{area}-Net-Sub", parent=f"{area}-Net")
    for op in session.scalars(sa.select(Operator)).all():
        for area in AREAS[:2]:
            if not session.scalar(sa.select(Zone.id).where(Zone.operator_id == op.id, Zone.name == area)):
                fn("zone.edit", name=area, operator=str(op.id))
    if not exists(Nas, Nas.shortname, "core-1"):
        fn("nas.edit", name="core-1", ip="192.0.2.1", secret="seed-secret-1", type="mikrotik")
        fn("nas.edit", name="core-2", ip="192.0.2.2", secret="seed-secret-2", type="mikrotik")


def customers(session: Session, n: int, rng: random.Random, prefix: str = "c",
              progress: Callable[[int], None] | None = None) -> tuple[str, str]:
    """COPY n customers; returns the first and last username (ids may have gaps)."""
    ops = session.execute(sa.select(Operator.id)).scalars().all()
    zones = {}
    for op_id, zone_id in session.execute(sa.select(Zone.operator_id, Zone.id)):
        zones.setdefault(op_id, []).append(zone_id)
    pkgs = session.execute(sa.select(Package.id)).scalars().all()
    profiles = session.execute(sa.select(BillingProfile.id)).scalars().all()
    last_name = session.scalar(sa.select(sa.func.max(Customer.username))
                               .where(Customer.username.op("~")(f"^{prefix}[0-9]{{7}}$")))
    start = int(last_name[len(prefix):]) + 1 if last_name else 1
    now = dt.datetime.now(dt.timezone.utc)
    statuses = [s for s, w in STATUS_WEIGHTS for _ in range(w)]
    hashes: dict[str, str] = {}
    cols = ("username", "password", "nt_hash", "name", "mobile", "mac", "service", "status",
            "expires_at", "operator_id", "zone_id", "package_id", "billing_profile_id",
            "address", "cycle_start", "created_at")
    raw = session.connection().connection.driver_connection
    with raw.cursor() as cur, cur.copy(f"COPY customers ({', '.join(cols)}) FROM STDIN") as cp:
        for i in range(n):
            num = start + i
            op = rng.choice(ops)
            pw = f"{rng.randrange(10**5, 10**6)}"
            if pw not in hashes:
                hashes[pw] = nt_hash(pw)
            first, last = rng.choice(FIRST), rng.choice(LAST)
            expires = now + dt.timedelta(days=rng.randint(-20, 40), hours=rng.randint(0, 23))
            cp.write_row((
                f"{prefix}{num:07d}", pw, hashes[pw], f"{first} {last}",
                f"+8801{rng.choice('3456789')}{num:08d}",
                ":".join(f"{b:02X}" for b in ((0x02, (num >> 24) & 255, (num >> 16) & 255,
                                               (num >> 8) & 255, num & 255, rng.randrange(256)))),
                "pppoe", rng.choice(statuses), expires, op, rng.choice(zones.get(op, [None])),
                rng.choice(pkgs), rng.choice(profiles), f"House {num % 97}, Road {num % 23}, "
                f"{rng.choice(AREAS)}", (now - dt.timedelta(days=rng.randint(0, 29))).date(),
                now - dt.timedelta(days=rng.randint(30, 900))))
            if progress and (i + 1) % 10_000 == 0:
                progress(i + 1)
    return f"{prefix}{start:07d}", f"{prefix}{start + n - 1:07d}"


def sessions(session: Session, first: str, last: str, per_customer: int, rng: random.Random,
             online_share: float = 0.6) -> tuple[int, int]:
    """COPY past (closed) sessions and, for some active customers, one open session each."""
    rows = session.execute(sa.select(Customer.id, Customer.username, Customer.status, Customer.mac)
                           .where(Customer.username.between(first, last))).all()
    nas_ips = session.execute(sa.select(Nas.nasname)).scalars().all() or ["192.0.2.1"]
    pool = ipaddress.IPv4Network("10.64.0.0/10")
    now = dt.datetime.now(dt.timezone.utc)
    cols = ("acctsessionid", "acctuniqueid", "username", "nasipaddress", "nasporttype",
            "acctstarttime", "acctupdatetime", "acctstoptime", "acctinterval", "acctsessiontime",
            "acctinputoctets", "acctoutputoctets", "callingstationid", "acctterminatecause",
            "servicetype", "framedprotocol", "framedipaddress")
    # every month the sessions fall in has its partition before the COPY (issue 16)
    from radbill.archive import ensure_partitions
    ensure_partitions(session.connection(), now.date(),
                      since=(now - dt.timedelta(days=per_customer * 2 + 1)).date())
    raw = session.connection().connection.driver_connection
    closed = online = 0
    with raw.cursor() as cur, cur.copy(f"COPY radacct ({', '.join(cols)}) FROM STDIN") as cp:
        for cid, username, status, mac in rows:
            nas = nas_ips[cid % len(nas_ips)]
            ip = str(pool.network_address + (cid % (pool.num_addresses - 2)) + 1)
            t = now - dt.timedelta(days=per_customer * 2 + 1)
            for k in range(per_customer):
                length = rng.randint(600, 86400)
                start, stop = t, t + dt.timedelta(seconds=length)
                cp.write_row((f"{cid:08X}{k:04X}", f"seed-{cid}-{k}", username, nas, "Ethernet",
                              start, stop, stop, 300, length, rng.randint(10**7, 5 * 10**9),
                              rng.randint(10**8, 4 * 10**10), mac, "User-Request", "Framed-User",
                              "PPP", ip))
                t = stop + dt.timedelta(hours=rng.randint(1, 20))
                closed += 1
            if status in ("active", "fup") and rng.random() < online_share:
                start = now - dt.timedelta(seconds=rng.randint(60, 86400))
                cp.write_row((f"{cid:08X}FFFF", f"seed-{cid}-open", username, nas, "Ethernet",
                              start, now - dt.timedelta(seconds=rng.randint(0, 299)), None, 300,
                              int((now - start).total_seconds()), rng.randint(10**6, 10**9),
                              rng.randint(10**7, 10**10), mac, None, "Framed-User", "PPP", ip))
                online += 1
    # the sessions' keys, as radbill_acct() keeps them (radacct_keys)
    session.execute(sa.text(
        "INSERT INTO radacct_keys (acctuniqueid, acctstarttime) SELECT acctuniqueid, acctstarttime"
        " FROM radacct WHERE acctuniqueid LIKE 'seed-%' ON CONFLICT DO NOTHING"))
    return closed, online


def seed(session: Session, n: int, sessions_per_customer: int = 3, seed_value: int = 1,
         progress: Callable[[str], None] | None = None) -> SeedResult:
    rng = random.Random(seed_value)
    say = progress or (lambda msg: None)
    catalog(session)
    say("catalog ready")
    first, last = customers(session, n, rng,
                            progress=lambda k: say(f"customers {k:,}/{n:,}"))
    if n % 10_000:
        say(f"customers {n:,}/{n:,}")
    closed, online = sessions(session, first, last, sessions_per_customer, rng) if n else (0, 0)
    say(f"sessions {closed:,} closed, {online:,} online")
    session.execute(sa.text("ANALYZE customers"))
    session.execute(sa.text("ANALYZE radacct"))
    count = lambda m: session.scalar(sa.select(sa.func.count()).select_from(m))  # noqa: E731
    return SeedResult(count(Operator), count(Package), n, closed, online)

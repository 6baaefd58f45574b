"""Settings read once per process from RADBILL_* environment variables."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Every setting with its default; the environment variable is RADBILL_<NAME upper-cased>."""

    # default: var/database-url when scripts/setup wrote one (PostgreSQL on another port)
    database_url: str = field(default_factory=lambda: default_database_url())
    admin_host: str = "127.0.0.1"
    admin_port: int = 8080
    admin_workers: int = 2
    admin_proxies: int = 0  # reverse proxies in front of the admin whose X-Forwarded-* to trust
    # cookies only over HTTPS (Secure): 1 on, 0 off, -1 on when admin_proxies > 0 (behind TLS)
    admin_secure_cookies: int = -1
    radius_auth_port: int = 1812
    radius_acct_port: int = 1813
    radius_dir: str = str(PROJECT_ROOT / "var" / "freeradius")
    # radbill's FreeRADIUS proxies in front of this node (addresses or networks, comma-separated)
    # and their secret: the node believes the NAS address they forward (HACKING, Several nodes)
    radius_proxies: str = ""
    radius_proxy_secret: str = ""
    # a streaming replica that report pages and exports read from (db.reporting); empty: the
    # primary (database_url)
    replica_url: str = ""
    # scheduled jobs on another schedule: "name=cron hour=1 minute=30; name=interval minutes=2"
    job_schedule: str = ""
    # CoA and Disconnect-Requests one outbox worker sends one NAS a second (issue 17: a bulk
    # change's 20,000 CoAs must not flood a router); 0: no limit
    coa_per_nas_per_second: int = 50
    time_zone: str = "UTC"
    currency: str = "BDT"
    secret_key: str = ""
    credentials_key: str = ""  # encrypts gateway credentials; empty: var/credentials-key
    public_url: str = ""  # how customers and gateways reach us, e.g. https://pay.example.net
    gateway_timeout: int = 15  # seconds we wait for a payment gateway's answer
    interim_interval: int = 300
    expiry_notice_days: int = 3  # prepaid customers hear this many days before validity ends
    alert_reversal_over: int = 5000  # staff are alerted of a payment reversal above this amount
    # an ONU's optics above this many °C: marked on the OLT page, and staff alerted (onu.hot)
    onu_hot_celsius: int = 70
    message_attempts: int = 8  # a message failing with transient errors is given up after these
    message_senders: int = 4  # messages a worker sends at once (threads waiting on gateways)
    api_rate_per_ip: int = 1200  # REST API requests a minute from one address (per worker)
    api_log_days: int = 30  # the REST API's request log is kept this many days
    webhook_attempts: int = 8  # a webhook delivery failing is given up after these attempts
    # webhooks may target loopback, private and link-local addresses (off: an SSRF defence)
    webhook_allow_private: int = 0
    suspended_session_timeout: int = 300
    suspended_address_list: str = "radbill-suspended"
    log_level: str = "INFO"
    var_dir: str = str(PROJECT_ROOT / "var")
    # radacct months older than this many are archived to files and dropped (0: never)
    radacct_keep_months: int = 13
    radacct_archive_dir: str = ""  # where archived months go; empty: var/archive
    isp_name: str = "radbill ISP"
    authinfo_networks: str = ""
    session_idle_minutes: int = 30
    portal_trusted_proxies: str = ""  # networks whose X-Forwarded-For the portal believes
    portal_hotspot_hosts: str = ""  # hotspot login hosts by name, beside private addresses
    lockout_after: int = 5
    smtp_host: str = ""  # read once into the ISP's gateways (messaging/legacy.py)
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "radbill@localhost"
    smtp_starttls: int = 0
    sms_url: str = ""  # read once into the ISP's gateways (messaging/legacy.py)
    sms_method: str = "POST"
    sms_params: str = "api_key={key}&to={to}&msg={text}"
    sms_key: str = ""
    sms_ok: str = ""  # a text the gateway's reply must contain; empty: any 2xx
    extra: dict = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def psycopg_dsn(self) -> str:
        """The same database as a libpq URL, for psycopg without SQLAlchemy (the hot path)."""
        return self.database_url.replace("postgresql+psycopg://", "postgresql://", 1)


DEFAULT_DATABASE_URL = "postgresql+psycopg://radbill:radbill@/radbill?host=/var/run/postgresql"


def default_database_url() -> str:
    """The database scripts/setup made: var/database-url when it wrote one (the cluster is not
    on 5432, or another name or role), else the default."""
    try:
        written = (PROJECT_ROOT / "var" / "database-url").read_text().strip()
    except OSError:
        written = ""
    return written or DEFAULT_DATABASE_URL


def from_env(env: dict[str, str] | None = None) -> Settings:
    """Build settings from RADBILL_* variables, converting each to its field's type."""
    env = os.environ if env is None else env
    values = {}
    for f in fields(Settings):
        raw = env.get("RADBILL_" + f.name.upper())
        if raw is None or f.name == "extra":
            continue
        values[f.name] = int(raw) if f.type in ("int", int) else raw
    s = Settings(**values)
    ZoneInfo(s.time_zone)  # fail early on a bad zone name
    return s


@lru_cache(maxsize=1)
def get() -> Settings:
    return from_env()

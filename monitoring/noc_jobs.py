"""The NOC's scheduled work: `zabbix_sync` asks every enabled Zabbix server (every 5 minutes),
`radio_poll` polls the radios whose interval is up (every minute; a radio's own interval,
default 300 s). Each access to a device or server is an audit row (actor `scheduler`, or the
staff member who asked for it now). Network reads run in threads without the ORM; each
result is stored in the job's transaction."""
from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa
from sqlalchemy.orm import Session

from monitoring import radios, zabbix
from monitoring.functions.checks import isp_owned
from radbill.jobs import Job, register
from radbill.models import AuditLog, Radio, ZabbixServer
from rating.gateways import secrets

POLL_THREADS = 16


def accessed(session: Session, actor: str, func: str, kind: str, obj, outcome: dict,
             user_id: int | None = None, ip: str | None = None) -> None:
    """An audit row for one access to a device or server."""
    session.add(AuditLog(actor=actor, actor_user_id=user_id, operator_id=obj.operator_id,
                         func=func, object_type=kind, object_id=obj.id, object_name=obj.name,
                         before=None, after=outcome, request=f"func={func}&elid={obj.id}",
                         ip=ip))


# -- Zabbix ---------------------------------------------------------------------------------
def client_for(session: Session, server: ZabbixServer) -> zabbix.Client:
    token = secrets.decrypt(server.credentials).get("api_token") if server.credentials else None
    if not token:
        raise zabbix.ZabbixError("no API token is set")
    return zabbix.Client(server.url, token, float(server.timeout),
                         allow_private=isp_owned(session, server.operator_id))


def sync_server(session: Session, server: ZabbixServer, actor: str = "scheduler",
                func: str = "zabbix_sync", user_id: int | None = None,
                ip: str | None = None) -> dict:
    """Sync one server; its verdict on the row, the figures (or the error) in the audit."""
    now = dt.datetime.now(dt.timezone.utc)
    try:
        client = client_for(session, server)
        with session.begin_nested():
            got = zabbix.sync(session, server, client)
        try:
            server.version = str(client.call("apiinfo.version", {}))[:20]
        except zabbix.ZabbixError:
            pass
        outcome = {"ok": True, "hosts": got.hosts, "problems": got.problems, "events": got.events}
        server.last_ok_at, server.last_error = now, None
    except (zabbix.ZabbixError, ValueError) as exc:
        reason = getattr(exc, "reason", str(exc))
        outcome = {"ok": False, "error": reason}
        server.last_error = reason[:500]
    server.last_sync_at = now
    accessed(session, actor, func, "zabbix", server, outcome, user_id, ip)
    session.flush()
    return outcome


def zabbix_job(session: Session, on: dt.date) -> str:
    """Every 5 minutes: `Job("zabbix_sync", zabbix_job, "interval", {"minutes": 5})`."""
    ok = failed = 0
    for server in session.scalars(sa.select(ZabbixServer).where(ZabbixServer.enabled)
                                  .order_by(ZabbixServer.id)):
        if sync_server(session, server)["ok"]:
            ok += 1
        else:
            failed += 1
    return f"synced {ok}, failed {failed}"


# -- radios ---------------------------------------------------------------------------------
def target(radio: Radio) -> radios.Target:
    creds = secrets.decrypt(radio.credentials) if radio.credentials else {}
    return radios.Target(kind=radio.kind, host=radio.host, http_port=radio.http_port,
                         https=radio.https, username=radio.username,
                         password=creds.get("password"), community=creds.get("community"),
                         snmp_port=radio.snmp_port)


def _read(t: radios.Target, allow_private: bool) -> tuple[radios.Reading | None, str | None]:
    from monitoring.functions.radios import host_refusal
    try:
        why = host_refusal(t.host, allow_private, resolve=True)
        if why:
            return None, why
        return radios.poll(t), None
    except radios.RadioError as exc:
        return None, exc.reason


def poll_radios(session: Session, items: list[Radio], actor: str = "scheduler",
                func: str = "radio_poll", user_id: int | None = None,
                ip: str | None = None) -> tuple[int, int]:
    """Poll these radios (in threads), store each result, audit each access."""
    jobs = [(r, target(r), isp_owned(session, r.operator_id)) for r in items]
    with ThreadPoolExecutor(max_workers=max(1, min(POLL_THREADS, len(jobs)))) as pool:
        results = list(pool.map(lambda j: _read(j[1], j[2]), jobs))
    ok = 0
    now = dt.datetime.now(dt.timezone.utc)
    for (radio, _t, _p), (reading, error) in zip(jobs, results):
        radios.store(session, radio, reading, error, now)
        ok += reading is not None
        outcome = {"ok": reading is not None, "error": error} if reading is None else \
            {"ok": True, "via": ",".join(reading.sources), "signal": reading.signal,
             "stations": radio.stations, "errors": reading.errors or None}
        accessed(session, actor, func, "radio", radio, outcome, user_id, ip)
    session.flush()
    return ok, len(jobs) - ok


def radio_job(session: Session, on: dt.date) -> str:
    """Every minute: the radios whose own interval is up."""
    due = list(session.scalars(
        sa.select(Radio).where(Radio.enabled, sa.or_(
            Radio.last_poll_at.is_(None),
            Radio.last_poll_at <= sa.func.now() - sa.func.make_interval(
                0, 0, 0, 0, 0, 0, Radio.poll_interval - 5)))
        .order_by(Radio.id).with_for_update(skip_locked=True)))
    ok, failed = poll_radios(session, due) if due else (0, 0)
    radios.prune(session)
    return f"polled {ok}, failed {failed}"


register(Job("zabbix_sync", zabbix_job, "interval", {"minutes": 5}),
         Job("radio_poll", radio_job, "interval", {"minutes": 1}))

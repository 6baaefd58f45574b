"""Device credentials at rest: an OLT's CLI password and SNMP community (`olts.credentials`), a
router's RouterOS API password and SNMP community (`nas_settings.credentials`).

They are kept as the radios' and gateways' are: a Fernet blob (rating/gateways/secrets.py, the
installation's credentials key), written only through olt.edit / nas.edit as write-only values
(`secrets.write_only`: an empty value keeps what is stored, `forget=` drops one); lists and
forms say which are set (`credentials_set`), never the values; audit rows mask `credentials`;
the connection objects built from them (mikrotik.Router, olt.Access, snmp.Agent) leave them
out of their repr, so a logged object never carries one.

The RADIUS shared secret is not here: FreeRADIUS reads `nas.secret` in clear (read_clients in
rlm_sql), so it stays in FreeRADIUS' table, and is never listed, shown back or audited.

`before` / `after` are the `radbill db upgrade` step (radbill/migrate.py UPGRADE_STEPS) that
moves the plaintext of before migration 0031 into the blobs: read before the migrations drop
the old columns, encrypted right after them, in the upgrade's one transaction. Another table's
step reuses them with its own PLAINTEXT (`before(conn, plaintext)`, `encrypt_saved`): a status
check's SNMP community (monitoring/checks.py, migration 0032).
"""
from __future__ import annotations

import logging

import sqlalchemy as sa

from provisioning.errors import ProvisioningError
from rating.gateways import secrets

log = logging.getLogger("radbill.device_secrets")

OLT_CREDENTIALS = {"password": 128, "community": 64}  # name: longest accepted
NAS_CREDENTIALS = {"api_password": 128, "community": 64}
UNREADABLE = "unreadable"  # credentials_set's word for a blob this installation cannot open


def read(blob: bytes | None, host: str, field: str) -> dict[str, str]:
    """The stored credentials, or a ProvisioningError naming `field` to enter again when the
    installation's key cannot open them (RADBILL_CREDENTIALS_KEY changed)."""
    try:
        return {k: v for k, v in secrets.decrypt(blob).items() if v}
    except ValueError:
        raise ProvisioningError(host, "its stored credentials cannot be read with this "
                                "installation's key (RADBILL_CREDENTIALS_KEY changed?): enter "
                                "them again", field=field) from None


def names_set(blob: bytes | None) -> list[str]:
    """Which credentials are stored (for lists and forms), never their values."""
    if not blob:
        return []
    try:
        return sorted(k for k, v in secrets.decrypt(blob).items() if v)
    except ValueError:
        return [UNREADABLE]


def olt_credentials(olt) -> dict[str, str]:
    return read(olt.credentials, olt.host, "password")


def nas_credentials(host: str, settings) -> dict[str, str]:
    return read(settings.credentials if settings is not None else None, host, "api_password")


def router(host: str, settings, timeout: float):
    """The RouterOS API login of a router (nas_settings' user, port and decrypted password)."""
    from provisioning import mikrotik
    password = nas_credentials(host, settings).get("api_password", "")
    return mikrotik.Router(host, settings.api_user, password, settings.api_port, timeout)


def edit(call, blob: bytes | None, limits: dict[str, int], kind: str) -> bytes | None:
    """The blob after an X.edit call: each credential named in `limits` that the call gives
    replaces the stored one, an empty value keeps it, `forget` (comma-separated names) drops
    them. A blob that cannot be opened any more is replaced by what the call gives. Raises
    FuncError naming each bad field; returns `blob` itself when nothing changed."""
    from radbill.functions.registry import FuncError
    try:
        stored = secrets.decrypt(blob)
    except ValueError:
        blob, stored = None, {}
    forget = [n.strip() for n in (call.get("forget") or "").split(",") if n.strip()]
    errors = {}
    if bad := [n for n in forget if n not in limits]:
        errors["forget"] = f"{bad[0][:64]!r} is not one of {', '.join(limits)}"
    new, changed = blob, False
    for name, longest in limits.items():  # one write_only per name: each has its own limit
        new, found, did = secrets.write_only(new, call.params, [name], (name,), kind,
                                             check_required=False, max_len=longest)
        errors.update(found)
        changed = changed or did
        if name in forget and (call.get(name) or "").strip():
            errors[name] = "cannot be given and forgotten at once"
    if errors:
        raise FuncError(errors=errors)
    if not changed and not forget:
        return blob
    final = {k: v for k, v in secrets.decrypt(new).items() if v and k not in forget}
    if final == {k: v for k, v in stored.items() if v}:
        return blob  # the same values typed again: no new ciphertext, no audited change
    return secrets.encrypt(final) if final else None


# -- the `radbill db upgrade` step ----------------------------------------------------------
# (table, key column, plaintext column, its name in the blob) as they were before 0031; each
# table gets a `credentials` blob in the migration that drops its plaintext columns
PLAINTEXT = (("olts", "id", "password", "password"), ("olts", "id", "community", "community"),
             ("nas_settings", "nas_id", "api_password", "api_password"))
Saved = dict[str, dict[int, dict[str, str]]]  # plaintext read by `before`: table -> row -> values


def _has_column(conn: sa.Connection, table: str, column: str) -> bool:
    return bool(conn.scalar(sa.text(
        "SELECT 1 FROM information_schema.columns WHERE table_schema = 'public' "
        "AND table_name = :t AND column_name = :c"), {"t": table, "c": column}))


def before(conn: sa.Connection, plaintext=PLAINTEXT) -> Saved:
    """Plaintext credentials still in their old columns, by table and row (none once the
    migration dropped them)."""
    saved: Saved = {}
    for table, key, column, name in plaintext:
        if not _has_column(conn, table, column):
            continue
        rows = conn.execute(sa.text(f"SELECT {key}, {column} FROM {table} "
                                    f"WHERE {column} IS NOT NULL AND {column} <> ''"))
        for row_id, value in rows:
            saved.setdefault(table, {}).setdefault(row_id, {})[name] = value
    return saved


def migrated(conn: sa.Connection, table: str, plaintext=PLAINTEXT) -> bool:
    """Whether `table` has its `credentials` blob and none of its plaintext columns any more
    (the database is at or past the migration that moved them)."""
    return _has_column(conn, table, "credentials") and \
        not any(_has_column(conn, t, c) for t, _k, c, _n in plaintext if t == table)


def after(conn: sa.Connection, saved: Saved) -> dict[str, int]:
    """Encrypt what `before` read into the `credentials` blobs (a value already in a blob
    wins), and move any community a stock tool wrote into `nas.community` the same way (that
    column stays, FreeRADIUS' schema has it, but radbill keeps it NULL). Idempotent; nothing
    happens while the database is below 0031 (its plaintext columns are still there)."""
    if migrated(conn, "nas_settings"):
        nas = saved.setdefault("nas_settings", {})
        for nas_id, community in conn.execute(sa.text(
                "SELECT id, community FROM nas WHERE community IS NOT NULL")).all():
            if community != "":
                nas.setdefault(nas_id, {}).setdefault("community", community)
            conn.execute(sa.text("INSERT INTO nas_settings (nas_id) VALUES (:i) "
                                 "ON CONFLICT (nas_id) DO NOTHING"), {"i": nas_id})
            conn.execute(sa.text("UPDATE nas SET community = NULL WHERE id = :i"),
                         {"i": nas_id})
    return encrypt_saved(conn, saved)


def encrypt_saved(conn: sa.Connection, saved: Saved, plaintext=PLAINTEXT) -> dict[str, int]:
    """Write what `before(conn, plaintext)` read into each table's `credentials` blob, merged
    with what the blob already holds (a value there wins), once the table is `migrated`.
    Returns the rows written by table."""
    moved = {}
    for table, key in dict.fromkeys((t, k) for t, k, _c, _n in plaintext):
        if not migrated(conn, table, plaintext):
            continue
        for row_id, values in (saved.get(table) or {}).items():
            blob = conn.scalar(sa.text(f"SELECT credentials FROM {table} WHERE {key} = :i"),
                               {"i": row_id})
            try:
                stored = secrets.decrypt(blob)
            except ValueError:  # a key that changed: what was in clear is what we still know
                log.warning("%s %s: stored credentials unreadable, replaced", table, row_id)
                stored = {}
            merged = {**values, **{k: v for k, v in stored.items() if v}}
            conn.execute(sa.text(f"UPDATE {table} SET credentials = :b WHERE {key} = :i"),
                         {"b": secrets.encrypt(merged), "i": row_id})
            moved[table] = moved.get(table, 0) + 1
    return moved

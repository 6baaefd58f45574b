"""This installation's secrets when the settings give none: one random key per purpose kept in
var/ (mode 0600), so every process (gunicorn workers, the CLI, the scheduler) agrees."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

from radbill import settings


def stored(name: str, make=lambda: secrets.token_hex(32)) -> str:
    path = Path(settings.get().var_dir) / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def admin_secret() -> str:
    """Signs admin and portal sessions: RADBILL_SECRET_KEY, else var/admin-secret-key."""
    return settings.get().secret_key or stored("admin-secret-key")


def derived(purpose: str) -> bytes:
    """A key of its own for `purpose`, derived from the admin secret (signing one kind of
    token never signs another)."""
    return hmac.new(admin_secret().encode(), purpose.encode(), hashlib.sha256).digest()

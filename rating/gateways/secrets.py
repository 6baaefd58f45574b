"""Gateway credentials at rest: Fernet (AES-128-CBC + HMAC-SHA256) under a key from settings
(RADBILL_CREDENTIALS_KEY, any string: it is stretched with HKDF), or, without it, a random key
kept in var/credentials-key (mode 0600) so every process of this installation reads the same
secrets. Lose the key and the gateways' credentials must be entered again."""
from __future__ import annotations

import base64
import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from radbill import keys, settings


@lru_cache(maxsize=4)
def _fernet(key_text: str) -> Fernet:
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"radbill-credentials",
               info=b"payment-gateways").derive(key_text.encode())
    return Fernet(base64.urlsafe_b64encode(raw))


def _key() -> str:
    return settings.get().credentials_key or keys.stored("credentials-key")


def encrypt(values: dict[str, str]) -> bytes:
    return _fernet(_key()).encrypt(json.dumps(values, sort_keys=True).encode())


def decrypt(blob: bytes | None) -> dict[str, str]:
    if not blob:
        return {}
    try:
        return json.loads(_fernet(_key()).decrypt(bytes(blob)))
    except InvalidToken:
        raise ValueError("the gateway's credentials cannot be read with this installation's "
                         "key (RADBILL_CREDENTIALS_KEY changed?): enter them again") from None


def write_only(blob: bytes | None, given: dict[str, str | None], names: list[str],
               wanted: tuple[str, ...], kind: str, *, required: tuple[str, ...] | None = None,
               check_required: bool = True,
               max_len: int = 8000) -> tuple[bytes | None, dict[str, str], bool]:
    """A gateway's write-only credentials updated from a form: `given` holds what was typed for
    each of `names` (every kind's credential names); an empty value keeps what is stored, a
    credential of another kind is refused, and the kind's `required` ones (default: all it
    `wanted`) must be there when `check_required`. Returns (the new encrypted blob, errors by
    field, whether anything changed); the blob is unchanged when there are errors."""
    from radbill.functions import fields as F
    stored = decrypt(blob)
    errors: dict[str, str] = {}
    changed = False
    for name in names:
        raw = (given.get(name) or "").strip()
        if not raw:
            continue
        if name not in wanted:
            errors[name] = f"is not a credential of {kind}"
            continue
        try:
            stored[name] = F.text(max_len)(F.clean(raw.replace("\r\n", "\n")))
            changed = True
        except ValueError as exc:
            errors[name] = str(exc)
    missing = [n for n in (wanted if required is None else required) if not stored.get(n)]
    if check_required and missing and not errors:
        errors[missing[0]] = f"is required for {kind}" + (
            f" (also: {', '.join(missing[1:])})" if len(missing) > 1 else "")
    if errors:
        return blob, errors, False
    return (encrypt(stored) if stored else None), errors, changed

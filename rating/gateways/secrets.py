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

"""The NT hash (MD4 of the UTF-16LE password) that MS-CHAP and FreeRADIUS' NT-Password use."""
from __future__ import annotations

import hashlib


def nt_hash(password: str) -> str:
    data = password.encode("utf-16-le")
    try:
        digest = hashlib.new("md4", data).hexdigest()
    except ValueError:  # OpenSSL 3 keeps MD4 in its legacy provider
        from Crypto.Hash import MD4
        digest = MD4.new(data).hexdigest()
    return digest.upper()

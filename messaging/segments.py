"""How many SMS a text costs (3GPP TS 23.038): GSM-7 when every character is in the default
alphabet or its extension table (extension characters take two septets), else UCS-2 (Bangla
always is). One message holds 160 septets / 70 UCS-2 units; a concatenated one 153 / 67 per part
(the user data header takes the rest). UCS-2 counts UTF-16 code units, so a character outside the
BMP (an emoji) takes two."""
from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENSION = set("\f^{}\\[~]|€")


@dataclass(frozen=True)
class Count:
    encoding: str   # gsm7 | ucs2
    units: int      # septets or UTF-16 code units
    segments: int
    per_segment: int


def count(text: str) -> Count:
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        units = sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
        single, multi, encoding = 160, 153, "gsm7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "ucs2"
    if units <= single:
        return Count(encoding, units, 1 if units else 0, single)
    return Count(encoding, units, -(-units // multi), multi)

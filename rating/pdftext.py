"""Text in our PDFs in English or Bangla (issue 12): one call draws a line whatever its script.

A line is cut into runs by script: Bengali runs are drawn in Noto Sans Bengali (Debian's
fonts-noto-core; Lohit Bengali from fonts-lohit-beng-bengali as a fallback) shaped by HarfBuzz
(ReportLab's `shaping=True`, which needs `uharfbuzz`), so conjuncts (ন্দ, ক্ষ) and vowel signs
placed before their consonant (ি) come out as a reader expects; the rest is drawn in DejaVu Sans
(fonts-dejavu-core), which has the Latin letters the Bengali fonts lack. Neither font is merged
with the other: each run is one font, so shaping never switches font inside a run.

Shaped glyphs no longer map one-to-one to characters (a conjunct is one glyph; ি is drawn before
the consonant it follows), so each Bengali run is wrapped in a marked-content span carrying its
`/ActualText`: a text extractor (pdftotext, a screen reader, copy and paste) reads back the
characters as typed, not the glyphs as drawn.
"""
from __future__ import annotations

import os
import re

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfbase.ttfonts import ShapedStr, shapeStr

FONTS = {
    "Latin": ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"],
    "Latin-Bold": ["/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"],
    "Bengali": ["/usr/share/fonts/truetype/noto/NotoSansBengali-Regular.ttf",
                "/usr/share/fonts/truetype/lohit-bengali/Lohit-Bengali.ttf"],
    "Bengali-Bold": ["/usr/share/fonts/truetype/noto/NotoSansBengali-Bold.ttf",
                     "/usr/share/fonts/truetype/noto/NotoSansBengali-Regular.ttf",
                     "/usr/share/fonts/truetype/lohit-bengali/Lohit-Bengali.ttf"],
}
# Bengali letters, signs and digits, the danda and double danda (।, ॥: Bangla's full stops,
# in the Devanagari block), and the joiners that shape them (ZWNJ, ZWJ); a space or
# punctuation between two Bengali words stays in the run so a name is one shaped span
BENGALI = re.compile(r"[\u0964\u0965\u0980-\u09FF\u200C\u200D]+(?:[ .,:;\-/()]+[\u0964\u0965\u0980-\u09FF\u200C\u200D]+)*")

_registered: set[str] = set()


def font(name: str) -> str:
    """Register (once) and name the font for `name` ('Latin', 'Bengali', with '-Bold')."""
    if name not in _registered:
        for path in FONTS[name]:
            if os.path.exists(path):
                pdfmetrics.registerFont(TTFont("rb-" + name, path))
                break
        else:
            raise RuntimeError(f"no font for {name}: install {FONTS[name][0]} "
                               "(scripts/setup installs fonts-noto-core and fonts-dejavu-core)")
        _registered.add(name)
    return "rb-" + name


def runs(text: str) -> list[tuple[bool, str]]:
    """(is_bengali, piece) in order."""
    out, at = [], 0
    for m in BENGALI.finditer(text):
        if m.start() > at:
            out.append((False, text[at:m.start()]))
        out.append((True, m.group()))
        at = m.end()
    if at < len(text):
        out.append((False, text[at:]))
    return out


def _shaped(piece: str, bengali: bool, bold: bool, size: float):
    name = font(("Bengali" if bengali else "Latin") + ("-Bold" if bold else ""))
    if bengali:
        shaped = shapeStr(piece, name, size, force=True)
        if isinstance(shaped, ShapedStr):
            return name, shaped, sum(d.x_advance for d in shaped.__shapeData__) * size / 1000
    return name, piece, pdfmetrics.stringWidth(piece, name, size)


def width(text: str, size: float, bold: bool = False) -> float:
    return sum(_shaped(p, b, bold, size)[2] for b, p in runs(str(text)))


def draw(c, x: float, y: float, text, size: float = 10, bold: bool = False,
         align: str = "left") -> float:
    """Draw `text` with its left (or right, or centre: `align`) at x; answers its width."""
    text = str(text)
    w = width(text, size, bold)
    if align == "right":
        x -= w
    elif align == "centre":
        x -= w / 2
    for bengali, piece in runs(text):
        name, shaped, pw = _shaped(piece, bengali, bold, size)
        if bengali:
            c._code.append(f"/Span <</ActualText <{_utf16(piece)}>>> BDC")
        c.setFont(name, size)
        t = c.beginText(x, y)
        t.textLine(shaped)
        c.drawText(t)
        if bengali:
            c._code.append("EMC")
        x += pw
    return w


def fit(text: str, size: float, room: float, bold: bool = False) -> str:
    """`text` cut (with an ellipsis) to fit `room` points."""
    text = str(text)
    if width(text, size, bold) <= room:
        return text
    while text and width(text + "...", size, bold) > room:
        text = text[:-1]
    return text + "..."


def _utf16(s: str) -> str:
    return "FEFF" + s.encode("utf-16-be").hex().upper()

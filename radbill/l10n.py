"""Languages (issue 12): English and Bangla, Flask-free, for pages, PDFs and notices.

The catalogues are gettext's: `admin/translations/<lang>/LC_MESSAGES/messages.po` (extracted by
`pybabel extract -F babel.cfg`, see admin/translations/README.md), compiled to `.mo` by
scripts/setup (and committed). Numbers and dates go through Babel's CLDR formats for the
language (Bangla: lakh grouping, Bangla month names) and, in Bangla, Bangla digits, which is
what a Bangla reader expects (Babel itself keeps Latin digits).
"""
from __future__ import annotations

import datetime as dt
import functools
import os
from decimal import Decimal

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

LANGS = ("en", "bn")
DEFAULT = "en"
NAMES = {"en": "English", "bn": "বাংলা"}
DIRECTORY = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                         "admin", "translations")
BENGALI_DIGITS = str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")


def pick(lang: str | None) -> str:
    """A language we have: the one asked for ('bn', 'bn-BD', 'BN'), else English."""
    lang = (lang or "").split("-")[0].split("_")[0].lower()
    return lang if lang in LANGS else DEFAULT


@functools.lru_cache(maxsize=None)
def translations(lang: str) -> NullTranslations:
    lang = pick(lang)
    if lang == DEFAULT:
        return NullTranslations()
    return Translations.load(DIRECTORY, [lang])


def gettext(lang: str | None, message: str, **values) -> str:
    text = translations(pick(lang)).gettext(message) if message else message
    return text % values if values else text


def digits(text: str, lang: str | None) -> str:
    """`text` with Bangla digits when the language is Bangla."""
    return str(text).translate(BENGALI_DIGITS) if pick(lang) == "bn" else str(text)


def number(value, lang: str | None, places: int | None = None) -> str:
    """A number as the language writes it: money with `places=2` (1,23,456.00 in Bangla)."""
    if value is None or value == "":
        return ""
    try:
        value = Decimal(str(value))
    except ArithmeticError:
        return str(value)
    lang = pick(lang)
    group = "#,##,##0" if lang == "bn" else "#,##0"  # lakh and crore in Bangla
    fmt = None if places is None else group + ("." + "0" * places if places else "")
    return digits(format_decimal(value, format=fmt, locale=pick(lang), group_separator=True),
                  lang)


def date(value, lang: str | None, fmt: str = "medium") -> str:
    """A date as the language writes it (1 ডিসে, ২০২৬ or Dec 1, 2026; 'iso' keeps 2026-12-01)."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        value = value.date()
    if fmt == "iso":
        return digits(value.isoformat(), lang)
    return digits(format_date(value, fmt, locale=pick(lang)), lang)


def datetime(value: dt.datetime, lang: str | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    if value is None:
        return ""
    return digits(format_datetime(value, fmt, locale=pick(lang)), lang)


def tr(lang: str | None, message: str, **values) -> str:
    """gettext in a given language (PDFs, notices); `pybabel extract -k tr:2` finds these."""
    return gettext(lang, message, **values)


# The language of what is being made now when nobody named one (a staff member printing
# vouchers from a page): the web app sets this to its request's language (admin/l10n.py).
resolver = None


def current() -> str:
    try:
        return pick(resolver()) if resolver is not None else DEFAULT
    except Exception:  # noqa: BLE001 - outside a request: the default
        return DEFAULT

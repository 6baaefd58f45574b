"""Messages the admin itself says over the API (`lang=`), in the languages it knows; the rest
falls back to English. Bangla also reads the pages' gettext catalogue (admin/translations, see
radbill/l10n.py), so a message translated there is translated here too."""
from __future__ import annotations

DEFAULT = "en"
CATALOG: dict[str, dict[str, str]] = {
    "ru": {
        "authorization required": "требуется авторизация",
        "wrong login or password": "неверный логин или пароль",
        "too many failed logins; try again later":
            "слишком много неудачных попыток; попробуйте позже",
        "access denied": "доступ запрещён",
        "not found": "не найдено",
        "the session has expired; log in again":
            "сессия истекла; войдите снова",
        "two-factor code required":
            "требуется код двухфакторной аутентификации",
        "authinfo is not allowed from this address":
            "authinfo с этого адреса запрещён",
        "the key is wrong or already used":
            "ключ неверен или уже использован",
        "name a function with func=": "укажите функцию в параметре func=",
    },
    "bn": {  # and the gettext catalogue (t() below)
        "authorization required": "অনুমোদন প্রয়োজন",
        "wrong login or password": "ভুল লগইন বা পাসওয়ার্ড",
        "access denied": "প্রবেশাধিকার নেই",
        "not found": "পাওয়া যায়নি",
    },
}


def pick(lang: str | None) -> str:
    """The language to answer in: the one asked for if we have it, else English."""
    lang = (lang or "").split("-")[0].lower()
    return lang if lang in CATALOG else DEFAULT


def t(message: str, lang: str | None) -> str:
    lang = pick(lang)
    found = CATALOG.get(lang, {}).get(message)
    if found is None and lang != DEFAULT and message:
        from radbill import l10n
        if lang in l10n.LANGS:
            found = l10n.gettext(lang, message)
    return found or message

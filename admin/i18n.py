"""Messages the admin itself says, in the languages it knows; the rest falls back to English."""
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
    "bn": {
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
    return CATALOG.get(pick(lang), {}).get(message, message)

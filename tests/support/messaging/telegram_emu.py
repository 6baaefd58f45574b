"""Telegram's Bot API, as published (https://core.telegram.org/bots/api#making-requests,
#sendmessage): POST /bot<token>/sendMessage with chat_id and text (JSON, form or query string);
answers {"ok": true, "result": <Message>} or {"ok": false, "error_code", "description",
"parameters": {"retry_after"}}.

`chats` are the chats the bot is in; another chat_id answers 400 "Bad Request: chat not found";
a wrong token 401 Unauthorized; `fail_next(429)` a flood wait. Violations: no chat_id, an empty
or over-4096 text, a parse_mode other than HTML/Markdown/MarkdownV2.
"""
from __future__ import annotations

import time

from tests.support.messaging.base import Emulator

DESCRIPTIONS = {400: "Bad Request: chat not found", 401: "Unauthorized",
                403: "Forbidden: bot was kicked from the group chat",
                429: "Too Many Requests: retry after 7"}


class TelegramEmulator(Emulator):
    name = "telegram"
    routes = [("POST|GET", r"/bot(?P<token>[^/]+)/sendMessage", "send_message")]

    def __init__(self, token: str = "7012345678:AAH-radbill-alerts-bot-token",
                 chats=(-1001234567890,)):
        super().__init__()
        self.token, self.chats = token, {str(c) for c in chats}

    def refuse(self, code: int):
        body = {"ok": False, "error_code": code, "description": DESCRIPTIONS.get(code, "Error")}
        if code == 429:
            body["parameters"] = {"retry_after": 7}
        return self.json(body, code)

    def send_message(self, req, seen, token):
        p = seen.params
        chat, text = str(p.get("chat_id", "")), p.get("text")
        if not chat:
            self.violation("sendMessage: chat_id missing")
        if not isinstance(text, str) or not text.strip():
            self.violation("sendMessage: text missing")
        elif len(text) > 4096:
            self.violation("sendMessage: text over 4096 characters")
        if p.get("parse_mode") not in (None, "HTML", "Markdown", "MarkdownV2"):
            self.violation(f"sendMessage: parse_mode {p.get('parse_mode')!r}")
        failure = self.take_failure()
        if failure is not None:
            return self.http_failure(failure) or self.refuse(int(failure))
        if token != self.token:
            return self.refuse(401)
        if chat not in self.chats:
            return self.refuse(400)
        mid = int(self.next_id())
        self.sent.append({"message_id": mid, "chat_id": chat, "text": text})
        return self.json({"ok": True, "result": {
            "message_id": mid, "date": int(time.time()), "text": text,
            "from": {"id": int(self.token.split(":")[0]), "is_bot": True, "first_name": "alerts"},
            "chat": {"id": int(chat) if chat.lstrip("-").isdigit() else chat,
                     "type": "supergroup", "title": "NOC"}}})

"""Staff alerts through a Telegram bot, following the published Bot API
(https://core.telegram.org/bots/api#making-requests, #sendmessage, #responseparameters):

    POST {url}/bot<token>/sendMessage   JSON {"chat_id": ..., "text": ...,
                                              "link_preview_options": {"is_disabled": true}}
    -> {"ok": true, "result": {"message_id": 42, "chat": {"id": ...}, "date": ..., "text": ...}}
    error: {"ok": false, "error_code": 400, "description": "Bad Request: chat not found",
            "parameters": {"retry_after": 5}}

The recipient is the chat the gateway names (`chat_id` in config; compose.alert puts it in the
message). The text goes plain (no parse_mode), so nothing in an alert can break Markdown.
Errors: 401 Unauthorized (a wrong or revoked token) and 404 (no such bot: the token is
malformed) stop the gateway (Permanent, gateway_wide); 400 (chat not found, text empty, ...) and
403 (the bot was blocked or removed from the chat) fail the message (Permanent); 429 Too Many
Requests (with parameters.retry_after) and 5xx are Transient. Telegram posts nothing back for
sent messages, so there is no webhook.

config: chat_id (a numeric chat id, -100... for a group, or @channelname), url (default
https://api.telegram.org). credentials: bot_token (123456:ABC-...).
"""
from __future__ import annotations

import json
import re

from messaging.drivers import Driver, Outgoing, Permanent, Sent, Transient
from messaging.drivers.http import url

DEFAULT_URL = "https://api.telegram.org"
MAX_TEXT = 4096


def chat_id(raw: str) -> str:
    if not re.fullmatch(r"-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31}", raw or ""):
        raise ValueError("must be a numeric chat id (-100... for a group) or @channelname")
    return raw


class TelegramBot(Driver):
    kind, channel, title = "telegram", "telegram", "Telegram bot"
    CONFIG = {"chat_id": chat_id, "url": url}
    REQUIRED_CONFIG = ("chat_id",)
    CREDENTIALS = ("bot_token",)

    def send(self, msg: Outgoing) -> Sent:
        root = (self.config.get("url") or DEFAULT_URL).rstrip("/")
        chat = msg.recipient or self.config.get("chat_id", "")
        text = msg.body if len(msg.body) <= MAX_TEXT else msg.body[:MAX_TEXT - 1] + "…"
        payload = {"chat_id": int(chat) if re.fullmatch(r"-?\d+", chat) else chat,
                   "text": text, "link_preview_options": {"is_disabled": True}}
        try:
            status, body = self.http(
                "POST", f"{root}/bot{self.credentials.get('bot_token', '')}/sendMessage",
                json_body=payload)
        except Transient as exc:
            raise Transient(self.mask(retry_after(str(exc)))) from None
        try:
            reply = json.loads(body)
        except ValueError:
            reply = None
        if not isinstance(reply, dict):
            if 200 <= status < 300:
                raise Transient(self.mask(f"Telegram answered HTTP {status} without JSON"))
            raise Permanent(self.mask(f"Telegram: HTTP {status}: {body[:200]}"),
                            gateway_wide=status in (401, 404))
        if not reply.get("ok"):
            code = reply.get("error_code") or status
            text = self.mask(f"Telegram {code}: {reply.get('description') or 'refused'}"[:500])
            if code == 429 or (isinstance(code, int) and code >= 500):
                raise Transient(text)
            raise Permanent(text, gateway_wide=code in (401, 404))
        result = reply.get("result") or {}
        ref = result.get("message_id") if isinstance(result, dict) else None
        return Sent(f"{chat}:{ref}" if ref is not None else None, status="delivered",
                    detail="posted to the chat")


def retry_after(text: str) -> str:
    """A 429's line, saying how long Telegram asks us to wait."""
    m = re.search(r'"retry_after"\s*:\s*(\d+)', text)
    return f"{text} (retry after {m.group(1)} s)" if m else text


DRIVER = TelegramBot

"""gunicorn's logger with credentials masked in every line it writes (issue 10).

Query strings carry credentials (`authinfo=login:password`, `password=`, `key=`, `pin=`, the
`auth=` session id...): gunicorn prints them in the access log's request line (%(r)s), query
(%(q)s) and referer (%(f)s), and in its error log ("Error handling request /billmgr?..."). A
filter on both of its loggers rewrites each record's final text, so no format can bring a
credential back. `gunicorn.conf.py` (read from the project root) and `radbill up` use it.
"""
from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger

from radbill.functions.registry import SECRET_PARAMS

CREDENTIALS = frozenset(SECRET_PARAMS | {"authinfo", "auth", "csrf_token", "new_password",
                                         "old_password", "smtp_password", "sms_key", "token"})
MASK = "***"
_NAMES = "|".join(sorted((re.escape(n) for n in CREDENTIALS), key=len, reverse=True))
# a credential's name (not the tail of a longer name: `monkey=` is no `key=`) and its value
_PARAM = re.compile(r"(?<![A-Za-z0-9_.-])(?P<name>%s)=(?P<value>[^&;#\s\"']*)" % _NAMES,
                    re.IGNORECASE)


def redact(text: str) -> str:
    """`text` with the value of every credential parameter replaced by ***."""
    return _PARAM.sub(lambda m: f"{m.group('name')}={MASK}" if m.group("value") else m.group(0),
                      text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:
            return True
        masked = redact(text)
        if masked != text:
            record.msg, record.args = masked, ()
        return True


class RedactingLogger(Logger):
    """gunicorn.glogging.Logger whose access and error logs pass through RedactingFilter."""

    def __init__(self, cfg):
        super().__init__(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, RedactingFilter) for f in log.filters):
                log.addFilter(RedactingFilter())

"""E-mail through an operator's SMTP server (RFC 5321 submission; RFC 3207 STARTTLS, RFC 8314
implicit TLS; RFC 4954 AUTH), as Python's smtplib speaks it
(https://docs.python.org/3/library/smtplib.html). Ported from the first wave's
provisioning/notify.SmtpEmail (one global server then).

Each message is multipart/alternative: the text, and the HTML part (Outgoing.html, made by
compose.html_of) when there is one; UTF-8 throughout, so Bangla survives: the body as base64 or
quoted-printable, Subject and the sender's name as RFC 2047 encoded-words (email.policy.SMTP).
The Message-ID we set is the gateway reference.

Errors: the server refusing our login (535), the login or STARTTLS it lacks, a certificate it
cannot prove, or refusing our sender address for good (5xx to MAIL FROM) stop the gateway
(Permanent, gateway_wide); a 5xx for the recipient or the data fails the message (Permanent);
no connection, a timeout, a dropped connection or any 4xx ("try later", greylisting) is
Transient.

config: host, port (default 25 / 587 with starttls / 465 with tls), security (none | starttls |
tls), from_address, from_name. credentials: user, password (no login when user is empty).
"""
from __future__ import annotations

import re
import smtplib
import socket
import ssl
import unicodedata
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import make_msgid

from messaging.drivers import Driver, Outgoing, Permanent, Sent, Transient

PORTS = {"none": 25, "starttls": 587, "tls": 465}
ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
                     r"(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z0-9-]{2,63}|[A-Za-z0-9._+-]{1,64}@localhost")


def host(raw: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]+\]", raw or ""):
        raise ValueError("must be a host name or address")
    return raw


def port(raw: str) -> int:
    if not re.fullmatch(r"[0-9]{1,5}", str(raw).strip()):
        raise ValueError("must be a port number (25, 465, 587)")
    value = int(str(raw).strip())
    if not 1 <= value <= 65535:
        raise ValueError("must be between 1 and 65535")
    return value


def security(raw: str) -> str:
    if raw not in PORTS:
        raise ValueError("must be none, starttls or tls")
    return raw


def from_address(raw: str) -> str:
    if not ADDRESS.fullmatch(raw or ""):
        raise ValueError("must be an e-mail address like billing@isp.example")
    return raw


def from_name(raw: str) -> str:
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in raw) or len(raw) > 100:
        raise ValueError("must be one line of at most 100 characters")
    return raw


class SmtpEmail(Driver):
    kind, channel, title = "smtp", "email", "SMTP e-mail"
    CONFIG = {"host": host, "port": port, "security": security, "from_address": from_address,
              "from_name": from_name}
    REQUIRED_CONFIG = ("host", "from_address")
    CREDENTIALS = ("user", "password")

    def where(self) -> str:
        return f"{self.config.get('host', '')}:{self.port()}"

    def port(self) -> int:
        return int(self.config.get("port") or PORTS.get(self.config.get("security") or "none", 25))

    def message(self, msg: Outgoing) -> EmailMessage:
        out = EmailMessage(policy=SMTP_POLICY)
        addr = self.config.get("from_address", "")
        user, _, domain = addr.rpartition("@")
        out["From"] = Address(self.config.get("from_name") or "", user, domain)
        out["To"] = msg.recipient
        out["Subject"] = msg.subject or ""
        out["Message-ID"] = make_msgid(idstring=msg.ref, domain=domain or None)
        out.set_content(msg.body, charset="utf-8")
        if msg.html:
            out.add_alternative(msg.html, subtype="html", charset="utf-8")
        out["Content-Language"] = msg.lang
        return out

    def send(self, msg: Outgoing) -> Sent:
        where, mode = self.where(), self.config.get("security") or "none"
        user, password = self.credentials.get("user", ""), self.credentials.get("password", "")
        try:
            email = self.message(msg)
        except (ValueError, TypeError, IndexError) as exc:  # an address the headers refuse
            raise Permanent(self.mask(f"cannot address {msg.recipient!r}: {exc}")) from None
        try:
            context = ssl.create_default_context()
            cls = smtplib.SMTP_SSL if mode == "tls" else smtplib.SMTP
            kw = {"context": context} if mode == "tls" else {}
            with cls(self.config.get("host", ""), self.port(), timeout=self.timeout,
                     **kw) as smtp:
                if mode == "starttls":
                    smtp.starttls(context=context)
                if user:
                    smtp.login(user, password)
                refused = smtp.send_message(email, to_addrs=[msg.recipient])
        except smtplib.SMTPAuthenticationError as exc:
            raise Permanent(self.mask(f"{where} refused our login: {reply(exc)}"),
                            gateway_wide=True) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise Permanent(self.mask(f"{where}: {exc}"), gateway_wide=True) from None
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            line = self.mask(f"{where} refused {msg.recipient}: {code} "
                             f"{text.decode(errors='replace')}")
            if 400 <= code < 500:
                raise Transient(line) from None
            raise Permanent(line) from None
        except smtplib.SMTPSenderRefused as exc:
            line = self.mask(f"{where} refused the sender {exc.sender}: {reply(exc)}")
            if 400 <= exc.smtp_code < 500:
                raise Transient(line) from None
            raise Permanent(line, gateway_wide=True) from None
        except ssl.SSLCertVerificationError as exc:
            raise Permanent(self.mask(f"{where}: TLS certificate: {exc.verify_message}"),
                            gateway_wide=True) from None
        except smtplib.SMTPResponseException as exc:  # DATA, HELO, ...: by its code
            line = self.mask(f"{where}: {reply(exc)}")
            if 500 <= exc.smtp_code < 600:
                raise Permanent(line) from None
            raise Transient(line) from None
        except (smtplib.SMTPException, OSError, socket.timeout) as exc:
            raise Transient(self.mask(f"{where}: SMTP: {exc or type(exc).__name__}")) from None
        if refused:
            code, text = next(iter(refused.values()))
            raise Permanent(self.mask(f"{where} refused {msg.recipient}: {code} "
                                      f"{text.decode(errors='replace')}"))
        return Sent(email["Message-ID"].strip("<>"), detail=f"accepted by {where}")


def reply(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) \
        else str(exc.smtp_error)
    return f"{exc.smtp_code} {text}"


DRIVER = SmtpEmail

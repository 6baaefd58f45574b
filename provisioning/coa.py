"""CoA-Request and Disconnect-Request (RFC 5176) to a NAS, sent with pyrad."""
from __future__ import annotations

import socket
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pyrad import client as radclient
from pyrad import packet
from pyrad.dictionary import Dictionary

from provisioning.errors import DeviceTimeout, DeviceUnreachable, ProtocolError

DICTIONARY = Path(__file__).with_name("dictionary")
DEFAULT_PORT = 3799  # RFC 5176 section 3.1
ERROR_CAUSE = 101
# RFC 5176 section 3.6; 503 means the NAS has no such session, so ours in radacct is stale.
ERROR_CAUSES = {
    201: "Residual Session Context Removed", 202: "Invalid EAP Packet (Ignored)",
    401: "Unsupported Attribute", 402: "Missing Attribute", 403: "NAS Identification Mismatch",
    404: "Invalid Request", 405: "Unsupported Service", 406: "Unsupported Extension",
    407: "Invalid Attribute Value", 501: "Administratively Prohibited",
    502: "Request Not Routable (Proxy)", 503: "Session Context Not Found",
    504: "Session Context Not Removable", 505: "Other Proxy Processing Error",
    506: "Resources Unavailable", 507: "Request Initiated",
    508: "Multiple Session Selection Unsupported",
}
SESSION_NOT_FOUND = 503
KINDS = {"coa": packet.CoARequest, "disconnect": packet.DisconnectRequest}
ACKS = (packet.CoAACK, packet.DisconnectACK)


class BadAttribute(ValueError):
    """An attribute the dictionary does not know, or a value of the wrong type: resending the
    same request cannot succeed."""

    def __init__(self, name: str, value, exc: Exception):
        self.name = name
        super().__init__(f"cannot send {name}={value!r}: {type(exc).__name__} {exc}")


@lru_cache(maxsize=1)
def dictionary() -> Dictionary:
    return Dictionary(str(DICTIONARY))


@dataclass(frozen=True)
class Target:
    """A NAS's CoA listener."""

    host: str
    secret: str
    port: int = DEFAULT_PORT


@dataclass(frozen=True)
class SessionRef:
    """How MikroTik finds a session: it matches on User-Name, Acct-Session-Id, Framed-IP."""

    username: str
    acctsessionid: str | None = None
    framedipaddress: str | None = None

    def attributes(self) -> dict[str, str]:
        attrs = {"User-Name": self.username}
        if self.acctsessionid:
            attrs["Acct-Session-Id"] = self.acctsessionid
        if self.framedipaddress:
            attrs["Framed-IP-Address"] = str(self.framedipaddress).split("/")[0]
        return attrs


@dataclass
class Reply:
    acked: bool
    code: int
    error_cause: int | None = None
    attributes: dict[str, list] = field(default_factory=dict)

    @property
    def error_text(self) -> str | None:
        if self.error_cause is None:
            return None
        return ERROR_CAUSES.get(self.error_cause, f"Error-Cause {self.error_cause}")

    @property
    def session_not_found(self) -> bool:
        return not self.acked and self.error_cause == SESSION_NOT_FOUND

    def summary(self) -> str:
        word = "ACK" if self.acked else "NAK"
        return word if self.error_cause is None else f"{word} {self.error_cause} {self.error_text}"


def known_attributes(values: dict) -> dict[str, object]:
    """The entries of `values` named like dictionary attributes (e.g. Mikrotik-Rate-Limit)."""
    d = dictionary()
    return {k: v for k, v in values.items() if isinstance(k, str) and d.has_key(k)}


def send(kind: str, target: Target, session: SessionRef, extra: dict | None = None,
         timeout: float = 3.0, retries: int = 2) -> Reply:
    """Send one request and wait for the ACK or NAK; DeviceTimeout when nothing answers."""
    if kind not in KINDS:
        raise ValueError(f"unknown request kind {kind!r}")
    c = radclient.Client(server=target.host, coaport=target.port, secret=target.secret.encode(),
                         dict=dictionary(), retries=retries, timeout=timeout)
    attrs = {**session.attributes(), **{k: v for k, v in (extra or {}).items()
                                        if k not in session.attributes()}}
    req = c.CreateCoAPacket(code=KINDS[kind])
    for name, value in attrs.items():
        try:
            req[name] = value
        except (KeyError, TypeError, ValueError) as exc:
            raise BadAttribute(name, value, exc) from None
    try:
        reply = c.SendPacket(req)
    except radclient.Timeout:
        raise DeviceTimeout(f"{target.host}:{target.port}", timeout * retries,
                            f"{kind} reply") from None
    except OSError as exc:
        raise DeviceUnreachable(f"{target.host}:{target.port}", str(exc)) from None
    finally:
        _close(c)
    return _reply(target, reply)


def _reply(target: Target, reply) -> Reply:
    if reply.code not in ACKS + (packet.CoANAK, packet.DisconnectNAK):
        raise ProtocolError(target.host, f"unexpected reply code {reply.code}")
    raw = reply.get(ERROR_CAUSE)
    cause = int.from_bytes(raw[0], "big") if raw else None
    return Reply(reply.code in ACKS, reply.code, cause)


def _close(c) -> None:
    sock = getattr(c, "_socket", None)
    if isinstance(sock, socket.socket):
        sock.close()

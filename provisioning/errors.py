"""One base exception for talking to devices; each subclass carries what went wrong where."""
from __future__ import annotations


class ProvisioningError(Exception):
    """A device could not do what was asked; `field` names the setting a person should check."""

    field: str | None = None

    def __init__(self, host: str, reason: str, field: str | None = None):
        self.host = host
        self.reason = reason
        if field is not None:
            self.field = field
        super().__init__(f"{host}: {reason}")


class DeviceUnreachable(ProvisioningError):
    """Nothing answered: connection refused, no route, or no reply before the timeout."""

    field = "ip"


class DeviceTimeout(DeviceUnreachable):
    def __init__(self, host: str, seconds: float, what: str = "reply"):
        self.seconds = seconds
        super().__init__(host, f"no {what} within {seconds:g}s")


class LoginRejected(ProvisioningError):
    field = "api_user"

    def __init__(self, host: str, user: str | None, detail: str = ""):
        self.user = user
        why = f" ({detail})" if detail else ""
        super().__init__(host, f"login as {user!r} was rejected{why}")


class DeviceError(ProvisioningError):
    """The device answered but refused the command (a RouterOS !trap, a CLI error)."""

    def __init__(self, host: str, command: str, message: str):
        self.command = command
        self.message = message
        super().__init__(host, f"{command}: {message}")


class ProtocolError(ProvisioningError):
    """The device answered something we cannot parse."""

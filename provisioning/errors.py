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


class HostKeyMismatch(ProvisioningError):
    """The device showed a different SSH host key than on first contact: it may be an impostor
    (or a replaced OLT, in which case staff clear the stored key)."""

    field = "ssh_host_key"

    def __init__(self, host: str, expected: str, got: str):
        self.expected, self.got = expected, got
        super().__init__(host, f"SSH host key changed (expected {expected}, got {got}); "
                               "clear ssh_host_key if the OLT was replaced")


class DeviceError(ProvisioningError):
    """The device answered but refused the command (a RouterOS !trap, a CLI error)."""

    def __init__(self, host: str, command: str, message: str):
        self.command = command
        self.message = message
        super().__init__(host, f"{command}: {message}")


class ProtocolError(ProvisioningError):
    """The device answered something we cannot parse."""

"""Who is calling: a staff login with a role and a place in the operator tree."""
from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Caller:
    login: str
    role: str
    operator_id: int | None = None
    operator_path: str | None = None  # None: the whole tree (the system administrator)
    user_id: int | None = None
    ip: str | None = None
    lang: str = "en"
    # whether the channel the call came by may change data: False for a browser cookie without
    # a valid CSRF-checked POST; True for POST + CSRF, authinfo / API sessions, the CLI
    may_change: bool = True
    channel: str = "cli"  # web, api, portal or cli: which lockout counters a refusal feeds
    # an API client's scopes (`customer:read`, `payment:write`, `customer:*`, `*`): the only
    # functions it may call (registry.scope_of); None for staff, who have their role only
    scopes: frozenset[str] | None = None
    api_client_id: int | None = None  # the API client calling (its calls are audited as it)
    # a staff login's special permissions (staff_permissions, issue 19): functions granted
    # beyond its role and functions revoked below it (auth.caller_for loads them)
    granted: frozenset[str] = frozenset()
    revoked: frozenset[str] = frozenset()

    @property
    def is_sysadmin(self) -> bool:
        return self.role == "admin" and self.operator_path is None

    @property
    def tenant_id(self) -> int | None:
        """The group (tenant root) at the top of this caller's subtree; None for the system
        administrator, who sees every tenant."""
        first = (self.operator_path or "").strip("/").partition("/")[0]
        return int(first) if first.isdigit() else None

    def sees(self, path: str | None) -> bool:
        """Whether an object owned by the operator at `path` is in this caller's subtree."""
        if self.operator_path is None:
            return True
        return path is not None and path.startswith(self.operator_path)

    def in_scope(self, scope: str) -> bool:
        """Whether an API client's scopes cover `scope` (noun:read or noun:write)."""
        if self.scopes is None:
            return True
        noun = scope.partition(":")[0]
        return bool({scope, f"{noun}:*", "*"} & self.scopes)

    @property
    def sees_money(self) -> bool:
        from radbill.functions.roles import sees_money
        return sees_money(self.role)

    def with_ip(self, ip: str | None) -> Caller:
        return replace(self, ip=ip)

    def via(self, channel: str, may_change: bool) -> Caller:
        """The same caller arriving by `channel`, which may or may not change data."""
        return replace(self, channel=channel, may_change=may_change)


SYSTEM = Caller(login="root", role="admin")

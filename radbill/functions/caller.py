"""Who is calling: a staff login with a role and a place in the operator tree."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Caller:
    login: str
    role: str
    operator_id: int | None = None
    operator_path: str | None = None  # None: the whole tree (the system administrator)
    user_id: int | None = None
    ip: str | None = None
    lang: str = "en"

    @property
    def is_sysadmin(self) -> bool:
        return self.role == "admin" and self.operator_path is None

    def sees(self, path: str | None) -> bool:
        """Whether an object owned by the operator at `path` is in this caller's subtree."""
        if self.operator_path is None:
            return True
        return path is not None and path.startswith(self.operator_path)

    def with_ip(self, ip: str | None) -> Caller:
        return Caller(self.login, self.role, self.operator_id, self.operator_path,
                      self.user_id, ip, self.lang)


SYSTEM = Caller(login="root", role="admin")

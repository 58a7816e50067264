"""Who may read and change what in the object directory.

* Reading objects: every staff role and inspectors; credit data only staff.
* Changing an object's data: the office, or an administrator of a department
  that has the object in one of its sub-libraries. An object in no
  sub-library (master library only) may be maintained by any department admin.
* Tagging (sub-library membership): the department that owns the sub-library.
  Tagging another department's object into one's own sub-library is how a
  second regulator takes it up (分类标注); it changes no data of the object.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from ..accounts.auth import Principal
from ..accounts.models import Role
from .normalize import LibRef

WRITERS = (Role.DEPT_ADMIN, Role.OFFICE_ADMIN)
STAFF = (Role.DEPT_ADMIN, Role.DEPT_LEADER, Role.REVIEWER, Role.OFFICE_ADMIN, Role.AUDITOR)
READERS = STAFF + (Role.INSPECTOR,)
JOB_READERS = (Role.DEPT_ADMIN, Role.OFFICE_ADMIN, Role.AUDITOR)

# Refusals that are about permission rather than data (403 for a single object).
PERMISSION_CODES = frozenset({"object_not_manageable", "sub_library_not_allowed"})


@dataclass(frozen=True)
class Editor:
    """The acting party of a change: a department (or everything) and, if any, a user."""

    department_id: int | None
    manages_all: bool
    user_id: int | None = None
    actor: dict | None = None  # audit actor, for work done outside the request (threads)

    @classmethod
    def of(cls, p: Principal) -> "Editor":
        return cls(p.department_id, p.has(Role.OFFICE_ADMIN), p.user_id,
                   {"user": p.user_id, "department": p.department_id, "device": p.device_id, "system": None})

    def may_use_library(self, lib: LibRef) -> bool:
        return self.manages_all or lib.department_id == self.department_id

    def may_edit(self, member_libs: Iterable[LibRef]) -> bool:
        libs = list(member_libs)
        return self.manages_all or not libs or any(lib.department_id == self.department_id for lib in libs)


def sees_credit(p: Principal) -> bool:
    """Credit class, list flags, complaints and check dates: staff only, never inspectors alone."""
    return p.has(*STAFF)

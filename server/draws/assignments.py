"""Where a draw's result goes: the visits (object × team) it produces.

Draws sit below visits in the layering (visits read tasks; draws never import visits), yet a
reveal creates the visits and an approved replacement or substitution changes them. So draws
talk to this port, and the visits feature registers the implementation at app start
(`server/wiring.py`: `register(visits.assignments)`). Member rows are plain dicts with the
`visit_members` columns: position, inspector_id, user_id, department_id, role, active.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Member:
    inspector_id: int
    user_id: int | None
    department_id: int
    role: str
    active: bool


@dataclass(frozen=True)
class Team:
    """A drawn object's visit as the draw sees it: its status, stratum and rank, and its team
    (replaced members included)."""

    status: str
    stratum: str
    rank: int
    members: tuple[Member, ...]

    def active_inspectors(self) -> set[str]:
        return {str(m.inspector_id) for m in self.members if m.active}


@dataclass(frozen=True)
class Assignment:
    """One selected object of a draw: its stratum, rank within it and team (member rows)."""

    object_id: int
    stratum: str
    rank: int
    members: list[dict]


class Sink(Protocol):
    def create(self, task, assignments: list[Assignment]) -> int:
        """Create the visits of a freshly drawn task (in bulk) and queue them for the teams' phones."""

    def team(self, task_id: int, object_id: int) -> Team | None:
        """The visit of a drawn object, or None when the object was not drawn in this task."""

    def replace_member(self, task, object_id: int, outgoing: int, incoming: dict) -> None:
        """An approved replacement: the outgoing inspector leaves the team (kept, inactive), the
        incoming member row joins it."""

    def substitute(self, task, outgoing_object: int, assignment: Assignment) -> None:
        """An approved substitution: the outgoing object's visit is withdrawn, the assignment's created."""

    def check(self, task, selection: set[str], teams: dict[str, list[str]]) -> tuple[bool, str]:
        """`audit verify`: do the task's live visits match the verified draw — exactly the final
        selection (row ids), each with the final team (row id → inspector ids)? (ok, message)"""


_sink: Sink | None = None


def register(sink: Sink) -> None:
    """Set the implementation (done once at app start)."""
    global _sink
    _sink = sink


def sink() -> Sink:
    if _sink is None:
        raise RuntimeError("no visit sink registered: create the app (server.wiring.connect) first")
    return _sink

"""The team algorithms' inputs: pool rows (`Inspector`), their canonical form and hash, and
the matching parameters (`TeamRule`). See `teams` for the algorithms."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .canonical import jcs_lines_hash

TEAM_ALGORITHM_V1 = "dsr-team-v1"
TEAM_ALGORITHM_V2 = "dsr-team-v2"
TEAM_ALGORITHM = TEAM_ALGORITHM_V2  # what new draws use
TEAM_ALGORITHMS = (TEAM_ALGORITHM_V1, TEAM_ALGORITHM_V2)
LEADER = "leader"
EXPERT = "expert"


@dataclass(frozen=True)
class Inspector:
    """One row of the frozen inspector pool. ``department``: the department the inspector
    serves for in this draw; ``home_department``: their own (differs when borrowed; defaults
    to ``department``); ``expert``: an outside expert (检测机构、科研院所、专家学者)."""

    id: str
    department: str
    qualifications: frozenset[str] = field(default_factory=frozenset)
    active: bool = True
    available: bool = True
    conflicts: frozenset[str] = field(default_factory=frozenset)
    home_department: str | None = None
    expert: bool = False

    def __post_init__(self):
        for name in ("qualifications", "conflicts"):
            value = getattr(self, name)
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"inspector {self.id!r}: {name} must be a collection of strings")
            object.__setattr__(self, name, frozenset(value))
        if self.home_department is None:
            object.__setattr__(self, "home_department", self.department)
        if not all(isinstance(v, str) and v for v in (self.id, self.department, self.home_department)):
            raise ValueError("inspector id and departments must be non-empty strings")
        if any(type(v) is not bool for v in (self.active, self.available, self.expert)):
            raise ValueError(f"inspector {self.id!r}: active/available/expert must be booleans")

    @property
    def borrowed(self) -> bool:
        return self.home_department != self.department

    def row(self, algorithm: str = TEAM_ALGORITHM) -> dict:
        """The canonical pool row hashed by ``pool_hash`` (lists sorted, no floats); v1 rows
        have neither ``home_department`` nor ``expert``."""
        row = {"id": self.id, "department": self.department,
               "qualifications": sorted(self.qualifications), "active": self.active,
               "available": self.available, "conflicts": sorted(self.conflicts)}
        if algorithm != TEAM_ALGORITHM_V1:
            row.update(home_department=self.home_department, expert=self.expert)
        return row


def as_inspector(item) -> Inspector:
    """Accept an Inspector or a mapping (``available`` may be named ``available_in_window``)."""
    if isinstance(item, Inspector):
        return item
    return Inspector(id=item["id"], department=item["department"],
                     qualifications=item.get("qualifications", ()),
                     active=item.get("active", True),
                     available=item.get("available", item.get("available_in_window", True)),
                     conflicts=item.get("conflicts", ()),
                     home_department=item.get("home_department"), expert=item.get("expert", False))


def normalize_pool(pool: Iterable) -> list[Inspector]:
    """The pool as Inspectors sorted by id; duplicate ids raise ValueError."""
    inspectors = sorted((as_inspector(i) for i in pool), key=lambda i: i.id)
    for a, b in zip(inspectors, inspectors[1:]):
        if a.id == b.id:
            raise ValueError(f"duplicate inspector id {a.id!r} in pool")
    return inspectors


def pool_rows(pool: Iterable, algorithm: str = TEAM_ALGORITHM) -> list[dict]:
    """Canonical pool rows (of ``algorithm``'s format) sorted by id."""
    return [i.row(algorithm) for i in normalize_pool(pool)]


def pool_hash(pool: Iterable, algorithm: str = TEAM_ALGORITHM) -> str:
    """``SHA-256(concat(JCS(row) + "\\n"))`` over ``pool_rows(pool, algorithm)``."""
    return jcs_lines_hash(pool_rows(pool, algorithm))


@dataclass(frozen=True)
class TeamRule:
    """Matching parameters: initiating department, participating departments with the tags
    that qualify for them (any one suffices; empty = anyone of that department), the plan's
    minimum team size, the per-inspector cap (maximum number of teams), and (v2) the main
    item's tags a leader must hold one of and whether an expert may assist."""

    initiating_department: str
    participating_departments: Mapping[str, frozenset[str]] = field(default_factory=dict)
    min_size: int = 2
    cap: int = 1
    leader_qualifications: frozenset[str] = field(default_factory=frozenset)
    experts: bool = False
    algorithm: str = TEAM_ALGORITHM

    def __post_init__(self):
        parts = dict(self.participating_departments)
        if any(isinstance(t, str) for t in parts.values()) or isinstance(self.leader_qualifications, str):
            raise ValueError("required tags must be a collection of strings, not a string")
        parts = {d: frozenset(t) for d, t in parts.items()}
        object.__setattr__(self, "participating_departments", parts)
        object.__setattr__(self, "leader_qualifications", frozenset(self.leader_qualifications))
        codes = [self.initiating_department, *parts]
        if not all(isinstance(c, str) and c and c not in (LEADER, EXPERT) for c in codes):
            raise ValueError('department codes must be non-empty strings other than "leader" and "expert"')
        if self.initiating_department in parts:
            raise ValueError("the initiating department cannot also be a participating one")
        if type(self.min_size) is not int or type(self.cap) is not int or self.cap < 1:
            raise ValueError("min_size must be an integer and cap a positive integer")
        if self.algorithm not in TEAM_ALGORITHMS:
            raise ValueError(f"unknown team algorithm {self.algorithm!r}")
        if self.v1 and (self.leader_qualifications or self.experts):
            raise ValueError("dsr-team-v1 has no leader qualifications and no expert slot")
        if type(self.experts) is not bool:
            raise ValueError("experts must be a boolean")

    @property
    def v1(self) -> bool:
        return self.algorithm == TEAM_ALGORITHM_V1

    @property
    def team_size(self) -> int:
        """Law-enforcement members per team: ``max(min_size, 2, 1 + participating departments)``
        (an assisting expert comes on top)."""
        return max(self.min_size, 2, 1 + len(self.participating_departments))

    @property
    def initiating_slots(self) -> int:
        """Members per team from the initiating department (leader + fillers)."""
        return self.team_size - len(self.participating_departments)

    def qualifies(self, inspector: Inspector, department: str) -> bool:
        """Whether ``inspector`` can fill ``department``'s slot."""
        if inspector.department != department or (inspector.expert and not self.v1):
            return False
        required = self.participating_departments.get(department, frozenset())
        return not required or bool(required & inspector.qualifications)

    def can_lead(self, inspector: Inspector) -> bool:
        """v2: own staff of the initiating department holding a main-item tag (v1: anyone of it)."""
        if inspector.department != self.initiating_department:
            return False
        if self.v1:
            return True
        required = self.leader_qualifications
        return (not inspector.expert and not inspector.borrowed
                and (not required or bool(required & inspector.qualifications)))

    def can_assist(self, inspector: Inspector) -> bool:
        """v2: an outside expert of an involved department (not borrowed) may take the expert slot."""
        return (not self.v1 and self.experts and inspector.expert and not inspector.borrowed
                and inspector.department in (self.initiating_department, *self.participating_departments))

    def slot_test(self, role: str):
        """Who can fill ``role``."""
        if role == LEADER:
            return self.can_lead
        if role == EXPERT:
            return self.can_assist
        if role == self.initiating_department:
            return lambda i: i.department == role and (self.v1 or not i.expert)
        return lambda i: self.qualifies(i, role)

    def to_dict(self) -> dict:
        """JSON form (tags as sorted lists); v1 rules keep their original keys."""
        out = {"initiating_department": self.initiating_department,
               "participating_departments": {d: sorted(t) for d, t in
                                             sorted(self.participating_departments.items())},
               "min_size": self.min_size, "cap": self.cap}
        if not self.v1:
            out.update(leader_qualifications=sorted(self.leader_qualifications), experts=self.experts)
        return out

    @classmethod
    def from_dict(cls, data: Mapping) -> "TeamRule":
        """Inverse of ``to_dict`` (or of a plan's ``teams`` section; without ``algorithm``: v1)."""
        return cls(data["initiating_department"], data.get("participating_departments", {}),
                   data.get("min_size", 2), data.get("cap", 1), data.get("leader_qualifications", ()),
                   data.get("experts", False), data.get("algorithm", TEAM_ALGORITHM_V1))


def team_plan_section(pool: Iterable, rule: TeamRule) -> dict:
    """What to embed as ``plan["teams"]`` at T0 so that plan_hash (and hence the seed) binds
    the frozen pool and the matching parameters."""
    return {"algorithm": rule.algorithm, "pool_hash": pool_hash(pool, rule.algorithm), **rule.to_dict()}

"""dsr-team-v1: deterministic, verifiable inspector matching (docs/design/draw.md).

Pure functions, standard library only. For each drawn object, in selection order, inspectors
are ordered by ``HMAC-SHA256(seed, "insp|" + object_id + "|" + inspector_id)`` (ascending
bytes, ties by id) and the team takes, in this order:

1. the leader: the first eligible inspector of the initiating department;
2. per participating department (sorted by code): its first eligible inspector holding at
   least one of the department's required qualification tags (any inspector of it when the
   department requires none);
3. fillers: the next eligible inspectors of the initiating department until the team has
   ``max(min_size, 2)`` members.

Eligible = active, available in the window, not conflicted with the object, and on fewer than
``cap`` teams so far. An inspector serves for the department given in their pool row: an
inspector borrowed from a same-industry department is entered into the pool with the borrowing
department's code (the loan itself is recorded by the caller).

Roles: ``"leader"`` for the leader, the department code for every other member (fillers carry
the initiating department's code).
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .canonical import HmacSha256, jcs_lines_hash, jcs_text, lines_hash

TEAM_ALGORITHM = "dsr-team-v1"
LEADER = "leader"


@dataclass(frozen=True)
class Inspector:
    """One row of the frozen inspector pool."""

    id: str
    department: str
    qualifications: frozenset[str] = field(default_factory=frozenset)
    active: bool = True
    available: bool = True
    conflicts: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self):
        for name in ("qualifications", "conflicts"):
            value = getattr(self, name)
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"inspector {self.id!r}: {name} must be a collection of strings")
            object.__setattr__(self, name, frozenset(value))
        if not (isinstance(self.id, str) and self.id and isinstance(self.department, str)
                and self.department):
            raise ValueError("inspector id and department must be non-empty strings")
        if type(self.active) is not bool or type(self.available) is not bool:
            raise ValueError(f"inspector {self.id!r}: active/available must be booleans")

    def row(self) -> dict:
        """The canonical pool row hashed by ``pool_hash`` (lists sorted, no floats)."""
        return {"id": self.id, "department": self.department,
                "qualifications": sorted(self.qualifications), "active": self.active,
                "available": self.available, "conflicts": sorted(self.conflicts)}


def as_inspector(item) -> Inspector:
    """Accept an Inspector or a mapping (``available`` may be named ``available_in_window``)."""
    if isinstance(item, Inspector):
        return item
    return Inspector(id=item["id"], department=item["department"],
                     qualifications=item.get("qualifications", ()),
                     active=item.get("active", True),
                     available=item.get("available", item.get("available_in_window", True)),
                     conflicts=item.get("conflicts", ()))


def normalize_pool(pool: Iterable) -> list[Inspector]:
    """The pool as Inspectors sorted by id; duplicate ids raise ValueError."""
    inspectors = sorted((as_inspector(i) for i in pool), key=lambda i: i.id)
    for a, b in zip(inspectors, inspectors[1:]):
        if a.id == b.id:
            raise ValueError(f"duplicate inspector id {a.id!r} in pool")
    return inspectors


def pool_rows(pool: Iterable) -> list[dict]:
    """Canonical pool rows sorted by id."""
    return [i.row() for i in normalize_pool(pool)]


def pool_hash(pool: Iterable) -> str:
    """``SHA-256(concat(JCS(row) + "\\n"))`` over ``pool_rows(pool)``."""
    return jcs_lines_hash(pool_rows(pool))


@dataclass(frozen=True)
class TeamRule:
    """Matching parameters: initiating department, participating departments with the tags
    that qualify for them (any one suffices; empty = anyone of that department), the plan's
    minimum team size and the per-inspector cap (maximum number of teams)."""

    initiating_department: str
    participating_departments: Mapping[str, frozenset[str]] = field(default_factory=dict)
    min_size: int = 2
    cap: int = 1

    def __post_init__(self):
        parts = dict(self.participating_departments)
        if any(isinstance(t, str) for t in parts.values()):
            raise ValueError("required tags must be a collection of strings, not a string")
        parts = {d: frozenset(t) for d, t in parts.items()}
        object.__setattr__(self, "participating_departments", parts)
        codes = [self.initiating_department, *parts]
        if not all(isinstance(c, str) and c and c != LEADER for c in codes):
            raise ValueError('department codes must be non-empty strings other than "leader"')
        if self.initiating_department in parts:
            raise ValueError("the initiating department cannot also be a participating one")
        if type(self.min_size) is not int or type(self.cap) is not int or self.cap < 1:
            raise ValueError("min_size must be an integer and cap a positive integer")

    @property
    def team_size(self) -> int:
        """Members per team: ``max(min_size, 2, 1 + number of participating departments)``."""
        return max(self.min_size, 2, 1 + len(self.participating_departments))

    @property
    def initiating_slots(self) -> int:
        """Members per team from the initiating department (leader + fillers)."""
        return self.team_size - len(self.participating_departments)

    def qualifies(self, inspector: Inspector, department: str) -> bool:
        """Whether ``inspector`` can fill ``department``'s slot."""
        if inspector.department != department:
            return False
        required = self.participating_departments.get(department, frozenset())
        return not required or bool(required & inspector.qualifications)

    def to_dict(self) -> dict:
        """JSON form (tags as sorted lists)."""
        return {"initiating_department": self.initiating_department,
                "participating_departments": {d: sorted(t) for d, t in
                                              sorted(self.participating_departments.items())},
                "min_size": self.min_size, "cap": self.cap}

    @classmethod
    def from_dict(cls, data: Mapping) -> "TeamRule":
        """Inverse of ``to_dict``."""
        return cls(data["initiating_department"], data.get("participating_departments", {}),
                   data.get("min_size", 2), data.get("cap", 1))


def team_plan_section(pool: Iterable, rule: TeamRule) -> dict:
    """What to embed as ``plan["teams"]`` at T0 so that plan_hash (and hence the seed) binds
    the frozen pool and the matching parameters."""
    return {"algorithm": TEAM_ALGORITHM, "pool_hash": pool_hash(pool), **rule.to_dict()}


class TeamMatchingError(ValueError):
    """Matching cannot be completed; ``shortfalls`` lists what is missing."""

    def __init__(self, shortfalls: list[dict]):
        self.shortfalls = shortfalls
        super().__init__("；".join(s["message"] for s in shortfalls))


def inspector_ordering(seed: bytes, object_id: str, inspector_ids: Iterable[str]) -> list[str]:
    """All given inspector ids in the object's own order (HMAC bytes ascending, then id)."""
    mac = HmacSha256(seed).prefixed(b"insp|" + object_id.encode("utf-8") + b"|")
    return sorted(inspector_ids, key=lambda i: (mac(i.encode("utf-8")), i))


def _relevant(pool: list[Inspector], rule: TeamRule) -> list[Inspector]:
    # Only active, available inspectors of the involved departments can ever be picked.
    depts = {rule.initiating_department, *rule.participating_departments}
    return [i for i in pool if i.active and i.available and i.department in depts]


def _ordered(key: HmacSha256, object_id: str, candidates: list[Inspector],
             encoded: list[bytes] | None = None) -> list[Inspector]:
    """``candidates`` in the object's own order; ``encoded`` are their ids as UTF-8 (given by
    callers that order many objects over the same candidates)."""
    if encoded is None:
        encoded = [i.id.encode("utf-8") for i in candidates]
    digests = key.many(b"insp|" + object_id.encode("utf-8") + b"|", encoded)
    order = sorted(range(len(candidates)), key=lambda k: (digests[k], candidates[k].id))
    return [candidates[k] for k in order]


def _slot_test(rule: TeamRule, role: str):
    if role in (LEADER, rule.initiating_department):
        return lambda i: i.department == rule.initiating_department
    return lambda i: rule.qualifies(i, role)


def _first(ordered, object_id, test, load, cap, taken) -> Inspector | None:
    for insp in ordered:
        if (insp.id not in taken and object_id not in insp.conflicts
                and load[insp.id] < cap and test(insp)):
            return insp
    return None


def _runtime_shortfall(object_id: str, department: str, role: str) -> dict:
    return {"code": "no_eligible_inspector_for_object", "object_id": object_id,
            "department": department, "role": role, "needed": 1, "available": 0,
            "message": f"检查对象{object_id}：{department}已无可匹配的检查人员"
                       f"（均已达参加检查组上限、存在利害关系或不可用）"}


def _match_one(ordered: list[Inspector], rule: TeamRule, object_id: str, load: Counter,
               removed: Iterable[str] = ()) -> dict:
    """Build one team from the object's ordered candidates given current loads."""
    taken = set(removed)
    members: list[str] = []
    roles: dict[str, str] = {}
    missing: list[dict] = []
    slots = [LEADER, *sorted(rule.participating_departments)]
    slots += [rule.initiating_department] * (rule.team_size - len(slots))
    for role in slots:
        insp = _first(ordered, object_id, _slot_test(rule, role), load, rule.cap, taken)
        dept = rule.initiating_department if role == LEADER else role
        if insp is None:
            missing.append(_runtime_shortfall(object_id, dept, role))
            continue
        taken.add(insp.id)
        members.append(insp.id)
        roles[insp.id] = role
    if missing:
        raise TeamMatchingError(missing)
    return {"leader": members[0], "members": members, "roles": roles}


def _loads(teams: Mapping[str, Mapping]) -> Counter:
    return Counter(m for team in teams.values() for m in team["members"])


def match_teams(pool: Iterable, rule: TeamRule, seed: bytes,
                objects: Sequence[str]) -> dict[str, dict]:
    """Teams for ``objects`` (selection order): ``{object_id: {"leader", "members", "roles"}}``.

    Raises TeamMatchingError listing the shortfalls if some object cannot be staffed (this
    cannot happen when ``check_feasibility`` returned no shortfall for at least as many
    objects).
    """
    if len(set(objects)) != len(objects):
        raise ValueError("objects must not repeat")
    candidates = _relevant(normalize_pool(pool), rule)
    key = HmacSha256(seed)
    encoded = [i.id.encode("utf-8") for i in candidates]
    load: Counter = Counter()
    teams: dict[str, dict] = {}
    for object_id in objects:
        team = _match_one(_ordered(key, object_id, candidates, encoded), rule, object_id, load)
        load.update(team["members"])
        teams[object_id] = team
    return teams


def teams_hash(teams: Mapping[str, Mapping]) -> str:
    """``SHA-256(concat(JCS({"object": id, **team}) + "\\n"))`` over the teams sorted by object id.
    Teams whose ids are all ASCII take the C JSON encoder: with ASCII keys, string values and
    no numbers its sorted compact output is exactly RFC 8785."""
    def line(item) -> str:
        object_id, team = item
        row = {"object": object_id, **team}
        if object_id.isascii() and all(type(m) is str and m.isascii() for m in team["roles"]) \
                and all(type(m) is str for m in team["members"]) and type(team["leader"]) is str:
            return json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return jcs_text(row)
    return lines_hash(sorted(teams.items()), line)


def match_team(pool: Iterable, rule: TeamRule, seed: bytes, object_id: str,
               current_teams: Mapping[str, Mapping]) -> dict:
    """One new team for ``object_id`` (e.g. a substituted-in object), counting the loads of
    ``current_teams`` (which must no longer contain the substituted-out object's team)."""
    candidates = _relevant(normalize_pool(pool), rule)
    return _match_one(_ordered(HmacSha256(seed), object_id, candidates), rule, object_id,
                      _loads(current_teams))


def replace_member(pool: Iterable, rule: TeamRule, seed: bytes, object_id: str,
                   outgoing_id: str, current_teams: Mapping[str, Mapping],
                   removed: Iterable[str] = ()) -> dict:
    """Return the object's new team after replacing ``outgoing_id``; other teams are untouched.

    The incoming inspector is the first in the object's own ordering who fills the same role
    (leader/filler: initiating department; department slot: qualified member of it), is
    active, available, not conflicted, not already in the team, not ``outgoing_id`` nor any
    inspector in ``removed`` (earlier replacements on this object), and under the cap counting
    ``current_teams``. Takes the outgoing member's place and role.
    """
    team = current_teams.get(object_id)
    if team is None or outgoing_id not in team["roles"]:
        raise ValueError(f"{outgoing_id!r} is not a member of the team for {object_id!r}")
    role = team["roles"][outgoing_id]
    candidates = _relevant(normalize_pool(pool), rule)
    taken = set(team["members"]) | set(removed) | {outgoing_id}
    incoming = _first(_ordered(HmacSha256(seed), object_id, candidates), object_id, _slot_test(rule, role),
                      _loads(current_teams), rule.cap, taken)
    if incoming is None:
        dept = rule.initiating_department if role == LEADER else role
        shortfall = _runtime_shortfall(object_id, dept, role)
        shortfall["code"] = "no_replacement_available"
        raise TeamMatchingError([shortfall])
    members = [incoming.id if m == outgoing_id else m for m in team["members"]]
    roles = {m: (role if m == incoming.id else team["roles"][m]) for m in members}
    return {"leader": incoming.id if role == LEADER else team["leader"],
            "members": members, "roles": roles}


def check_feasibility(pool: Iterable, rule: TeamRule, object_count: int,
                      candidate_ids: Iterable[str] | None = None) -> list[dict]:
    """Shortfalls that would stop matching ``object_count`` objects (checked before the draw).

    Per department (the initiating one needs ``initiating_slots`` distinct inspectors per
    team, each participating one a qualified inspector) with ``m`` active, available,
    qualified inspectors, ``k`` slots per team, cap ``c`` and ``T`` objects, greedy matching
    is guaranteed for every seed iff no more than ``m - k`` inspectors can be saturated, i.e.
    ``m >= k + floor((T - 1) * k / c)``. With ``candidate_ids`` the declared conflicts of each
    candidate are subtracted as well. An empty list means matching will succeed.
    Each shortfall: ``code``, ``department``, ``needed``, ``available``, ``message`` (Chinese),
    and ``object_id`` for conflict shortfalls.
    """
    if object_count <= 0:
        return []
    inspectors = [i for i in normalize_pool(pool) if i.active and i.available]
    groups = [(rule.initiating_department, rule.initiating_slots,
               [i for i in inspectors if i.department == rule.initiating_department])]
    groups += [(d, 1, [i for i in inspectors if rule.qualifies(i, d)])
               for d in sorted(rule.participating_departments)]
    candidates = None if candidate_ids is None else set(candidate_ids)
    hint = "，可申请从同行业部门借调检查人员"
    shortfalls = []
    for dept, k, members in groups:
        m = len(members)
        needed = k + (object_count - 1) * k // rule.cap
        tags = sorted(rule.participating_departments.get(dept, ()))
        what = f"具备{'/'.join(tags)}资格的" if tags else ""
        base = {"department": dept, "needed": needed, "available": m}
        if m == 0:
            shortfalls.append({"code": "no_eligible_inspector", **base, "message":
                               f"{dept}没有{what}在岗可用检查人员{hint}"})
        elif m < k:
            shortfalls.append({"code": "too_few_inspectors", **base, "needed": k, "message":
                               f"每个检查组需要{dept}的{k}名检查人员，该部门仅有{m}名{what}"
                               f"在岗可用人员{hint}"})
        elif m < needed:
            shortfalls.append({"code": "capacity_insufficient", **base, "message":
                               f"按每名检查人员最多参加{rule.cap}个检查组计算，{object_count}个"
                               f"检查对象需要{dept}至少{needed}名{what}检查人员，现有{m}名{hint}"})
        elif candidates is not None:
            blocked = Counter(o for i in members for o in i.conflicts if o in candidates)
            for object_id, count in sorted(blocked.items()):
                if m - count < needed:
                    shortfalls.append({
                        "code": "conflicts_block_object", **base, "object_id": object_id,
                        "available": m - count, "message":
                        f"检查对象{object_id}：排除存在利害关系的人员后，{dept}可用检查人员为"
                        f"{m - count}名，少于所需的{needed}名{hint}"})
    return shortfalls

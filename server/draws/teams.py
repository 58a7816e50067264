"""Deterministic, verifiable inspector matching (docs/design/draw.md): ``dsr-team-v2`` for new
draws, ``dsr-team-v1`` kept so that draws made before stay reproducible.

Pure functions, standard library only. For each drawn object inspectors are ordered by
``HMAC-SHA256(seed, "insp|" + object_id + "|" + inspector_id)`` (ascending bytes, ties by id).

``dsr-team-v2`` (Art. 17, 18, 20(2)) runs in two passes over the objects in selection order:

1. leaders: for every object, the first eligible *leader candidate*: law-enforcement staff
   (never an outside expert) of the initiating department itself (never borrowed) who holds at
   least one of the main item's required qualification tags (``leader_qualifications``; anyone
   when empty). All leaders are placed before any other member, so other slots can never use
   up the leader candidates' capacity (no dead end: see ``check_feasibility``);
2. the rest of each team, counting every leader's load: per participating department (sorted
   by code) its first eligible law-enforcement inspector holding one of the department's tags;
   then fillers, law-enforcement inspectors serving for the initiating department (its own or
   borrowed with consent), until the team has ``team_size`` law-enforcement members (at least
   2); then, only when the plan allows experts (``experts``), one optional ``"expert"`` slot:
   the first eligible outside expert of an involved department, or nobody. Experts assist:
   they never lead and never count toward the two law-enforcement inspectors.

``dsr-team-v1`` (one pass; leader, departments, fillers per object) knows neither experts nor
borrowing: every row serves for its ``department``.

Eligible = active, available in the window, not conflicted with the object, and on fewer than
``cap`` teams so far. A borrowed inspector's pool row names the department they serve for
(``department``) and their own (``home_department``).

Roles: ``"leader"``, ``"expert"``, or the department code for every other member (fillers
carry the initiating department's code).
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from .canonical import HmacSha256, jcs_text, lines_hash
from .team_rules import (EXPERT, LEADER, TEAM_ALGORITHM, TEAM_ALGORITHM_V1, TEAM_ALGORITHM_V2,  # noqa: F401
                         TEAM_ALGORITHMS, Inspector, TeamRule, as_inspector, normalize_pool, pool_hash,
                         pool_rows, team_plan_section)


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


def _first(ordered, object_id, test, load, cap, taken) -> Inspector | None:
    for insp in ordered:
        if (insp.id not in taken and object_id not in insp.conflicts
                and load[insp.id] < cap and test(insp)):
            return insp
    return None


def _slot_department(rule: TeamRule, role: str) -> str:
    return rule.initiating_department if role in (LEADER, EXPERT) else role


def _runtime_shortfall(object_id: str, department: str, role: str) -> dict:
    who = "可担任组长的本部门执法检查人员" if role == LEADER else "可匹配的检查人员"
    return {"code": "no_eligible_inspector_for_object", "object_id": object_id,
            "department": department, "role": role, "needed": 1, "available": 0,
            "message": f"检查对象{object_id}：{department}已无{who}"
                       f"（均已达参加检查组上限、存在利害关系或不可用）"}


def _slots(rule: TeamRule) -> list[str]:
    """The team's roles in member order, leader first (the expert slot, if any, last)."""
    slots = [LEADER, *sorted(rule.participating_departments)]
    slots += [rule.initiating_department] * (rule.team_size - len(slots))
    return slots + ([EXPERT] if rule.experts and not rule.v1 else [])


def _fill(ordered: list[Inspector], rule: TeamRule, object_id: str, load: Counter,
          slots: Sequence[str], members: list[str], roles: dict[str, str],
          removed: Iterable[str] = ()) -> None:
    """Fill ``slots`` in order into ``members``/``roles`` (the expert slot may stay empty)."""
    taken = set(removed) | set(members)
    missing: list[dict] = []
    for role in slots:
        insp = _first(ordered, object_id, rule.slot_test(role), load, rule.cap, taken)
        if insp is None:
            if role != EXPERT:
                missing.append(_runtime_shortfall(object_id, _slot_department(rule, role), role))
            continue
        taken.add(insp.id)
        members.append(insp.id)
        roles[insp.id] = role
    if missing:
        raise TeamMatchingError(missing)


def _match_one(ordered: list[Inspector], rule: TeamRule, object_id: str, load: Counter,
               removed: Iterable[str] = ()) -> dict:
    """Build one team from the object's ordered candidates given current loads."""
    members: list[str] = []
    roles: dict[str, str] = {}
    _fill(ordered, rule, object_id, load, _slots(rule), members, roles, removed)
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
    if rule.v1:
        for object_id in objects:
            team = _match_one(_ordered(key, object_id, candidates, encoded), rule, object_id, load)
            load.update(team["members"])
            teams[object_id] = team
        return teams
    # dsr-team-v2, pass 1: every object's leader, from the leader candidates only.
    leaders = [i for i in candidates if rule.can_lead(i)]
    leader_ids = [i.id.encode("utf-8") for i in leaders]
    for object_id in objects:
        members: list[str] = []
        roles: dict[str, str] = {}
        _fill(_ordered(key, object_id, leaders, leader_ids), rule, object_id, load, [LEADER], members, roles)
        load.update(members)
        teams[object_id] = {"leader": members[0], "members": members, "roles": roles}
    # Pass 2: the other members, counting every leader's load.
    rest = _slots(rule)[1:]
    for object_id in objects:
        team = teams[object_id]
        before = len(team["members"])
        _fill(_ordered(key, object_id, candidates, encoded), rule, object_id, load, rest,
              team["members"], team["roles"])
        load.update(team["members"][before:])
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

    The incoming inspector is the first in the object's own ordering who can fill the same
    role (``TeamRule.slot_test``), is active, available, not conflicted, not already in the
    team, not ``outgoing_id`` nor any inspector in ``removed`` (earlier replacements on this
    object), and under the cap counting ``current_teams``. Takes the outgoing member's place
    and role.
    """
    team = current_teams.get(object_id)
    if team is None or outgoing_id not in team["roles"]:
        raise ValueError(f"{outgoing_id!r} is not a member of the team for {object_id!r}")
    role = team["roles"][outgoing_id]
    candidates = _relevant(normalize_pool(pool), rule)
    taken = set(team["members"]) | set(removed) | {outgoing_id}
    incoming = _first(_ordered(HmacSha256(seed), object_id, candidates), object_id, rule.slot_test(role),
                      _loads(current_teams), rule.cap, taken)
    if incoming is None:
        shortfall = _runtime_shortfall(object_id, _slot_department(rule, role), role)
        shortfall["code"] = "no_replacement_available"
        raise TeamMatchingError([shortfall])
    members = [incoming.id if m == outgoing_id else m for m in team["members"]]
    roles = {m: (role if m == incoming.id else team["roles"][m]) for m in members}
    return {"leader": incoming.id if role == LEADER else team["leader"],
            "members": members, "roles": roles}


def _group_shortfalls(dept: str, k: int, members: list[Inspector], rule: TeamRule, object_count: int,
                      candidates: set[str] | None, what: str, leader: bool) -> list[dict]:
    """Shortfalls of one group (``k`` distinct slots per team filled from ``members``): greedy
    filling cannot dead-end for any seed iff ``m >= k + floor((T - 1) * k / c)``."""
    m = len(members)
    needed = k + (object_count - 1) * k // rule.cap
    base = {"department": dept, "needed": needed, "available": m}
    if leader:
        base["role"] = LEADER
        who, hint = f"可担任组长的本部门执法检查人员{what}", "（组长须由发起部门本部门的执法检查人员担任，借调人员和外部专家不能担任组长）"
        codes = ("no_eligible_leader", "no_eligible_leader", "leader_capacity_insufficient")
    else:
        who, hint = f"{what}在岗可用检查人员", "，可申请从同行业部门借调检查人员"
        codes = ("no_eligible_inspector", "too_few_inspectors", "capacity_insufficient")
    if m == 0:
        return [{"code": codes[0], **base, "message": f"{dept}没有{who}{hint}"}]
    if m < k:
        return [{"code": codes[1], **base, "needed": k, "message":
                 f"每个检查组需要{dept}的{k}名检查人员，该部门仅有{m}名{who}{hint}"}]
    if m < needed:
        return [{"code": codes[2], **base, "message":
                 f"按每名检查人员最多参加{rule.cap}个检查组计算，{object_count}个检查对象需要{dept}"
                 f"至少{needed}名{who}，现有{m}名{hint}"}]
    out = []
    if candidates is not None:
        blocked = Counter(o for i in members for o in i.conflicts if o in candidates)
        for object_id, count in sorted(blocked.items()):
            if m - count < needed:
                out.append({"code": "conflicts_block_object", **base, "object_id": object_id,
                            "available": m - count, "message":
                            f"检查对象{object_id}：排除存在利害关系的人员后，{dept}{who}为"
                            f"{m - count}名，少于所需的{needed}名{hint}"})
    return out


def check_feasibility(pool: Iterable, rule: TeamRule, object_count: int,
                      candidate_ids: Iterable[str] | None = None) -> list[dict]:
    """Shortfalls that would stop matching ``object_count`` objects (checked before the draw).

    Per group of slots (``k`` per team) with ``m`` active, available inspectors able to fill
    them, cap ``c`` and ``T`` objects, greedy matching succeeds for every seed iff no more than
    ``m - k`` of them can be blocked, i.e. ``m >= k + floor((T - 1) * k / c)``. The groups:
    each participating department (1 slot); the initiating department (``initiating_slots``);
    and in v2 the leader candidates (1 slot; for one slot the bound is exact: ``m * c >= T``).
    v2 places all leaders first, so fillers cannot starve the leaders, and the filler bound
    still holds with the leaders' loads counted (the object's own leader is one of the blocked).
    With ``candidate_ids`` the declared conflicts of each candidate are subtracted as well. An
    empty list means matching will succeed. Each shortfall: ``code``, ``department``,
    ``needed``, ``available``, ``message`` (Chinese), ``role`` for leader shortfalls and
    ``object_id`` for conflict shortfalls.
    """
    if object_count <= 0:
        return []
    inspectors = [i for i in normalize_pool(pool) if i.active and i.available]
    candidates = None if candidate_ids is None else set(candidate_ids)
    init = rule.initiating_department
    shortfalls = []
    if not rule.v1:
        tags = sorted(rule.leader_qualifications)
        what = f"（具备{'/'.join(tags)}资格）" if tags else ""
        shortfalls += _group_shortfalls(init, 1, [i for i in inspectors if rule.can_lead(i)], rule,
                                        object_count, candidates, what, leader=True)
    if rule.v1 or rule.initiating_slots > 1:
        filler = rule.slot_test(init)
        shortfalls += _group_shortfalls(init, rule.initiating_slots, [i for i in inspectors if filler(i)],
                                        rule, object_count, candidates, "", leader=False)
    for dept in sorted(rule.participating_departments):
        tags = sorted(rule.participating_departments[dept])
        shortfalls += _group_shortfalls(dept, 1, [i for i in inspectors if rule.qualifies(i, dept)], rule,
                                        object_count, candidates,
                                        f"具备{'/'.join(tags)}资格的" if tags else "", leader=False)
    return shortfalls

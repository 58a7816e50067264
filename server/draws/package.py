"""Audit package (format ``dsr-audit-v1``) and the post-draw events that it records.

The package is the single JSON document that ``tools/verify_draw.py`` checks; its format is
documented there and in ``tools/README-verify-draw.md``. Standard library only.

Post-draw events, in the order they were approved (``seq`` 1, 2, ... across both kinds):

- replacement (inspector): ``{"type": "replacement", "object_id", "outgoing", "incoming",
  "reason", "approved_by", "approved_at"}``
- substitution (object found outside the task's scope before the visit): ``{"type":
  "substitution", "stratum", "outgoing_object", "incoming_object", "reason", "approved_by",
  "approved_at"}`` plus ``"team"`` (the incoming object's newly matched team) when teams are
  matched. The outgoing object's team is dissolved.

Use ``next_replacement`` / ``next_substitution`` to compute a new event from the current state
so that the server and the verifier apply the same rules.
"""
from __future__ import annotations

import copy
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from .algorithm import ALGORITHM, run_draw, selection_order
from .teams import TeamRule, match_team, match_teams, pool_hash, pool_rows, replace_member

PACKAGE_FORMAT = "dsr-audit-v1"
_REPLACEMENT_FIELDS = ("object_id", "outgoing", "incoming", "reason", "approved_by", "approved_at")
_SUBSTITUTION_FIELDS = ("stratum", "outgoing_object", "incoming_object", "reason", "approved_by",
                        "approved_at")


class SubstitutionError(ValueError):
    """An object substitution that the rules do not allow (message is user-facing)."""


def substitute_object(strata: Mapping[str, Mapping], stratum: str, outgoing_object: str,
                      previous: Iterable[Mapping] = ()) -> str:
    """The object replacing ``outgoing_object``: the next not-yet-used id in the ranking.

    ``previous`` are earlier substitutions (``stratum``, ``outgoing_object``,
    ``incoming_object``) in order. Raises SubstitutionError if the outgoing object is not
    currently selected or the ranking is exhausted.
    """
    if stratum not in strata:
        raise SubstitutionError(f"分层 {stratum} 不在本次抽取结果中")
    current = list(strata[stratum]["selected"])
    used = set(current)
    for sub in previous:
        if sub["stratum"] == stratum:
            current[current.index(sub["outgoing_object"])] = sub["incoming_object"]
            used.add(sub["incoming_object"])
    if outgoing_object not in current:
        raise SubstitutionError(f"检查对象 {outgoing_object} 不是分层 {stratum} 当前的抽中对象")
    for oid in strata[stratum]["ranking"]:
        if oid not in used:
            return oid
    raise SubstitutionError(f"分层 {stratum} 的排序已用尽，无可递补的检查对象")


def apply_substitutions(strata: Mapping[str, Mapping],
                        substitutions: Iterable[Mapping]) -> dict[str, list[str]]:
    """Final selection per stratum: each incoming object takes its outgoing object's place."""
    final = {s: list(r["selected"]) for s, r in strata.items()}
    for sub in substitutions:
        row = final[sub["stratum"]]
        row[row.index(sub["outgoing_object"])] = sub["incoming_object"]
    return final


def replay_events(strata: Mapping[str, Mapping], initial_teams: Mapping[str, Mapping] | None,
                  events: Iterable[Mapping]) -> dict:
    """Apply recorded events in order (bookkeeping only, no re-computation).

    Returns ``{"selection": {S: [ids]}, "teams": {object_id: team} | None,
    "removed": {object_id: [inspectors replaced out of that object's team]},
    "substitutions": [substitution events]}``.
    """
    events = list(events)
    substitutions = [e for e in events if e["type"] == "substitution"]
    teams = copy.deepcopy(dict(initial_teams)) if initial_teams is not None else None
    removed: dict[str, list[str]] = defaultdict(list)
    for event in events:
        if event["type"] == "substitution":
            if teams is not None:
                teams.pop(event["outgoing_object"], None)
                teams[event["incoming_object"]] = copy.deepcopy(event["team"])
        elif event["type"] == "replacement":
            team = teams[event["object_id"]]
            out, inc = event["outgoing"], event["incoming"]
            role = team["roles"].pop(out)
            team["members"] = [inc if m == out else m for m in team["members"]]
            team["roles"] = {m: (role if m == inc else team["roles"][m]) for m in team["members"]}
            if role == "leader":
                team["leader"] = inc
            removed[event["object_id"]].append(out)
        else:
            raise ValueError(f"unknown event type {event['type']!r}")
    return {"selection": apply_substitutions(strata, substitutions), "teams": teams,
            "removed": dict(removed), "substitutions": substitutions}


def next_replacement(pool: Iterable, rule: TeamRule, seed: bytes, strata: Mapping,
                     initial_teams: Mapping, events: Sequence[Mapping], object_id: str,
                     outgoing_id: str) -> dict:
    """The new team of ``object_id`` when ``outgoing_id`` is replaced after ``events``.

    Raises TeamMatchingError (with shortfalls) if nobody eligible is left.
    """
    state = replay_events(strata, initial_teams, events)
    return replace_member(pool, rule, seed, object_id, outgoing_id, state["teams"],
                          removed=state["removed"].get(object_id, ()))


def next_substitution(strata: Mapping, events: Sequence[Mapping], stratum: str,
                      outgoing_object: str, *, pool: Iterable | None = None,
                      rule: TeamRule | None = None, seed: bytes | None = None,
                      initial_teams: Mapping | None = None) -> dict:
    """``{"incoming_object", "team"}`` for substituting ``outgoing_object`` after ``events``.

    ``team`` is None when no teams are matched (``pool`` None); otherwise it is matched for
    the incoming object with loads counted after dissolving the outgoing object's team.
    """
    state = replay_events(strata, initial_teams, events)
    incoming = substitute_object(strata, stratum, outgoing_object, state["substitutions"])
    team = None
    if pool is not None:
        teams = dict(state["teams"])
        teams.pop(outgoing_object, None)
        team = match_team(pool, rule, seed, incoming, teams)
    return {"incoming_object": incoming, "team": team}


def build_audit_package(*, plan: Mapping, snapshot: Sequence[Mapping], nonce: bytes,
                        beacon_value: str, committed_at: str, draw: Mapping | None = None,
                        pool: Iterable | None = None, rule: TeamRule | None = None,
                        teams: Mapping | None = None, events: Sequence[Mapping] = ()) -> dict:
    """Assemble the ``dsr-audit-v1`` package from the server-side records.

    ``draw`` is the stored ``run_draw`` result (at least ``plan_hash``, ``snapshot_hash``,
    ``commitment``, ``seed`` and ``strata``; recomputed when None). Pass ``pool`` and
    ``rule`` when inspectors were matched; ``teams`` are the initial teams as stored
    (recomputed when None). ``events`` are the replacement/substitution events in approval
    order. Values are copied as recorded, so the verifier can catch any inconsistency.
    """
    if draw is None:
        draw = run_draw(plan, snapshot, nonce, beacon_value)
    strata = {s: {"N": r["N"], "n": r["n"], "ranking": list(r["ranking"]),
                  "selected": list(r["selected"])} for s, r in sorted(draw["strata"].items())}
    replacements, substitutions = [], []
    for seq, event in enumerate(events, 1):
        if event["type"] == "replacement":
            replacements.append({"seq": seq, **{k: event[k] for k in _REPLACEMENT_FIELDS}})
        elif event["type"] == "substitution":
            sub = {"seq": seq, **{k: event[k] for k in _SUBSTITUTION_FIELDS}}
            if pool is not None:
                sub["team"] = copy.deepcopy(event["team"])
            substitutions.append(sub)
        else:
            raise ValueError(f"unknown event type {event['type']!r}")
    package = {
        "format": PACKAGE_FORMAT, "algorithm": ALGORITHM, "plan": copy.deepcopy(dict(plan)),
        "plan_hash": draw["plan_hash"], "snapshot": [dict(r) for r in snapshot],
        "snapshot_hash": draw["snapshot_hash"], "commitment": draw["commitment"],
        "committed_at": committed_at, "beacon_value": beacon_value, "nonce": bytes(nonce).hex(),
        "seed": draw["seed"], "results": strata, "substitutions": substitutions,
    }
    seed = bytes.fromhex(draw["seed"])
    if pool is None:
        state = replay_events(strata, None, events)
        package["final_selection"] = state["selection"]
        return package
    if rule is None:
        raise ValueError("rule is required when a pool is given")
    if teams is None:
        teams = match_teams(pool, rule, seed, selection_order(strata))
    planned = plan.get("teams")
    section = {"algorithm": rule.algorithm, "pool": pool_rows(pool, rule.algorithm),
               "pool_hash": pool_hash(pool, rule.algorithm), **rule.to_dict()}
    if planned is not None and any(planned.get(k) != v for k, v in section.items() if k != "pool"):
        raise ValueError('plan["teams"] does not match the pool and rule being packaged')
    state = replay_events(strata, teams, events)
    section.update({"teams": copy.deepcopy(dict(teams)), "replacements": replacements,
                    "final_teams": state["teams"]})
    package["final_selection"] = state["selection"]
    package["teams"] = section
    return package


def dump_audit_package(package: Mapping, fp, *, indent: int | None = None) -> None:
    """Write the package as UTF-8 JSON (Chinese kept readable) to the text file ``fp``."""
    # json.dumps (one shot) uses the C encoder; json.dump streams through the pure-Python one.
    fp.write(json.dumps(package, ensure_ascii=False, indent=indent))
    fp.write("\n")

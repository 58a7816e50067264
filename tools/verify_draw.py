#!/usr/bin/env python3
"""Standalone verifier for a "double-random" spot-check draw (dsr-wrs-v1 + dsr-team-v2, or
the earlier dsr-team-v1).

    python verify_draw.py AUDIT_PACKAGE.json [--expect NAME=HEX ...]

Python 3.9+ standard library only. It deliberately does not import the server's code: it
re-implements the published algorithm (docs/design/draw.md) as plainly as possible, with
every key computed in `decimal` at precision 50, so that anyone can read and rerun it.

The audit package is one JSON object (format "dsr-audit-v1"):

  format          "dsr-audit-v1"
  algorithm       "dsr-wrs-v1"
  plan            the plan object; strata ratios are decimal strings; may contain "teams"
                  (the team parameters and pool_hash, so that plan_hash binds them)
  plan_hash       hex SHA-256 of the RFC 8785 canonical plan
  snapshot        all candidate rows {"id", "stratum", "weight", "excluded"}, sorted by id;
                  since the weight rule is structured (plan "weight_rule" an object) each row
                  also has "status", "last_checked_on", "abnormal_list",
                  "serious_violation_list" and "complaints", and every weight is recomputed
  snapshot_hash   hex SHA-256 over canonical(row) + "\n" for each row
  commitment      hex SHA-256("dsr-commit-v1" || nonce), published before the beacon
  committed_at    when the commitment was recorded (informational)
  beacon_value    the public random value, exactly as entered
  nonce, seed     hex
  results         {stratum: {"N", "n", "ranking": [ids], "selected": [ids]}}
  substitutions   [{"seq", "stratum", "outgoing_object", "incoming_object", "reason",
                    "approved_by", "approved_at", "team" (only when teams are matched)}]
  final_selection {stratum: [ids]} after the substitutions
  teams           optional: {"algorithm": "dsr-team-v2" (or "dsr-team-v1"), "pool": [{"id",
                  "department", "home_department", "expert", "qualifications", "active",
                  "available", "conflicts"}] (v1 rows: no home_department, no expert),
                  "pool_hash", "initiating_department", "participating_departments":
                  {dept: [tags]}, "min_size", "cap", v2 also "leader_qualifications": [tags]
                  and "experts": bool, "teams": {object: {"leader", "members", "roles"}},
                  "replacements": [{"seq", "object_id", "outgoing", "incoming", "reason",
                  "approved_by", "approved_at"}], "final_teams": {...}}

Replacements and substitutions share one "seq" numbering: they are re-played in that order.
Each check prints "PASS name" or "FAIL name: detail". Checks use the package's recorded
values as their inputs (e.g. the recorded seed), so a tampered field fails at its own check.
Exit status 0 when every check passes, 1 otherwise (the first failing check is named last).
--expect plan_hash=... (also snapshot_hash, commitment, pool_hash) compares the package with
values published before the draw, e.g. on the task's public page.
"""
import argparse
import hashlib
import hmac
import json
import sys
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Context, Decimal

KEY_CONTEXT = Context(prec=50, rounding=ROUND_HALF_EVEN)


# ---- canonical JSON (RFC 8785 for integers, strings, booleans, null, lists, objects) --------

def canonical(value):
    """RFC 8785 text: object keys sorted by UTF-16 code units, no spaces, no floats."""
    if isinstance(value, float):
        raise ValueError("floats are not allowed")
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: k.encode("utf-16-be", "surrogatepass"))
        return "{" + ",".join(canonical(k) + ":" + canonical(value[k]) for k in keys) + "}"
    if isinstance(value, list):
        return "[" + ",".join(canonical(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)  # str, int, bool, None


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def lines_hash(rows):
    return sha256_hex("".join(canonical(row) + "\n" for row in rows).encode("utf-8"))


# ---- dsr-wrs-v1: seed, keys, ranking -------------------------------------------------------

def derive_seed(nonce, beacon_value, plan_hash, snapshot_hash):
    message = (b"dsr-seed-v1|" + hashlib.sha256(beacon_value.encode("utf-8")).digest()
               + bytes.fromhex(plan_hash) + bytes.fromhex(snapshot_hash))
    return hmac.new(nonce, message, hashlib.sha256).digest()


def object_key(seed, object_id, weight):
    """key = -ln(u) / weight with u = (2U + 1) / 2^65, U = first 8 bytes of HMAC(seed, obj|id)."""
    digest = hmac.new(seed, ("obj|" + object_id).encode("utf-8"), hashlib.sha256).digest()
    U = int.from_bytes(digest[:8], "big")
    u = KEY_CONTEXT.divide(Decimal(2 * U + 1), Decimal(2 ** 65))
    return KEY_CONTEXT.divide(KEY_CONTEXT.minus(KEY_CONTEXT.ln(u)), Decimal(weight))


def draw_stratum(snapshot, stratum, ratio, seed):
    """(N, n, ranking) for one stratum: non-excluded rows sorted by (key, id)."""
    rows = [r for r in snapshot if r["stratum"] == stratum and r["excluded"] is None]
    ranking = sorted(rows, key=lambda r: (object_key(seed, r["id"], r["weight"]), r["id"]))
    n = Context(prec=200).multiply(Decimal(ratio), Decimal(len(rows)))  # exact product
    n = n.to_integral_value(rounding=ROUND_CEILING)
    return len(rows), int(n), [r["id"] for r in ranking]


# ---- the weight rule (Art. 16): every row's weight and exclusion ----------------------------

DEREGISTERED = ("deregistered", "revoked", "cancelled", "moved_out")


def expected_weight(row, rule):
    """(excluded, weight) of a snapshot row under the plan's weight rule (draw.md, "Weights")."""
    year, month, day = (int(x) for x in rule["as_of"].split("-"))
    last = row["last_checked_on"]
    if rule["exclude_deregistered"] and row["status"] in DEREGISTERED:
        return "deregistered", 0
    if row["status"] not in rule["statuses"]:
        return "status_not_in_scope", 0
    if (rule["exclude_low_risk_checked_this_year"] and row["stratum"] == "A" and last is not None
            and int(last[:4]) == year):
        return "low_risk_checked_this_year", 0
    if last is None:
        years = None
    else:
        ly, lm, ld = (int(x) for x in last.split("-"))
        years = max(year - ly - (1 if (month, day) < (lm, ld) else 0), 0)
    if years is None or years >= 3:
        weight = rule["not_checked_3y"]
    elif years >= 2:
        weight = rule["not_checked_2y"]
    else:
        weight = rule["default"]
    if row["abnormal_list"]:
        weight += rule.get("abnormal_list", 0)
    if row["serious_violation_list"]:
        weight += rule.get("serious_violation_list", 0)
    per_point = rule.get("complaints_per_point", 0)
    if per_point > 0:
        weight += min(row["complaints"] // per_point, rule.get("complaints_max", 0))
    return None, weight


def weights_problem(snapshot, rule):
    """The first row whose weight or exclusion differs from the rule, or None."""
    for row in snapshot:
        expected = expected_weight(row, rule)
        if (row["excluded"], row["weight"]) != expected:
            return "row %s: the rule gives excluded=%r, weight=%r; snapshot has excluded=%r, weight=%r" % (
                row["id"], expected[0], expected[1], row["excluded"], row["weight"])
    return None


# ---- dsr-team-v1 and dsr-team-v2: inspector matching -----------------------------------------

TEAM_ALGORITHMS = ("dsr-team-v1", "dsr-team-v2")


def inspector_order(seed, object_id, pool):
    """The object's own ordering: HMAC(seed, "insp|object|inspector") ascending, then id."""
    def key(row):
        msg = ("insp|" + object_id + "|" + row["id"]).encode("utf-8")
        return hmac.new(seed, msg, hashlib.sha256).digest(), row["id"]
    return sorted(pool, key=key)


def holds_one(row, required):
    return not required or any(q in required for q in row["qualifications"])


def can_fill(row, role, t):
    """Who can fill a role.

    dsr-team-v1: leader and filler roles need the initiating department; a department role
    needs a member of that department holding one of its required tags (any, if none).
    dsr-team-v2 adds: experts (row "expert") only ever fill the "expert" slot (an expert of an
    involved department, not borrowed, when the plan allows experts); the leader is serving for
    the initiating department, is its own staff (home_department the same: not borrowed) and
    holds one of the main item's tags ("leader_qualifications", anyone when empty).
    """
    init = t["initiating_department"]
    if t["algorithm"] == "dsr-team-v1":
        if role in ("leader", init):
            return row["department"] == init
        return row["department"] == role and holds_one(row, t["participating_departments"][role])
    borrowed = row["home_department"] != row["department"]
    if role == "expert":
        return (t["experts"] and row["expert"] and not borrowed
                and (row["department"] == init or row["department"] in t["participating_departments"]))
    if row["expert"]:
        return False
    if role == "leader":
        return row["department"] == init and not borrowed and holds_one(row, t["leader_qualifications"])
    if role == init:
        return row["department"] == init
    return row["department"] == role and holds_one(row, t["participating_departments"][role])


def first_eligible(order, role, object_id, t, load, taken):
    for row in order:
        if (row["active"] and row["available"] and object_id not in row["conflicts"]
                and load.get(row["id"], 0) < t["cap"] and row["id"] not in taken
                and can_fill(row, role, t)):
            return row["id"]
    return None


def team_roles(t):
    """Leader, one per participating department (sorted), fillers up to
    max(min_size, 2, 1 + departments) law-enforcement members; v2: then the optional expert."""
    roles = ["leader"] + sorted(t["participating_departments"])
    roles += [t["initiating_department"]] * (max(t["min_size"], 2) - len(roles))
    if t["algorithm"] == "dsr-team-v2" and t["experts"]:
        roles.append("expert")
    return roles


def fill_team(seed, object_id, t, load, roles, team):
    """Add members for ``roles`` to ``team`` (dict with "members" and "roles"); False when a
    required slot stays empty (the expert slot may)."""
    order = inspector_order(seed, object_id, t["pool"])
    for role in roles:
        who = first_eligible(order, role, object_id, t, load, set(team["members"]))
        if who is None:
            if role == "expert":
                continue
            return False
        team["members"].append(who)
        team["roles"][who] = role
        load[who] = load.get(who, 0) + 1
    return True


def match_team(seed, object_id, t, load):
    """One team (for a substituted-in object, or every team under v1), counting ``load``."""
    team = {"members": [], "roles": {}}
    if not fill_team(seed, object_id, t, dict(load), team_roles(t), team):
        return None
    return {"leader": team["members"][0], "members": team["members"], "roles": team["roles"]}


def match_all(seed, objects, t):
    """Every initial team, objects in selection order. v1: one team after the other. v2: first
    every object's leader, then the rest of every team (the leaders' loads counted)."""
    load, teams = {}, {}
    if t["algorithm"] == "dsr-team-v1":
        for object_id in objects:
            team = match_team(seed, object_id, t, load)
            if team is None:
                return None, object_id
            for member in team["members"]:
                load[member] = load.get(member, 0) + 1
            teams[object_id] = team
        return teams, None
    for passes in (["leader"], team_roles(t)[1:]):
        for object_id in objects:
            team = teams.setdefault(object_id, {"members": [], "roles": {}})
            if not fill_team(seed, object_id, t, load, passes, team):
                return None, object_id
    return {o: {"leader": team["members"][0], "members": team["members"], "roles": team["roles"]}
            for o, team in teams.items()}, None


def borrowing_problem(plan, t):
    """v2: every borrowed row (home_department differs from department) is covered by a
    borrowing recorded in the plan (with the lending department's consent, Art. 17)."""
    recorded = {(b["borrower"], b["lender"]) for b in plan.get("borrowed", [])
                if b.get("consented_at")}
    for row in t["pool"]:
        pair = (row["department"], row["home_department"])
        if pair[0] != pair[1] and pair not in recorded:
            return "inspector %s of %s serves for %s without a consented borrowing in the plan" % (
                row["id"], pair[1], pair[0])
    return None


def loads(teams):
    count = {}
    for team in teams.values():
        for member in team["members"]:
            count[member] = count.get(member, 0) + 1
    return count


# ---- the checks ---------------------------------------------------------------------------

def differs(what, computed, recorded):
    """None when equal, else a one-line explanation (the FAIL detail)."""
    if computed == recorded:
        return None
    return "%s %r, package says %r" % (what, computed, recorded)


def first_difference(what, expected, recorded):
    for pos in range(max(len(expected), len(recorded))):
        a = expected[pos] if pos < len(expected) else None
        b = recorded[pos] if pos < len(recorded) else None
        if a != b:
            return "%s differs at position %d: expected %r, package has %r" % (what, pos + 1, a, b)
    return None


def first_key_difference(what, replayed, recorded):
    """None when equal, else the first key (object or stratum) whose values differ."""
    if not isinstance(recorded, dict):
        return "%s: package has no such record" % what
    for key in sorted(set(replayed) | set(recorded)):
        if replayed.get(key) != recorded.get(key):
            return "%s for %s: replayed %r, package says %r" % (
                what, key, replayed.get(key), recorded.get(key))
    return None


def has_reason_and_approver(event):
    for field in ("reason", "approved_by"):
        if not isinstance(event.get(field), str) or not event[field].strip():
            return "missing %s" % field
    return None


def verify(pkg, expect=None):
    """Run every check on the parsed package; return a list of (name, ok, detail)."""
    results = []

    def check(name, func):
        try:
            detail = func()
        except Exception as exc:  # a malformed package fails the check, it does not crash
            detail = "%s: %s" % (type(exc).__name__, exc)
        results.append((name, detail is None, detail))

    plan, snapshot, recorded = pkg["plan"], pkg["snapshot"], pkg["results"]
    seed = bytes.fromhex(pkg["seed"])  # the recorded seed; its derivation is checked below
    nonce = bytes.fromhex(pkg["nonce"])

    # 1. Hashes, commitment and seed.
    formats = (pkg.get("format"), pkg.get("algorithm"), plan.get("algorithm"))
    check("format", lambda: differs("format/algorithms", formats,
                                    ("dsr-audit-v1", "dsr-wrs-v1", "dsr-wrs-v1")))
    check("plan_hash", lambda: differs(
        "computed", sha256_hex(canonical(plan).encode("utf-8")), pkg["plan_hash"]))

    def snapshot_check():
        ids = [row["id"] for row in snapshot]
        if any(a >= b for a, b in zip(ids, ids[1:])):
            return "rows are not sorted by id or an id is repeated"
        return differs("computed", lines_hash(snapshot), pkg["snapshot_hash"])
    check("snapshot_hash", snapshot_check)
    check("commitment", lambda: differs(
        "computed", sha256_hex(b"dsr-commit-v1" + nonce), pkg["commitment"]))
    check("seed", lambda: differs("computed", derive_seed(
        nonce, pkg["beacon_value"], pkg["plan_hash"], pkg["snapshot_hash"]).hex(), pkg["seed"]))

    # 2. Every row's weight and exclusion, from the rule in the plan (draws before the rule was
    #    structured carry a description only: their weights are as frozen, covered by the hashes).
    if isinstance(plan.get("weight_rule"), dict):
        check("weights", lambda: weights_problem(snapshot, plan["weight_rule"]))
    else:
        print("NOTE the plan describes its weight rule in words: the weights are checked as frozen "
              "(snapshot_hash), not recomputed")

    # 3. The object draw, per stratum.
    check("results", lambda: differs("strata", sorted(plan["strata"]), sorted(recorded)))

    def stratum_check(stratum):
        N, n, ranking = draw_stratum(snapshot, stratum, plan["strata"][stratum], seed)
        got = recorded[stratum]
        return (differs("N", N, got["N"]) or differs("n", n, got["n"])
                or first_difference("ranking", ranking, got["ranking"])
                or first_difference("selected", ranking[:n], got["selected"]))
    for stratum in sorted(plan["strata"]):
        check("stratum:" + stratum, lambda s=stratum: stratum_check(s))

    # 4. The inspector teams.
    t = pkg.get("teams")
    events = [dict(e, type="substitution") for e in pkg.get("substitutions", [])]
    if t is not None:
        events += [dict(e, type="replacement") for e in t.get("replacements", [])]
        if "teams" in plan:
            check("team_params", lambda: next((
                "plan says %s=%r, teams section has %r" % (key, value, t.get(key))
                for key, value in sorted(plan["teams"].items()) if t.get(key) != value), None))
        else:
            print("NOTE the plan does not contain the team parameters and pool_hash: compare "
                  "them with the values recorded before the draw")
        check("pool_hash", lambda: differs("computed", lines_hash(t["pool"]), t["pool_hash"]))

        check("team_algorithm", lambda: None if t.get("algorithm") in TEAM_ALGORITHMS else
              "unknown team algorithm %r (this verifier knows %s)" % (
                  t.get("algorithm"), ", ".join(TEAM_ALGORITHMS)))
        if t.get("algorithm") == "dsr-team-v2":
            check("borrowing", lambda: borrowing_problem(plan, t))

        def teams_check():
            order = [o for s in sorted(recorded) for o in recorded[s]["selected"]]
            if sorted(order) != sorted(t["teams"]):
                return "teams recorded for %s, but drawn objects are %s" % (
                    sorted(t["teams"]), sorted(order))
            teams, stuck = match_all(seed, order, t)
            if teams is None:
                return "object %s cannot be staffed from the pool" % stuck
            for object_id in order:
                if teams[object_id] != t["teams"][object_id]:
                    return "object %s: expected %r, package has %r" % (
                        object_id, teams[object_id], t["teams"][object_id])
            return None
        check("teams", teams_check)

    elif "teams" in plan:
        check("team_params", lambda: "the plan sets team parameters but the package has no teams")

    # 5. Replacements and substitutions, re-played in "seq" order from the recorded state:
    #    each is checked against the state before it, then applied as recorded.
    events.sort(key=lambda e: e["seq"])
    check("events", lambda: differs(
        "seq numbers", [e["seq"] for e in events], list(range(1, len(events) + 1))))
    selection = {s: list(r["selected"]) for s, r in recorded.items()}
    used = {s: set(ids) for s, ids in selection.items()}
    teams = json.loads(json.dumps(t["teams"])) if t is not None else None
    removed = {}  # object -> inspectors replaced out of its team (never picked again there)

    def replacement_check(e):
        team = teams.get(e["object_id"]) if teams is not None else None
        if team is None or e["outgoing"] not in team["roles"]:
            return "%s is not on a current team of %s" % (e["outgoing"], e["object_id"])
        taken = set(team["members"]) | set(removed.get(e["object_id"], []))
        order = inspector_order(seed, e["object_id"], t["pool"])
        expected = first_eligible(order, team["roles"][e["outgoing"]], e["object_id"], t,
                                  loads(teams), taken)
        return (has_reason_and_approver(e)
                or differs("next eligible inspector is", expected, e["incoming"]))

    def substitution_check(e):
        stratum = e["stratum"]
        if e["outgoing_object"] not in selection[stratum]:
            return "%s is not a currently drawn object" % e["outgoing_object"]
        ranking = recorded[stratum]["ranking"]
        expected = next((o for o in ranking if o not in used[stratum]), None)
        problem = (has_reason_and_approver(e)
                   or differs("next unused object is", expected, e["incoming_object"]))
        if problem is None and teams is not None:
            others = {o: team for o, team in teams.items() if o != e["outgoing_object"]}
            problem = differs("team", match_team(seed, expected, t, loads(others)), e["team"])
        return problem

    for e in events:
        if e["type"] == "replacement":
            check("replacement:%s" % e["seq"], lambda e=e: replacement_check(e))
            team = teams.get(e["object_id"]) if teams is not None else None
            if team is not None and e["outgoing"] in team["roles"]:
                role = team["roles"].pop(e["outgoing"])
                team["roles"][e["incoming"]] = role
                team["members"] = [e["incoming"] if m == e["outgoing"] else m
                                   for m in team["members"]]
                if role == "leader":
                    team["leader"] = e["incoming"]
                removed.setdefault(e["object_id"], []).append(e["outgoing"])
        else:
            check("substitution:%s" % e["seq"], lambda e=e: substitution_check(e))
            row = selection.get(e["stratum"], [])
            if e["outgoing_object"] in row:
                row[row.index(e["outgoing_object"])] = e["incoming_object"]
                used[e["stratum"]].add(e["incoming_object"])
                if teams is not None:
                    teams.pop(e["outgoing_object"], None)
                    teams[e["incoming_object"]] = e.get("team")
    check("final_selection", lambda: first_key_difference(
        "selection", selection, pkg.get("final_selection")))
    if t is not None:
        check("final_teams", lambda: first_key_difference("team", teams, t.get("final_teams")))

    # 6. Values published before the draw (--expect).
    for name, value in sorted((expect or {}).items()):
        in_package = t.get("pool_hash") if name == "pool_hash" and t else pkg.get(name)
        check("published:" + name, lambda v=value, p=in_package: differs("published", v, p))
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description="Verify a dsr-wrs-v1 draw's audit package.")
    parser.add_argument("package", help="the audit package (JSON file)")
    parser.add_argument("--expect", action="append", default=[], metavar="NAME=HEX",
                        help="a value published before the draw: plan_hash, snapshot_hash, "
                             "commitment or pool_hash (repeatable)")
    args = parser.parse_args(argv)
    expect = dict(item.split("=", 1) for item in args.expect)
    try:
        with open(args.package, encoding="utf-8") as f:
            pkg = json.load(f)
        results = verify(pkg, expect)
    except Exception as exc:  # unreadable file, or a package without its basic fields
        results = [("format", False, "%s: %s" % (type(exc).__name__, exc))]
    for name, ok, detail in results:
        print("PASS %s" % name if ok else "FAIL %s: %s" % (name, detail))
    failed = [name for name, ok, _ in results if not ok]
    if failed:
        print("VERIFICATION FAILED; first failing check: %s" % failed[0])
        return 1
    print("ALL %d CHECKS PASSED" % len(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())

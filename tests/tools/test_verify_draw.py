"""The standalone verifier, run as outsiders run it, on packages built by the server code."""
import copy
import hashlib
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402

from server.draws import algorithm as A  # noqa: E402
from server.draws import package as P  # noqa: E402
from server.draws import teams as T  # noqa: E402

VERIFIER = ROOT / "tools" / "verify_draw.py"
BEACON = "2026-11-28 福利彩票 03 11 19 24 28 33 + 07"
NONCE = hashlib.sha256(b"verify-draw-test").digest()


def _inputs():
    snapshot = []
    for i in range(1, 61):
        excluded = "deregistered" if i % 7 == 0 else None
        snapshot.append({"id": "E%03d" % i, "stratum": "ABCD"[i % 4],
                         "weight": 0 if excluded else 1 + i % 3, "excluded": excluded})
    pool = [T.Inspector("I%02d" % i, "SCJ" if i < 12 else ("WJW" if i < 18 else "YJJ"),
                        frozenset({"food"} if i % 2 else {"drug"}), active=i != 5,
                        available=i != 3, conflicts=frozenset({"E005", "E010"} if i == 1 else ()))
            for i in range(1, 24)]
    # dsr-team-v2: two inspectors borrowed from ZJJ serve for SCJ (never as leader), an expert assists.
    pool += [T.Inspector("B%02d" % i, "SCJ", frozenset({"food"}), home_department="ZJJ") for i in (1, 2)]
    pool += [T.Inspector("X01", "SCJ", frozenset({"food"}), expert=True),
             T.Inspector("X02", "WJW", frozenset({"food"}), expert=True)]
    rule = T.TeamRule("SCJ", {"WJW": {"food"}, "YJJ": set()}, min_size=4, cap=6,
                      leader_qualifications={"food"}, experts=True)
    plan = {"algorithm": "dsr-wrs-v1", "task": "T-2026-001",
            "strata": {"A": "0.2", "B": "0.3", "C": "0.1", "D": "0.5"}, "rounding": "ceil",
            "weight_rule": "1 默认；2 两年未查；3 三年以上", "exclusion_rule": "已注销",
            "beacon": {"source": "lottery", "reference": "2026-11-28"},
            "teams": T.team_plan_section(pool, rule),
            "borrowed": [{"borrower": "SCJ", "lender": "ZJJ", "agreement": 1,
                          "consented_at": "2026-11-20T02:00:00Z"}]}
    return plan, snapshot, pool, rule


def build_package(with_teams=True):
    """A small draw with teams, one replacement (seq 1) and one substitution (seq 2)."""
    plan, snapshot, pool, rule = _inputs()
    if not with_teams:
        del plan["teams"], plan["borrowed"]
    counts = A.stratum_counts(plan, snapshot)
    assert T.check_feasibility(pool, rule, sum(c["n"] for c in counts.values()),
                               [r["id"] for r in snapshot]) == []
    draw = A.run_draw(plan, snapshot, NONCE, BEACON)
    strata, seed = draw["strata"], bytes.fromhex(draw["seed"])
    outgoing_object = strata["B"]["selected"][0]
    if not with_teams:
        sub = P.next_substitution(strata, [], "B", outgoing_object)
        events = [{"type": "substitution", "stratum": "B", "outgoing_object": outgoing_object,
                   "incoming_object": sub["incoming_object"], "reason": "经核实不属于本次抽查范围",
                   "approved_by": "U-leader", "approved_at": "2026-12-02T01:00:00Z"}]
        return P.build_audit_package(plan=plan, snapshot=snapshot, nonce=NONCE, beacon_value=BEACON,
                                     committed_at="2026-11-27T08:00:00Z", draw=draw, events=events)
    teams = T.match_teams(pool, rule, seed, A.selection_order(strata))
    target = A.selection_order(strata)[0]
    outgoing = teams[target]["members"][1]
    new_team = P.next_replacement(pool, rule, seed, strata, teams, [], target, outgoing)
    (incoming,) = set(new_team["members"]) - set(teams[target]["members"])
    events = [{"type": "replacement", "object_id": target, "outgoing": outgoing,
               "incoming": incoming, "reason": "利害关系回避", "approved_by": "U-leader",
               "approved_at": "2026-12-01T01:00:00Z"}]
    sub = P.next_substitution(strata, events, "B", outgoing_object, pool=pool, rule=rule,
                              seed=seed, initial_teams=teams)
    events.append({"type": "substitution", "stratum": "B", "outgoing_object": outgoing_object,
                   "incoming_object": sub["incoming_object"], "team": sub["team"],
                   "reason": "经核实不属于本次抽查范围", "approved_by": "U-leader",
                   "approved_at": "2026-12-02T01:00:00Z"})
    return P.build_audit_package(plan=plan, snapshot=snapshot, nonce=NONCE, beacon_value=BEACON,
                                 committed_at="2026-11-27T08:00:00Z", draw=draw, pool=pool,
                                 rule=rule, teams=teams, events=events)


@pytest.fixture(scope="module")
def package():
    return build_package()


def run_verifier(tmp_path, pkg, *args):
    path = tmp_path / "package.json"
    with open(path, "w", encoding="utf-8") as fp:
        P.dump_audit_package(pkg, fp, indent=1)
    return subprocess.run([sys.executable, str(VERIFIER), str(path), *args],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)


def test_untampered_package_passes(tmp_path, package):
    result = run_verifier(tmp_path, package, "--expect", "commitment=" + package["commitment"],
                          "--expect", "pool_hash=" + package["teams"]["pool_hash"])
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    for name in ("plan_hash", "snapshot_hash", "commitment", "seed", "stratum:A", "stratum:D",
                 "team_params", "pool_hash", "teams", "replacement:1", "substitution:2",
                 "final_selection", "final_teams", "published:commitment", "published:pool_hash"):
        assert "PASS " + name in lines
    assert not any(line.startswith("FAIL") for line in lines)
    assert package["teams"]["replacements"][0]["seq"] == 1
    assert package["substitutions"][0]["team"] == package["teams"]["final_teams"][
        package["substitutions"][0]["incoming_object"]]


def test_objects_only_package_passes(tmp_path):
    pkg = build_package(with_teams=False)
    assert "teams" not in pkg
    result = run_verifier(tmp_path, pkg)
    assert result.returncode == 0, result.stdout
    assert "PASS substitution:1" in result.stdout


def test_published_vector_as_package_passes(tmp_path):
    v = json.loads((ROOT / "tests" / "data" / "draw" / "dsr-wrs-v1-vector.json").read_text(encoding="utf-8"))
    pkg = P.build_audit_package(plan=v["plan"], snapshot=v["snapshot"],
                                nonce=bytes.fromhex(v["nonce"]), beacon_value=v["beacon_value"],
                                committed_at="2026-11-27T00:00:00Z")
    assert pkg["seed"] == v["seed"]
    assert {s: r["selected"] for s, r in pkg["results"].items()} == v["selections"]
    assert run_verifier(tmp_path, pkg).returncode == 0


def _first_non_leader_swap(pkg):
    """Swap a non-leader member of an initial team for another inspector of the same department."""
    t = pkg["teams"]
    object_id, team = next(iter(t["teams"].items()))
    member = team["members"][-1]
    dept = next(r["department"] for r in t["pool"] if r["id"] == member)
    other = next(r["id"] for r in t["pool"]
                 if r["department"] == dept and r["id"] not in team["members"])
    team["members"][-1] = other
    team["roles"][other] = team["roles"].pop(member)


def _set(path, value):
    def tamper(pkg):
        target = pkg
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value(target[path[-1]]) if callable(value) else value
    return tamper


def _reorder_selection(pkg):
    stratum = next(s for s, r in pkg["results"].items() if len(r["selected"]) >= 2)
    selected = pkg["results"][stratum]["selected"]
    selected[0], selected[1] = selected[1], selected[0]
    return stratum


TAMPERINGS = {
    "weight changed": (lambda p: p["snapshot"][0].update(weight=p["snapshot"][0]["weight"] + 1),
                       "snapshot_hash"),
    "row removed": (lambda p: p["snapshot"].pop(10), "snapshot_hash"),
    "nonce changed": (_set(["nonce"], lambda n: ("%064x" % (int(n, 16) ^ 1))), "commitment"),
    "beacon changed": (_set(["beacon_value"], lambda b: b.replace("07", "08")), "seed"),
    "ratio changed": (lambda p: p["plan"]["strata"].update(A="0.3"), "plan_hash"),
    "selection reordered": (_reorder_selection, "stratum:"),
    "team member swapped": (_first_non_leader_swap, "teams"),
    "final team altered": (lambda p: p["teams"]["final_teams"].popitem(), "final_teams"),
    "pool row changed": (lambda p: p["teams"]["pool"][0].update(available=False), "pool_hash"),
    "replacement not next eligible": (
        lambda p: p["teams"]["replacements"][0].update(incoming="I99"), "replacement:1"),
    "replacement without approver": (
        lambda p: p["teams"]["replacements"][0].update(approved_by=""), "replacement:1"),
    "substitution skips ahead": (
        lambda p: p["substitutions"][0].update(incoming_object=p["results"]["B"]["ranking"][-1]),
        "substitution:2"),
}


@pytest.mark.parametrize("name", sorted(TAMPERINGS))
def test_tampering_is_detected_and_named(tmp_path, package, name):
    tamper, check = TAMPERINGS[name]
    pkg = copy.deepcopy(package)
    stratum = tamper(pkg)
    if check == "stratum:":
        check += stratum
    result = run_verifier(tmp_path, pkg)
    assert result.returncode == 1, result.stdout
    assert result.stdout.splitlines()[-1] == "VERIFICATION FAILED; first failing check: " + check
    assert "FAIL %s:" % check in result.stdout


def test_published_value_mismatch_fails(tmp_path, package):
    result = run_verifier(tmp_path, package, "--expect", "snapshot_hash=" + "0" * 64)
    assert result.returncode == 1
    assert result.stdout.splitlines()[-1].endswith("first failing check: published:snapshot_hash")


def test_unreadable_package_fails_cleanly(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    result = subprocess.run([sys.executable, str(VERIFIER), str(path)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1 and "FAIL format" in result.stdout


def test_verifier_is_standalone():
    source = VERIFIER.read_text(encoding="utf-8")
    imports = {line.split()[1].split(".")[0] for line in source.splitlines()
               if line.startswith(("import ", "from "))}
    assert imports <= {"argparse", "hashlib", "hmac", "json", "sys", "decimal"}


def test_package_refuses_team_parameters_that_differ_from_the_plan():
    plan, snapshot, pool, rule = _inputs()
    other = T.TeamRule(rule.initiating_department, rule.participating_departments, rule.min_size, 7)
    with pytest.raises(ValueError, match="teams"):
        P.build_audit_package(plan=plan, snapshot=snapshot, nonce=NONCE, beacon_value=BEACON,
                              committed_at="2026-11-27T08:00:00Z", pool=pool, rule=other)


def test_teams_section_missing_while_plan_names_it_fails(tmp_path, package):
    pkg = copy.deepcopy(package)
    del pkg["teams"]
    for sub in pkg["substitutions"]:
        sub.pop("team")
    result = run_verifier(tmp_path, pkg)
    assert result.returncode == 1 and "FAIL team_params:" in result.stdout


def test_frozen_team_v1_package_still_verifies(tmp_path):
    """A package drawn before dsr-team-v2 (frozen file) keeps verifying, and tampering with it is caught."""
    path = ROOT / "tests" / "data" / "draw" / "dsr-team-v1-package.json"
    pkg = json.loads(path.read_text(encoding="utf-8"))
    assert pkg["teams"]["algorithm"] == "dsr-team-v1"
    result = run_verifier(tmp_path, pkg)
    assert result.returncode == 0, result.stdout
    assert "PASS teams" in result.stdout and "PASS replacement:1" in result.stdout
    # The server's code keeps the v1 rules for draws made under them (replacements, substitutions).
    t = pkg["teams"]
    rule = T.TeamRule.from_dict(pkg["plan"]["teams"])
    assert rule.v1 and T.pool_hash(t["pool"], rule.algorithm) == t["pool_hash"]
    order = A.selection_order(pkg["results"])
    assert T.match_teams(t["pool"], rule, bytes.fromhex(pkg["seed"]), order) == t["teams"]
    _first_non_leader_swap(pkg)
    assert run_verifier(tmp_path, pkg).returncode == 1


def test_frozen_team_v2_package_verifies(tmp_path):
    """The frozen dsr-team-v2 package (written by build_package) verifies; its teams keep the v2 rules."""
    path = ROOT / "tests" / "data" / "draw" / "dsr-team-v2-package.json"
    pkg = json.loads(path.read_text(encoding="utf-8"))
    assert pkg["teams"]["algorithm"] == "dsr-team-v2" and pkg == build_package()
    result = run_verifier(tmp_path, pkg)
    assert result.returncode == 0, result.stdout
    assert "PASS borrowing" in result.stdout and "PASS replacement:1" in result.stdout
    rows = {r["id"]: r for r in pkg["teams"]["pool"]}
    for team in pkg["teams"]["final_teams"].values():
        leader = rows[team["leader"]]
        assert leader["home_department"] == leader["department"] == "SCJ" and not leader["expert"]
        staff = [m for m in team["members"] if not rows[m]["expert"]]
        assert len(staff) >= 2 and all(team["roles"][m] == "expert" for m in team["members"] if rows[m]["expert"])


def test_v2_package_with_a_borrowed_leader_or_unconsented_borrowing_fails(tmp_path):
    pkg = build_package()
    rows = {r["id"]: r for r in pkg["teams"]["pool"]}
    obj, team = next((o, t) for o, t in pkg["teams"]["teams"].items()
                     if any(rows[m]["home_department"] != "SCJ" for m in t["members"]))
    borrowed = next(m for m in team["members"] if rows[m]["home_department"] != "SCJ")
    swapped = copy.deepcopy(team)
    swapped["leader"] = borrowed
    swapped["roles"][borrowed], swapped["roles"][team["leader"]] = "leader", "SCJ"
    tampered = copy.deepcopy(pkg)
    tampered["teams"]["teams"][obj] = swapped
    result = run_verifier(tmp_path, tampered)
    assert result.returncode == 1 and "FAIL teams:" in result.stdout
    unconsented = copy.deepcopy(pkg)
    del unconsented["plan"]["borrowed"][0]["consented_at"]
    result = run_verifier(tmp_path, unconsented)
    assert "FAIL borrowing:" in result.stdout and "FAIL plan_hash:" in result.stdout

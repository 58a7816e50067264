"""Issue 4, points 3, 4 and 9: the public view, the audit package, the standalone verifier run
on the server's packages as an outsider runs it, excluded rows with their reason codes, and
the `flask draws` commands."""
from __future__ import annotations

import json

from server.draws.snapshot import EXCLUSION_REASONS
from tests.server.draws.draw_support import (BEACON_VALUE, audit_package, demo_task_id, drawn, launched, reveal,
                                             run_verifier)
from tests.support.http import assert_problem

INTERNAL_KEYS = {"stratum", "strata_of", "risk_class", "credit_class", "weight", "excluded", "snapshot", "ranking",
                 "pool", "members", "roles", "leader", "inspector_id", "teams_by_object"}


def _keys(value, found=None):
    found = set() if found is None else found
    if isinstance(value, dict):
        for k, v in value.items():
            found.add(k)
            _keys(v, found)
    elif isinstance(value, list):
        for v in value:
            _keys(v, found)
    return found


def test_public_view_has_no_credit_class_or_other_internal_data(client, login):
    tid = demo_task_id(client, login)
    r = client.get(f"/api/v1/public/draws/{tid}")
    assert r.status_code == 200
    body = r.get_json()
    assert body["seed"] and body["nonce"] and body["selected"]
    # Per-object data is public identity only.
    assert all(set(o) == {"name", "credit_code", "withdrawn"} for o in body["selected"])
    assert not (_keys(body) & INTERNAL_KEYS), _keys(body) & INTERNAL_KEYS
    # The team parameters are public, the pool itself is not (only its hash).
    assert set(body["plan"]["teams"]) == {"algorithm", "pool_hash", "min_size", "cap", "leader_qualifications", "experts"}
    # Per-stratum counts are public, but the order of the selected objects must not give away
    # each object's class (with the counts, an order grouped by stratum would): it is by credit code.
    pkg = audit_package(client, login, tid)
    stratum_of = {pkg["objects"][o]["credit_code"]: s for s, ids in pkg["final_selection"].items() for o in ids}
    codes = [o["credit_code"] for o in body["selected"]]
    assert codes == sorted(codes)
    assert [stratum_of[c] for c in codes] != sorted(stratum_of[c] for c in codes)


def test_public_view_of_an_unknown_draw_is_not_found(client):
    assert_problem(client.get("/api/v1/public/draws/987654"), 404, "task_not_found")


def test_audit_package_is_complete_and_office_and_auditors_only(client, login):
    tid = demo_task_id(client, login)
    for who in ("office", "auditor"):
        assert client.get(f"/api/v1/draws/{tid}/audit-package", headers=login(who)).status_code == 200
    for who in ("scjg-admin", "scjg-leader", "scjg-insp1"):
        assert_problem(client.get(f"/api/v1/draws/{tid}/audit-package", headers=login(who)), 403, "role_required")
    assert client.get(f"/api/v1/draws/{tid}/audit-package").status_code == 401
    pkg = audit_package(client, login, tid)
    assert pkg["format"] == "dsr-audit-v1" and pkg["algorithm"] == "dsr-wrs-v1"
    pub = client.get(f"/api/v1/public/draws/{tid}").get_json()
    for key in ("plan_hash", "snapshot_hash", "commitment", "seed", "nonce", "beacon_value"):
        assert pkg[key] == pub[key], key
    assert len(pkg["snapshot"]) == pub["snapshot_size"]
    assert {s: {"N": r["N"], "n": r["n"]} for s, r in pkg["results"].items()} == pub["counts"]
    t = pkg["teams"]
    assert t["algorithm"] == "dsr-team-v2" and t["pool"] and t["teams"] and t["final_teams"] == t["teams"]
    # Joint task: leader of the initiating department (its own staff, holding the main item's
    # qualification 食品安全执法), one per participating department, >= 3.
    assert t["leader_qualifications"] == ["食品安全执法"] and t["experts"] is False
    depts = {r["id"]: r["department"] for r in t["pool"]}
    rows = {r["id"]: r for r in t["pool"]}
    for team in t["teams"].values():
        assert depts[team["leader"]] == "scjg" == t["initiating_department"] == rows[team["leader"]]["home_department"]
        assert "食品安全执法" in rows[team["leader"]]["qualifications"] and not rows[team["leader"]]["expert"]
        assert {depts[m] for m in team["members"]} == {"scjg", "wsjk", "yjgl"}
        assert len(team["members"]) >= max(t["min_size"], 2)


def test_audit_package_of_an_undrawn_task_is_refused(client, login):
    tid = launched(client, login)["task"]["id"]
    assert_problem(client.get(f"/api/v1/draws/{tid}/audit-package", headers=login("office")), 409, "not_drawn")


def test_demo_joint_draw_passes_the_standalone_verifier(client, login, tmp_path):
    pkg = audit_package(client, login, demo_task_id(client, login))
    run = run_verifier(tmp_path, pkg)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.strip().splitlines()
    checks = [line.split()[1] for line in lines if line.startswith("PASS ")]
    for name in ("format", "plan_hash", "snapshot_hash", "commitment", "seed", "results", "team_params", "pool_hash",
                 "teams", "events", "final_selection", "final_teams", *(f"stratum:{s}" for s in pkg["plan"]["strata"])):
        assert name in checks, name
    assert not any(line.startswith("FAIL") for line in lines)
    assert lines[-1] == f"ALL {len(checks)} CHECKS PASSED"


def test_a_fresh_api_draw_passes_with_the_values_published_before_it(client, login, tmp_path):
    before = launched(client, login)
    tid = before["task"]["id"]
    assert reveal(client, login, tid).status_code == 200
    pkg = audit_package(client, login, tid)
    assert pkg["beacon_value"] == BEACON_VALUE
    expect = [f"--expect={k}={before[k]}" for k in ("plan_hash", "snapshot_hash", "commitment")]
    expect.append(f"--expect=pool_hash={before['plan']['teams']['pool_hash']}")
    run = run_verifier(tmp_path, pkg, "fresh.json", *expect)
    assert run.returncode == 0, run.stdout
    for k in ("plan_hash", "snapshot_hash", "commitment", "pool_hash"):
        assert f"PASS published:{k}" in run.stdout
    # A commitment other than the one published at T0 is named.
    run = run_verifier(tmp_path, pkg, "fresh.json", "--expect=commitment=" + "0" * 64)
    assert run.returncode == 1 and "FAIL published:commitment" in run.stdout


def test_excluded_rows_carry_reason_codes_and_are_never_drawn(client, login):
    pkg = audit_package(client, login, demo_task_id(client, login))
    excluded = [r for r in pkg["snapshot"] if r["excluded"] is not None]
    assert excluded, "the demo directory has excluded objects"
    assert {r["excluded"] for r in excluded} == set(EXCLUSION_REASONS)  # every reason occurs in the demo
    assert all(r["weight"] == 0 for r in excluded)
    assert all(r["weight"] > 0 for r in pkg["snapshot"] if r["excluded"] is None)
    out = {r["id"] for r in excluded}
    for s, res in pkg["results"].items():
        assert not out & set(res["ranking"]), s
        assert res["N"] == sum(1 for r in pkg["snapshot"] if r["stratum"] == s and r["excluded"] is None)


def test_flask_draws_list_and_export_audit(client, login, runner, tmp_path):
    body = drawn(client, login)
    r = runner.invoke(args=["draws", "list"])
    assert r.exit_code == 0, r.output
    assert body["task"]["code"] in r.output and body["commitment"][:16] in r.output
    out = tmp_path / "exported.json"
    r = runner.invoke(args=["draws", "export-audit", str(body["task"]["id"]), str(out)])
    assert r.exit_code == 0, r.output
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert exported["seed"] == body["seed"]
    run = run_verifier(tmp_path, exported, "exported-again.json")
    assert run.returncode == 0, run.stdout
    r = runner.invoke(args=["draws", "export-audit", "999999", str(tmp_path / "none.json")])
    assert r.exit_code == 2

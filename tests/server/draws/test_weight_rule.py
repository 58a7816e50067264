"""Issue 15, point 2: Art. 16 in the draw. Each department's last check of an object (from
object_dept_checks) and the risk signals (abnormal-operation list, serious-violation list,
complaints and reports) set the object's weight by the rule stored in the plan; low-risk (A)
objects checked this year are left out; the verifier recomputes every weight from the package."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from types import SimpleNamespace

from server.draws import algorithm as A
from server.draws import package as P
from server.draws import snapshot as S
from server.types import local_today
from tests.server.draws.draw_support import (
    BEACON,
    audit_package,
    drawn,
    failing_check,
    items_by_code,
    publish_extra_task,
    run_verifier,
)
from tests.support.http import assert_problem

RULE = {"default": 1, "not_checked_2y": 2, "not_checked_3y": 4, "abnormal_list": 1, "serious_violation_list": 2,
        "complaints_per_point": 3, "complaints_max": 2}


def _special_equipment_task(client, login, code: str, **over) -> dict:
    items = items_by_code(client, login)
    year = local_today().year
    body = {"code": code, "name": "特种设备使用单位安全状况复查", "main_item": {"item_id": items["SCJG-TZ-001"]["id"],
                                                                   "version": 1},
            "x_items": [], "participating_department_ids": [],
            "scope": {"sub_libraries": ["special_equipment"], "object_types": ["enterprise"]},
            "ratios": {"A": "0.03", "B": "0.05", "C": "0.10", "D": "0.20", "U": "0.05"},
            "weight_rule": RULE, "min_team_size": 2, "per_inspector_cap": 20,
            "window_start": f"{year}-12-07", "window_end": f"{year}-12-31"}
    body.update(over)
    return body


def _rows(package) -> dict[str, dict]:
    return {r["id"]: r for r in package["snapshot"]}


def test_recorded_checks_and_risk_signals_change_the_next_draws_weights(app, client, login, tmp_path):
    from server.accounts.models import Department
    from server.extensions import db
    from server.registry import service as registry
    from server.registry.models import ObjectCredit

    first = drawn(client, login, code="T02")
    before = _rows(audit_package(client, login, first["task"]["id"]))
    never = [r for r in before.values() if r["excluded"] is None and r["last_checked_on"] is None]
    low_risk = next(r for r in never if r["stratum"] == "A")
    two_years, one_year, boosted = [r for r in never if r["stratum"] != "A"][:3]
    today = local_today()
    with app.app_context():
        scjg = db.session.execute(db.select(Department.id).where(Department.code == "scjg")).scalar_one()
        for row, day in ((low_risk, today), (two_years, today.replace(year=today.year - 2) - dt.timedelta(days=30)),
                         (one_year, today.replace(year=today.year - 1) - dt.timedelta(days=1))):
            registry.record_check(int(row["id"]), scjg, day)
        for row in (low_risk, two_years, one_year, boosted):
            credit = db.session.get(ObjectCredit, int(row["id"]))
            credit.abnormal_list = row is boosted
            credit.serious_violation_list = row is boosted
            credit.complaint_count = 7 if row is boosted else 0
        db.session.commit()

    publish_extra_task(client, login, _special_equipment_task(client, login, "T04"))
    second = drawn(client, login, code="T04", beacon=BEACON)
    package = audit_package(client, login, second["task"]["id"])
    after = _rows(package)
    assert package["plan"]["weight_rule"]["as_of"] == today.isoformat()
    # Never checked before: the 3-year weight of its own rule (T02 uses 3, T04 4); now:
    assert before[low_risk["id"]]["excluded"] is None
    assert after[low_risk["id"]]["excluded"] == "low_risk_checked_this_year"   # A, checked this year
    assert after[low_risk["id"]]["weight"] == 0
    assert (after[two_years["id"]]["excluded"], after[two_years["id"]]["weight"]) == (None, 2)  # 2 years
    assert (after[one_year["id"]]["excluded"], after[one_year["id"]]["weight"]) == (None, 1)    # checked lately
    # Never checked (4), abnormal list (+1), serious-violation list (+2), 7 complaints (+min(7 // 3, 2)).
    assert (after[boosted["id"]]["excluded"], after[boosted["id"]]["weight"]) == (None, 4 + 1 + 2 + 2)
    assert after[two_years["id"]]["last_checked_on"] is not None and after[boosted["id"]]["complaints"] == 7
    run = run_verifier(tmp_path, package)
    assert run.returncode == 0, run.stdout
    assert "PASS weights" in run.stdout


def test_plan_refuses_a_weight_rule_out_of_order(client, login):
    admin = login("scjg-admin")
    plan = next(p for p in client.get("/api/v1/plans", headers=login("office")).get_json()
                if any(t["code"] == "T02" for t in p["current"]["tasks"]))
    assert client.post(f"/api/v1/plans/{plan['id']}/adjust", headers=admin, json={"reason": "调整权重"}).status_code == 201
    bad = dict(RULE, not_checked_2y=5)
    body = assert_problem(client.put(f"/api/v1/plans/{plan['id']}/tasks", headers=admin,
                                     json=_special_equipment_task(client, login, "T05", weight_rule=bad)),
                          422, "validation_failed")
    assert "weight_rule" in str(body)
    negative = dict(RULE, abnormal_list=-1)
    assert_problem(client.put(f"/api/v1/plans/{plan['id']}/tasks", headers=admin,
                              json=_special_equipment_task(client, login, "T05", weight_rule=negative)),
                   422, "validation_failed")


# --- without a database ----------------------------------------------------------------------

TODAY = dt.date(2026, 11, 29)


def _frozen_rows(rule, candidates):
    task = SimpleNamespace(scope={}, exclusions={}, weight_rule=rule)
    text = S.decode(S.freeze([candidates], task, TODAY).content).decode()
    return [json.loads(line) for line in text.splitlines()], S.draw_rule(task, TODAY)


def _boosted_share(rule, seeds: int = 300) -> float:
    """Share of the boosted members (20 of 200, on both risk lists) among the drawn objects."""
    last = TODAY.replace(year=2025)
    candidates = [(i, "active", "B", last, i <= 20, i <= 20, 0) for i in range(1, 201)]
    rows, _ = _frozen_rows(rule, candidates)
    plan = {"algorithm": A.ALGORITHM, "rounding": "ceil", "strata": {"B": "0.05"}}
    boosted = {S.row_id(i) for i in range(1, 21)}
    picks = hits = 0
    for k in range(seeds):
        seed = hashlib.sha256(b"weight-rule-%d" % k).digest()
        selected = A.select(plan, rows, seed)["strata"]["B"]["selected"]
        picks += len(selected)
        hits += len(boosted.intersection(selected))
    return hits / picks


def test_boosted_members_are_drawn_more_often():
    # 3000 draws of an object. Without boosting the boosted 10% get 10% of them (standard deviation
    # about 0.55 points); weight 4 against 1 gives them about 30%. 20% cannot be reached by chance.
    assert _boosted_share(RULE) > 0.20
    assert _boosted_share(dict(RULE, abnormal_list=0, serious_violation_list=0)) < 0.15


def test_verifier_recomputes_weights_even_when_the_hashes_agree(tmp_path):
    candidates = [(i, "active", "ABCD"[i % 4], None if i % 3 else TODAY.replace(year=2024), i % 5 == 0, False, i % 8)
                  for i in range(1, 41)]
    rows, rule = _frozen_rows(RULE, candidates)
    plan = {"algorithm": A.ALGORITHM, "task": "T", "strata": {s: "0.2" for s in "ABCD"}, "rounding": "ceil",
            "weight_rule": rule, "exclusion_rule": "…", "beacon": {"source": "s", "reference": "r"}}
    nonce = hashlib.sha256(b"n").digest()

    def package(snapshot):
        return P.build_audit_package(plan=plan, snapshot=snapshot, nonce=nonce, beacon_value="1 2 3",
                                     committed_at="2026-11-29T00:00:00Z")
    ok = run_verifier(tmp_path, package(rows))
    assert ok.returncode == 0 and "PASS weights" in ok.stdout, ok.stdout
    # A heavier weight than the rule gives, with every hash recomputed to match: still caught.
    forged = [dict(r, weight=r["weight"] + 5) if r["id"] == S.row_id(5) else r for r in rows]
    assert failing_check(run_verifier(tmp_path, package(forged))) == "weights"

"""Issue 4, point 6: inspector replacements (Art. 17) and object substitutions (out of scope),
requested with reason and evidence, decided by the department leader, filled by the draw's
own orderings, recorded in the audit log and the audit package, and checked by the verifier."""
from __future__ import annotations

import copy

import pytest
from sqlalchemy import select

from server.draws import snapshot
from tests.server.draws.draw_support import (audit_entries, audit_package, demo_task_id, failing_check,
                                             run_verifier, teams_in_db)
from tests.support.http import assert_problem


def _member(dbs, task_id, dept_code, role=None):
    """(object_id, inspector_id) of the first live visit's member of that department."""
    from server.accounts.models import Department
    from server.visits.models import Visit, VisitMember

    with dbs() as s:
        dept = s.execute(select(Department.id).where(Department.code == dept_code)).scalar_one()
        stmt = (select(Visit.object_id, VisitMember.inspector_id).join(VisitMember, VisitMember.visit_id == Visit.id)
                .where(Visit.task_id == task_id, VisitMember.department_id == dept, VisitMember.active.is_(True))
                .order_by(Visit.stratum, Visit.rank, VisitMember.position))
        if role:
            stmt = stmt.where(VisitMember.role == role)
        return s.execute(stmt.limit(1)).one()


def _request(client, login, tid, obj, insp, user="scjg-admin", reason_code="conflict_of_interest"):
    return client.post(f"/api/v1/draws/{tid}/replacements", headers=login(user), json={
        "object_id": obj, "inspector_id": insp, "reason_code": reason_code, "reason": "其配偶在该企业任职",
        "evidence": {"document": "回避申请表（扫描件）", "sha256": "ab" * 32}})


def _decide(client, login, tid, event_id, approve=True, user="scjg-leader"):
    return client.post(f"/api/v1/draws/{tid}/events/{event_id}/decision", headers=login(user),
                       json={"approve": approve, "note": "同意" if approve else "理由不充分"})


@pytest.mark.parametrize("dept, role", [("scjg", "leader"), ("scjg", None), ("wsjk", None)])
def test_approved_replacement_changes_exactly_one_team_member(client, login, dbs, runner, tmp_path, dept, role):
    tid = demo_task_id(client, login)
    obj, outgoing = _member(dbs, tid, dept, role)
    before = teams_in_db(dbs, tid)
    r = _request(client, login, tid, obj, outgoing, user=f"{dept}-admin")
    assert r.status_code == 201, r.get_json()
    ev = r.get_json()
    assert ev["status"] == "requested" and ev["kind"] == "replacement" and ev["incoming"] is None
    assert teams_in_db(dbs, tid) == before  # nothing changes until the leader decides

    # Only that department's leader decides.
    assert_problem(_decide(client, login, tid, ev["id"], user=f"{dept}-admin"), 403, "role_required")
    other_leader = "sthj-leader"
    assert _decide(client, login, tid, ev["id"], user=other_leader).status_code == 404
    r = _decide(client, login, tid, ev["id"], user=f"{dept}-leader")
    assert r.status_code == 200, r.get_json()
    ev = r.get_json()
    assert ev["status"] == "approved" and ev["seq"] == 1
    incoming = int(ev["incoming"])
    assert_problem(_decide(client, login, tid, ev["id"], user=f"{dept}-leader"), 409, "event_decided")

    after = teams_in_db(dbs, tid)
    changed = {o for o in before if before[o] != after[o]}
    assert changed == {obj}
    assert set(before[obj]) - set(after[obj]) == {outgoing} and set(after[obj]) - set(before[obj]) == {incoming}

    # The incoming inspector is the next eligible one in that object's own ordering, as the
    # verifier re-computes it; the event is in the package and the audit log.
    pkg = audit_package(client, login, tid)
    (rep,) = pkg["teams"]["replacements"]
    assert (rep["object_id"], rep["outgoing"], rep["incoming"], rep["seq"]) == \
        (snapshot.row_id(obj), str(outgoing), str(incoming), 1)
    assert rep["reason"].startswith("conflict_of_interest") and rep["approved_by"]
    role_out = pkg["teams"]["teams"][rep["object_id"]]["roles"][str(outgoing)]
    assert pkg["teams"]["final_teams"][rep["object_id"]]["roles"][str(incoming)] == role_out
    run = run_verifier(tmp_path, pkg)
    assert run.returncode == 0 and "PASS replacement:1" in run.stdout, run.stdout
    assert [e["event"] for e in audit_entries(dbs, "draw.replacement_request", tid)] == [ev["id"]]
    (approval,) = audit_entries(dbs, "draw.replacement_approve", tid)
    assert approval["incoming"] == str(incoming) and approval["seq"] == 1
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0

    # A replacement recorded with another incoming inspector is named by the verifier.
    forged = copy.deepcopy(pkg)
    spare = next(r["id"] for r in forged["teams"]["pool"] if r["id"] not in
                 forged["teams"]["final_teams"][rep["object_id"]]["members"] and r["id"] != str(outgoing))
    forged["teams"]["replacements"][0]["incoming"] = spare
    assert failing_check(run_verifier(tmp_path, forged, "forged.json")) == "replacement:1"


def test_rejected_replacement_changes_nothing(client, login, dbs, tmp_path):
    tid = demo_task_id(client, login)
    obj, insp = _member(dbs, tid, "scjg")
    before = teams_in_db(dbs, tid)
    ev = _request(client, login, tid, obj, insp, reason_code="work_clash").get_json()
    r = _decide(client, login, tid, ev["id"], approve=False)
    assert r.status_code == 200 and r.get_json()["status"] == "rejected"
    assert teams_in_db(dbs, tid) == before
    pkg = audit_package(client, login, tid)
    assert pkg["teams"]["replacements"] == [] and run_verifier(tmp_path, pkg).returncode == 0
    assert len(audit_entries(dbs, "draw.replacement_reject", tid)) == 1


def test_replacement_requests_are_checked(client, login, dbs):
    tid = demo_task_id(client, login)
    obj, insp = _member(dbs, tid, "scjg")
    # Only the reasons Art. 17 allows.
    r = _request(client, login, tid, obj, insp, reason_code="dislikes_the_owner")
    assert r.status_code == 422
    # Another department's admin cannot ask for a scjg inspector; a non-member is not found.
    assert _request(client, login, tid, obj, insp, user="wsjk-admin").status_code == 404
    assert _request(client, login, tid, obj, 999999).status_code == 404
    # One pending request per member.
    assert _request(client, login, tid, obj, insp).status_code == 201
    assert_problem(_request(client, login, tid, obj, insp), 409, "replacement_pending")


def test_inspector_may_ask_for_their_own_replacement(client, login, dbs):
    from server.accounts.models import User
    from server.inspectors.models import Inspector

    tid = demo_task_id(client, login)
    visits = client.get("/api/v1/visits/mine", headers=login("scjg-insp1")).get_json()
    visit = next(v for v in visits if str(v["task_id"]) == str(tid))
    with dbs() as s:
        uid = s.execute(select(User.id).where(User.username == "scjg-insp1")).scalar_one()
        insp = s.execute(select(Inspector.id).where(Inspector.user_id == uid)).scalar_one()
    r = _request(client, login, tid, visit["object"]["id"], insp, user="scjg-insp1", reason_code="health")
    assert r.status_code == 201, r.get_json()
    # …but not for a colleague's.
    other = next(m["inspector_id"] for m in visit["team"] if m["inspector_id"] != insp)
    assert _request(client, login, tid, visit["object"]["id"], other, user="scjg-insp1").status_code == 404


def test_substitution_of_an_out_of_scope_object_takes_the_next_in_the_ranking(client, login, dbs, runner, tmp_path):
    tid = demo_task_id(client, login)
    pkg0 = audit_package(client, login, tid)
    stratum = next(s for s in sorted(pkg0["results"]) if len(pkg0["results"][s]["ranking"]) > pkg0["results"][s]["n"] > 0)
    res = pkg0["results"][stratum]
    outgoing = res["selected"][0]
    expected = res["ranking"][res["n"]]
    before = teams_in_db(dbs, tid)

    # Only a drawn object, not yet visited, can be substituted.
    not_drawn = res["ranking"][-1]
    assert_problem(client.post(f"/api/v1/draws/{tid}/substitutions", headers=login("scjg-admin"), json={
        "object_id": int(not_drawn), "reason": "经核实不属于本任务范围"}), 409, "substitution_not_allowed")
    for user in ("scjg-leader", "scjg-insp1", "wsjk-admin"):
        r = client.post(f"/api/v1/draws/{tid}/substitutions", headers=login(user),
                        json={"object_id": int(outgoing), "reason": "经核实不属于本任务范围"})
        assert r.status_code in (403, 404), (user, r.status_code)
    r = client.post(f"/api/v1/draws/{tid}/substitutions", headers=login("scjg-admin"),
                    json={"object_id": int(outgoing), "reason": "经核实该企业经营场所在任务区域之外",
                          "evidence": {"document": "现场核查记录"}})
    assert r.status_code == 201, r.get_json()
    ev = r.get_json()
    assert teams_in_db(dbs, tid) == before
    assert_problem(_decide(client, login, tid, ev["id"], user="scjg-admin"), 403, "role_required")
    r = _decide(client, login, tid, ev["id"])
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["incoming"] == expected

    after = teams_in_db(dbs, tid)
    assert set(before) - set(after) == {int(outgoing)} and set(after) - set(before) == {int(expected)}
    assert all(before[o] == after[o] for o in after if o != int(expected))  # every other team unchanged

    pkg = audit_package(client, login, tid)
    (sub,) = pkg["substitutions"]
    assert (sub["stratum"], sub["outgoing_object"], sub["incoming_object"], sub["seq"]) == (stratum, outgoing, expected, 1)
    assert expected in pkg["final_selection"][stratum] and outgoing not in pkg["final_selection"][stratum]
    assert sorted(pkg["teams"]["final_teams"][expected]["members"], key=int) == \
        sorted((str(i) for i in after[int(expected)]), key=int)
    run = run_verifier(tmp_path, pkg)
    assert run.returncode == 0 and "PASS substitution:1" in run.stdout, run.stdout
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    assert len(audit_entries(dbs, "draw.substitution_approve", tid)) == 1
    # The public view keeps the withdrawn object visible as withdrawn.
    pub = client.get(f"/api/v1/public/draws/{tid}").get_json()
    assert sum(o["withdrawn"] for o in pub["selected"]) == 1

    forged = copy.deepcopy(pkg)
    forged["substitutions"][0]["incoming_object"] = res["ranking"][-1]
    assert failing_check(run_verifier(tmp_path, forged, "forged.json")) == "substitution:1"

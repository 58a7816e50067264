"""Issue 4, point 5: feasibility is checked before anything is frozen; an infeasible task is
refused with the list of shortfalls, and borrowing from a department with an agreement makes
it feasible, is recorded (plan, audit log) and becomes part of the frozen pool."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.server.draws.draw_support import (audit_entries, audit_package, launch, plan_task_id, reveal,
                                             run_verifier)
from tests.support.http import assert_problem


def _set_cap(dbs, client, login, cap: int) -> None:
    from server.plans.models import PlanTask

    with dbs() as s:
        s.get(PlanTask, plan_task_id(client, login("office"), "T02")).per_inspector_cap = cap
        s.commit()


def _dept_ids(client, login) -> dict[str, int]:
    return {d["code"]: d["id"] for d in client.get("/api/v1/departments", headers=login("office")).get_json()}


def _needed(objects: int, slots: int, cap: int) -> int:
    return slots + (objects - 1) * slots // cap  # teams.check_feasibility's bound


def _leaders_short(objects: int, cap: int, leaders: int = 2) -> bool:
    return leaders < _needed(objects, 1, cap)  # T02's main item: scjg-insp1 and -insp4 hold 特种设备安全监察


def test_infeasible_task_is_refused_with_the_list_of_shortfalls(client, login, dbs):
    from server.draws.models import InspectionTask

    _set_cap(dbs, client, login, 1)
    body = assert_problem(launch(client, login), 422, "draw_infeasible")
    objects = sum(c["n"] for c in body["strata"].values())
    by_code = {s["code"]: s for s in body["shortfalls"]}
    short = by_code["capacity_insufficient"]
    assert short["department"] == "scjg" and "借调" in short["message"]  # says what the department can do
    assert short["needed"] == _needed(objects, 2, 1) > short["available"] > 0
    assert f"{objects}个检查对象" in short["message"] and str(short["needed"]) in short["message"]
    # Too few leaders: borrowing cannot help (a borrowed inspector never leads), and the detail says so.
    lead = by_code["leader_capacity_insufficient"]
    assert lead["role"] == "leader" and lead["available"] == 2 and lead["needed"] == _needed(objects, 1, 1)
    assert "组长" in body["detail"] and "特种设备安全监察" in body["detail"] and "借调人员" in body["detail"]
    # Nothing was frozen or committed.
    with dbs() as s:
        assert s.execute(select(InspectionTask).where(InspectionTask.code.like("%-T02"))).first() is None


def test_borrowing_makes_it_feasible_and_is_recorded(client, login, dbs, tmp_path):
    from server.accounts.models import Department, User
    from server.inspectors.models import Inspector

    depts = _dept_ids(client, login)
    with dbs() as s:  # a third leader candidate, so that a cap exists where only fillers are short
        uid = s.execute(select(User.id).where(User.username == "scjg-insp2")).scalar_one()
        insp = s.execute(select(Inspector).where(Inspector.user_id == uid)).scalar_one()
        insp.qualification_tags = [*insp.qualification_tags, "特种设备安全监察"]
        s.commit()
    _set_cap(dbs, client, login, 1)
    first = assert_problem(launch(client, login), 422, "draw_infeasible")
    objects = sum(c["n"] for c in first["strata"].values())
    available = next(s for s in first["shortfalls"] if s["code"] == "capacity_insufficient")["available"]
    # A cap at which the two leaders suffice and scjg alone is short, but scjg + 5 borrowed inspectors suffice.
    cap = next(c for c in range(1, objects + 1)
               if not _leaders_short(objects, c, leaders=3) and available < _needed(objects, 2, c) <= available + 5)
    _set_cap(dbs, client, login, cap)
    assert_problem(launch(client, login), 422, "draw_infeasible")

    borrow = [{"department_id": depts["scjg"], "lender_department_id": depts["sw"]}]
    # No agreement yet: refused.
    assert_problem(launch(client, login, borrow=borrow), 422, "borrow_not_allowed")
    year = dt.date.today().year
    agreement = {"lender_department_id": depts["sw"], "reason": "特种设备检查力量不足，向同行业部门借调",
                 "valid_from": f"{year - 1}-01-01", "valid_until": f"{year + 1}-12-31"}
    # 商务局 is not in 市场监管's field: no agreement (Art. 17: 同行业部门).
    assert_problem(client.post("/api/v1/inspectors/borrowing", headers=login("scjg-admin"), json=agreement),
                   422, "borrow_not_same_field")
    with dbs() as s:
        sw = s.get(Department, depts["sw"])
        sw.industry_tags = [*sw.industry_tags, "特种设备"]
        s.commit()
    r = client.post("/api/v1/inspectors/borrowing", headers=login("scjg-admin"), json=agreement)
    assert r.status_code == 201, r.get_json()
    agreement_id = r.get_json()["id"]
    assert r.get_json()["consented_at"] is None
    # Without the lender's consent the agreement is not usable.
    assert_problem(launch(client, login, borrow=borrow), 422, "borrow_not_consented")
    consent = f"/api/v1/inspectors/borrowing/{agreement_id}/consent"
    assert_problem(client.post(consent, headers=login("scjg-admin"), json={}), 403, "not_lender_admin")
    r = client.post(consent, headers=login("sw-admin"), json={"note": "同意"})
    assert r.status_code == 200 and r.get_json()["consented_at"], r.get_json()
    assert_problem(client.post(consent, headers=login("sw-admin"), json={}), 409, "borrowing_already_consented")
    # Only a department of the task may borrow.
    assert_problem(launch(client, login, borrow=[{"department_id": depts["wl"], "lender_department_id": depts["sw"]}]),
                   422, "borrow_not_allowed")

    r = launch(client, login, borrow=borrow)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    tid = body["task"]["id"]
    (recorded,) = body["plan"]["borrowed"]  # part of plan_hash
    assert (recorded["borrower"], recorded["lender"], recorded["agreement"]) == ("scjg", "sw", agreement_id)
    assert recorded["consented_at"]
    (commit,) = audit_entries(dbs, "draw.commit", tid)
    assert commit["borrowed"] == [recorded]

    assert reveal(client, login, tid).status_code == 200
    pkg = audit_package(client, login, tid)
    assert pkg["teams"]["algorithm"] == "dsr-team-v2"
    with dbs() as s:
        sw_ids = {str(i) for i in s.execute(select(Inspector.id).where(Inspector.department_id == depts["sw"])).scalars()}
    pool = {r["id"]: r for r in pkg["teams"]["pool"]}
    assert sw_ids & set(pool) and all(pool[i]["department"] == "scjg" and pool[i]["home_department"] == "sw"
                                      for i in sw_ids & set(pool))
    used = {m for t in pkg["teams"]["teams"].values() for m in t["members"]}
    assert used & sw_ids, "borrowed inspectors staff some teams"
    assert not {t["leader"] for t in pkg["teams"]["teams"].values()} & sw_ids, "a borrowed inspector never leads"
    assert all(sum(m in t["members"] for t in pkg["teams"]["teams"].values()) <= cap for m in used)
    assert run_verifier(tmp_path, pkg).returncode == 0


def test_unavailable_and_conflicted_inspectors_are_frozen_and_never_matched(app, client, login, dbs, tmp_path):
    """Declarations made before T0 are frozen into the pool (and pool_hash) and respected."""
    from server.accounts.models import User
    from server.extensions import db
    from server.inspectors import declarations
    from server.inspectors.models import Inspector
    from server.plans.models import PlanTask
    from server.registry import service as registry
    from tests.server.draws.draw_support import drawn

    def inspector_of(username):
        uid = db.session.execute(select(User.id).where(User.username == username)).scalar_one()
        return db.session.execute(select(Inspector.id).where(Inspector.user_id == uid)).scalar_one()

    with app.app_context():
        task = db.session.get(PlanTask, plan_task_id(client, login("office"), "T02"))
        scope = {k: v for k, v in task.scope.items() if k != "statuses"}
        oids = [c.id for c in registry.objects_in_scope(scope, task.plan_version.plan.department_id)]
        conflicted, away = inspector_of("scjg-insp2"), inspector_of("scjg-insp3")  # not leader candidates of T02
        for oid in oids:  # conflicted with every candidate: may never be matched
            declarations.declare_conflict(None, conflicted, {"object_id": oid, "reason": "测试：近亲属在该单位任职",
                                                             "valid_from": dt.date(task.window_start.year, 1, 1)})
        declarations.add_unavailability(None, away, {"start_date": task.window_start, "end_date": task.window_end,
                                                     "reason": "training", "note": "全省培训"})
        db.session.commit()
        db.session.remove()

    tid = drawn(client, login)["task"]["id"]
    pkg = audit_package(client, login, tid)
    pool = {r["id"]: r for r in pkg["teams"]["pool"]}
    assert pool[str(away)]["available"] is False
    assert set(pool[str(conflicted)]["conflicts"]) >= {o for s in pkg["results"].values() for o in s["selected"]}
    members = {m for t in pkg["teams"]["teams"].values() for m in t["members"]}
    assert str(conflicted) not in members and str(away) not in members
    assert all(len(t["members"]) >= 2 for t in pkg["teams"]["teams"].values())
    assert run_verifier(tmp_path, pkg).returncode == 0


def test_conflicts_leaving_an_object_without_a_leader_are_refused_at_reveal(app, client, login, dbs):
    """Declared conflicts are not known per drawn object at launch; should they leave a drawn
    object without any eligible leader, the reveal answers a problem (409) and writes nothing."""
    from server.accounts.models import User
    from server.draws.models import Draw, InspectionTask
    from server.extensions import db
    from server.inspectors import declarations
    from server.inspectors.models import Inspector
    from server.plans.models import PlanTask
    from server.registry import service as registry

    with app.app_context():
        task = db.session.get(PlanTask, plan_task_id(client, login("office"), "T02"))
        scope = {k: v for k, v in task.scope.items() if k != "statuses"}
        oids = [c.id for c in registry.objects_in_scope(scope, task.plan_version.plan.department_id)]
        for username in ("scjg-insp1", "scjg-insp4"):  # T02's only leader candidates (特种设备安全监察)
            uid = db.session.execute(select(User.id).where(User.username == username)).scalar_one()
            iid = db.session.execute(select(Inspector.id).where(Inspector.user_id == uid)).scalar_one()
            for oid in oids:
                declarations.declare_conflict(None, iid, {"object_id": oid, "reason": "测试：近亲属在该单位任职",
                                                          "valid_from": dt.date(task.window_start.year, 1, 1)})
        db.session.commit()
        db.session.remove()
    r = launch(client, login)
    assert r.status_code == 201, r.get_json()
    tid = r.get_json()["task"]["id"]
    body = assert_problem(reveal(client, login, tid), 409, "team_matching_failed")
    assert "组长" in body["detail"] and body["shortfalls"][0]["role"] == "leader"
    with dbs() as s:
        assert s.execute(select(Draw.seed_hex).where(Draw.task_id == tid)).scalar_one() is None
        assert s.get(InspectionTask, tid).status == "committed"

"""The method of a check chosen per visit (Art. 19, 20(1)): the plan task's default, the team
leader's (or the plan's department's) choice before the visit starts, and the phone held to it."""
from __future__ import annotations

from sqlalchemy import select

from server.audit.models import AuditEntry
from server.draws.models import InspectionTask
from server.plans.models import PlanTask
from server.plans.service import task_content
from server.visits.models import Visit
from tests.server.plans.test_plans import _depts, _items, _new_plan, task
from tests.server.visits.team import team_of
from tests.support.field import phone_time
from tests.support.http import assert_problem


def test_plan_task_states_a_default_method_its_main_item_allows(client, login, dbs):
    admin = login("scjg-admin")
    items, depts = _items(client, admin), _depts(client, admin)
    plan = _new_plan(client, admin)
    url = f"/api/v1/plans/{plan['id']}/tasks"
    r = client.put(url, headers=admin, json=task(items, depts))
    assert r.status_code == 200, r.get_json()
    with dbs() as s:
        onsite = s.execute(select(PlanTask).where(PlanTask.code == "T01")).scalars().all()[-1]
        # On-site (the default) leaves the task's hashed content as it was before methods were chosen.
        assert onsite.default_method is None and "default_method" not in task_content(onsite)
    r = client.put(url, headers=admin, json=task(items, depts, default_method="documentary"))
    assert r.status_code == 200, r.get_json()
    got = client.get(f"/api/v1/plans/{plan['id']}", headers=admin).get_json()
    assert got["current"]["tasks"][0]["default_method"] == "documentary"
    # The main item (食品经营许可及经营过程检查) is checked on site or by documents, not online.
    body = assert_problem(client.put(url, headers=admin, json=task(items, depts, default_method="online")), 422, "task_invalid")
    assert any(e["field"] == "default_method" and "网络检查" in e["message"] for e in body["errors"]), body
    assert_problem(client.put(url, headers=admin, json=task(items, depts, default_method="lab_testing")), 422,
                   "validation_failed")
    assert_problem(client.put(url, headers=admin, json=task(items, depts, default_method="")), 422, "validation_failed")


def test_the_leader_chooses_the_method_before_the_visit_starts(client, login, dbs):
    team = team_of(client, login("office"))
    lead, vid = team.lead, team.visit_id
    assert team.visit["planned_method"] == {"code": "onsite", "label": "实地核查", "source": "task", "chosen_by": None}
    url = f"/api/v1/visits/{vid}/method"
    # Only the leader of that team (or the plan's department administrator) chooses.
    member = next(p for code, p in team.phones.items() if p is not lead)
    assert_problem(client.put(url, headers=member.headers, json={"method": "documentary"}), 403, "not_team_leader")
    assert_problem(client.put(url, headers=login("scjg-reviewer"), json={"method": "documentary"}), 403, "not_team_leader")
    assert_problem(client.put(url, headers=login("sthj-admin"), json={"method": "documentary"}), 404, "visit_not_found")
    assert_problem(client.put(url, headers=lead.headers, json={"method": "lab_testing"}), 422, "validation_failed")
    assert_problem(client.put(url, headers=lead.headers, json={}), 422, "validation_failed")
    r = client.put(url, headers=lead.headers, json={"method": "documentary"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["code"] == "documentary" and r.get_json()["source"] == "visit" and r.get_json()["label"] == "书面检查"
    with dbs() as s:
        entry = s.execute(select(AuditEntry).where(AuditEntry.action == "visit.method_plan",
                                                   AuditEntry.target_id == vid)).scalars().one()
        assert '"from":"onsite"' in entry.payload and '"to":"documentary"' in entry.payload
        assert s.get(Visit, vid).status == "not_started"
    # The team's phones get it at their next pull, and the record takes that method only.
    member.pull()
    assert member.visit(vid)["planned_method"]["code"] == "documentary"
    res = lead.do("visit.arrive", visit_id=vid, at=phone_time(5), gps=None)
    assert res["status"] == "rejected" and res["problem"]["code"] == "method_not_planned"
    assert "书面检查" in res["problem"]["detail"]
    res = lead.do("visit.method", visit_id=vid, method="online", details={"urls": ["https://shop.example.com/"]})
    assert res["status"] == "rejected" and res["problem"]["code"] == "method_not_planned"
    with dbs() as s:
        assert s.get(Visit, vid).status == "not_started"  # refused mutations leave nothing behind
    lead.ok("visit.method", visit_id=vid, method="documentary", details={"documents_received": "营业执照复印件"})
    # Once the visit has started, the method stays.
    assert_problem(client.put(url, headers=lead.headers, json={"method": "onsite"}), 409, "visit_started")


def test_the_plan_department_chooses_and_the_task_default_applies(client, login, dbs):
    office = login("office")
    team = team_of(client, office, index=1)
    vid = team.visit_id
    with dbs() as s:
        visit = s.get(Visit, vid)
        pt = s.get(PlanTask, s.get(InspectionTask, visit.task_id).plan_task_id)
        pt.default_method = "documentary"
        s.commit()
    got = client.get(f"/api/v1/visits/{vid}", headers=login("scjg-admin")).get_json()
    assert got["planned_method"]["code"] == "documentary" and got["planned_method"]["source"] == "task"
    res = team.lead.do("visit.arrive", visit_id=vid, at=phone_time(5), gps=None)
    assert res["status"] == "rejected" and res["problem"]["code"] == "method_not_planned"
    # The plan's department chooses on-site for this one visit; choosing the default again clears it.
    r = client.put(f"/api/v1/visits/{vid}/method", headers=login("scjg-admin"), json={"method": "onsite"})
    assert r.status_code == 200 and r.get_json()["source"] == "visit" and r.get_json()["chosen_by"], r.get_json()
    team.lead.ok("visit.arrive", visit_id=vid, at=phone_time(5), gps=None)
    team.lead.pull()
    assert team.lead.visit(vid)["record"]["method"] == "onsite"
    other = team_of(client, office, index=2)
    r = client.put(f"/api/v1/visits/{other.visit_id}/method", headers=login("scjg-admin"), json={"method": "documentary"})
    assert r.status_code == 200 and r.get_json() == {"code": "documentary", "label": "书面检查", "source": "task",
                                                     "chosen_by": None}
    # A participating department's administrator does not own the plan.
    assert_problem(client.put(f"/api/v1/visits/{other.visit_id}/method", headers=login(_participant_admin(other)),
                              json={"method": "online"}), 403, "not_team_leader")


def _participant_admin(team) -> str:
    code = next(d["code"] for d in team.task["departments"] if d["id"] != team.task["initiating_department"]["id"])
    return f"{code}-admin"


def test_cases_found_only_on_the_premises_need_an_onsite_check(client, login):
    """"Cannot be reached at the registered address", "no such business activity" and "unlicensed"
    are established by photos of the site: a documentary check cannot record them (the phone does
    not offer them either); the documentary Art. 21 cases (e.g. deregistered) stay open to it."""
    team = team_of(client, login("office"))
    lead, vid = team.lead, team.visit_id
    args = dict(visit_id=vid, codes=[], followup="routine", followup_note=None,
                evidence={"description": "登记住所为空置商铺", "address_checked": "和平街 12 号", "phone_attempt": "无人接听",
                          "media_ids": []})
    # On site, the case is refused only for its missing site photos.
    res = lead.do("outcome.set", case="unreachable", **args)
    assert res["status"] == "rejected" and res["problem"]["code"] == "evidence_required", res
    assert client.put(f"/api/v1/visits/{vid}/method", headers=lead.headers, json={"method": "documentary"}).status_code == 200
    for case in ("unreachable", "no_activity", "unlicensed"):
        res = lead.do("outcome.set", case=case, **args)
        assert res["status"] == "rejected" and res["problem"]["code"] == "case_needs_onsite", (case, res)
        assert "书面检查" in res["problem"]["detail"]
    res = lead.do("outcome.set", case="deregistered", **args)
    assert res["status"] == "rejected" and res["problem"]["code"] == "evidence_required", res  # its documents are missing

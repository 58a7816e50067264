"""Rectification orders: deadline in working days, follow-up visit on the team's phones, E or a lead."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import text

from server.types import SHANGHAI
from server.calendar.workdays import WorkCalendar
from tests.server.leads.lead_support import audit_actions
from tests.support.http import assert_problem
from tests.support.field import complete_inspection
from tests.support.tamper import drop_append_only_guards


@pytest.fixture
def seed_level():
    return "field"


def _two_findings(client, office):
    ctx = complete_inspection(client, office, codes=("A", "D"), followup="rectify", findings=[
        {"department": "scjg", "description": "从业人员未持健康证明", "measures": ["urge_rectify"],
         "legal_basis": "《食品安全法》第四十五条"},
        {"department": "scjg", "description": "未按规定公示", "measures": ["urge_rectify"],
         "rectify_deadline": "2027-01-15"}])
    return ctx


def test_deadline_passes_follow_up_reaches_phones_then_rectified_gets_E(client, login, runner, dbs):
    office, rev = login("office"), login("scjg-reviewer")
    ctx = _two_findings(client, office)
    f1, f2 = ctx["findings"]
    r = client.post("/api/v1/leads/rectifications", headers=rev, json={"finding_id": f1, "deadline_workdays": 5})
    assert r.status_code == 201, r.get_json()
    order = r.get_json()
    assert order["status"] == "open" and order["deadline_workdays"] == 5
    with dbs() as s:
        ended = s.execute(text("SELECT check_ended_on FROM visit_records WHERE visit_id = :v"),
                          {"v": ctx["visit_id"]}).scalar_one()
    deadline = dt.date.fromisoformat(order["deadline_on"])
    # Five working days counted from the day after the check (official calendar, no overrides here).
    assert deadline == WorkCalendar().add_workdays(dt.date.fromisoformat(str(ended)), 5).due
    r = client.post("/api/v1/leads/rectifications", headers=rev, json={"finding_id": f1, "deadline_workdays": 3})
    assert r.status_code == 409 and r.get_json()["code"] == "rectification_exists"
    both = client.post("/api/v1/leads/rectifications", headers=rev,
                       json={"finding_id": f2, "deadline_workdays": 3, "deadline_on": "2027-01-10"})
    assert both.status_code == 422
    # The second order takes the deadline the inspectors wrote on site.
    o2 = client.post("/api/v1/leads/rectifications", headers=rev, json={"finding_id": f2}).get_json()
    assert o2["deadline_on"] == "2027-01-15"

    # Not yet due on the deadline day itself.
    res = runner.invoke(args=["leads", "follow-ups", "--today", deadline.isoformat()])
    assert "0 re-inspection" in res.output, res.output
    phone = ctx["lead"]
    phone.pull()
    before = {v["id"] for v in phone.visits()}
    res = runner.invoke(args=["leads", "follow-ups", "--today", (deadline + dt.timedelta(days=1)).isoformat()])
    assert "1 re-inspection" in res.output, res.output
    order = client.get(f"/api/v1/leads/rectifications/{order['id']}", headers=rev).get_json()
    assert order["status"] == "follow_up" and order["followup_visit_id"]
    assert order["followup"] == {"visit_id": order["followup_visit_id"], "status": "not_started",
                                 "scheduled_date": None, "sealed": False, "result_codes": []}
    # The re-inspection visit reaches the team's phones in their next pull, with its task.
    phone.pull()
    new = {v["id"] for v in phone.visits()} - before
    assert new == {order["followup_visit_id"]}
    visit = phone.visit(order["followup_visit_id"])
    assert visit["object"]["id"] == ctx["visit"]["object"]["id"] and visit["status"] == "not_started"
    assert {m["inspector_id"] for m in visit["team"]} == {m["inspector_id"] for m in ctx["visit"]["team"]}
    task = phone.task(visit["task_id"])
    assert task["name"].endswith("（整改复查）") and task["items"]
    other = next(p for code, p in ctx["phones"].items() if p.username != phone.username)
    other.pull()
    assert order["followup_visit_id"] in {v["id"] for v in other.visits()}
    # The follow-up task has no draw of its own: screens that list or show draws must not break on it.
    for url in ["/api/v1/draws", f"/api/v1/draws/{visit['task_id']}", f"/api/v1/draws/{visit['task_id']}/events",
                f"/api/v1/draws/{visit['task_id']}/audit-package", f"/api/v1/public/draws/{visit['task_id']}",
                "/api/v1/reviews", "/api/v1/visits/team"]:
        resp = client.get(url, headers=office if "visits" not in url else phone.headers)
        assert resp.status_code < 500, (url, resp.status_code, resp.get_data(as_text=True)[:300])
    # Running again creates nothing more.
    res = runner.invoke(args=["leads", "follow-ups", "--today", (deadline + dt.timedelta(days=2)).isoformat()])
    assert "0 re-inspection" in res.output, res.output

    # Rectified: result code E on the original record, as an amendment (A gives way to E).
    r = client.post(f"/api/v1/leads/rectifications/{order['id']}/decision", headers=rev,
                    json={"rectified": True, "note": "复查时已全部办理健康证明"})
    assert r.status_code == 200 and r.get_json()["status"] == "rectified", r.get_json()
    r = client.post(f"/api/v1/leads/rectifications/{order['id']}/decision", headers=rev, json={"rectified": True})
    assert r.status_code == 409 and r.get_json()["code"] == "rectification_decided"
    phone.pull()
    rec = phone.visit(ctx["visit_id"])["record"]
    assert rec["amendments"][-1]["patch"] == [{"op": "replace", "path": "/outcome/codes", "value": ["D", "E"]}]
    assert rec["sealed"]["content_sha256"] == ctx["content_sha256"]  # the sealed version stays intact
    actions = audit_actions(dbs, "rectification", order["id"])
    assert actions == ["rectification.create", "rectification.follow_up", "rectification.decide"]
    assert "visit.amendment" in audit_actions(dbs, "visit", ctx["visit_id"])
    res = runner.invoke(args=["audit", "verify"])
    assert res.exit_code == 0, res.output


def test_not_rectified_becomes_a_case_and_permissions(client, login):
    office, rev = login("office"), login("scjg-reviewer")
    ctx = _two_findings(client, office)
    f1 = ctx["findings"][0]
    order = client.post("/api/v1/leads/rectifications", headers=rev,
                        json={"finding_id": f1, "deadline_on": "2026-12-20"}).get_json()
    url = f"/api/v1/leads/rectifications/{order['id']}/decision"
    r = client.post(url, headers=rev, json={"rectified": False})
    assert r.status_code == 422 and r.get_json()["code"] == "validation_failed"
    leader = ctx["lead"].username
    non_leader = next(u for u in ("scjg-insp1", "scjg-insp2", "scjg-insp3", "scjg-insp4") if u != leader)
    assert client.post(url, headers=login(non_leader), json={"rectified": True}).status_code == 404
    assert client.post(url, headers=login("sthj-admin"), json={"rectified": True}).status_code == 404
    assert client.get(f"/api/v1/leads/rectifications/{order['id']}", headers=login("sw-admin")).status_code == 404
    r = client.post(url, headers=ctx["lead"].headers, json={"rectified": False, "note": "逾期仍未整改",
                                                           "lead": {"category": "case_unit"}})
    assert r.status_code == 200, r.get_json()
    decided = r.get_json()
    assert decided["status"] == "not_rectified" and decided["lead_id"]
    lead = client.get(f"/api/v1/leads/{decided['lead_id']}", headers=rev).get_json()
    assert lead["origin"] == "rectification" and lead["rectification_id"] == order["id"]
    assert lead["category"] == "case_unit" and lead["receiver_department_id"] == lead["sender_department_id"]
    listed = client.get("/api/v1/leads/rectifications?status=not_rectified", headers=rev).get_json()["items"]
    assert [o["id"] for o in listed] == [order["id"]]


def _public_row(client):
    (row,) = client.get("/api/v1/public/results").get_json()["items"]
    return row


def test_rectified_after_publication_revises_the_published_result(client, login, dbs, runner):
    """A published "A" (follow-up pending) becomes "E" (rectified on order) once the department decides
    so: the public sees the new result with the date of the revision; the change is logged."""
    office, rev = login("office"), login("scjg-reviewer")
    ctx = _two_findings(client, office)
    vid, f1 = ctx["visit_id"], ctx["findings"][0]
    assert client.post(f"/api/v1/reviews/{vid}/approve", headers=rev).status_code == 200
    assert client.post(f"/api/v1/reviews/{vid}/publish", headers=rev).status_code == 200
    row = _public_row(client)
    assert row["result"] == "发现问题待后续处理；违反其他市场监管规定" and row["revised_on"] is None
    today = dt.datetime.now(SHANGHAI).date()
    csv_since = f"/api/v1/public/results.csv?since={today.isoformat()}"
    assert row["object_name"] in client.get(csv_since).get_data(as_text=True)  # published today
    with dbs() as s:  # published two weeks ago: not in today's upload
        drop_append_only_guards(s)
        s.execute(text("UPDATE published_results SET published_at = :t WHERE visit_id = :v"),
                  {"t": dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=14), "v": vid})
        s.commit()
    assert len(client.get(csv_since).get_data(as_text=True).strip().splitlines()) == 1  # header only
    assert_problem(client.get("/api/v1/public/results.csv?since=yesterday"), 422, "validation_failed")

    order = client.post("/api/v1/leads/rectifications", headers=rev,
                        json={"finding_id": f1, "deadline_workdays": 5}).get_json()
    r = client.post(f"/api/v1/leads/rectifications/{order['id']}/decision", headers=rev,
                    json={"rectified": True, "note": "已当场改正"})
    assert r.status_code == 200, r.get_json()
    row = _public_row(client)
    assert row["result"] == "违反其他市场监管规定；发现问题经责令已改正"
    assert row["revised_on"] == dt.datetime.now(SHANGHAI).date().isoformat()
    assert f"（{row['revised_on']} 更新）" in client.get("/public/results").get_data(as_text=True)
    # The revision is in the next upload to the national system, with the new result.
    lines = client.get(csv_since).get_data(as_text=True).strip().splitlines()
    assert len(lines) == 2 and "违反其他市场监管规定；发现问题经责令已改正" in lines[1]
    review = next(x for x in client.get("/api/v1/reviews?status=published", headers=rev).get_json()
                  if x["visit_id"] == vid)
    assert review["result_codes"] == ["D", "E"]
    with dbs() as s:
        entries = s.execute(text("SELECT action, payload FROM audit_entries WHERE target_id = :v ORDER BY seq"),
                            {"v": vid}).all()
    assert [a for a, _ in entries][-2:] == ["visit.amendment", "result.revise"]
    revised = json.loads(entries[-1][1])["data"]
    assert revised["from"] == ["A", "D"] and revised["to"] == ["D", "E"] and revised["published"] is True
    assert revised["rectification"] == order["id"]
    res = runner.invoke(args=["audit", "verify"])
    assert res.exit_code == 0, res.output


def test_rectified_before_approval_is_entered_as_E(client, login):
    office, rev = login("office"), login("scjg-reviewer")
    ctx = _two_findings(client, office)
    vid = ctx["visit_id"]
    order = client.post("/api/v1/leads/rectifications", headers=rev, json={"finding_id": ctx["findings"][0],
                                                                                 "deadline_workdays": 5}).get_json()
    assert client.post(f"/api/v1/leads/rectifications/{order['id']}/decision", headers=rev,
                       json={"rectified": True}).status_code == 200
    r = client.post(f"/api/v1/reviews/{vid}/approve", headers=rev)
    assert r.status_code == 200 and r.get_json()["result_codes"] == ["D", "E"], r.get_json()
    assert client.post(f"/api/v1/reviews/{vid}/publish", headers=rev).status_code == 200
    row = _public_row(client)
    assert row["result"] == "违反其他市场监管规定；发现问题经责令已改正" and row["revised_on"] is None


def test_the_order_list_loads_what_it_shows_once_per_kind_not_per_order(app, client, login, runner):
    from tests.support.sql import by_kind, counted_statements

    office, rev = login("office"), login("scjg-reviewer")
    f1, f2 = _two_findings(client, office)["findings"]
    o1 = client.post("/api/v1/leads/rectifications", headers=rev, json={"finding_id": f1, "deadline_workdays": 1}).get_json()
    client.post("/api/v1/leads/rectifications", headers=rev, json={"finding_id": f2, "deadline_workdays": 1})
    day = dt.date.fromisoformat(o1["deadline_on"]) + dt.timedelta(days=40)
    assert "2 re-inspection" in runner.invoke(args=["leads", "follow-ups", "--today", day.isoformat()]).output
    with counted_statements(app) as seen:
        r = client.get("/api/v1/leads/rectifications", headers=rev)
    items = r.get_json()["items"]
    assert len(items) == 2 and all(o["object_name"] and o["finding_description"] for o in items)
    assert all(o["followup"]["status"] == "not_started" for o in items)
    kinds = by_kind(seen)
    for table in ("objects", "visit_findings", "visits", "visit_records"):
        assert kinds[f"SELECT {table}"] <= 1, kinds

"""Issue 4, point 7 (Art. 18): the team leader sets each visit's date and time window; an
inspector booked into overlapping visits and a date outside the plan's window are flagged; an
inspector lists "my visits"."""
from __future__ import annotations

from sqlalchemy import select

from tests.server.draws.draw_support import demo_task_id
from tests.support.http import assert_problem


def _visits(dbs, task_id):
    """[(visit_id, leader username, {active inspector ids})] of the task's live visits."""
    from server.accounts.models import User
    from server.visits.models import Visit

    with dbs() as s:
        names = dict(s.execute(select(User.id, User.username)).all())
        out = []
        for v in s.execute(select(Visit).where(Visit.task_id == task_id, Visit.status == "not_started")
                           .order_by(Visit.stratum, Visit.rank)).scalars():
            leader = next(m for m in v.members if m.active and m.role == "leader")
            out.append((v.id, names.get(leader.user_id), {m.inspector_id for m in v.members if m.active}))
        return out


def _schedule(client, login, user, visit_id, date, time_from=None, time_to=None):
    return client.put(f"/api/v1/visits/{visit_id}/schedule", headers=login(user),
                      json={"date": date, "time_from": time_from, "time_to": time_to})


def test_my_visits_lists_the_demo_inspectors_scheduled_visits(client, login):
    tid = demo_task_id(client, login)
    mine = client.get("/api/v1/visits/mine", headers=login("scjg-insp1")).get_json()
    assert mine and all(str(v["task_id"]) == str(tid) for v in mine)
    assert all(v["schedule"]["date"] and v["schedule"]["conflicts"] == [] for v in mine)  # the demo books cleanly


def test_leader_schedules_and_overlaps_and_window_are_flagged(client, login, dbs):
    tid = demo_task_id(client, login)
    visits = _visits(dbs, tid)
    # Two visits that share an inspector (the demo's cap lets one inspector serve on several teams).
    a, b, shared = next((a, b, a[2] & b[2]) for i, a in enumerate(visits) for b in visits[i + 1:] if a[2] & b[2])
    year = client.get(f"/api/v1/draws/{tid}", headers=login("office")).get_json()["task"]["window_start"][:4]
    day = f"{year}-12-15"

    r = _schedule(client, login, a[1], a[0], day, "09:00", "11:00")
    assert r.status_code == 200, r.get_json()
    assert not [w for w in r.get_json()["schedule_warnings"] if w["code"] == "inspector_double_booked"
                and w["visit_id"] == b[0]]
    r = _schedule(client, login, b[1], b[0], day, "10:30", "12:00")
    assert r.status_code == 200, r.get_json()
    flagged = [w for w in r.get_json()["schedule_warnings"] if w["code"] == "inspector_double_booked"]
    assert {w["inspector_id"] for w in flagged if w["visit_id"] == a[0]} == shared
    # Named by person, with the clashing time slot (never "执法人员（编号 1）").
    assert all(w["inspector_name"] and w["message"].startswith(w["inspector_name"]) and "编号" not in w["message"]
               and "09:00–11:00" in w["message"] for w in flagged if w["visit_id"] == a[0])
    # The flag shows on the visit for its team as well.
    assert any(w["code"] == "inspector_double_booked" for w in
               client.get(f"/api/v1/visits/{b[0]}", headers=login(b[1])).get_json()["schedule"]["conflicts"])
    # Moved to the afternoon: no overlap any more.
    r = _schedule(client, login, b[1], b[0], day, "14:30", "17:00")
    assert not [w for w in r.get_json()["schedule_warnings"] if w["visit_id"] == a[0]]

    # Outside the plan's window (December).
    r = _schedule(client, login, a[1], a[0], f"{int(year) + 1}-01-05", "09:00", "11:00")
    assert r.status_code == 200
    assert [w["code"] for w in r.get_json()["schedule_warnings"]] == ["outside_window"]


def test_only_the_leader_schedules_and_times_must_be_ordered(client, login, dbs):
    from server.accounts.models import User
    from server.visits.models import VisitMember

    tid = demo_task_id(client, login)
    visit_id, leader, _ = _visits(dbs, tid)[0]
    with dbs() as s:
        member = s.execute(select(User.username).join(VisitMember, VisitMember.user_id == User.id).where(
            VisitMember.visit_id == visit_id, VisitMember.role != "leader", VisitMember.active.is_(True))).scalars().first()
    assert_problem(_schedule(client, login, member, visit_id, "2026-12-10"), 403, "not_team_leader")
    assert_problem(_schedule(client, login, leader, visit_id, "2026-12-10", "11:00", "09:00"), 422)

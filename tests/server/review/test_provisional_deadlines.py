"""December: next year's calendar is not in chinesecalendar. Deadlines of records checked now are
provisional (marked, explained), final once the office enters the year; the on-time rate never
reads 0 % because of the missing calendar. Leaders and the back office see records checked but
not sealed."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from server.calendar.workdays import WorkCalendar, provisional_workday
from tests.support.field import Phone, complete_inspection, phone_time
from tests.support.http import assert_problem

ENDED = dt.date(2026, 12, 20)  # 20 working days run into 2027


@pytest.fixture
def seed_level():
    return "field"


def _ended_on(dbs, visit_id: str, day: dt.date) -> None:
    with dbs() as s:
        s.execute(text("UPDATE reviews SET check_ended_on = :e, due_on = NULL WHERE visit_id = :v"), {"e": day, "v": visit_id})
        s.commit()


def test_provisional_days_skip_weekends_and_fixed_statutory_holidays():
    assert not provisional_workday(dt.date(2027, 1, 1))  # New Year's Day, a Friday
    assert not provisional_workday(dt.date(2027, 10, 1)) and provisional_workday(dt.date(2027, 5, 6))
    # 1–2 May 2027 fall on the weekend: Monday 3 and Tuesday 4 May are the days in lieu (tests/server/calendar/test_statutory.py).
    assert not provisional_workday(dt.date(2027, 5, 3)) and not provisional_workday(dt.date(2027, 5, 4))
    assert provisional_workday(dt.date(2027, 1, 4)) and not provisional_workday(dt.date(2027, 1, 2))
    result = WorkCalendar().add_workdays(ENDED, 20)
    # 12/21–25 (5), 12/28–31 (9), 1/1 off, 1/4–8 (14), 1/11–15 (19), 1/18 (20)
    assert not result.known and result.estimated_due == dt.date(2027, 1, 18)


def test_queue_and_detail_show_a_provisional_deadline_that_becomes_final(client, login, dbs):
    office, rev = login("office"), login("scjg-reviewer")
    vid = complete_inspection(client, office)["visit_id"]
    _ended_on(dbs, vid, ENDED)
    (row,) = client.get("/api/v1/reviews", headers=rev).get_json()
    assert row["due_on"] == "2027-01-18" and row["deadline_provisional"] is True
    assert row["deadline_state"] != "unknown" and "未知" not in row["deadline_message"]
    assert row["deadline_message"].startswith("暂定：2027 年的法定节假日安排尚未录入")
    review = client.get(f"/api/v1/reviews/{vid}", headers=rev).get_json()["review"]
    assert review["due_on"] == "2027-01-18" and review["deadline_provisional"] is True and "暂定" in review["deadline_message"]

    # The office enters the State Council's notice: 1/1–1/3 off and a make-up workday on Sunday 1/10.
    assert client.post("/api/v1/calendar/overrides", headers=office, json={
        "from": "2027-01-01", "to": "2027-01-03", "is_workday": False, "note": "元旦"}).status_code == 200
    assert client.post("/api/v1/calendar/overrides", headers=office, json={
        "from": "2027-01-10", "is_workday": True, "note": "调休上班"}).status_code == 200
    (row,) = client.get("/api/v1/reviews", headers=rev).get_json()
    assert row["deadline_provisional"] is True  # entered but not declared complete: still provisional
    assert client.put("/api/v1/calendar/years/2027", headers=office, json={
        "declared_complete": True, "source": "国务院办公厅关于2027年部分节假日安排的通知"}).status_code == 200
    (row,) = client.get("/api/v1/reviews", headers=rev).get_json()
    assert row["due_on"] == "2027-01-15" and row["deadline_provisional"] is False and row["deadline_message"] is None


def test_on_time_rate_is_not_zero_for_a_missing_calendar(client, login, dbs):
    office, rev = login("office"), login("scjg-reviewer")
    scout = Phone(client, "scjg-insp1")
    scout.pull()
    vid = scout.visits()[0]["id"]
    complete_inspection(client, office, vid)
    _ended_on(dbs, vid, dt.date.today())  # checked today: its 20 working days run into next year
    assert client.post(f"/api/v1/reviews/{vid}/approve", headers=rev).status_code == 200
    body = client.get("/api/v1/statistics", headers=rev).get_json()
    (task,) = [t for t in body["tasks"] if t["entered"]]
    assert task["entered_on_time"] == 1 and task["on_time_rate"] == 1.0
    (row,) = [r for r in client.get("/api/v1/reviews", headers=rev).get_json() if r["visit_id"] == vid]
    assert row["entered_on_time"] is True


def test_leaders_and_back_office_see_records_checked_but_not_sealed(client, login, dbs):
    office = login("office")
    ctx = complete_inspection(client, office, seal=False)
    vid, lead = ctx["visit_id"], ctx["lead"]
    with dbs() as s:  # the team arrived 9 days ago and has not sealed since
        s.execute(text("UPDATE visit_records SET arrival_at = :a WHERE visit_id = :v"),
                  {"a": (dt.datetime.now(dt.timezone(dt.timedelta(hours=8))) - dt.timedelta(days=9)).replace(microsecond=0).isoformat(),
                   "v": vid})
        s.commit()
    rows = client.get("/api/v1/visits/unsealed", headers=lead.headers).get_json()
    (row,) = [r for r in rows if r["visit_id"] == vid]
    assert row["days_since"] == 9 and row["workdays_since"] >= 5 and row["check_ended"] is False
    assert row["method"] == "onsite" and row["due_on"] and isinstance(row["deadline_provisional"], bool)
    assert vid in [r["visit_id"] for r in client.get("/api/v1/visits/unsealed", headers=login("scjg-reviewer")).get_json()]
    # A team member who does not lead it, and is no department staff, is not asked to chase it.
    member = next(p for p in ctx["phones"].values() if p.username != lead.username)
    assert client.get("/api/v1/visits/unsealed", headers=member.headers).get_json() == []
    assert client.get("/api/v1/visits/unsealed?min_workdays=30", headers=lead.headers).get_json() == []
    # Once the team records the end today, the record counts from today: not yet waiting.
    lead.ok("visit.end_check", visit_id=vid, at=phone_time(0))
    assert vid not in [r["visit_id"] for r in client.get("/api/v1/visits/unsealed", headers=lead.headers).get_json()]
    assert_problem(client.get("/api/v1/visits/unsealed?min_workdays=-1", headers=lead.headers), 422, "validation_failed")
    assert_problem(client.get("/api/v1/visits/unsealed"), 401)

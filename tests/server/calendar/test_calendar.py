"""Result-entry deadlines on the working-day calendar with the administrator's overrides.

Pinned 2025 dates follow the State Council's 2025 notice (National Day + Mid-Autumn Oct 1–8
off, make-up workdays Sunday Sep 28 and Saturday Oct 11). The 2027 entries below are test
data standing in for a notice the package does not have.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from server.audit.models import AuditEntry
from tests.support.http import assert_problem

D = date


def _deadline(client, h, ended_on):
    r = client.get(f"/api/v1/calendar/deadline?ended_on={ended_on}", headers=h)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _set(client, h, first, last=None, workday=False, note="测试"):
    body = {"from": first, "is_workday": workday, "note": note}
    if last:
        body["to"] = last
    r = client.post("/api/v1/calendar/overrides", headers=h, json=body)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _actions(dbs, prefix="calendar."):
    with dbs() as s:
        return [(e.action, e.target_id, e.payload) for e in s.execute(
            select(AuditEntry).where(AuditEntry.action.startswith(prefix)).order_by(AuditEntry.seq)).scalars()]


def test_check_ending_2025_09_26_is_due_2025_10_30(client, login):
    body = _deadline(client, login("scjg-insp1"), "2025-09-26")
    assert body["known"] is True and body["message"] is None and body["missing_years"] == []
    assert body["due"] == "2025-10-30"
    assert body["workdays"] == 20 and body["count_from_next_day"] is True
    assert body["state"] == "overdue"  # relative to today, long past


def test_check_ending_on_a_holiday(client, login):
    # 10/4–10/8 off; 10/9 10/10 10/11 (3), 10/13–17 (8), 10/20–24 (13), 10/27–31 (18), 11/3 11/4 (20)
    assert _deadline(client, login("scjg-reviewer"), "2025-10-03")["due"] == "2025-11-04"


def test_missing_year_is_unknown_until_the_admin_enters_it(client, login, dbs):
    office, reviewer = login("office"), login("scjg-reviewer")
    # 2026-12-20 (Sunday): 12/21–25 (5), 12/28–31 (9), then 2027, which the package lacks.
    body = _deadline(client, reviewer, "2026-12-20")
    assert body["known"] is False and body["due"] is None and body["provisional"] is True
    assert body["missing_years"] == [2027]
    assert body["message"].startswith("暂定：2027 年的法定节假日安排尚未录入") and "元旦" in body["message"]
    # Provisional: Mon–Fri less New Year's Day (fixed date): 12/21–25 (5), 12/28–31 (9), 1/4–8 (14), 1/11–15 (19), 1/18.
    assert body["provisional_due"] == body["estimated_due"] == "2027-01-18"

    # Declaring a year complete without any holiday entered is refused.
    assert_problem(client.put("/api/v1/calendar/years/2027", headers=office,
                              json={"declared_complete": True, "source": "国办发明电〔2026〕X号"}),
                   409, "year_has_no_holidays")
    _set(client, office, "2027-01-01", "2027-01-03", note="元旦")
    # Overrides alone do not cover the other January days: still unknown.
    assert _deadline(client, reviewer, "2026-12-20")["known"] is False
    assert_problem(client.put("/api/v1/calendar/years/2027", headers=office, json={"declared_complete": True}),
                   422, "validation_failed")
    r = client.put("/api/v1/calendar/years/2027", headers=office,
                   json={"declared_complete": True, "source": "国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕X号）"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["coverage"] == "overrides" and r.get_json()["holidays"] == 3 and r.get_json()["workdays"] == 0

    # 1/1–1/3 off, 1/4–8 (14), 1/11–15 (19), 1/18 (20).
    body = _deadline(client, reviewer, "2026-12-20")
    assert body["known"] is True and body["due"] == "2027-01-18" and body["message"] is None
    assert body["provisional"] is False and body["provisional_due"] is None

    # Withdrawing the declaration makes it unknown again.
    assert client.put("/api/v1/calendar/years/2027", headers=office,
                      json={"declared_complete": False}).get_json()["coverage"] == "missing"
    assert _deadline(client, reviewer, "2026-12-20")["known"] is False

    actions = _actions(dbs)
    assert [a for a, _, _ in actions].count("calendar.override.set") == 3
    declares = [p for a, t, p in actions if a == "calendar.year.declare"]
    assert len(declares) == 2 and '"declared_complete":true' in declares[0]


def test_overrides_take_precedence_over_the_package(client, login, dbs):
    office, insp = login("office"), login("scjg-insp1")
    # Monday 2025-10-13 is a workday in the package; an override makes it a day off.
    _set(client, office, "2025-10-13", note="测试：临时调整")
    assert _deadline(client, insp, "2025-09-26")["due"] == "2025-10-31"
    # ... and Saturday 2025-10-18 (off in the package) a workday.
    _set(client, office, "2025-10-18", workday=True, note="测试：调休上班")
    assert _deadline(client, insp, "2025-09-26")["due"] == "2025-10-30"
    listed = client.get("/api/v1/calendar/overrides?year=2025", headers=insp).get_json()
    assert [(o["date"], o["is_workday"]) for o in listed] == [("2025-10-13", False), ("2025-10-18", True)]
    assert client.get("/api/v1/calendar/overrides?year=2026", headers=insp).get_json() == []

    assert client.delete("/api/v1/calendar/overrides/2025-10-18", headers=office).status_code == 204
    assert _deadline(client, insp, "2025-09-26")["due"] == "2025-10-31"
    assert client.delete("/api/v1/calendar/overrides/2025-10-13", headers=office).status_code == 204
    assert _deadline(client, insp, "2025-09-26")["due"] == "2025-10-30"
    assert_problem(client.delete("/api/v1/calendar/overrides/2025-10-13", headers=office), 404, "override_not_found")
    assert_problem(client.delete("/api/v1/calendar/overrides/not-a-date", headers=office), 404, "override_not_found")

    actions = _actions(dbs)
    assert [(a, t) for a, t, _ in actions] == [
        ("calendar.override.set", "2025-10-13"), ("calendar.override.set", "2025-10-18"),
        ("calendar.override.delete", "2025-10-18"), ("calendar.override.delete", "2025-10-13")]


def test_setting_the_same_override_again_changes_nothing(client, login, dbs):
    office = login("office")
    _set(client, office, "2025-10-13", note="同一说明")
    _set(client, office, "2025-10-13", note="同一说明")
    _set(client, office, "2025-10-13", note="改了说明")
    sets = [p for a, _, p in _actions(dbs) if a == "calendar.override.set"]
    assert len(sets) == 2 and '"previous":{"is_workday":false,"note":"同一说明"}' in sets[1]


def test_bad_input_is_refused_with_problems(client, login):
    office, insp = login("office"), login("scjg-insp1")
    bad = [
        ({"from": "2027-01-05", "to": "2027-01-01", "is_workday": False}, "validation_failed"),
        ({"from": "2027-01-01", "to": "2027-03-01", "is_workday": False}, "range_too_long"),
        ({"from": "1999-12-31", "is_workday": False}, "year_out_of_range"),
        ({"from": "2027-02-30", "is_workday": False}, "validation_failed"),
        ({"from": "2027-01-01"}, "validation_failed"),
    ]
    for body, code in bad:
        assert_problem(client.post("/api/v1/calendar/overrides", headers=office, json=body), 422, code)
    assert_problem(client.put("/api/v1/calendar/years/1999", headers=office, json={"declared_complete": False}),
                   422, "year_out_of_range")
    assert_problem(client.get("/api/v1/calendar/deadline?ended_on=yesterday", headers=insp), 422)
    assert_problem(client.get("/api/v1/calendar/deadline", headers=insp), 422)
    assert_problem(client.get("/api/v1/calendar/deadline?ended_on=1900-01-01", headers=insp), 422, "date_out_of_range")
    # The far end of the range: a year nobody knows, still an answer.
    body = _deadline(client, insp, "2099-12-20")
    assert body["known"] is False and body["missing_years"] == [2099, 2100]
    assert body["message"].startswith("暂定：2099 年、2100 年的法定节假日安排尚未录入")
    assert_problem(client.post("/api/v1/calendar/overrides", headers=insp,
                               json={"from": "2027-01-01", "is_workday": False}), 403, "role_required")


def test_deadline_state_and_configuration(app):
    from server.calendar import service as calendar

    with app.app_context():
        due = calendar.result_deadline(D(2025, 9, 26)).due
        assert due == D(2025, 10, 30)
        # (10/20, 10/30] has 8 working days; (10/23, 10/30] has 5 (the default "due soon").
        assert calendar.deadline_state(due, D(2025, 10, 20)) == "ok"
        assert calendar.deadline_state(due, D(2025, 10, 23)) == "due_soon"
        assert calendar.deadline_state(due, D(2025, 10, 30)) == "due_soon"
        assert calendar.deadline_state(due, D(2025, 10, 31)) == "overdue"
        assert calendar.deadline_state(None, D(2025, 10, 31)) == "unknown"
        assert calendar.workdays_left(due, D(2025, 10, 20)) == 8
        assert calendar.workdays_left(due, D(2025, 11, 3)) == -2

    app.config.update(DEADLINE_DUE_SOON_WORKDAYS=10, DEADLINE_COUNT_FROM_NEXT_DAY=False,
                      RESULT_DEADLINE_WORKDAYS=5)
    with app.app_context():
        # Counting from the end day itself (a Friday workday): 9/26, 9/28, 9/29, 9/30, 10/9.
        due = calendar.result_deadline(D(2025, 9, 26)).due
        assert due == D(2025, 10, 9)
        assert calendar.deadline_state(D(2025, 10, 30), D(2025, 10, 20)) == "due_soon"


def test_warning_from_november_when_next_year_is_missing(client, login, app):
    from server.calendar import service as calendar

    with app.app_context():
        assert calendar.calendar_warning(D(2026, 10, 31)) is None
        warning = calendar.calendar_warning(D(2026, 11, 1))
        assert warning and "2027年" in warning and "已完整录入" in warning
        assert calendar.calendar_warning(D(2025, 11, 15)) is None  # 2026 is in the package
        # The current year missing warns at any time of the year.
        assert "2027年（本年度）" in calendar.calendar_warning(D(2027, 3, 1))

    office = login("office")
    _set(client, office, "2027-01-01", note="元旦")
    assert client.put("/api/v1/calendar/years/2027", headers=office,
                      json={"declared_complete": True, "source": "国办发明电〔2026〕X号"}).status_code == 200
    with app.app_context():
        assert calendar.calendar_warning(D(2026, 11, 1)) is None
        st = calendar.status(D(2026, 11, 1))
        assert st["warning"] is None
        years = {y.year: y for y in st["years"]}
        assert sorted(years) == [2025, 2026, 2027]
        assert years[2026].coverage == "package" and years[2026].in_package
        assert years[2027].coverage == "overrides" and not years[2027].in_package
        assert years[2027].source == "国办发明电〔2026〕X号" and years[2027].holidays == 1

    body = client.get("/api/v1/calendar/status", headers=login("scjg-insp1")).get_json()
    assert {y["year"]: y["coverage_label"] for y in body["years"]}[2027] == "管理员已完整录入"
    assert body["result_deadline_workdays"] == 20 and body["due_soon_workdays"] == 5

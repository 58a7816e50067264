"""The task-scoped read rule (draws/access.py): filtered in SQL, the same for every feature."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select

from server.accounts.models import Department
from server.draws.models import InspectionTask, TaskDepartment
from server.extensions import db
from server.types import utcnow
from tests.support.http import assert_problem


def _dept(code: str) -> int:
    return db.session.execute(select(Department.id).where(Department.code == code)).scalar_one()


def test_launched_tasks_record_all_their_departments(app):
    with app.app_context():
        task = db.session.execute(select(InspectionTask).where(InspectionTask.status == "drawn")).scalars().first()
        rows = db.session.execute(select(TaskDepartment).where(TaskDepartment.task_id == task.id)).scalars().all()
        assert {r.department_id for r in rows} == {task.initiating_department_id, *task.participating_department_ids}
        assert [r.department_id for r in rows if r.initiating] == [task.initiating_department_id]


def test_a_department_still_sees_its_oldest_task_among_600(app, client, login):
    """600 newer tasks of other departments: the list is filtered in SQL before its LIMIT, so the
    department's oldest task (it only takes part in it) is still in its list; the other
    departments' tasks are not, and cannot be opened."""
    with app.app_context():
        demo = db.session.execute(select(InspectionTask).where(InspectionTask.status == "drawn")).scalars().first()
        wl, scjg = _dept("wl"), _dept("scjg")
        assert wl not in {demo.initiating_department_id, *demo.participating_department_ids}
        # wl's own old task: initiated by scjg, wl takes part.
        old = InspectionTask(code="OLD-WL-1", name="文旅参与的早期任务", plan_task_id=demo.plan_task_id,
                             initiating_department_id=scjg, participating_department_ids=[wl],
                             window_start=dt.date(2026, 1, 5), window_end=dt.date(2026, 1, 30), status="follow_up",
                             launched_at=utcnow())
        db.session.add(old)
        db.session.flush()
        db.session.add_all([TaskDepartment(task_id=old.id, department_id=scjg, initiating=True),
                            TaskDepartment(task_id=old.id, department_id=wl, initiating=False)])
        start = old.id + 1
        rows = [{"id": start + i, "code": f"BULK-{i:04d}", "name": f"其他部门任务 {i}", "plan_task_id": demo.plan_task_id,
                 "initiating_department_id": scjg, "participating_department_ids": [],
                 "window_start": dt.date(2026, 2, 1), "window_end": dt.date(2026, 2, 28), "status": "follow_up",
                 "launched_at": utcnow()} for i in range(600)]
        db.session.execute(insert(InspectionTask), rows)
        db.session.execute(insert(TaskDepartment), [{"task_id": r["id"], "department_id": scjg, "initiating": True}
                                                   for r in rows])
        db.session.commit()
        old_id, newest_id, demo_id = old.id, start + 599, demo.id

    mine = client.get("/api/v1/draws", headers=login("wl-admin"))
    assert mine.status_code == 200
    ids = [t["id"] for t in mine.get_json()]
    assert ids == [old_id]  # its one task, however many newer tasks others have

    everything = client.get("/api/v1/draws", headers=login("office")).get_json()
    assert len(everything) == 500 and everything[0]["id"] == newest_id  # the office pages through all, newest first

    scjg_tasks = {t["id"] for t in client.get("/api/v1/draws", headers=login("scjg-reviewer")).get_json()}
    assert newest_id in scjg_tasks
    assert_problem(client.get(f"/api/v1/draws/{demo_id}", headers=login("wl-admin")), 404, "task_not_found")

"""Who may read a task and everything scoped to it (its visits, their evidence, reviews, leads' orders).

The one rule, written once: the office and auditors read everything; the staff (administrators,
leaders, reviewers) of the task's departments — the initiating one and every participating
one — read the task. Tasks own this rule because they own the departments: every feature that
needs it calls `readable_tasks` (a SQL filter) or `may_read_task` (one task), never its own copy.
The departments are rows of `task_departments` (written with the task: `set_departments`), so a
department's list is filtered in SQL before any LIMIT.
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, exists, false, select, true

from ..accounts.auth import Principal
from ..accounts.models import Role
from ..extensions import db
from .models import InspectionTask, TaskDepartment

STAFF = (Role.DEPT_ADMIN, Role.DEPT_LEADER, Role.REVIEWER)


def set_departments(task: InspectionTask) -> None:
    """Write the task's department rows (call once the task has its id)."""
    depts = [task.initiating_department_id,
             *(d for d in (task.participating_department_ids or []) if d != task.initiating_department_id)]
    for d in dict.fromkeys(depts):
        db.session.add(TaskDepartment(task_id=task.id, department_id=d, initiating=d == task.initiating_department_id))


def department_ids(task: InspectionTask) -> set[int]:
    """The task's departments: the initiating one and every participating one."""
    return {task.initiating_department_id, *(task.participating_department_ids or [])}


def of_department(department_id: int | None, task_id=InspectionTask.id) -> ColumnElement[bool]:
    """SQL: the task (``task_id``, a column or a value) is one the department initiates or takes part in."""
    if department_id is None:
        return false()
    return exists().where(TaskDepartment.task_id == task_id, TaskDepartment.department_id == department_id)


def readable_tasks(principal: Principal, task_id=InspectionTask.id) -> ColumnElement[bool]:
    """SQL filter: tasks (``task_id``: the column to test, e.g. ``Visit.task_id``) the principal may read."""
    if principal.sees_everything:
        return true()
    if not principal.has(*STAFF):
        return false()
    return of_department(principal.department_id, task_id)


def may_read_task(principal: Principal, task: InspectionTask) -> bool:
    """The same rule for one loaded task."""
    if principal.sees_everything:
        return True
    return principal.has(*STAFF) and principal.department_id in department_ids(task)


def task_ids_of_department(department_id: int):
    """A SELECT of the ids of the tasks a department initiates or takes part in."""
    return select(TaskDepartment.task_id).where(TaskDepartment.department_id == department_id)

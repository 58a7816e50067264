"""The method a visit is checked by (Art. 19, 20(1)): chosen per visit before it starts.

The plan task states the default method of its visits (``PlanTask.default_method``, on-site
when unset). Before the visit starts, its team leader, or the administrator of the plan's
(initiating) department, may choose another method for that visit; each choice is an audit
entry and reaches the team's phones at their next pull. The phone walks through that
method's steps only, and the record accepts that method only (``refuse_unplanned``).
"""
from __future__ import annotations

from sqlalchemy import select

from ..accounts.auth import Principal
from ..accounts.models import Role
from ..audit import service as audit
from ..draws.models import InspectionTask
from ..errors import Conflict, Forbidden, Invalid, field_error
from ..extensions import db
from ..plans.models import PlanTask
from .access import member_of
from .announce import announce
from .models import Visit
from .rules import METHODS


def task_default(task_id: int) -> str:
    """The plan task's default method of a task's visits."""
    cache = db.session.info.setdefault("visits.default_methods", {})
    if task_id not in cache:
        with db.session.no_autoflush:  # a published plan task: nothing unwritten in the session changes it
            cache[task_id] = db.session.execute(
                select(PlanTask.default_method).join(InspectionTask, InspectionTask.plan_task_id == PlanTask.id)
                .where(InspectionTask.id == task_id)).scalar() or "onsite"
    return cache[task_id]


def remember_task_defaults(defaults: dict[int, str | None]) -> None:
    """Seed `task_default` with plan tasks' default methods read elsewhere (a pull reads them
    for all its visits' tasks in one query)."""
    cache = db.session.info.setdefault("visits.default_methods", {})
    for task_id, method in defaults.items():
        cache.setdefault(task_id, method or "onsite")


def planned(visit: Visit) -> str:
    """The method this visit is to be checked by."""
    return visit.planned_method or task_default(visit.task_id)


def planned_view(visit) -> dict:  # a Visit, or a row with its columns
    code = planned(visit)
    return {"code": code, "label": METHODS[code]["label"],
            "source": "visit" if visit.planned_method else "task", "chosen_by": visit.method_planned_by}


def refuse_unplanned(visit: Visit, method: str) -> None:
    """A phone may record only the method chosen for the visit."""
    want = planned(visit)
    if method != want:
        raise Invalid(f"本次检查的检查方式为“{METHODS[want]['label']}”（由计划任务或检查组组长确定），"
                      f"不能按“{METHODS[method]['label']}”记录；请同步后按新的检查方式检查。",
                      code="method_not_planned", errors=[field_error("method", f"须为“{METHODS[want]['label']}”。")])


def _may_choose(principal: Principal, visit: Visit) -> bool:
    me = member_of(visit, principal.user_id)
    if me is not None and me.role == "leader":
        return True
    task = db.session.get(InspectionTask, visit.task_id)
    return principal.has(Role.DEPT_ADMIN) and principal.department_id == task.initiating_department_id


def choose(principal: Principal, visit: Visit, method: str) -> Visit:
    """The leader (or the plan's department) chooses the visit's method before it starts."""
    if not _may_choose(principal, visit):
        raise Forbidden("只有检查组组长或计划制定部门的管理员可以确定检查方式。", code="not_team_leader")
    if visit.status != "not_started":
        raise Conflict("检查已开始（或已封存、撤回），不能再更改检查方式。", code="visit_started")
    before = planned(visit)
    visit.planned_method = None if method == task_default(visit.task_id) else method
    visit.method_planned_by = principal.user_id if visit.planned_method else None
    if planned(visit) != before:
        visit.version += 1
        announce(visit)
    audit.record(db.session, "visit.method_plan", "visit", visit.id,
                 {"from": before, "to": planned(visit), "task_default": task_default(visit.task_id)})
    return visit

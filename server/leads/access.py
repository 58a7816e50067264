"""Who sees and who acts on a lead or a rectification order.

A department sees the leads it sent or received; the office and auditors see
all. Anyone else gets 404, as if the lead did not exist. Only the receiving
department's staff sign for, work, conclude or return a lead.
"""
from __future__ import annotations

from sqlalchemy import select

from ..accounts.auth import Principal
from ..accounts.models import Role
from ..draws.access import may_read_task
from ..draws.models import InspectionTask
from ..visits.models import Visit, VisitMember
from ..errors import Forbidden, NotFound
from ..extensions import db
from .models import Lead, RectificationOrder

STAFF = (Role.DEPT_ADMIN, Role.DEPT_LEADER, Role.REVIEWER)
READERS = (*STAFF, Role.OFFICE_ADMIN, Role.AUDITOR)
AUTHORS = (Role.REVIEWER, Role.DEPT_ADMIN, Role.INSPECTOR)


def lead_not_found() -> NotFound:
    return NotFound("线索不存在。", code="lead_not_found")


def can_see(principal: Principal, lead: Lead) -> bool:
    if principal.sees_everything:
        return True
    return principal.has(*STAFF) and principal.department_id in (lead.sender_department_id, lead.receiver_department_id)


def visible_lead(principal: Principal, lead_id: int, *, lock: bool = False) -> Lead:
    stmt = select(Lead).where(Lead.id == lead_id)
    if lock and db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    lead = db.session.execute(stmt).scalar_one_or_none()
    if lead is None or not can_see(principal, lead):
        raise lead_not_found()
    return lead


def receiving_lead(principal: Principal, lead_id: int) -> Lead:
    """A lead the caller's department received; the sender and the office may look but not act."""
    lead = visible_lead(principal, lead_id, lock=True)
    if principal.department_id != lead.receiver_department_id or not principal.has(*STAFF):
        raise Forbidden("只有接收线索的部门可以签收、办理、办结或退回。", code="not_receiver")
    return lead


def is_team_leader(principal: Principal, visit: Visit) -> bool:
    return db.session.execute(select(VisitMember.id).where(
        VisitMember.visit_id == visit.id, VisitMember.user_id == principal.user_id,
        VisitMember.role == "leader", VisitMember.active.is_(True))).first() is not None


def may_author(principal: Principal, visit: Visit, task: InspectionTask, finding_department_id: int | None) -> bool:
    """The reviewer (or department administrator) of the initiating or the finding's department,
    or the visit's team leader, may create leads and rectification orders from its findings."""
    if principal.has(Role.REVIEWER, Role.DEPT_ADMIN) and principal.department_id in (
            task.initiating_department_id, finding_department_id):
        return True
    return principal.has(Role.INSPECTOR) and is_team_leader(principal, visit)


def can_see_order(principal: Principal, order: RectificationOrder, task: InspectionTask) -> bool:
    """Whoever may read the order's task, and the staff of the department that issued it."""
    if may_read_task(principal, task):
        return True
    return principal.has(*STAFF) and principal.department_id == order.department_id


def visible_order(principal: Principal, order_id: int) -> tuple[RectificationOrder, InspectionTask]:
    order = db.session.get(RectificationOrder, order_id)
    task = None
    if order is not None:
        visit = db.session.get(Visit, order.visit_id)
        task = db.session.get(InspectionTask, visit.task_id)
    if order is None or not can_see_order(principal, order, task):
        raise NotFound("整改令不存在。", code="rectification_not_found")
    return order, task

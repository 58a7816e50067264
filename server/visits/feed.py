"""Pull entities for phones: `me`, `task`, `visit`, scoped to the caller's teams."""
from __future__ import annotations

from sqlalchemy import select

from ..draws.models import InspectionTask
from ..extensions import db
from sync.registry import entity
from . import service
from .views import me_entity, task_entity, visit_entity


def load_visits(ids, principal):
    return {v.id: visit_entity(v, principal) for v in service.my_visits(principal, ids)}


def snapshot_visits(principal):
    for v in service.my_visits(principal):
        yield v.id, visit_entity(v, principal)


def _my_task_ids(principal) -> set[int]:
    return service.my_task_ids(principal)


def load_tasks(ids, principal):
    mine = _my_task_ids(principal)
    wanted = [int(i) for i in ids if i.isdigit() and int(i) in mine]
    return {str(t.id): task_entity(t) for t in db.session.execute(select(InspectionTask).where(InspectionTask.id.in_(wanted))).scalars()}


def snapshot_tasks(principal):
    for t in db.session.execute(select(InspectionTask).where(InspectionTask.id.in_(_my_task_ids(principal)))).scalars():
        yield str(t.id), task_entity(t)


def load_me(ids, principal):
    return {str(principal.user_id): me_entity(principal)} if str(principal.user_id) in ids else {}


def snapshot_me(principal):
    yield str(principal.user_id), me_entity(principal)


def register() -> None:
    entity("me", load_me, snapshot_me, order=10)
    entity("task", load_tasks, snapshot_tasks, order=20)
    entity("visit", load_visits, snapshot_visits, order=30)

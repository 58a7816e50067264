"""Pull entities for phones: `me`, `task`, `visit`, scoped to the caller's teams."""
from __future__ import annotations

from sync.registry import entity
from . import service
from .pull_views import task_entities, visit_entities
from .views import me_entity


def load_visits(ids, principal):
    return visit_entities(service.my_visit_rows(principal, ids), principal)


def snapshot_visits(principal):
    yield from visit_entities(service.my_visit_rows(principal), principal).items()


def _my_task_ids(principal) -> set[int]:
    return service.my_task_ids(principal)


def load_tasks(ids, principal):
    mine = _my_task_ids(principal)
    return task_entities(int(i) for i in ids if i.isdigit() and int(i) in mine)


def snapshot_tasks(principal):
    yield from task_entities(_my_task_ids(principal)).items()


def load_me(ids, principal):
    return {str(principal.user_id): me_entity(principal)} if str(principal.user_id) in ids else {}


def snapshot_me(principal):
    yield str(principal.user_id), me_entity(principal)


def register() -> None:
    entity("me", load_me, snapshot_me, order=10)
    entity("task", load_tasks, snapshot_tasks, order=20)
    entity("visit", load_visits, snapshot_visits, order=30)

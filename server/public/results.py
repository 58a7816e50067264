"""Reading published results: the public search, and an object's earlier results for the visit brief."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, func, or_, select

from ..extensions import db
from ..review.models import PublishedResult
from ..types import SHANGHAI


def search(credit_code: str | None = None, name: str | None = None, task_no: str | None = None,
           market_entity: bool | None = None, department_id: int | None = None, limit: int = 100,
           cursor: int | None = None, changed_since: dt.date | None = None) -> tuple[list[PublishedResult], int | None]:
    stmt = select(PublishedResult).order_by(PublishedResult.id.desc())
    if changed_since is not None:
        start = dt.datetime.combine(changed_since, dt.time(), SHANGHAI)
        stmt = stmt.where(or_(PublishedResult.published_at >= start, PublishedResult.revised_at >= start))
    if credit_code:
        stmt = stmt.where(PublishedResult.credit_code == credit_code.strip().upper())
    if name:
        stmt = stmt.where(PublishedResult.object_name.contains(name.strip()))
    if task_no:
        stmt = stmt.where(PublishedResult.task_no == task_no)
    if market_entity is not None:
        stmt = stmt.where(PublishedResult.market_entity.is_(market_entity))
    if department_id is not None:
        stmt = stmt.where(PublishedResult.department_id == department_id)
    if cursor:
        stmt = stmt.where(PublishedResult.id < cursor)
    rows = list(db.session.execute(stmt.limit(limit + 1)).scalars())
    nxt = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], nxt


PREVIOUS_SHOWN = 10


_pr = PublishedResult.__table__.c
_ranked = (select(_pr.object_id, _pr.task_name, _pr.completed_on, _pr.result, _pr.authority,
                  func.row_number().over(partition_by=_pr.object_id,
                                         order_by=(_pr.completed_on.desc(), _pr.id.desc())).label("n"))
           .where(_pr.object_id.in_(bindparam("ids", expanding=True))).subquery())
_PREVIOUS = select(_ranked).where(_ranked.c.n <= PREVIOUS_SHOWN).order_by(_ranked.c.object_id, _ranked.c.n)


def previous_results_of(object_ids) -> dict[int, list[dict]]:
    """For the visit briefs of many objects at once: each object's latest published results
    (up to PREVIOUS_SHOWN, newest first), in one query."""
    ids = list(dict.fromkeys(object_ids))
    out: dict[int, list[dict]] = {i: [] for i in ids}
    if not ids:
        return out
    for r in db.session.execute(_PREVIOUS, {"ids": ids}):
        out[r.object_id].append({"task": r.task_name, "date": r.completed_on.isoformat(), "result": r.result,
                                 "authority": r.authority})
    return out


def previous_results(object_id: int) -> list[dict]:
    """For the visit brief: this object's earlier published results."""
    return previous_results_of([object_id])[object_id]

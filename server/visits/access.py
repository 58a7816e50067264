"""Who may touch a visit: its active team members; a sealed record refuses changes."""
from __future__ import annotations

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import joinedload

from sync import batch

from .models import HandoffMutation, Visit
from ..errors import ApiError, Conflict, Forbidden, NotFound
from ..extensions import db
from ..types import utcnow
from .announce import announce
from .models import VisitRecord


class RecordSealed(Conflict):
    code, title = "record_sealed", "记录已封存"


def member_of(visit: Visit, user_id: int):
    return next((m for m in visit.members if m.active and m.user_id == user_id), None)


def team_visit(principal, visit_id: str, lock: bool = False) -> Visit:
    stmt = db.select(Visit).where(Visit.id == str(visit_id))
    if lock:
        stmt = stmt.with_for_update()
    visit = db.session.execute(stmt).scalar_one_or_none()
    if visit is None or visit.status == "withdrawn":
        raise NotFound("检查任务不存在或已撤回。", code="visit_not_found")
    _require_member(visit, principal)
    return visit


def _require_member(visit: Visit, principal) -> None:
    if member_of(visit, principal.user_id) is None:
        raise Forbidden("您不是该检查组的成员（可能已被调换）。", code="not_in_team")


def refuse_if_sealed(visit: Visit, record: VisitRecord | None = None) -> None:
    """A sealed visit takes no further change (corrections are amendments)."""
    if record is None:
        record = db.session.get(VisitRecord, visit.id)
    if visit.status == "sealed" or (record is not None and record.sealed_at is not None):
        raise RecordSealed("该检查记录已签名封存，不能再修改；如需更正请提交补正说明。")


_LOCKED, _HANDED = "visits.locked", "visits.handed_over"
# The visit locked, with its team, its record and whether any section of it was handed over by QR
# code, in one statement built once (only the visit's row is locked: PostgreSQL refuses FOR UPDATE
# on the nullable side of an outer join).
_VISIT_AND_RECORD = (select(Visit, VisitRecord, exists().where(HandoffMutation.visit_id == Visit.id).label("handed"))
                     .outerjoin(VisitRecord, VisitRecord.visit_id == Visit.id)
                     .where(Visit.id == bindparam("visit_id"))
                     .options(joinedload(Visit.members)).with_for_update(of=Visit))


def locked(visit_id: str) -> tuple[Visit | None, VisitRecord | None]:
    """The visit (None if there is none) and its record (None if not begun), the visit locked until
    the commit. Within a push batch this runs once per visit: the lock holds for the batch, so later
    mutations (and the guards that run before them) reuse what it read."""
    memo = batch.memo(db.session)
    key = (_LOCKED, str(visit_id))
    if memo is not None and key in memo:
        return memo[key]
    row = db.session.execute(_VISIT_AND_RECORD, {"visit_id": str(visit_id)}).unique().first()
    found = (row[0], row[1]) if row is not None else (None, None)
    if memo is not None:
        memo[key] = found
        memo[(_HANDED, str(visit_id))] = bool(row and row[2])
    return found


def handed_over(visit_id: str) -> bool:
    """Whether a member's mutations of the visit reached the server in a handed-over section, as
    `locked` read it in this batch (True when unknown: the caller then looks)."""
    memo = batch.memo(db.session)
    return True if memo is None else memo.get((_HANDED, str(visit_id)), True)


def writable_record(principal, visit_id: str) -> tuple[Visit, VisitRecord]:
    """The visit and its record, refusing if sealed; marks the visit in progress.

    Within a push batch the visit is selected and locked once: later mutations of the batch
    reuse it (sync/batch.py), still checking the caller's place in the team and the seal."""
    memo = batch.memo(db.session)
    key = ("visits.writable", str(visit_id))
    if memo is not None and key in memo:
        visit, record = memo[key]
        _require_member(visit, principal)
        refuse_if_sealed(visit, record)
        return visit, record
    visit, record = locked(visit_id)
    if visit is None or visit.status == "withdrawn":
        raise NotFound("检查任务不存在或已撤回。", code="visit_not_found")
    _require_member(visit, principal)
    if record is None:
        record = VisitRecord(visit_id=visit.id, present=[], version=1)
        db.session.add(record)
        if memo is not None:
            memo[(_LOCKED, str(visit_id))] = (visit, record)
    refuse_if_sealed(visit, record)
    if memo is not None:
        memo[key] = (visit, record)
    if visit.status == "not_started":
        visit.status = "in_progress"
    return visit, record


def touched(visit: Visit, record: VisitRecord) -> None:
    """Bump versions and queue the visit for the team's next pull."""
    record.version += 1
    record.updated_at = utcnow()
    visit.version += 1
    announce(visit)


def ensure(condition: bool, message: str, code: str, status: int = 422) -> None:
    if not condition:
        raise ApiError(message, code=code, status=status, title="不能执行此操作")


def amendment_record(principal, visit_id: str) -> tuple[Visit, VisitRecord]:
    """The visit and its sealed record, for what a team adds with an amendment (a photo)."""
    visit = team_visit(principal, visit_id, lock=True)
    record = db.session.get(VisitRecord, visit.id)
    if record is None or record.sealed_at is None:
        raise Conflict("记录尚未封存，可直接修改，无需补正。", code="not_sealed")
    return visit, record

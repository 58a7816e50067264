"""Searching the directory, and streaming a task's candidate objects to the draw."""
from __future__ import annotations

from typing import Iterator

from sqlalchemy import Row, and_, exists, false, or_, select

from ..errors import Invalid, field_error
from ..extensions import db
from ..identifiers import normalize_code
from .models import InspectionObject, ObjectCredit, ObjectDeptCheck, ObjectSubLibrary, SubLibrary


def _escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def region_clause(column, codes: list[str]):
    """`140900` (a city) covers its counties, `140000` a province; other codes match exactly."""
    parts = []
    for code in codes:
        if code.endswith("0000"):
            parts.append(column.like(code[:2] + "%"))
        elif code.endswith("00"):
            parts.append(column.like(code[:4] + "%"))
        else:
            parts.append(column == code)
    return or_(*parts) if parts else None


def _library_ids(codes: list[str], field: str) -> list[int]:
    rows = dict(db.session.execute(select(SubLibrary.code, SubLibrary.id).where(SubLibrary.code.in_(codes))).all())
    unknown = [c for c in codes if c not in rows]
    if unknown:
        raise Invalid(f"分库“{'、'.join(unknown)}”不存在。", code="sub_library_unknown",
                      errors=[field_error(field, f"不存在的分库代码：{'、'.join(unknown)}")])
    return [rows[c] for c in codes]


def search_stmt(args: dict):
    """SELECT of objects matching the search filters (paged by the caller on `id`)."""
    o = InspectionObject
    stmt = select(o)
    q = (args.get("q") or "").strip()
    if q:
        code = normalize_code(q)
        name_match = o.name.like(f"%{_escape(q)}%", escape="\\")
        stmt = stmt.where(or_(name_match, o.credit_code.like(f"{_escape(code)}%", escape="\\")) if code else name_match)
    if args.get("credit_code"):
        stmt = stmt.where(o.credit_code == normalize_code(args["credit_code"]))
    if args.get("region"):
        stmt = stmt.where(region_clause(o.region_code, [args["region"]]))
    if args.get("object_type"):
        stmt = stmt.where(o.object_type == args["object_type"])
    if args.get("status"):
        stmt = stmt.where(o.registration_status == args["status"])
    if args.get("online") is not None:
        stmt = stmt.where(o.online.is_(args["online"]))
    if args.get("sub_library"):
        (lib_id,) = _library_ids([args["sub_library"]], "sub_library")
        stmt = stmt.where(exists().where(ObjectSubLibrary.object_id == o.id, ObjectSubLibrary.sub_library_id == lib_id))
    risk = args.get("risk_class")
    if risk == "U":
        stmt = stmt.where(~exists().where(ObjectCredit.object_id == o.id, ObjectCredit.risk_class.is_not(None)))
    elif risk:
        stmt = stmt.where(exists().where(ObjectCredit.object_id == o.id, ObjectCredit.risk_class == risk))
    return stmt


SCOPE_COLUMNS = ("id", "credit_code", "name", "object_type", "region_code", "registration_status", "risk_class",
                 "abnormal_list", "serious_violation_list", "complaint_count", "last_checked_on")


def scope_select(scope: dict, department_id: int | None = None, columns: tuple[str, ...] = SCOPE_COLUMNS):
    """The SELECT of a task's scope, ordered by object id, with the named `columns` (any of
    `SCOPE_COLUMNS`; `last_checked_on` is `department_id`'s last check of the object).

    `scope` keys (all optional; empty means no restriction), as in a plan task:
    `sub_libraries` (codes; an object in any of them), `object_types`,
    `regions` (6-digit codes; a city or province code covers its divisions),
    `statuses` (registration statuses included), `online` (True/False/None).
    Unknown sub-library codes are refused here, not when the statement runs.
    """
    o, c, d = InspectionObject.__table__, ObjectCredit.__table__, ObjectDeptCheck.__table__
    dept_join = and_(d.c.object_id == o.c.id, d.c.department_id == department_id) if department_id else false()
    available = {**{name: o.c[name] for name in SCOPE_COLUMNS[:6]},
                 **{name: c.c[name] for name in SCOPE_COLUMNS[6:10]}, "last_checked_on": d.c.last_checked_on}
    stmt = select(*(available[name] for name in columns)).select_from(o)
    if any(available[name].table is c for name in columns):
        stmt = stmt.outerjoin(c, c.c.object_id == o.c.id)
    if "last_checked_on" in columns:
        stmt = stmt.outerjoin(d, dept_join)
    stmt = stmt.order_by(o.c.id)
    if scope.get("sub_libraries"):
        m = ObjectSubLibrary.__table__
        ids = _library_ids(list(scope["sub_libraries"]), "scope.sub_libraries")
        stmt = stmt.where(exists().where(m.c.object_id == o.c.id, m.c.sub_library_id.in_(ids)))
    if scope.get("object_types"):
        stmt = stmt.where(o.c.object_type.in_(list(scope["object_types"])))
    if scope.get("regions"):
        stmt = stmt.where(region_clause(o.c.region_code, list(scope["regions"])))
    if scope.get("statuses"):
        stmt = stmt.where(o.c.registration_status.in_(list(scope["statuses"])))
    if scope.get("online") is not None:
        stmt = stmt.where(o.c.online.is_(bool(scope["online"])))
    return stmt


def objects_in_scope(scope: dict, department_id: int | None = None, *, batch: int = 10_000) -> Iterator[Row]:
    """Stream the objects of a task's scope (see `scope_select`) as light rows, ordered by id.

    Each row: (id, credit_code, name, object_type, region_code,
    registration_status, risk_class, abnormal_list, serious_violation_list,
    complaint_count, last_checked_on) — the last one for `department_id`
    (None if that department never checked the object, or no department given).
    One SELECT, fetched in batches from a server-side cursor: no ORM objects.
    """
    return _stream(scope_select(scope, department_id), batch)  # the checks run now, not at the first next()


def _stream(stmt, batch: int) -> Iterator[Row]:
    result = db.session.execute(stmt, execution_options={"yield_per": batch})
    try:
        yield from result
    finally:
        result.close()

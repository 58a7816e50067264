"""What other features ask of the inspector directory (the draw above all).

- `eligibility_pool(...)`: the rows the draw freezes and hashes for `dsr-team-v2` matching;
- `lenders_for(...)`: the same-industry departments a department may borrow from (Art. 17);
- `usable_agreement(...)`: the consented same-field agreement a draw may use, or `Invalid`;
- `inspector_for_user(...)`: the directory record behind a login.

Managing the directory lives in `directory`, `declarations` and `borrowing`.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from ..accounts.models import Department
from ..errors import Invalid
from ..extensions import db
from ..types import local_today
from .borrowing import lenders_for, usable_agreement
from .models import ConflictDeclaration, Inspector, InspectorUnavailability

__all__ = ["eligibility_pool", "lenders_for", "usable_agreement", "inspector_for_user"]


def _certified(is_expert: bool, valid_from: dt.date | None, valid_until: dt.date | None,
               start: dt.date, end: dt.date) -> bool:
    """Staff must hold an enforcement certificate valid on every day of start..end (Art. 20:
    inspectors show their credentials). External experts join checks without one (Art. 10)."""
    if is_expert:
        return True
    return valid_from is not None and valid_until is not None and valid_from <= start and valid_until >= end


def eligibility_pool(department_ids: list[int], window_start: dt.date, window_end: dt.date, *,
                     include_experts: bool = False, on: dt.date | None = None) -> list[dict]:
    """The inspector pool of `department_ids` for a check window, as plain JSON-ready rows.

    One row per inspector of those departments (deactivated ones included, marked inactive),
    ordered by id; external experts only when `include_experts` (a plan must allow them)::

        {"id": 17, "department": "scjg", "qualifications": ["广告监管", "食品安全执法"],
         "active": True, "available": True,
         "conflicts": {"object_ids": [1203], "credit_codes": ["91140902MA0K3Q7R2N"]},
         "is_expert": False}

    `on` is the day the pool is frozen (default: today in Asia/Shanghai). Days of the window
    before `on` are past, so only the effective window `max(window_start, on)..window_end`
    (inclusive) counts:

    - `active`: the inspector's active flag, and (staff only) an enforcement certificate valid
      on every day of the effective window;
    - `available`: no unavailable period (leave, training, …) overlaps the effective window;
    - `conflicts`: object ids and credit codes of declarations not withdrawn whose validity
      overlaps the effective window (sorted; credit codes normalised). Mapping credit codes to
      the draw's candidates is the caller's business.

    Integers, strings, booleans and lists only (no floats), so the rows can be hashed as
    RFC 8785 JSON. For the same data and arguments the result is identical. Raises `Invalid`
    when the window is reversed or already over on `on`. Unknown department ids add nothing.
    """
    if window_end < window_start:
        raise Invalid("检查时间窗口的结束日期早于开始日期。", code="window_reversed")
    on = on or local_today()
    start = max(window_start, on)
    if start > window_end:
        raise Invalid(f"检查时间窗口已于{window_end.isoformat()}结束，不能据此匹配执法检查人员。", code="window_ended")
    ids = sorted({int(d) for d in department_ids})
    if not ids:
        return []
    in_scope = Inspector.department_id.in_(ids)
    if not include_experts:
        in_scope = in_scope & Inspector.is_expert.is_(False)
    rows = db.session.execute(
        select(Inspector.id, Department.code, Inspector.qualification_tags, Inspector.active, Inspector.is_expert,
               Inspector.cert_valid_from, Inspector.cert_valid_until)
        .join(Department, Department.id == Inspector.department_id).where(in_scope).order_by(Inspector.id)).all()
    u = InspectorUnavailability
    away = set(db.session.execute(
        select(u.inspector_id).join(Inspector, Inspector.id == u.inspector_id)
        .where(in_scope, u.start_date <= window_end, u.end_date >= start).distinct()).scalars())
    c = ConflictDeclaration
    declared: dict[int, tuple[set, set]] = {}
    for inspector_id, object_id, credit_code in db.session.execute(
            select(c.inspector_id, c.object_id, c.credit_code).join(Inspector, Inspector.id == c.inspector_id)
            .where(in_scope, c.withdrawn_at.is_(None), c.valid_from <= window_end,
                   c.valid_until.is_(None) | (c.valid_until >= start))):
        objects, codes = declared.setdefault(inspector_id, (set(), set()))
        if object_id is not None:
            objects.add(int(object_id))
        if credit_code:
            codes.add(credit_code)
    pool = []
    for r in rows:
        objects, codes = declared.get(r.id, ((), ()))
        pool.append({
            "id": r.id,
            "department": r.code,
            "qualifications": sorted({t for t in (r.qualification_tags or []) if isinstance(t, str)}),
            "active": bool(r.active) and _certified(r.is_expert, r.cert_valid_from, r.cert_valid_until, start, window_end),
            "available": r.id not in away,
            "conflicts": {"object_ids": sorted(objects), "credit_codes": sorted(codes)},
            "is_expert": bool(r.is_expert),
        })
    return pool


def inspector_for_user(user_id: int) -> Inspector | None:
    """The directory record linked to this account, or None (not every user inspects)."""
    return db.session.execute(select(Inspector).where(Inspector.user_id == user_id)).scalar_one_or_none()

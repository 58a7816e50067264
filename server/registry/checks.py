"""Check history per object (Art. 16 weighs objects by the years since each department's last check).

`record_entry` is what result entry calls: one row per object × department × check item with the
day the check ended on site and the entered result codes, and the department's "last checked" date
(`object_dept_checks`, which the draw reads) moved forward. `revise_entry` follows a later change of
the entered codes (a rectification found done). `latest_checks` is what staff see on the object.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import select

from ..accounts.models import Department
from ..audit import service as audit
from ..extensions import db
from ..types import utcnow
from .models import ObjectCheck
from .service import record_check


def record_entry(object_id: int, department_id: int, visit_id: str, checked_on: dt.date,
                 item_codes: list[str], result_codes: list[str]) -> None:
    """A department entered its result of a check of the object: write its items' history rows
    (idempotent per visit, department and item) and move its last-checked date forward."""
    existing = {c.item_code: c for c in db.session.execute(select(ObjectCheck).where(
        ObjectCheck.visit_id == visit_id, ObjectCheck.department_id == department_id)).scalars()}
    for code in item_codes:
        row = existing.get(code)
        if row is None:
            db.session.add(ObjectCheck(object_id=object_id, department_id=department_id, item_code=code,
                                       checked_on=checked_on, result_codes=list(result_codes), visit_id=visit_id,
                                       recorded_at=utcnow()))
        else:
            row.checked_on, row.result_codes = checked_on, list(result_codes)
    audit.record(db.session, "registry.object.check_history", "object", object_id,
                 {"department_id": department_id, "visit_id": visit_id, "checked_on": checked_on.isoformat(),
                  "items": list(item_codes), "result_codes": list(result_codes)})
    record_check(object_id, department_id, checked_on)


def revise_entry(visit_id: str, department_id: int, result_codes: list[str]) -> None:
    """The department's entered codes changed after entry: its history rows follow."""
    for row in db.session.execute(select(ObjectCheck).where(
            ObjectCheck.visit_id == visit_id, ObjectCheck.department_id == department_id)).scalars():
        row.result_codes = list(result_codes)


def latest_checks(object_ids: list[int]) -> dict[int, list[dict]]:
    """Per object: the last check of each department × item, with its result codes."""
    out: dict[int, list[dict]] = defaultdict(list)
    if not object_ids:
        return out
    codes = dict(db.session.execute(select(Department.id, Department.code)).all())
    latest: dict[tuple, ObjectCheck] = {}
    for c in db.session.execute(select(ObjectCheck).where(ObjectCheck.object_id.in_(object_ids))
                                .order_by(ObjectCheck.checked_on, ObjectCheck.id)).scalars():
        latest[(c.object_id, c.department_id, c.item_code)] = c  # later rows win
    for (object_id, dept, item), c in sorted(latest.items(), key=lambda kv: (kv[0][0], codes.get(kv[0][1], ""), kv[0][2])):
        out[object_id].append({"department": codes.get(dept), "item_code": item, "last_checked_on": c.checked_on,
                               "result_codes": list(c.result_codes or []), "visit_id": c.visit_id})
    return out

"""What the API shows of objects: the brief for everyone who may read, credit data for staff.

Views are built from explicit column lists, so a new column never leaks by
default; the ID number appears only masked.
"""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from ..extensions import db
from ..identifiers import division_name
from .checks import latest_checks
from .models import (
    OBJECT_TYPES, REGISTRATION_STATUSES, RISK_CLASSES, InspectionObject, ObjectCredit, ObjectDeptCheck,
    ObjectSubLibrary, SubLibrary,
)

BRIEF_FIELDS = ("id", "object_type", "name", "credit_code", "credit_code_override", "legal_rep_name",
                "legal_rep_id_masked", "phone", "registered_address", "business_address", "region_code", "industry",
                "registration_status", "online", "shop_url", "created_at", "updated_at", "version")


def object_views(objs: list[InspectionObject], *, with_credit: bool) -> list[dict]:
    """Views of a page of objects (five extra queries at most, whatever the page size)."""
    ids = [o.id for o in objs]
    libs: dict[int, list[dict]] = defaultdict(list)
    if ids:
        rows = db.session.execute(
            select(ObjectSubLibrary.object_id, SubLibrary.id, SubLibrary.code, SubLibrary.name, SubLibrary.department_id)
            .join(SubLibrary, SubLibrary.id == ObjectSubLibrary.sub_library_id)
            .where(ObjectSubLibrary.object_id.in_(ids)).order_by(SubLibrary.code))
        for object_id, lib_id, code, name, dept in rows:
            libs[object_id].append({"id": lib_id, "code": code, "name": name, "department_id": dept})
    credits: dict[int, ObjectCredit] = {}
    checks: dict[int, list[dict]] = defaultdict(list)
    history: dict[int, list[dict]] = {}
    if with_credit and ids:
        credits = {c.object_id: c for c in db.session.execute(
            select(ObjectCredit).where(ObjectCredit.object_id.in_(ids))).scalars()}
        for chk in db.session.execute(select(ObjectDeptCheck).where(ObjectDeptCheck.object_id.in_(ids))
                                      .order_by(ObjectDeptCheck.department_id)).scalars():
            checks[chk.object_id].append({"department_id": chk.department_id, "last_checked_on": chk.last_checked_on})
        history = latest_checks(ids)
    out = []
    for o in objs:
        view = {k: getattr(o, k) for k in BRIEF_FIELDS}
        view["object_type_label"] = OBJECT_TYPES.get(o.object_type)
        view["registration_status_label"] = REGISTRATION_STATUSES.get(o.registration_status)
        view["region_name"] = division_name(o.region_code)
        view["sub_libraries"] = libs.get(o.id, [])
        if with_credit:
            c = credits.get(o.id)
            view["credit"] = {
                "risk_class": c.risk_class if c else None,
                "risk_class_label": RISK_CLASSES.get(c.risk_class) if c and c.risk_class else "未分类",
                "abnormal_list": bool(c and c.abnormal_list),
                "serious_violation_list": bool(c and c.serious_violation_list),
                "complaint_count": c.complaint_count if c else 0,
                "updated_at": c.updated_at if c else None,
            }
            view["last_checks"] = checks.get(o.id, [])
            view["checks"] = history.get(o.id, [])
        out.append(view)
    return out


def object_view(obj: InspectionObject, *, with_credit: bool) -> dict:
    return object_views([obj], with_credit=with_credit)[0]

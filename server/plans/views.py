"""Shaping plans for the API and the public page."""
from __future__ import annotations

from ..accounts.models import Department
from ..catalog.models import CheckItem, CheckItemVersion
from ..extensions import db
from sqlalchemy import select

from .models import STATUSES, Plan, PlanTask, PlanVersion
from .service import latest, version_of
from .validation import submission_deadline
from ..types import local_today


def _dept_name(dept_id: int) -> str:
    d = db.session.get(Department, dept_id)
    return d.name if d else ""


def task_view(task: PlanTask, plan: Plan) -> dict:
    items = []
    for i in task.items:
        v = db.session.execute(select(CheckItemVersion).where(
            CheckItemVersion.item_id == i.item_id, CheckItemVersion.version == i.item_version)).scalar_one()
        items.append({"role": i.role, "item_id": i.item_id, "item_code": db.session.get(CheckItem, i.item_id).code,
                      "version": i.item_version, "name": v.name, "level": v.level, "department_id": i.department_id,
                      "department_name": _dept_name(i.department_id)})
    body = {f: getattr(task, f) for f in ("id", "code", "name", "check_type", "scope", "ratios", "zero_ratio_reasons",
                                         "weight_rule", "exclusions", "min_team_size", "per_inspector_cap",
                                         "allow_experts", "window_start", "window_end", "participating_department_ids",
                                         "note")}
    body["items"] = items
    body["default_method"] = task.default_method or "onsite"
    body["initiating_department_id"] = plan.department_id
    return body


def version_view(v: PlanVersion) -> dict:
    body = {f: getattr(v, f) for f in ("version", "status", "adjustment_reason", "content_sha256", "late",
                                      "submitted_at", "aggregated_at", "approved_at", "approval_ref", "published_at",
                                      "returned_reason")}
    body["status_label"] = STATUSES[v.status]
    body["tasks"] = [task_view(t, v.plan) for t in v.tasks]
    return body


def plan_view(plan: Plan, version: int | None = None, warnings: list[str] | None = None) -> dict:
    v = version_of(plan, version) if version else latest(plan)
    warnings = list(warnings or [])
    if v.status == "draft" and v.version == 1 and local_today() > submission_deadline(plan.year):
        warnings.append(f"已超过 {plan.year} 年 1 月 31 日的报送期限，报送后将记为逾期。")
    return {
        "id": plan.id, "code": plan.code, "year": plan.year, "title": plan.title, "department_id": plan.department_id,
        "department_name": _dept_name(plan.department_id), "current_version": plan.current_version,
        "published_version": plan.published_version,
        "versions": [{"version": x.version, "status": x.status, "status_label": STATUSES[x.status],
                      "adjustment_reason": x.adjustment_reason} for x in plan.versions],
        "current": version_view(v),
        "warnings": warnings,
    }


def public_plan_view(plan: Plan) -> dict:
    """What anyone may read: the published version, without internal fields."""
    v = version_of(plan, plan.published_version)
    tasks = []
    for t in v.tasks:
        tv = task_view(t, plan)
        tasks.append({
            "code": t.code, "name": t.name, "check_type": t.check_type,
            "items": [{k: i[k] for k in ("role", "item_code", "version", "name", "level", "department_name")}
                      for i in tv["items"]],
            "initiating_department": _dept_name(plan.department_id),
            "participating_departments": [_dept_name(d) for d in t.participating_department_ids or []],
            "object_types": t.scope.get("object_types", []), "sub_libraries": t.scope.get("sub_libraries", []),
            "regions": t.scope.get("regions", []), "ratios": t.ratios,
            "window_start": t.window_start.isoformat(), "window_end": t.window_end.isoformat(),
        })
    return {"code": plan.code, "year": plan.year, "title": plan.title, "department": _dept_name(plan.department_id),
            "version": v.version, "published_at": v.published_at.isoformat() if v.published_at else None,
            "adjustments": [{"version": x.version, "reason": x.adjustment_reason} for x in plan.versions
                            if x.adjustment_reason and x.status in ("published", "superseded")],
            "tasks": tasks}

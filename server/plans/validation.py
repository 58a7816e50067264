"""Rules a plan task must satisfy (Art. 9, 12, 13, 16, 20)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ..accounts.models import Department
from ..catalog.models import METHOD_LABELS, CheckItem, CheckItemVersion
from ..catalog.service import ratio_within_max
from ..errors import Invalid, field_error
from ..extensions import db
from sqlalchemy import select

from .models import STRATA


def _version(item_id: int, version: int) -> tuple[CheckItem | None, CheckItemVersion | None]:
    item = db.session.get(CheckItem, item_id)
    if item is None:
        return None, None
    v = db.session.execute(select(CheckItemVersion).where(
        CheckItemVersion.item_id == item_id, CheckItemVersion.version == version)).scalar_one_or_none()
    return item, v


def resolve_items(data: dict, initiating_dept_id: int, year: int) -> tuple[list[tuple[str, CheckItem, CheckItemVersion]], list[dict]]:
    """Check the "1+X" items and return (role, item, version) plus field errors."""
    errors: list[dict] = []
    resolved = []
    refs = [("main", "main_item", data["main_item"])] + [("x", f"x_items.{i}", r) for i, r in enumerate(data.get("x_items") or [])]
    seen = set()
    for role, field, ref in refs:
        item, v = _version(ref["item_id"], ref["version"])
        if item is None:
            errors.append(field_error(f"{field}.item_id", "抽查事项不存在。"))
            continue
        if v is None:
            errors.append(field_error(f"{field}.version", f"抽查事项“{item.code}”没有第 {ref['version']} 版。"))
            continue
        if item.id in seen:
            errors.append(field_error(f"{field}.item_id", f"抽查事项“{v.name}”重复。"))
            continue
        seen.add(item.id)
        if item.retired_at is not None:
            errors.append(field_error(f"{field}.item_id", f"抽查事项“{v.name}”已停用。"))
        if role == "main" and item.department_id != initiating_dept_id:
            errors.append(field_error(f"{field}.item_id", f"主事项“{v.name}”须为发起部门本部门的事项（“1+X”中的“1”）。"))
        resolved.append((role, item, v))
    return resolved, errors


def validate_task(data: dict, initiating_dept_id: int, year: int) -> list[tuple[str, CheckItem, CheckItemVersion]]:
    """Raise Invalid listing every problem; return the resolved items when valid."""
    resolved, errors = resolve_items(data, initiating_dept_id, year)

    participating = list(dict.fromkeys(data.get("participating_department_ids") or []))
    for i, dept_id in enumerate(participating):
        if dept_id == initiating_dept_id:
            errors.append(field_error(f"participating_department_ids.{i}", "发起部门不必列为参与部门。"))
        elif db.session.get(Department, dept_id) is None:
            errors.append(field_error(f"participating_department_ids.{i}", "部门不存在。"))
    x_depts = {item.department_id for role, item, _ in resolved if role == "x"}
    for role, item, v in resolved:
        if role == "x" and item.department_id not in participating and item.department_id != initiating_dept_id:
            errors.append(field_error("x_items", f"事项“{v.name}”所属部门未列为参与部门：参与部门须拥有其“X”事项。"))
    for dept_id in participating:
        if dept_id != initiating_dept_id and dept_id not in x_depts:
            dept = db.session.get(Department, dept_id)
            if dept is not None:
                errors.append(field_error("participating_department_ids", f"参与部门“{dept.name}”在本任务中没有检查事项。"))

    ratios = data["ratios"]
    reasons = data.get("zero_ratio_reasons") or {}
    for s in STRATA:
        if s in ratios and Decimal(ratios[s]) == 0 and not reasons.get(s):
            errors.append(field_error(f"ratios.{s}", f"{s} 类比例为 0 时须说明理由（比例不会被默认设为 0）。"))
    for role, item, v in resolved:
        for s in STRATA:
            if s in ratios and not ratio_within_max(v, ratios[s]):
                errors.append(field_error(f"ratios.{s}", f"一般检查事项“{v.name}”的最高抽查比例为 {v.max_ratio}，{s} 类比例 {ratios[s]} 超过上限。"))

    method = data.get("default_method") or "onsite"
    for role, item, v in resolved:
        if role == "main" and method != "onsite" and method not in (v.methods or []):
            errors.append(field_error("default_method", f"主事项“{v.name}”的检查方式不包括“{METHOD_LABELS[method]}”。"))

    scope_types = set(data["scope"]["object_types"])
    for role, item, v in resolved:
        if not scope_types & set(v.object_types):
            errors.append(field_error("scope.object_types", f"事项“{v.name}”不适用于所选的对象类型。"))

    start, end = data["window_start"], data["window_end"]
    if start.year != year or end.year != year:
        errors.append(field_error("window_start", f"检查时间安排须在计划年度 {year} 年内。"))
    if end < start:
        errors.append(field_error("window_end", "结束日期早于开始日期。"))

    if errors:
        raise Invalid("任务内容未通过校验，请按各字段说明修改。", code="task_invalid", errors=errors)
    return resolved


def submission_deadline(year: int) -> dt.date:
    """Plans are proposed by the end of January of the plan year (Art. 13)."""
    return dt.date(year, 1, 31)

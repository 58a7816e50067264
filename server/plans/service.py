"""Plan workflow: draft → submitted → aggregated → approved → published; adjustments."""
from __future__ import annotations

from sqlalchemy import select

from ..accounts.auth import Principal
from ..accounts.models import Department, Role
from ..audit import service as audit
from ..canonical import jcs_sha256
from ..errors import Conflict, Invalid, NotFound
from ..extensions import db
from ..types import local_today, utcnow
from .models import STATUSES, Plan, PlanTask, PlanTaskItem, PlanVersion
from .validation import submission_deadline, validate_task

TASK_FIELDS = ("name", "check_type", "scope", "ratios", "zero_ratio_reasons", "weight_rule", "exclusions",
               "min_team_size", "per_inspector_cap", "allow_experts", "window_start", "window_end",
               "participating_department_ids", "note")


# --- visibility --------------------------------------------------------------

def _participates(plan: Plan, dept_id: int) -> bool:
    for v in plan.versions:
        for t in v.tasks:
            if dept_id in (t.participating_department_ids or []):
                return True
    return False


def can_read(principal: Principal, plan: Plan) -> bool:
    """Own department, departments taking part in its joint tasks, the office and auditors."""
    if principal.sees_everything:
        return True
    if not principal.has(Role.DEPT_ADMIN, Role.DEPT_LEADER, Role.REVIEWER):
        return False
    return plan.department_id == principal.department_id or _participates(plan, principal.department_id)


def get_plan(principal: Principal, plan_id: int) -> Plan:
    plan = db.session.get(Plan, plan_id)
    if plan is None or not can_read(principal, plan):
        raise NotFound("计划不存在。", code="plan_not_found")
    return plan


def _own_plan(principal: Principal, plan_id: int) -> Plan:
    plan = get_plan(principal, plan_id)
    if not (principal.has(Role.DEPT_ADMIN) and plan.department_id == principal.department_id):
        raise NotFound("计划不存在。", code="plan_not_found")
    return plan


def list_plans(principal: Principal, year: int | None, department_id: int | None) -> list[Plan]:
    stmt = select(Plan).order_by(Plan.year.desc(), Plan.id)
    if year:
        stmt = stmt.where(Plan.year == year)
    if department_id:
        stmt = stmt.where(Plan.department_id == department_id)
    return [p for p in db.session.execute(stmt).scalars() if can_read(principal, p)]


def latest(plan: Plan) -> PlanVersion:
    return next(v for v in plan.versions if v.version == plan.current_version)


def version_of(plan: Plan, number: int) -> PlanVersion:
    for v in plan.versions:
        if v.version == number:
            return v
    raise NotFound(f"计划第 {number} 版不存在。", code="plan_version_not_found")


# --- drafting ------------------------------------------------------------------

def create_plan(principal: Principal, data: dict) -> Plan:
    dept = db.session.get(Department, principal.department_id)
    code = data.get("code") or f"{data['year']}-{dept.code.upper()}-{_next_seq(dept.id, data['year']):02d}"
    if db.session.execute(select(Plan.id).where(Plan.code == code)).first():
        raise Conflict(f"计划编号“{code}”已存在。", code="plan_code_taken")
    if db.session.execute(select(Plan.id).where(Plan.department_id == dept.id, Plan.year == data["year"],
                                                Plan.title == data["title"])).first():
        raise Conflict("本部门同年度已有同名计划。", code="plan_exists")
    plan = Plan(code=code, department_id=dept.id, year=data["year"], title=data["title"], current_version=1,
                created_by=principal.user_id)
    plan.versions = [PlanVersion(version=1, status="draft", created_by=principal.user_id)]
    db.session.add(plan)
    db.session.flush()
    audit.record(db.session, "plan.create", "plan", plan.id, {"code": code, "year": plan.year, "title": plan.title})
    return plan


def _next_seq(dept_id: int, year: int) -> int:
    return len(db.session.execute(select(Plan.id).where(Plan.department_id == dept_id, Plan.year == year)).all()) + 1


def _draft(plan: Plan) -> PlanVersion:
    v = latest(plan)
    if v.status != "draft":
        raise Conflict(f"计划当前版本为“{STATUSES[v.status]}”状态，不能修改；如需调整请发起计划调整。",
                       code="plan_not_draft")
    return v


def _apply_task(task: PlanTask, data: dict, resolved) -> None:
    for f in TASK_FIELDS:
        setattr(task, f, data.get(f))
    task.participating_department_ids = sorted(set(data.get("participating_department_ids") or []))
    task.default_method = None if data.get("default_method", "onsite") == "onsite" else data["default_method"]
    task.items = [PlanTaskItem(position=i, role=role, item_id=item.id, item_version=v.version,
                               department_id=item.department_id) for i, (role, item, v) in enumerate(resolved)]


def put_task(principal: Principal, plan_id: int, data: dict) -> PlanTask:
    """Add or replace (by code) a task in the draft version."""
    plan = _own_plan(principal, plan_id)
    version = _draft(plan)
    resolved = validate_task(data, plan.department_id, plan.year)
    task = next((t for t in version.tasks if t.code == data["code"]), None)
    action = "plan.task_update" if task else "plan.task_add"
    if task is None:
        task = PlanTask(code=data["code"])
        version.tasks.append(task)
    _apply_task(task, data, resolved)
    db.session.flush()
    audit.record(db.session, action, "plan", plan.id, {"version": version.version, "task": task_content(task)})
    return task


def delete_task(principal: Principal, plan_id: int, code: str) -> None:
    plan = _own_plan(principal, plan_id)
    version = _draft(plan)
    task = next((t for t in version.tasks if t.code == code), None)
    if task is None:
        raise NotFound("任务不存在。", code="task_not_found")
    version.tasks.remove(task)
    audit.record(db.session, "plan.task_delete", "plan", plan.id, {"version": version.version, "task": code})


def task_content(task: PlanTask) -> dict:
    """Canonical content of a task (JSON-safe, used for hashes and diffs)."""
    body = {f: getattr(task, f) for f in TASK_FIELDS}
    body["window_start"] = task.window_start.isoformat()
    body["window_end"] = task.window_end.isoformat()
    body["items"] = [{"role": i.role, "item_id": i.item_id, "version": i.item_version, "department_id": i.department_id}
                     for i in task.items]
    body["code"] = task.code
    # Only when not on-site: versions hashed before methods were chosen keep their hash.
    if task.default_method:
        body["default_method"] = task.default_method
    return body


def version_content(v: PlanVersion) -> dict:
    plan = v.plan
    return {"plan": plan.code, "year": plan.year, "title": plan.title, "department_id": plan.department_id,
            "version": v.version, "tasks": [task_content(t) for t in v.tasks]}


# --- workflow ----------------------------------------------------------------

def submit(principal: Principal, plan_id: int) -> tuple[Plan, list[str]]:
    """The department reports its plan to the office; late after January (warned, not refused)."""
    plan = _own_plan(principal, plan_id)
    v = _draft(plan)
    if not v.tasks:
        raise Invalid("计划至少包含一项联合抽查任务。", code="plan_empty")
    for t in v.tasks:  # items may have been retired since the task was saved
        validate_task(task_content_for_validation(t), plan.department_id, plan.year)
    v.status = "submitted"
    v.submitted_at = utcnow()
    v.submitted_by = principal.user_id
    v.returned_reason = None
    v.content_sha256 = jcs_sha256(version_content(v))
    warnings = []
    deadline = submission_deadline(plan.year)
    if v.version == 1 and local_today() > deadline:
        v.late = True
        warnings.append(f"已超过报送期限（{plan.year} 年 1 月 31 日前），本次报送记为逾期。")
    audit.record(db.session, "plan.submit", "plan", plan.id,
                 {"version": v.version, "content_sha256": v.content_sha256, "late": v.late})
    return plan, warnings


def task_content_for_validation(t: PlanTask) -> dict:
    main = next(i for i in t.items if i.role == "main")
    return {**{f: getattr(t, f) for f in TASK_FIELDS}, "code": t.code,
            "main_item": {"item_id": main.item_id, "version": main.item_version},
            "x_items": [{"item_id": i.item_id, "version": i.item_version} for i in t.items if i.role == "x"]}


def _office_step(principal: Principal, plan_id: int, expected: str, new: str, action: str, **fields) -> Plan:
    plan = db.session.get(Plan, plan_id)
    if plan is None:
        raise NotFound("计划不存在。", code="plan_not_found")
    v = latest(plan)
    if v.status != expected:
        raise Conflict(f"计划当前为“{STATUSES[v.status]}”状态，不能执行此操作（需要“{STATUSES[expected]}”）。",
                       code="plan_wrong_state", extra={"plan_status": v.status})
    v.status = new
    now = utcnow()
    stamp = {"aggregated": ("aggregated_at", "aggregated_by"), "approved": ("approved_at", "approved_by"),
             "published": ("published_at", "published_by")}[new]
    setattr(v, stamp[0], now)
    setattr(v, stamp[1], principal.user_id)
    for k, val in fields.items():
        setattr(v, k, val)
    if new == "published":
        for old in plan.versions:
            if old.version != v.version and old.status == "published":
                old.status = "superseded"
        plan.published_version = v.version
    audit.record(db.session, action, "plan", plan.id, {"version": v.version, "content_sha256": v.content_sha256, **fields})
    return plan


def aggregate(principal: Principal, plan_id: int) -> Plan:
    return _office_step(principal, plan_id, "submitted", "aggregated", "plan.aggregate")


def approve(principal: Principal, plan_id: int, approval_ref: str) -> Plan:
    return _office_step(principal, plan_id, "aggregated", "approved", "plan.approve", approval_ref=approval_ref)


def publish(principal: Principal, plan_id: int) -> Plan:
    return _office_step(principal, plan_id, "approved", "published", "plan.publish")


def return_plan(principal: Principal, plan_id: int, reason: str) -> Plan:
    """The office sends a submitted plan back to its department for changes."""
    plan = db.session.get(Plan, plan_id)
    if plan is None:
        raise NotFound("计划不存在。", code="plan_not_found")
    v = latest(plan)
    if v.status not in ("submitted", "aggregated"):
        raise Conflict("只有已报送或已汇总的计划可以退回。", code="plan_wrong_state", extra={"plan_status": v.status})
    v.status = "draft"
    v.returned_reason = reason
    audit.record(db.session, "plan.return", "plan", plan.id, {"version": v.version, "reason": reason})
    return plan


def adjust(principal: Principal, plan_id: int, reason: str) -> Plan:
    """After approval, a change is a new version with a reason, filed and approved again."""
    plan = _own_plan(principal, plan_id)
    current = latest(plan)
    if current.status not in ("approved", "published"):
        raise Conflict("只有已审定或已公开的计划需要通过“调整”修改；草拟中的计划可直接修改。",
                       code="plan_wrong_state", extra={"status": current.status})
    number = plan.current_version + 1
    new = PlanVersion(version=number, status="draft", adjustment_reason=reason, created_by=principal.user_id)
    for t in current.tasks:
        copy = PlanTask(code=t.code, default_method=t.default_method, **{f: getattr(t, f) for f in TASK_FIELDS})
        copy.items = [PlanTaskItem(position=i.position, role=i.role, item_id=i.item_id, item_version=i.item_version,
                                   department_id=i.department_id) for i in t.items]
        new.tasks.append(copy)
    plan.versions.append(new)
    plan.current_version = number
    db.session.flush()
    audit.record(db.session, "plan.adjust", "plan", plan.id, {"version": number, "from_version": current.version,
                                                               "reason": reason})
    return plan


def diff(plan: Plan, base: int, target: int) -> dict:
    """Task-by-task, field-by-field differences between two versions."""
    a = {t["code"]: t for t in version_content(version_of(plan, base))["tasks"]}
    b = {t["code"]: t for t in version_content(version_of(plan, target))["tasks"]}
    changed = {}
    for code in sorted(set(a) & set(b)):
        fields = {k: {"from": a[code].get(k), "to": b[code].get(k)} for k in sorted(set(a[code]) | set(b[code]))
                  if a[code].get(k) != b[code].get(k)}
        if fields:
            changed[code] = fields
    return {"base": base, "target": target, "added": sorted(set(b) - set(a)), "removed": sorted(set(a) - set(b)),
            "changed": changed}


def published_task(task_id: int) -> PlanTask:
    """A task of a published (or approved) version: what a draw may launch."""
    task = db.session.get(PlanTask, task_id)
    if task is None or task.plan_version.status not in ("approved", "published"):
        raise NotFound("任务不存在或所属计划尚未审定。", code="task_not_found")
    return task

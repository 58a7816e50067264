"""Keeping the directory: create, change, deactivate and search inspectors.

Every function that takes a `Principal` checks it; `None` means the command line or the demo
loader, which may do anything. Changes are audited; nothing is committed here.
"""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import Select, and_, exists, func, literal, or_, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError

from ..accounts.auth import Principal
from ..accounts.models import Department, Role, User
from ..audit import service as audit
from ..errors import Conflict, Forbidden, Invalid, field_error
from ..extensions import db
from ..identifiers import mask_phone, normalize_code
from ..types import local_today
from .access import DEPT_READERS, existing_inspector, manages_department, managed_inspector
from .models import EXPERT_ORG_TYPES, KINDS, Inspector, InspectorUnavailability

CERT_NO = re.compile(r"^[0-9A-Z-]{6,32}$")
PHONE = re.compile(r"^[0-9+\- ]{5,32}$")
MAX_TAGS = 30
EDITABLE = ("name", "phone", "department_id", "user_id", "cert_no", "cert_valid_from", "cert_valid_until", "post",
            "kind", "is_expert", "expert_org", "expert_org_type", "qualification_tags", "expertise_tags")


def _iso(value):
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


def inspector_view(insp: Inspector) -> dict:
    """What the audit log keeps of an inspector (phone masked: the log is kept for ever)."""
    out = {key: _iso(getattr(insp, key)) for key in EDITABLE if key != "phone"}
    out["phone"] = mask_phone(insp.phone) if insp.phone else None
    out["active"] = insp.active
    return out


def clean_tags(values, field: str) -> list[str]:
    """Trimmed, de-duplicated, sorted tags; unknown tags are welcome, blank ones are not."""
    out = set()
    for value in values or []:
        tag = value.strip() if isinstance(value, str) else ""
        if not tag:
            raise Invalid("标签不能为空白。", code="blank_tag", errors=[field_error(field, "标签不能为空白。")])
        if len(tag) > 64:
            raise Invalid("标签不能超过 64 个字。", code="tag_too_long", errors=[field_error(field, "标签不能超过 64 个字。")])
        out.add(tag)
    if len(out) > MAX_TAGS:
        raise Invalid(f"标签不能超过 {MAX_TAGS} 个。", code="too_many_tags", errors=[field_error(field, f"标签不能超过 {MAX_TAGS} 个。")])
    return sorted(out)


def _normalise(data: dict) -> dict:
    data = dict(data)
    for key in ("name", "post", "expert_org", "phone"):
        if isinstance(data.get(key), str):
            data[key] = data[key].strip() or None
    if "cert_no" in data:
        data["cert_no"] = normalize_code(data["cert_no"]) or None
    for key in ("qualification_tags", "expertise_tags"):
        if key in data:
            data[key] = clean_tags(data[key], key)
    return data


def _problems(insp: Inspector) -> list[tuple[str, str, str]]:
    """(code, field, Chinese message) for every rule the record breaks."""
    out = []
    if not insp.name:
        out.append(("name_required", "name", "姓名不能为空。"))
    if insp.phone and not PHONE.match(insp.phone):
        out.append(("bad_phone", "phone", "电话号码格式不正确。"))
    if insp.kind not in KINDS:
        out.append(("bad_kind", "kind", "人员类别须为普通（general）或专业（specialist）。"))
    if insp.cert_no:
        if not CERT_NO.match(insp.cert_no):
            out.append(("bad_cert_no", "cert_no", "执法证号须为 6–32 位数字、大写字母或连字符。"))
        if insp.cert_valid_from is None or insp.cert_valid_until is None:
            out.append(("cert_dates_required", "cert_valid_until", "填写执法证号时须同时填写有效期起止日期。"))
    elif insp.cert_valid_from is not None or insp.cert_valid_until is not None:
        out.append(("cert_no_required", "cert_no", "填写了执法证有效期，但没有填写执法证号。"))
    if insp.cert_valid_from and insp.cert_valid_until and insp.cert_valid_until < insp.cert_valid_from:
        out.append(("dates_reversed", "cert_valid_until", "执法证有效期截止日期早于起始日期。"))
    if insp.is_expert:
        if not insp.expert_org:
            out.append(("expert_org_required", "expert_org", "外部专家须填写所在单位。"))
        if insp.expert_org_type not in EXPERT_ORG_TYPES:
            out.append(("expert_org_type_required", "expert_org_type",
                        "外部专家须注明单位类型：检测机构（lab）、科研院所（institute）、高等院校（university）或其他（other）。"))
        if insp.user_id is not None:
            out.append(("expert_has_no_account", "user_id", "外部专家不关联系统账号。"))
    elif insp.expert_org or insp.expert_org_type:
        out.append(("not_an_expert", "expert_org", "只有外部专家填写所在单位及单位类型。"))
    return out


def _check(insp: Inspector) -> None:
    problems = _problems(insp)
    if problems:
        raise Invalid("；".join(m for _, _, m in problems), code=problems[0][0],
                      errors=[field_error(f, m) for _, f, m in problems])
    if insp.user_id is not None:
        user = db.session.get(User, insp.user_id)
        if user is None:
            raise Invalid("关联的账号不存在。", code="user_not_found", errors=[field_error("user_id", "账号不存在。")])
        if user.department_id != insp.department_id:
            raise Invalid("关联账号须属于同一部门。", code="user_other_department",
                          errors=[field_error("user_id", "关联账号须属于该检查人员所在部门。")])
        taken = select(Inspector.id).where(Inspector.user_id == insp.user_id, Inspector.id != (insp.id or 0))
        if db.session.execute(taken).first():
            raise Conflict("该账号已关联其他执法检查人员。", code="user_already_linked",
                           errors=[field_error("user_id", "该账号已关联其他执法检查人员。")])
    if insp.cert_no:
        taken = select(Inspector.id).where(Inspector.cert_no == insp.cert_no, Inspector.id != (insp.id or 0))
        if db.session.execute(taken).first():
            raise Conflict(f"执法证号“{insp.cert_no}”已登记给其他检查人员。", code="cert_no_taken",
                           errors=[field_error("cert_no", "执法证号已存在。")])


def _flush() -> None:
    """Two administrators racing for one certificate number: the loser gets a 409, not a 500."""
    try:
        db.session.flush()
    except IntegrityError:
        raise Conflict("执法证号或关联账号已被其他记录占用，请刷新后重试。", code="inspector_duplicate")


def _department(department_id) -> Department:
    dept = db.session.get(Department, department_id) if isinstance(department_id, int) else None
    if dept is None:
        raise Invalid("部门不存在。", code="department_not_found", errors=[field_error("department_id", "部门不存在。")])
    return dept


def create_inspector(p: Principal | None, data: dict) -> Inspector:
    """Add an inspector (department admin: own department; office admin: any)."""
    data = _normalise(data)
    dept = _department(data.get("department_id"))
    if p is not None and not manages_department(p, dept.id):
        raise Forbidden("部门管理员只能管理本部门的执法检查人员。", code="other_department")
    insp = Inspector(active=bool(data.get("active", True)), kind="general", is_expert=False,
                     qualification_tags=[], expertise_tags=[])
    for key in EDITABLE:
        if key in data:
            setattr(insp, key, data[key])
    _check(insp)
    db.session.add(insp)
    _flush()
    audit.record(db.session, "inspector.create", "inspector", insp.id, inspector_view(insp))
    return insp


def update_inspector(p: Principal | None, inspector_id: int, data: dict) -> Inspector:
    """Change fields given in `data`. Only the office moves an inspector to another department."""
    insp = managed_inspector(p, inspector_id) if p is not None else existing_inspector(inspector_id)
    data = _normalise(data)
    if "department_id" in data and data["department_id"] != insp.department_id:
        _department(data["department_id"])
        if p is not None and not p.has(Role.OFFICE_ADMIN):
            raise Forbidden("只有办公室管理员可以把执法检查人员调到其他部门。", code="other_department")
    before = inspector_view(insp)
    for key in EDITABLE:
        if key in data:
            setattr(insp, key, data[key])
    _check(insp)
    after = inspector_view(insp)
    changes = {k: after[k] for k in after if after[k] != before[k]}
    if changes:
        _flush()
        audit.record(db.session, "inspector.update", "inspector", insp.id, changes)
    return insp


def set_active(p: Principal | None, inspector_id: int, active: bool, reason: str) -> Inspector:
    """Deactivate (left, retired, long-term off duty) or reactivate, with a reason."""
    insp = managed_inspector(p, inspector_id) if p is not None else existing_inspector(inspector_id)
    if insp.active == active:
        state = "在岗" if active else "已停用"
        raise Conflict(f"该执法检查人员当前已是“{state}”状态。", code="inspector_state_unchanged")
    insp.active = active
    audit.record(db.session, "inspector.reactivate" if active else "inspector.deactivate", "inspector", insp.id,
                 {"reason": reason})
    return insp


# --- search ------------------------------------------------------------------------------

def json_list_contains(column, value: str):
    """SQL truth of "the JSON list in `column` holds the string `value`" on both databases."""
    if db.engine.dialect.name == "postgresql":
        return type_coerce(column, JSONB).contains([value])
    items = func.json_each(column).table_valued("value").alias("tags")
    return exists(select(literal(1)).select_from(items).where(items.c.value == value))


def unavailable_during(start: dt.date, end: dt.date):
    """SQL truth of "the inspector has an unavailable period overlapping start..end"."""
    u = InspectorUnavailability
    return exists(select(u.id).where(u.inspector_id == Inspector.id, u.start_date <= end, u.end_date >= start))


def search_stmt(p: Principal, f: dict) -> Select:
    """Inspectors the caller may read, filtered (see `InspectorQuerySchema`)."""
    stmt = select(Inspector)
    if not p.sees_everything:
        if not p.has(*DEPT_READERS):
            return stmt.where(literal(False))
        stmt = stmt.where(Inspector.department_id == p.department_id)
    if f.get("department_id") is not None:
        stmt = stmt.where(Inspector.department_id == f["department_id"])
    for key in ("kind", "is_expert", "active"):
        if f.get(key) is not None:
            stmt = stmt.where(getattr(Inspector, key) == f[key])
    if f.get("qualification"):
        stmt = stmt.where(json_list_contains(Inspector.qualification_tags, f["qualification"].strip()))
    if f.get("expertise"):
        stmt = stmt.where(json_list_contains(Inspector.expertise_tags, f["expertise"].strip()))
    if f.get("available_from") is not None:
        stmt = stmt.where(~unavailable_during(f["available_from"], f["available_to"]))
    if f.get("cert_expiring_within") is not None:
        # Already expired certificates are included: they need renewing most of all.
        limit = local_today() + dt.timedelta(days=f["cert_expiring_within"])
        stmt = stmt.where(and_(Inspector.cert_valid_until.is_not(None), Inspector.cert_valid_until <= limit))
    if f.get("q"):
        q = f["q"].strip().lower()
        stmt = stmt.where(or_(func.lower(Inspector.name).contains(q, autoescape=True),
                              func.lower(Inspector.cert_no).contains(q, autoescape=True),
                              func.lower(Inspector.post).contains(q, autoescape=True)))
    return stmt


def cert_status(insp: Inspector, today: dt.date | None = None) -> str:
    """none | not_yet_valid | valid | expiring (≤ 30 days left) | expired, as of today."""
    today = today or local_today()
    if not insp.cert_no or insp.cert_valid_until is None:
        return "none"
    if insp.cert_valid_from and insp.cert_valid_from > today:
        return "not_yet_valid"
    if insp.cert_valid_until < today:
        return "expired"
    return "expiring" if (insp.cert_valid_until - today).days <= 30 else "valid"

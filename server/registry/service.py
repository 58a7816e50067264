"""Objects one at a time or as a feed: entry, merge, correction, and the check dates.

Functions other features call: `get_object`, `record_check` and
`objects_in_scope` and `scope_select` (defined in `search`, re-exported here).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from ..accounts.models import Department
from ..audit import service as audit
from ..errors import ApiError, Conflict, Forbidden, Invalid, NotFound, field_error
from ..extensions import db
from ..identifiers import mask_id_number
from ..types import utcnow
from .access import PERMISSION_CODES, Editor
from .models import InspectionObject, ObjectCredit, ObjectDeptCheck, ObjectSubLibrary
from .normalize import CREDIT_FIELDS, Issue, identity, normalize
from .protect import hash_id_number, protect_id_number
from .search import objects_in_scope, scope_select  # noqa: F401  (part of this module's interface)
from .state import CREDIT_COLUMNS, CREDIT_DEFAULTS, OBJECT_COLUMNS, content_hash, state_of
from .sublibs import load_lookup
from .upsert import Item, MemorySeen, RaceLost, audit_lists, process

MAX_BULK = 1000
_RETRIES = 3


def get_object(object_id: int) -> InspectionObject:
    """The object with this id, or NotFound."""
    obj = db.session.get(InspectionObject, object_id)
    if obj is None:
        raise NotFound("检查对象不存在。", code="object_not_found")
    return obj


def issues_error(issues: list[Issue]) -> ApiError:
    """One problem response for an input's issues: 403 when a permission rule refused it."""
    errors = [{**field_error(i.field, i.message), "code": i.code} for i in issues]
    denied = [i for i in issues if i.code in PERMISSION_CODES]
    if denied:
        return Forbidden(denied[0].message, code=denied[0].code, errors=errors)
    return Invalid(issues[0].message, code=issues[0].code, errors=errors)


def _audit_values(it: Item, lookup) -> dict[str, Any]:
    out = {k: it.values[k] for k in it.changed if k in OBJECT_COLUMNS and k != "legal_rep_id_hash"}
    out.update({k: it.credit[k] for k in it.changed if k in CREDIT_COLUMNS})
    if "legal_rep_id_hash" in it.changed:
        out["legal_rep_id_masked"] = mask_id_number(it.cand.legal_rep_id) if it.cand.legal_rep_id else None
    if it.added_libs:
        out["sub_libraries_added"] = sorted(lookup.by_id[i].code for i in it.added_libs)
    return out


def _run(items: list[Item], editor: Editor, lookup, where) -> dict[str, int]:
    for attempt in range(_RETRIES):
        try:
            return process(items, editor, lookup, write=True, seen=MemorySeen(), where=where)
        except RaceLost:
            db.session.rollback()
    raise Conflict("同一对象正被同时写入，请稍后重试。", code="concurrent_update")


def upsert_one(editor: Editor, data: dict) -> tuple[int, str]:
    """Create an object, or merge into the one with the same credit code. Returns (id, outcome)."""
    lookup = load_lookup()
    item = Item(1, normalize(data, lookup))
    _run([item], editor, lookup, lambda ref: "本条")
    if item.outcome == "rejected":
        raise issues_error(item.issues)
    if item.outcome != "unchanged":
        action = "registry.object.create" if item.outcome == "created" else "registry.object.update"
        audit.record(db.session, action, "object", item.object_id,
                     {"match_key": item.cand.match_key, "content_hash": item.hash, "values": _audit_values(item, lookup)},
                     actor=editor.actor)
    return item.object_id, item.outcome


def bulk_upsert(editor: Editor, rows: list[dict]) -> dict:
    """Upsert up to MAX_BULK objects; per-item results, idempotent, one audit entry."""
    lookup = load_lookup()
    items = [Item(i + 1, normalize(row, lookup)) for i, row in enumerate(rows)]
    counts = _run(items, editor, lookup, lambda ref: f"第{ref}项")
    if counts["created"] or counts["updated"]:
        audit.record(db.session, "registry.objects.bulk_upsert", "object_batch", None,
                     {"counts": counts, **audit_lists(items)}, actor=editor.actor)
    results = [{"index": it.ref - 1, "status": it.outcome, "id": it.object_id,
                "credit_code": it.cand.values.get("credit_code"),
                "errors": [{**field_error(i.field, i.message), "code": i.code} for i in it.issues]}
               for it in items]
    return {"results": results, **counts}


def _memberships(obj_id: int) -> set[int]:
    return set(db.session.execute(select(ObjectSubLibrary.sub_library_id)
                                  .where(ObjectSubLibrary.object_id == obj_id)).scalars())


def _wanted_libraries(editor: Editor, lookup, words: list[str], current: set[int]) -> set[int]:
    """PATCH `sub_libraries`: the caller sets its own libraries; other departments' tags stay."""
    refs, unknown = [], []
    for w in dict.fromkeys(words):
        lib = lookup.resolve(w)
        (refs if lib else unknown).append(lib or w)
    if unknown:
        raise Invalid(f"所属分库“{'、'.join(unknown)}”不存在。", code="sub_library_unknown",
                      errors=[field_error("sub_libraries", f"不存在的分库：{'、'.join(unknown)}")])
    refused = [r for r in refs if not editor.may_use_library(r)]
    if refused:
        raise Forbidden(f"分库“{'、'.join(r.name for r in refused)}”属于其他部门。", code="sub_library_not_allowed")
    kept = {i for i in current if i in lookup.by_id and not editor.may_use_library(lookup.by_id[i])}
    return kept | {r.id for r in refs}


def update_object(editor: Editor, object_id: int, data: dict) -> InspectionObject:
    """Correct an object's fields (null clears a field). Optional `version` guards against lost updates."""
    obj = get_object(object_id)
    lookup = load_lookup()
    libs = _memberships(obj.id)
    if not editor.may_edit(lookup.by_id[i] for i in libs if i in lookup.by_id):
        raise Forbidden("该对象属于其他部门的分库，本部门不能修改。", code="object_not_manageable")
    data = dict(data)
    version = data.pop("version", None)
    if version is not None and version != obj.version:
        raise Conflict(f"对象已被他人修改（当前版本 {obj.version}），请刷新后重试。", code="version_conflict",
                       extra={"current_version": obj.version})
    words = data.pop("sub_libraries", None)
    new_libs = libs if words is None else _wanted_libraries(editor, lookup, words, libs)
    cand = normalize({k: v for k, v in data.items() if v is not None}, lookup, partial=True)
    if cand.issues:
        raise issues_error(cand.issues)
    credit_row = db.session.get(ObjectCredit, obj.id)
    old_values, old_credit = state_of(obj, credit_row)
    values, credit = dict(old_values), dict(old_credit)
    for key in (k for k, v in data.items() if v is None):
        if key == "legal_rep_id_number":
            values["legal_rep_id_hash"] = None
        elif key in CREDIT_FIELDS:
            credit[key] = CREDIT_DEFAULTS[key]
        elif key in values:
            values[key] = None
    for key, value in cand.values.items():
        (credit if key in CREDIT_FIELDS else values)[key] = value
    if "credit_code" in data:
        values["credit_code_override"] = cand.override_reason
    if cand.legal_rep_id:
        values["legal_rep_id_hash"] = hash_id_number(cand.legal_rep_id)
    issues, key, _ = identity(values)
    if issues:
        raise issues_error(issues)
    if key != obj.match_key:
        other = db.session.execute(select(InspectionObject.id).where(InspectionObject.match_key == key)).scalar()
        if other is not None:
            raise Conflict(f"已存在相同的对象（编号 {other}），不能改成与其重复。", code="object_exists",
                           extra={"existing_id": other})
    changed = {k: values[k] for k in OBJECT_COLUMNS if values[k] != old_values[k]}
    changed.update({k: credit[k] for k in CREDIT_COLUMNS if credit[k] != old_credit[k]})
    if not changed and new_libs == libs:
        return obj
    _apply(obj, credit_row, values, credit, cand.legal_rep_id, key)
    for lib_id in new_libs - libs:
        db.session.add(ObjectSubLibrary(object_id=obj.id, sub_library_id=lib_id))
    for row in db.session.execute(select(ObjectSubLibrary).where(
            ObjectSubLibrary.object_id == obj.id, ObjectSubLibrary.sub_library_id.in_(libs - new_libs))).scalars():
        db.session.delete(row)
    report = {k: v for k, v in changed.items() if k != "legal_rep_id_hash"}
    if "legal_rep_id_hash" in changed:
        report["legal_rep_id_masked"] = obj.legal_rep_id_masked
    if new_libs != libs:
        report["sub_libraries"] = sorted(lookup.by_id[i].code for i in new_libs if i in lookup.by_id)
    audit.record(db.session, "registry.object.update", "object", obj.id,
                 {"version": obj.version, "content_hash": obj.content_hash, "changes": report}, actor=editor.actor)
    if cand.override_reason:
        audit.record(db.session, "registry.object.credit_code_override", "object", obj.id,
                     {"credit_code": values["credit_code"], "reason": cand.override_reason}, actor=editor.actor)
    return obj


def _apply(obj: InspectionObject, credit_row: ObjectCredit | None, values: dict, credit: dict,
           legal_rep_id: str | None, key: str) -> None:
    now = utcnow()
    for k in OBJECT_COLUMNS:
        setattr(obj, k, values[k])
    if legal_rep_id:
        p = protect_id_number(legal_rep_id)
        obj.legal_rep_id_protected, obj.legal_rep_id_masked = p.protected, p.masked
    elif values["legal_rep_id_hash"] is None:
        obj.legal_rep_id_protected = obj.legal_rep_id_masked = None
    if credit_row is None:
        credit_row = ObjectCredit(object_id=obj.id)
        db.session.add(credit_row)
    if any(getattr(credit_row, k) != credit[k] for k in CREDIT_COLUMNS):
        for k in CREDIT_COLUMNS:
            setattr(credit_row, k, credit[k])
        credit_row.updated_at = now
    obj.match_key = key
    obj.content_hash = content_hash(values, credit)
    obj.version += 1
    obj.updated_at = now


def record_check(object_id: int, department_id: int, checked_on: dt.date) -> None:
    """Remember that a department checked an object on a date (keeps the latest date)."""
    get_object(object_id)
    if db.session.get(Department, department_id) is None:
        raise NotFound("部门不存在。", code="department_not_found")
    row = db.session.get(ObjectDeptCheck, (object_id, department_id))
    if row is not None and row.last_checked_on >= checked_on:
        return
    if row is None:
        db.session.add(ObjectDeptCheck(object_id=object_id, department_id=department_id, last_checked_on=checked_on))
    else:
        row.last_checked_on = checked_on
    audit.record(db.session, "registry.object.checked", "object", object_id,
                 {"department_id": department_id, "checked_on": checked_on.isoformat()})

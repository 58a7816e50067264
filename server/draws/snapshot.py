"""Freezing the candidate snapshot and the inspector pool of a task at T0.

Rows follow draw.md: `{"id", "stratum", "weight", "excluded"}` sorted by id,
where id is the object's number zero-padded to 10 digits (so text order is
numeric order), stratum the credit-risk class (`U` when unclassified),
weight from the plan's rule for objects not checked for 2 / 3+ years, and
excluded a reason code or null.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable

ROW_ID_WIDTH = 10
DEREGISTERED = {"deregistered", "revoked", "cancelled", "moved_out"}
EXCLUSION_REASONS = {
    "low_risk_checked_this_year": "低风险对象本年度已检查",
    "deregistered": "已注销、吊销、撤销或迁出",
    "status_not_in_scope": "登记状态不在抽查范围内",
}


def row_id(object_id: int) -> str:
    return f"{object_id:0{ROW_ID_WIDTH}d}"


def object_id_of(row: str) -> int:
    return int(row)


def years_since(last: dt.date | None, today: dt.date) -> int | None:
    if last is None:
        return None
    years = today.year - last.year - ((today.month, today.day) < (last.month, last.day))
    return max(years, 0)


def weight_for(last_checked: dt.date | None, today: dt.date, rule: dict) -> int:
    """Art. 16: objects not checked for 2 years, or 3 and more, weigh more."""
    years = years_since(last_checked, today)
    if years is None or years >= 3:
        return int(rule.get("not_checked_3y", 3))
    if years >= 2:
        return int(rule.get("not_checked_2y", 2))
    return int(rule.get("default", 1))


def exclusion_for(status: str, risk_class: str | None, last_checked: dt.date | None, today: dt.date,
                  exclusions: dict, statuses: Iterable[str]) -> str | None:
    if exclusions.get("deregistered", True) and status in DEREGISTERED:
        return "deregistered"
    if status not in set(statuses):
        return "status_not_in_scope"
    if exclusions.get("low_risk_checked_this_year", True) and risk_class == "A" \
            and last_checked is not None and last_checked.year == today.year:
        return "low_risk_checked_this_year"
    return None


def build_rows(candidates: Iterable, plan_task, today: dt.date) -> list[dict]:
    """Snapshot rows from the registry's candidate tuples (see registry.objects_in_scope)."""
    scope = plan_task.scope or {}
    statuses = scope.get("statuses") or ["active", "operating"]
    rows = []
    for c in candidates:
        excluded = exclusion_for(c.registration_status, c.risk_class, c.last_checked_on, today,
                                 plan_task.exclusions or {}, statuses)
        rows.append({
            "id": row_id(c.id),
            "stratum": c.risk_class or "U",
            "weight": 0 if excluded else weight_for(c.last_checked_on, today, plan_task.weight_rule or {}),
            "excluded": excluded,
        })
    rows.sort(key=lambda r: r["id"])
    return rows


def describe_weight_rule(rule: dict) -> str:
    return (f"{rule.get('default', 1)} default; {rule.get('not_checked_2y', 2)} if not checked 2y; "
            f"{rule.get('not_checked_3y', 3)} if 3y+ or never")


def describe_exclusions(ex: dict) -> str:
    parts = []
    if ex.get("low_risk_checked_this_year", True):
        parts.append("A checked this year")
    if ex.get("deregistered", True):
        parts.append("deregistered/revoked/cancelled/moved out")
    parts.append("registration status outside scope")
    return "; ".join(parts)

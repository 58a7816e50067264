"""One approved and published joint plan for the current year."""
from __future__ import annotations

import datetime as dt

from ..plans import service
from ..types import local_today
from .catalog import principal_for


def load(ctx: dict) -> None:
    year = local_today().year
    depts, users, items = ctx["departments"], ctx["users"], ctx["items"]
    admin = principal_for(users["scjg-admin"])
    office = principal_for(users["office"])
    plan = service.create_plan(admin, {"year": year, "title": f"{year}年度市场监管部门联合“双随机、一公开”抽查计划"})
    window = (dt.date(year, 12, 1), dt.date(year, 12, 31))
    service.put_task(admin, plan.id, {
        "code": "T01", "name": "餐饮服务单位食品安全与安全生产联合抽查", "check_type": "undirected",
        "main_item": {"item_id": items["SCJG-SP-001"].id, "version": 1},
        "x_items": [{"item_id": items["YJGL-AQ-001"].id, "version": 1},
                    {"item_id": items["WSJK-GC-001"].id, "version": 1}],
        "participating_department_ids": [depts["yjgl"].id, depts["wsjk"].id],
        "scope": {"sub_libraries": ["food_business"], "object_types": ["enterprise", "individual"], "regions": [],
                  "statuses": ["active", "operating"], "online": None},
        "ratios": {"A": "0.02", "B": "0.05", "C": "0.15", "D": "0.30", "U": "0.05"}, "zero_ratio_reasons": {},
        "weight_rule": {"default": 1, "not_checked_2y": 2, "not_checked_3y": 3, "abnormal_list": 1,
                        "serious_violation_list": 2, "complaints_per_point": 3, "complaints_max": 2},
        "exclusions": {"low_risk_checked_this_year": True, "deregistered": True},
        "min_team_size": 3, "per_inspector_cap": 12, "allow_experts": False,
        "window_start": window[0], "window_end": window[1], "note": "进一次门、查多项事",
    })
    service.put_task(admin, plan.id, {
        "code": "T02", "name": "特种设备使用单位安全状况抽查", "check_type": "undirected",
        "main_item": {"item_id": items["SCJG-TZ-001"].id, "version": 1}, "x_items": [],
        "participating_department_ids": [],
        "scope": {"sub_libraries": ["special_equipment"], "object_types": ["enterprise"], "regions": [],
                  "statuses": ["active", "operating"], "online": None},
        "ratios": {"A": "0.03", "B": "0.05", "C": "0.10", "D": "0.20", "U": "0.05"}, "zero_ratio_reasons": {},
        "weight_rule": {"default": 1, "not_checked_2y": 2, "not_checked_3y": 3, "abnormal_list": 1,
                        "serious_violation_list": 2, "complaints_per_point": 3, "complaints_max": 2},
        "exclusions": {"low_risk_checked_this_year": True, "deregistered": True},
        "min_team_size": 2, "per_inspector_cap": 10, "allow_experts": False,
        "window_start": dt.date(year, 12, 7), "window_end": window[1], "note": None,
    })
    service.submit(admin, plan.id)
    service.aggregate(office, plan.id)
    service.approve(office, plan.id, f"忻政函〔{year}〕12号")
    service.publish(office, plan.id)
    ctx["plan"] = plan

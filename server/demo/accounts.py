"""Demo departments and accounts: the login scheme the README lists."""
from __future__ import annotations

from ..accounts import admin
from ..accounts.models import Role

XINZHOU = "140900"
OFFICE = {"code": "office", "name": "忻州市市场监管领域“双随机、一公开”监管工作领导小组办公室", "level": "city",
          "region_code": XINZHOU, "industry_tags": ["综合协调"], "is_office": True}

CITY_DEPARTMENTS = [
    ("scjg", "忻州市市场监督管理局", ["食品经营", "特种设备", "价格", "广告", "网络交易", "产品质量"]),
    ("sthj", "忻州市生态环境局", ["排污许可", "环境影响评价"]),
    ("wsjk", "忻州市卫生健康委员会", ["公共场所卫生", "医疗机构", "职业卫生"]),
    ("yjgl", "忻州市应急管理局", ["安全生产", "危险化学品"]),
    ("sw", "忻州市商务局", ["成品油流通", "单用途预付卡"]),
    ("wl", "忻州市文化和旅游局", ["文化市场", "旅游市场", "单用途预付卡"]),
]

# County branches of some departments (code suffix, county name, division code).
COUNTY_BRANCHES = {
    "scjg": [("xf", "忻府区", "140902"), ("yp", "原平市", "140981"), ("dx", "定襄县", "140921"), ("wt", "五台县", "140922")],
    "yjgl": [("xf", "忻府区", "140902"), ("dai", "代县", "140923")],
    "sthj": [("fs", "繁峙县", "140924")],
}
BRANCH_NAMES = {"scjg": "市场监督管理局", "yjgl": "应急管理局", "sthj": "生态环境局"}

INSPECTORS_PER_DEPARTMENT = 6


def demo_logins() -> list[tuple[str, str, str]]:
    """(username, role, department code) of every demo login, in README order."""
    rows = [("office", Role.OFFICE_ADMIN.value, "office"), ("auditor", Role.AUDITOR.value, "office")]
    for code, _, _ in CITY_DEPARTMENTS:
        rows += [(f"{code}-admin", Role.DEPT_ADMIN.value, code), (f"{code}-leader", Role.DEPT_LEADER.value, code),
                 (f"{code}-reviewer", Role.REVIEWER.value, code)]
        rows += [(f"{code}-insp{i}", Role.INSPECTOR.value, code) for i in range(1, INSPECTORS_PER_DEPARTMENT + 1)]
    return rows


def load(ctx: dict) -> None:
    """Create the office, six city departments with county branches, and every demo login."""
    names = ctx["names"]
    depts = {"office": admin.create_department(OFFICE)}
    for code, name, tags in CITY_DEPARTMENTS:
        depts[code] = admin.create_department(
            {"code": code, "name": name, "level": "city", "region_code": XINZHOU, "industry_tags": tags})
    for parent, branches in COUNTY_BRANCHES.items():
        for suffix, county, division in branches:
            c = f"{parent}-{suffix}"
            depts[c] = admin.create_department(
                {"code": c, "name": f"{county}{BRANCH_NAMES[parent]}", "level": "county", "region_code": division,
                 "parent_id": depts[parent].id, "industry_tags": list(depts[parent].industry_tags)})
    users = {}
    for username, role, dept_code in demo_logins():
        users[username] = admin.create_user({
            "username": username, "display_name": names(), "phone": names.phone(),
            "department_id": depts[dept_code].id, "roles": [role], "password": ctx["password"],
        }, check_policy=False)  # one shared demo password, printed by `make run` (README)
    ctx["departments"] = depts
    ctx["users"] = users
